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
 * them.  Planning sizes what it will read from a sample of the files.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <sys/stat.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/memutils.h"

/* one walk of this statement, in its own memory context */
typedef struct CachedWalk
{
	MemoryContext cxt;
	char	   *location;
	int			flags;
	char	   *folder_key;		/* trail_prune_folder_key of its folder test */
	bool		is_directory;
	List	   *files;			/* of TrailFile */
	TrailWalkStats stats;
} CachedWalk;

/* planning stat()s at most about this many files for its estimates */
#define TRAIL_PLAN_SAMPLE_FILES 1000

/* walks kept per statement: a UNION of a few windows, not a LATERAL list */
#define MAX_CACHED_WALKS 4

typedef struct WalkCache
{
	MemoryContext cxt;
	LocalTransactionId lxid;
	TimestampTz statement;
	CachedWalk *walks[MAX_CACHED_WALKS];	/* oldest first */
	int			nwalks;
	MemoryContext uncached;		/* the last walk that met problems */
} WalkCache;

static WalkCache walk_cache;

static void
forget_walk(int i)
{
	MemoryContextDelete(walk_cache.walks[i]->cxt);
	memmove(&walk_cache.walks[i], &walk_cache.walks[i + 1],
			sizeof(CachedWalk *) * (walk_cache.nwalks - i - 1));
	walk_cache.nwalks--;
}

/*
 * The files under location, from this statement's walk when there was one.
 *
 * folders (may be NULL: no quals) is the scan's TrailPrune made without
 * executor parameters (TRAIL_PRUNE_EXPLAIN, or the planner's estimates):
 * the walk does not open the folders it rules out (see
 * trail_prune_keep_folder), reads digests only when it has event_time
 * quals, and adds the files that digests list in the window from the
 * folders it skipped.  The walk then holds for every rescan of the
 * statement (new parameter values prune its files, not its folders) and
 * for its parallel workers, which compute the same values.
 * Two scans of one location in one statement may have different quals
 * (a UNION ALL of an hour and a week): the last few walks are kept, by
 * location, flags and what the folder test goes by.
 *
 * The list and its TrailFiles live at least until the next walk: callers
 * copy what they keep.  stats (may be NULL) gets what the walk did.
 */
List *
trail_walk_cached(const char *location, int flags, TrailPrune *folders,
				  bool *is_directory, TrailReport *report,
				  TrailWalkStats *stats)
{
	TimestampTz statement = GetCurrentStatementStartTimestamp();
	int64		problems = trail_report_count(report);
	MemoryContext old;
	MemoryContext cxt;
	List	   *files;
	List	   *walk_problems = NIL;
	TrailWalkStats walk_stats;
	CachedWalk *walk;
	char	   *key;
	int			nadded = 0;
	bool		digests;
	int			i;

	if (walk_cache.cxt == NULL)
		walk_cache.cxt = AllocSetContextCreate(TopMemoryContext,
											   "trail walk cache",
											   ALLOCSET_DEFAULT_SIZES);
	if (walk_cache.lxid != MyProc->lxid || walk_cache.statement != statement)
	{
		while (walk_cache.nwalks > 0)
			forget_walk(0);
		walk_cache.lxid = MyProc->lxid;
		walk_cache.statement = statement;
	}

	key = folders ? trail_prune_folder_key(folders) : pstrdup("");
	for (i = 0; i < walk_cache.nwalks; i++)
	{
		walk = walk_cache.walks[i];
		if (walk->flags == flags && strcmp(walk->location, location) == 0 &&
			strcmp(walk->folder_key, key) == 0)
		{
			*is_directory = walk->is_directory;
			if (stats)
				*stats = walk->stats;
			return walk->files;
		}
	}

	if (walk_cache.uncached != NULL)
	{
		MemoryContextDelete(walk_cache.uncached);
		walk_cache.uncached = NULL;
	}
	if (walk_cache.nwalks == MAX_CACHED_WALKS)
		forget_walk(0);
	cxt = AllocSetContextCreate(walk_cache.cxt, "trail walk",
								ALLOCSET_DEFAULT_SIZES);
	/* until it is kept: a walk an error ends is freed by the next one */
	walk_cache.uncached = cxt;
	old = MemoryContextSwitchTo(cxt);

	/*
	 * Digests are walked too, when time quals may use the event ranges they
	 * give the files they list.
	 */
	digests = folders == NULL || trail_prune_wants_digests(folders);
	files = trail_walk_folders(location,
							   digests ? flags & ~TRAIL_WALK_EVENT_FILES : flags,
							   folders ? trail_prune_keep_folder : NULL,
							   folders, &walk_stats, is_directory,
							   &walk_problems);
	trail_report_walk_problems(report, walk_problems);
	if (*is_directory && digests)
		files = trail_digest_index(files, (flags & TRAIL_WALK_EVENT_FILES) != 0,
								   location,
								   folders ? trail_prune_wants_listed : NULL,
								   folders, &nadded);
	walk_stats.late_files = nadded;
	if (stats)
		*stats = walk_stats;
	if (trail_report_count(report) == problems)
	{
		walk = palloc(sizeof(CachedWalk));
		walk->cxt = cxt;
		walk->location = pstrdup(location);
		walk->flags = flags;
		walk->folder_key = pstrdup(key);
		walk->is_directory = *is_directory;
		walk->files = files;
		walk->stats = walk_stats;
		walk_cache.walks[walk_cache.nwalks++] = walk;
		walk_cache.uncached = NULL;
	}
	MemoryContextSwitchTo(old);
	return files;
}

/*
 * For EXPLAIN: what a walk skipped, or NULL when it skipped nothing.
 */
char *
trail_walk_stats_text(const TrailWalkStats *stats)
{
	char	   *text;

	if (stats->folders_skipped == 0 && stats->late_files == 0)
		return NULL;
	text = psprintf("%d walked, %d skipped", stats->folders_walked,
					stats->folders_skipped);
	if (stats->late_files > 0)
		text = psprintf("%s; %d late %s added from digests", text,
						stats->late_files,
						stats->late_files == 1 ? "file" : "files");
	return text;
}

/*
 * The paths (char *, in the current memory context) of the files a scan
 * of location reads when prune (may be NULL) allows them; folders is the
 * walk's folder test (see trail_walk_cached).  *nfound gets the number of
 * files the walk found, *single_file whether location named one file
 * (which must then hold events).  Problems go to report; stats (may be
 * NULL) gets what the walk did.
 */
List *
trail_scan_files(const char *location, int walk_flags, TrailPrune *folders,
				 TrailPrune *prune, TrailReport *report, bool *single_file,
				 int *nfound, TrailWalkStats *stats)
{
	bool		is_directory;
	List	   *files = trail_walk_cached(location, walk_flags, folders,
										  &is_directory, report, stats);
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

static bool
is_gzip_name(const char *path)
{
	size_t		len = strlen(path);

	return len > 3 && strcmp(path + len - 3, ".gz") == 0;
}

/*
 * The bytes of a list of TrailFiles and a guess of their records, from the
 * sizes of at most TRAIL_PLAN_SAMPLE_FILES of them (stat()ing every file of
 * a large tree would cost more than the plan is worth).
 */
static void
estimate_files(List *files, double *bytes, double *records)
{
	int			nfiles = list_length(files);
	int			step = Max(1, nfiles / TRAIL_PLAN_SAMPLE_FILES);
	double		sampled_bytes = 0;
	double		sampled_records = 0;
	int			nsampled = 0;
	int			i;

	*bytes = *records = 0;
	for (i = 0; i < nfiles; i += step)
	{
		TrailFile  *f = (TrailFile *) list_nth(files, i);
		struct stat st;

		if (f->size < 0 && stat(f->path, &st) == 0)
			f->size = st.st_size;
		if (f->size < 0)
			continue;
		nsampled++;
		sampled_bytes += f->size;
		sampled_records += f->size / (is_gzip_name(f->path) ?
									  TRAIL_GZIP_BYTES_PER_RECORD :
									  TRAIL_PLAIN_BYTES_PER_RECORD);
	}
	if (nsampled > 0)
	{
		*bytes = sampled_bytes * nfiles / nsampled;
		*records = sampled_records * nfiles / nsampled;
	}
}

/*
 * For planning: the bytes and a guess of the records of the files under
 * location that prune (the quals' values known now) keeps, and of all of
 * them.  The walk is this statement's, which the scan then reuses; its
 * problems are the scan's to report.  False when location is not there.
 */
bool
trail_estimate_location(const char *location, int flags, TrailPrune *prune,
						double *bytes, double *records,
						double *all_bytes, double *all_records)
{
	struct stat st;
	bool		is_directory;
	List	   *files;

	if (stat(location, &st) != 0)
		return false;
	files = trail_walk_cached(location, flags, prune, &is_directory,
							  trail_report_create(TRAIL_ON_ERROR_SKIP), NULL);
	estimate_files(files, all_bytes, all_records);
	estimate_files(trail_prune_files(prune, files), bytes, records);
	return true;
}
