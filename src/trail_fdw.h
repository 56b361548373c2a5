/*-------------------------------------------------------------------------
 *
 * trail_fdw.h
 *	  What the foreign data wrapper's files share:
 *
 *	  fdw.c          the handler: planning, scanning, EXPLAIN, ANALYZE,
 *	                 parallel scans, IMPORT FOREIGN SCHEMA
 *	  fdw_options.c  the options and their validator
 *	  pruning.c      quals -> which files to open and which records to
 *	                 decode
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRAIL_FDW_H
#define TRAIL_FDW_H

#include "trail.h"

#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"

/* how long after an event its file may be delivered, by default */
#define TRAIL_DEFAULT_DELIVERY_DELAY "6 hours"

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
} TrailFdwOptions;

extern void trail_fdw_get_options(Oid foreigntableid, TrailFdwOptions *opts);
extern char *trail_fdw_column_field(Oid foreigntableid, AttrNumber attnum);

/* ----------------------------------------------------------------
 * pruning.c
 * ----------------------------------------------------------------
 */
typedef struct TrailPrune TrailPrune;

typedef enum TrailPruneMode
{
	TRAIL_PRUNE_PLAN,			/* constants only, for estimates */
	TRAIL_PRUNE_EXPLAIN,		/* no executor parameters */
	TRAIL_PRUNE_EXEC
} TrailPruneMode;

extern List *trail_prune_classify(RelOptInfo *baserel, const int *attr_columns,
								  List **exprs);
extern TrailPrune *trail_prune_begin(List *filters, List *values,
									 ExprContext *econtext,
									 int64 max_delivery_delay,
									 TrailPruneMode mode);
extern bool trail_prune_impossible(TrailPrune *prune);
extern bool trail_prune_keep_file(TrailPrune *prune, const TrailLayout *layout);
extern bool trail_prune_has_record_tests(TrailPrune *prune);
extern bool trail_prune_record(void *arg, const TrailRecord *rec);
extern char *trail_prune_describe(List *filters, bool file_level);

#endif							/* TRAIL_FDW_H */
