/*-------------------------------------------------------------------------
 *
 * parallel_files.c
 *	  The file list of a parallel scan, in dynamic shared memory: every
 *	  process of a Gather takes the next unread file from it.  The foreign
 *	  table and the CustomScan of trail.read() share it.
 *
 * The leader puts there every file its walk found, with the event range
 * the digests of this statement's walk gave each one, so that workers
 * prune without walking (or reading digests) themselves.  Each process
 * prunes with the quals' values of the current execution as it takes
 * files (a rescan under Gather may bring new values), so the list stays
 * valid for every execution of the statement.
 *
 * What the workers read is added up here for the leader's EXPLAIN
 * ANALYZE, with the files each process took: proof that the work was
 * shared.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "access/parallel.h"
#include "optimizer/optimizer.h"
#include "port/atomics.h"
#include "storage/spin.h"

struct TrailSharedFiles
{
	pg_atomic_uint32 next;		/* the next file to take */
	uint32		nfiles;
	bool		single_file;	/* the location named one file */
	int			nparticipants;	/* workers, then the leader */
	slock_t		mutex;			/* protects workers */
	TrailScanCounts workers;	/* totals of the workers' scans */

	/*
	 * Then pg_atomic_uint64 files_taken[nparticipants], SharedRange
	 * ranges[nfiles], uint32 offsets[nfiles] and the NUL-terminated paths.
	 */
	char		data[FLEXIBLE_ARRAY_MEMBER];
};

/* the event range a digest gives a file */
typedef struct SharedRange
{
	TimestampTz oldest;
	TimestampTz newest;
	bool		has_range;
} SharedRange;

#define SHARED_TAKEN(shared) ((pg_atomic_uint64 *) MAXALIGN((shared)->data))
#define SHARED_RANGES(shared) \
	((SharedRange *) (SHARED_TAKEN(shared) + (shared)->nparticipants))
#define SHARED_OFFSETS(shared) \
	((uint32 *) (SHARED_RANGES(shared) + (shared)->nfiles))

/*
 * The bytes the list of files needs with nworkers workers.
 */
Size
trail_shared_files_size(List *files, int nworkers)
{
	Size		size = MAXALIGN(offsetof(TrailSharedFiles, data));
	ListCell   *lc;

	size = add_size(size, mul_size(nworkers + 1, sizeof(pg_atomic_uint64)));
	size = add_size(size, mul_size(list_length(files), sizeof(SharedRange)));
	size = add_size(size, mul_size(list_length(files), sizeof(uint32)));
	foreach(lc, files)
		size = add_size(size, strlen((char *) lfirst(lc)) + 1);
	return size;
}

/*
 * Fill shared (of trail_shared_files_size bytes) with files, the char *
 * paths the leader's walk found; the leader then takes files as
 * participant nworkers.
 */
void
trail_shared_files_init(TrailSharedFiles *shared, List *files,
						bool single_file, int nworkers)
{
	SharedRange *ranges;
	uint32	   *offsets;
	char	   *paths;
	uint32		pos = 0;
	ListCell   *lc;
	int			i;

	pg_atomic_init_u32(&shared->next, 0);
	shared->nfiles = list_length(files);
	shared->single_file = single_file;
	shared->nparticipants = nworkers + 1;
	SpinLockInit(&shared->mutex);
	memset(&shared->workers, 0, sizeof(shared->workers));
	for (i = 0; i < shared->nparticipants; i++)
		pg_atomic_init_u64(&SHARED_TAKEN(shared)[i], 0);
	ranges = SHARED_RANGES(shared);
	offsets = SHARED_OFFSETS(shared);
	paths = (char *) (offsets + shared->nfiles);
	i = 0;
	foreach(lc, files)
	{
		const char *path = (const char *) lfirst(lc);
		TrailLayout layout;

		/* the ranges the digests this statement's walk read give */
		trail_digest_event_range(path, &layout);
		ranges[i].has_range = layout.has_event_range;
		ranges[i].oldest = layout.oldest_event;
		ranges[i].newest = layout.newest_event;
		offsets[i++] = pos;
		strcpy(paths + pos, path);
		pos += strlen(path) + 1;
	}
}

/*
 * A new execution (a rescan under Gather): every file is there to take
 * again.  Only the leader calls this, while no worker runs.
 */
void
trail_shared_files_rewind(TrailSharedFiles *shared)
{
	pg_atomic_write_u32(&shared->next, 0);
}

bool
trail_shared_files_single_file(const TrailSharedFiles *shared)
{
	return shared->single_file;
}

/* this process's slot in files_taken */
static int
participant(const TrailSharedFiles *shared)
{
	return IsParallelWorker() ? ParallelWorkerNumber : shared->nparticipants - 1;
}

/*
 * The next file that prune (this execution's quals' values, in this
 * process) keeps, or NULL when no file is left.
 */
const char *
trail_shared_files_next(TrailSharedFiles *shared, TrailPrune *prune)
{
	const SharedRange *ranges = SHARED_RANGES(shared);
	const uint32 *offsets = SHARED_OFFSETS(shared);
	const char *paths = (const char *) (offsets + shared->nfiles);

	for (;;)
	{
		uint32		i = pg_atomic_fetch_add_u32(&shared->next, 1);
		const char *path;
		TrailLayout layout;

		if (i >= shared->nfiles)
			return NULL;
		path = paths + offsets[i];
		trail_layout_parse(path, &layout);
		layout.has_event_range = ranges[i].has_range;
		layout.oldest_event = ranges[i].oldest;
		layout.newest_event = ranges[i].newest;
		if (trail_prune_keep_file(prune, &layout))
		{
			pg_atomic_fetch_add_u64(&SHARED_TAKEN(shared)[participant(shared)], 1);
			return path;
		}
	}
}

/*
 * At the shutdown of a parallel scan, before the shared memory goes: a
 * worker adds what its scans read (finished: the counts of those that have
 * ended; scan: the one still open, or NULL) to the workers' totals; the
 * leader adds those totals and the files each process took to report,
 * allocating its files_taken in cxt.  The leader's scan shuts down before
 * the Gather above it waits for the workers: when a Limit stopped the
 * query early, workers still running add theirs too late for the report.
 */
void
trail_shared_files_shutdown(TrailSharedFiles *shared,
							const TrailScanCounts *finished,
							TrailScanState *scan,
							TrailParallelReport *report, MemoryContext cxt)
{
	int			i;

	if (IsParallelWorker())
	{
		TrailScanCounts counts = *finished;

		if (scan != NULL)
		{
			TrailScanCounts open;

			trail_scan_counts(scan, &open);
			trail_scan_counts_add(&counts, &open);
		}
		SpinLockAcquire(&shared->mutex);
		trail_scan_counts_add(&shared->workers, &counts);
		SpinLockRelease(&shared->mutex);
		return;
	}

	SpinLockAcquire(&shared->mutex);
	trail_scan_counts_add(&report->workers, &shared->workers);
	SpinLockRelease(&shared->mutex);
	if (report->files_taken == NULL ||
		report->nparticipants != shared->nparticipants)
	{
		report->nparticipants = shared->nparticipants;
		report->files_taken = MemoryContextAllocZero(cxt, sizeof(uint64) *
													 report->nparticipants);
	}
	for (i = 0; i < shared->nparticipants; i++)
		report->files_taken[i] += pg_atomic_read_u64(&SHARED_TAKEN(shared)[i]);
}

/*
 * For planning: the share of a scan's rows and cost one process of a
 * parallel scan with this many workers has, counting the leader's part as
 * PostgreSQL's own partial paths do (costsize.c's get_parallel_divisor).
 */
double
trail_parallel_divisor(int workers)
{
	double		divisor = workers;

	if (parallel_leader_participation && 1.0 - 0.3 * workers > 0)
		divisor += 1.0 - 0.3 * workers;
	return divisor;
}

/*
 * "leader N, worker 0 M, ...", for EXPLAIN ANALYZE, or NULL when the scan
 * never ran in parallel.
 */
char *
trail_parallel_report_text(const TrailParallelReport *report)
{
	StringInfoData buf;
	int			i;

	if (report->files_taken == NULL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfo(&buf, "leader %llu",
					 (unsigned long long) report->files_taken[report->nparticipants - 1]);
	for (i = 0; i < report->nparticipants - 1; i++)
		appendStringInfo(&buf, ", worker %d %llu", i,
						 (unsigned long long) report->files_taken[i]);
	return buf.data;
}
