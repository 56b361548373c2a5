/*-------------------------------------------------------------------------
 *
 * trail_fdw.h
 *	  What the foreign data wrapper's files share:
 *
 *	  fdw.c          the handler: planning, scanning, EXPLAIN, ANALYZE,
 *	                 parallel scans, IMPORT FOREIGN SCHEMA
 *	  fdw_options.c  the options and their validator
 *
 * (pruning.c, which both the FDW and trail.read use, is in trail.h.)
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRAIL_FDW_H
#define TRAIL_FDW_H

#include "trail.h"

#include "access/attnum.h"


/* ----------------------------------------------------------------
 * fdw_options.c
 * ----------------------------------------------------------------
 */
typedef struct TrailFdwOptions
{
	char	   *location;
	bool		recursive;
	TrailOnError on_error;
	int64		max_delivery_delay; /* microseconds */
	bool		folder_pruning; /* may pruning trust account/region/category folders? */
	bool		verified_only;	/* only files trail.verify found valid */
} TrailFdwOptions;

extern void trail_fdw_get_options(Oid foreigntableid, TrailFdwOptions *opts);
extern char *trail_fdw_column_field(Oid foreigntableid, AttrNumber attnum);

#endif							/* TRAIL_FDW_H */
