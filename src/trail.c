/*-------------------------------------------------------------------------
 *
 * trail.c
 *	  Module load: settings and the planner hook.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <limits.h>

#include "utils/guc.h"

PG_MODULE_MAGIC;

/* largest JSON value (a record, or a whole non-Records document), in kB */
int			trail_max_record_size = 64 * 1024;

/* how long after an event its file may be delivered, in seconds */
int			trail_max_delivery_delay = 6 * 60 * 60;

/* developer settings: short reads and small inflate inputs (0: normal) */
int			trail_debug_read_size = 0;
int			trail_debug_inflate_chunk = 0;

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
	DefineCustomIntVariable("trail.max_delivery_delay",
							"How much later than an event its log file may be delivered.",
							"Pruning by event_time reads files delivered up to this long after the time window.  Foreign tables can set their own with the option max_delivery_delay.",
							&trail_max_delivery_delay,
							6 * 60 * 60,
							0,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	/*
	 * Hidden developer settings, for tests that must cross every refill
	 * path of the readers with tiny reads (t/002_robustness.pl).
	 */
	DefineCustomIntVariable("trail.debug_read_size",
							"Developer setting: the most bytes one read of the byte source returns (0: no limit).",
							NULL,
							&trail_debug_read_size,
							0, 0, INT_MAX,
							PGC_SUSET,
							GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("trail.debug_inflate_chunk",
							"Developer setting: the most compressed bytes fed to zlib at a time (0: normal).",
							NULL,
							&trail_debug_inflate_chunk,
							0, 0, INT_MAX,
							PGC_SUSET,
							GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("trail");

	trail_projection_init();
}
