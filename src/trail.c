/*-------------------------------------------------------------------------
 *
 * trail.c
 *	  Module load: settings and the planner hook.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "utils/guc.h"

PG_MODULE_MAGIC;

/* largest JSON value (a record, or a whole non-Records document), in kB */
int			trail_max_record_size = 64 * 1024;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("trail.max_record_size",
							"Largest CloudTrail record trail reads.",
							"A guard against hostile or broken input; CloudTrail's own limit is 256 kB per event.",
							&trail_max_record_size,
							64 * 1024,
							256,
							1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("trail");

	trail_projection_init();
}
