/*-------------------------------------------------------------------------
 *
 * scan_files.c
 *	  The files one execution of a scan reads: the walk of its location,
 *	  kept for the rest of the statement, pruned by the quals' values.
 *	  The foreign table and the CustomScan of trail.read() both start their
 *	  scans here, so they find and prune files the same way.
 *
 * Planning and executing one statement then walk the tree once, and so do
 * the rescans of one statement (a correlated subquery runs its scan once
 * per outer row); every new statement sees the tree as it is now.  Only
 * walks without problems are kept, so that the scan's own walk reports
 * them.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/memutils.h"

typedef struct WalkCache
{
	MemoryContext cxt;
	LocalTransactionId lxid;
	TimestampTz statement;
	char	   *location;
	int			flags;
	bool		is_directory;
	List	   *files;			/* of TrailFile */
} WalkCache;

static WalkCache walk_cache;

/*
 * The files under location, from this statement's walk when there was one.
 * The list and its TrailFiles live until the next walk of another
 * location: callers copy what they keep.
 */
List *
trail_walk_cached(const char *location, int flags, bool *is_directory,
				  TrailReport *report)
{
	TimestampTz statement = GetCurrentStatementStartTimestamp();
	int64		problems = trail_report_count(report);
	MemoryContext old;
	List	   *files;

	if (walk_cache.files != NIL && walk_cache.lxid == MyProc->lxid &&
		walk_cache.statement == statement && walk_cache.flags == flags &&
		strcmp(walk_cache.location, location) == 0)
	{
		*is_directory = walk_cache.is_directory;
		return walk_cache.files;
	}

	if (walk_cache.cxt == NULL)
		walk_cache.cxt = AllocSetContextCreate(TopMemoryContext,
											   "trail walk cache",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(walk_cache.cxt);
	walk_cache.files = NIL;
	old = MemoryContextSwitchTo(walk_cache.cxt);
	/* digests are walked too: they give the files they list event ranges */
	files = trail_scan_walk(location, flags & ~TRAIL_WALK_EVENT_FILES,
							is_directory, report);
	if (*is_directory)
		files = trail_digest_index(files, (flags & TRAIL_WALK_EVENT_FILES) != 0);
	walk_cache.location = pstrdup(location);
	MemoryContextSwitchTo(old);
	if (trail_report_count(report) == problems)
	{
		walk_cache.files = files;
		walk_cache.lxid = MyProc->lxid;
		walk_cache.statement = statement;
		walk_cache.flags = flags;
		walk_cache.is_directory = *is_directory;
	}
	return files;
}

/*
 * The paths (char *, in the current memory context) of the files a scan
 * of location reads when prune (may be NULL) allows them.  *nfound gets
 * the number of files the walk found, *single_file whether location named
 * one file (which must then hold events).  Problems go to report.
 */
List *
trail_scan_files(const char *location, int walk_flags, TrailPrune *prune,
				 TrailReport *report, bool *single_file, int *nfound)
{
	bool		is_directory;
	List	   *files = trail_walk_cached(location, walk_flags, &is_directory,
										  report);
	List	   *paths = NIL;
	ListCell   *lc;

	*single_file = !is_directory;
	*nfound = list_length(files);
	foreach(lc, files)
	{
		TrailFile  *f = (TrailFile *) lfirst(lc);

		if (prune == NULL || trail_prune_keep_file(prune, &f->layout))
			paths = lappend(paths, pstrdup(f->path));
	}
	return paths;
}
