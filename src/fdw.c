/*-------------------------------------------------------------------------
 *
 * fdw.c
 *	  trail_fdw: a foreign table over a CloudTrail tree.
 *
 * The table's columns are matched by name to the columns of trail.event
 * (any subset, any order, any type with an input function), or take their
 * value from a path in the record (column option "field").
 *
 * Planning walks the location once for estimates.  The scan walks it again
 * when it starts, computes the values of the quals pruning.c understands,
 * and opens only the files that can hold matching rows; records are
 * tested on their bytes before they are decoded.  A parallel scan puts the
 * file list in shared memory (parallel_files.c) and every process takes
 * the next unread file it keeps from it.
 *
 *-------------------------------------------------------------------------
 */
#include "trail_fdw.h"

#include <math.h>
#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "access/table.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "commands/vacuum.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

PG_FUNCTION_INFO_V1(trail_fdw_handler);

/* ANALYZE reads at most about this many (compressed) bytes */
#define TRAIL_ANALYZE_BYTES (256 * 1024 * 1024)

/* What planning learns about the relation (baserel->fdw_private) */
typedef struct TrailPlanState
{
	TrailFdwOptions opts;
	int		   *attr_columns;	/* attribute -> TrailColumnId, or -1 */
	List	   *filters;		/* of the relation's own quals */
	List	   *exprs;
	double		pages;			/* bytes of the files to read / BLCKSZ */
	double		ntuples;		/* records in them */
} TrailPlanState;

/* The state of one scan (node->fdw_state) */
typedef struct TrailExecState
{
	MemoryContext cxt;			/* the query's: outlives every row */
	MemoryContext run_cxt;		/* one execution's: reset at each rescan */
	TrailFdwOptions opts;
	int			natts;
	TrailOutput *outputs;
	List	   *filters;
	List	   *expr_states;
	ExprContext *econtext;

	/* one execution (in run_cxt), set when the files are known */
	bool		prepared;
	TrailPrune *prune;
	bool		single_file;
	int			nfound;			/* files under the location */
	int			nread;			/* how many of them the scan reads */
	TrailVerifiedCounts left_out;	/* by verified_only */
	char	   *time_pruning;	/* how time pruning judged them, or NULL */
	TrailWalkStats walk_stats;	/* what the walk skipped */
	List	   *files;			/* the ones to read: char * paths */
	int			next_file;
	TrailReport *report;
	TrailScanState *scan;

	TrailSharedFiles *shared;	/* parallel scans */
	TrailScanCounts counts;		/* of finished scans, this process */
	TrailParallelReport parallel;	/* of the workers, for EXPLAIN */
} TrailExecState;

/*
 * The output of each attribute of a foreign table: a trail.event column or
 * a field path, in the attribute's own type.  attr_columns (may be NULL)
 * gets, per attribute, the column when it has the column's own type (so
 * quals on it can be pushed down), else -1.
 */
static TrailOutput *
table_outputs(Relation rel, const Bitmapset *needed, bool all,
			  int *attr_columns)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	TrailOutput *outputs = palloc0(sizeof(TrailOutput) * Max(tupdesc->natts, 1));
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		char	   *field;
		int			column;

		outputs[i].column = TRAIL_OUTPUT_NONE;
		outputs[i].typid = attr->atttypid;
		outputs[i].typmod = attr->atttypmod;
		if (attr_columns)
			attr_columns[i] = -1;
		if (attr->attisdropped)
			continue;

		field = trail_fdw_column_field(RelationGetRelid(rel), attr->attnum);
		column = field ? -1 : trail_column_by_name(NameStr(attr->attname));
		if (field == NULL && column < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of foreign table \"%s\" is not a column of trail.event",
							NameStr(attr->attname), RelationGetRelationName(rel)),
					 errhint("Name the column after a column of trail.event, or give it the option field, for example OPTIONS (field 'requestParameters.bucketName').")));
		if (attr_columns && column >= 0 &&
			attr->atttypid == trail_column_type(column))
			attr_columns[i] = column;
		if (!all && !bms_is_member(attr->attnum - FirstLowInvalidHeapAttributeNumber, needed))
			continue;
		if (field)
		{
			outputs[i].column = TRAIL_OUTPUT_FIELD;
			outputs[i].field = field;
		}
		else
			outputs[i].column = column;
	}
	return outputs;
}

static int
walk_flags(const TrailFdwOptions *opts)
{
	return trail_scan_walk_flags(opts->recursive);
}

/* ----------------------------------------------------------------
 * Planning
 * ----------------------------------------------------------------
 */

static void
trailGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					   Oid foreigntableid)
{
	TrailPlanState *ps = palloc0(sizeof(TrailPlanState));
	Relation	rel;
	int		   *attr_columns;
	TrailPrune *prune;
	List	   *values = NIL;
	ListCell   *lc;
	double		bytes = 0;
	double		guess = 0;
	double		all_bytes = 0;
	double		all_guess = 0;
	double		all_pages;
	double		all_tuples;

	trail_fdw_get_options(foreigntableid, &ps->opts);

	rel = table_open(foreigntableid, NoLock);
	attr_columns = palloc(sizeof(int) * Max(RelationGetDescr(rel)->natts, 1));
	(void) table_outputs(rel, NULL, true, attr_columns);
	table_close(rel, NoLock);

	ps->attr_columns = attr_columns;
	ps->filters = trail_prune_classify(baserel, attr_columns, &ps->exprs);

	/*
	 * The files to read, pruned by the quals whose values are known now
	 * (stable ones such as now() - interval '1 hour' as the planner
	 * estimates them: the walk is the execution's when they hold).
	 */
	foreach(lc, ps->exprs)
		values = lappend(values, estimate_expression_value(root, lfirst(lc)));
	prune = trail_prune_begin(ps->filters, values, NULL,
							  ps->opts.max_delivery_delay,
							  ps->opts.folder_pruning, TRAIL_PRUNE_PLAN);
	if (!trail_estimate_location(ps->opts.location, walk_flags(&ps->opts),
								 prune, &bytes, &guess,
								 &all_bytes, &all_guess))
	{
		/* not there (yet): estimate something small, as file_fdw does */
		all_bytes = bytes = 10 * BLCKSZ;
		all_guess = guess = bytes / TRAIL_PLAIN_BYTES_PER_RECORD;
	}

	/* the scan reads the kept files ... */
	ps->pages = Max(1.0, ceil(bytes / BLCKSZ));
	all_pages = Max(1.0, ceil(all_bytes / BLCKSZ));
	if (baserel->tuples >= 0 && baserel->pages > 0)
	{
		ps->ntuples = clamp_row_est(baserel->tuples / baserel->pages * ps->pages);
		all_tuples = baserel->tuples / baserel->pages * all_pages;
	}
	else
	{
		ps->ntuples = clamp_row_est(guess);
		all_tuples = all_guess;
	}

	/*
	 * ... but the quals' selectivity is of all the events (pruning kept the
	 * files that can hold what the quals select).
	 */
	baserel->rows = clamp_row_est(Min(ps->ntuples,
									  all_tuples *
									  clauselist_selectivity(root,
															 baserel->baserestrictinfo,
															 0, JOIN_INNER, NULL)));
	baserel->fdw_private = ps;
}

/*
 * Parameterized paths: a join clause that compares a column pruning uses
 * with another relation's columns (e.recipient_account_id = a.id,
 * e.event_time >= d.day) prunes files and records once per outer row, so
 * a nested loop over a few accounts or days opens only their files.
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel,
						TrailPlanState *ps, Cost startup, Cost run)
{
	ListCell   *lc;

	foreach(lc, trail_prune_join_outers(root, baserel, ps->attr_columns, NIL))
	{
		Relids		outer = (Relids) lfirst(lc);
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, outer);
		double		rows = clamp_row_est(ppi->ppi_rows);

		/* pruning is assumed to read about the share of files rows says */
		double		share = Max(rows / Max(baserel->rows, 1.0), 0.001);

		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL, rows,
										 startup, startup + run * Min(share, 1.0),
										 NIL, outer, NULL, NIL));
	}
}

static void
trailGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
					 Oid foreigntableid)
{
	TrailPlanState *ps = (TrailPlanState *) baserel->fdw_private;
	Cost		startup = baserel->baserestrictcost.startup;
	Cost		cpu_per_tuple;
	Cost		run;

	cpu_per_tuple = cpu_tuple_cost * TRAIL_DECODE_COST_FACTOR +
		baserel->baserestrictcost.per_tuple;
	run = seq_page_cost * ps->pages + cpu_per_tuple * ps->ntuples;

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, startup + run,
									 NIL, NULL, NULL, NIL));

	/*
	 * A partial path: the work is inflating and parsing, which divides
	 * between processes file by file.
	 */
	if (baserel->consider_parallel)
	{
		int			workers = compute_parallel_worker(baserel, ps->pages, -1,
													  max_parallel_workers_per_gather);

		if (workers > 0)
		{
			double		divisor = trail_parallel_divisor(workers);
			ForeignPath *path;

			path = create_foreignscan_path(root, baserel, NULL,
										   clamp_row_est(baserel->rows / divisor),
										   startup, startup + run / divisor,
										   NIL, NULL, NULL, NIL);
			path->path.parallel_aware = true;
			path->path.parallel_safe = true;
			path->path.parallel_workers = workers;
			add_partial_path(baserel, (Path *) path);
		}
	}

	add_parameterized_paths(root, baserel, ps, startup, run);
}

static ForeignScan *
trailGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
					Oid foreigntableid, ForeignPath *best_path,
					List *tlist, List *scan_clauses, Plan *outer_plan)
{
	TrailPlanState *ps = (TrailPlanState *) baserel->fdw_private;
	Bitmapset  *attrs = NULL;
	List	   *needed = NIL;
	List	   *filters;
	List	   *exprs = NIL;
	ListCell   *lc;
	int			x;

	/*
	 * The quals pruning uses: the relation's own, and for a parameterized
	 * path its join clauses too (their other side becomes parameters).
	 */
	filters = trail_prune_classify_clauses(scan_clauses, baserel->relid,
										   ps->attr_columns, &exprs,
										   best_path->path.param_info != NULL);

	/* every qual is checked again by the executor */
	scan_clauses = extract_actual_clauses(scan_clauses, false);

	/* the attributes the query uses (0: the whole row) */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &attrs);
	x = -1;
	while ((x = bms_next_member(attrs, x)) >= 0)
		needed = lappend_int(needed, x + FirstLowInvalidHeapAttributeNumber);

	return make_foreignscan(tlist, scan_clauses, baserel->relid, exprs,
							list_make2(needed, filters),
							NIL, NIL, outer_plan);
}

/* ----------------------------------------------------------------
 * Scanning
 * ----------------------------------------------------------------
 */

static void
trailBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;
	TrailExecState *state = palloc0(sizeof(TrailExecState));
	List	   *needed_list = (List *) linitial(plan->fdw_private);
	Bitmapset  *needed = NULL;
	bool		all = false;
	ListCell   *lc;

	state->cxt = CurrentMemoryContext;
	state->run_cxt = AllocSetContextCreate(CurrentMemoryContext,
										   "trail scan run",
										   ALLOCSET_DEFAULT_SIZES);
	trail_fdw_get_options(RelationGetRelid(rel), &state->opts);
	foreach(lc, needed_list)
	{
		int			attno = lfirst_int(lc);

		if (attno == 0)
			all = true;
		needed = bms_add_member(needed, attno - FirstLowInvalidHeapAttributeNumber);
	}
	state->natts = RelationGetDescr(rel)->natts;
	state->outputs = table_outputs(rel, needed, all, NULL);
	state->filters = (List *) lsecond(plan->fdw_private);
	state->expr_states = ExecInitExprList(plan->fdw_exprs, (PlanState *) node);
	state->econtext = node->ss.ps.ps_ExprContext;
	node->fdw_state = state;

	/*
	 * The files are found when they are first needed: the quals' values may
	 * come from init plans, which cannot run yet.
	 */
}

/*
 * The quals' values of this execution.
 */
static TrailPrune *
begin_prune(TrailExecState *state, TrailPruneMode mode)
{
	return trail_prune_begin(state->filters, state->expr_states,
							 state->econtext, state->opts.max_delivery_delay,
							 state->opts.folder_pruning, mode);
}

/*
 * The walk's folder test: the quals whose values hold for the whole
 * statement in every process (constants, stable expressions such as now(),
 * the statement's parameters), never executor parameters, so that a rescan
 * or a parallel worker finds the same walk.
 */
static TrailPrune *
walk_prune(TrailExecState *state)
{
	return begin_prune(state, TRAIL_PRUNE_EXPLAIN);
}

/*
 * Compute the quals' values, walk the location and prune: the files this
 * execution reads.  EXPLAIN does this without running anything
 * (explain_only).  Everything lives in run_cxt.
 */
static void
prepare_files(TrailExecState *state, bool explain_only)
{
	MemoryContext old = MemoryContextSwitchTo(state->run_cxt);

	state->prune = begin_prune(state, explain_only ? TRAIL_PRUNE_EXPLAIN :
							   TRAIL_PRUNE_EXEC);
	state->report = trail_report_create(state->opts.on_error);
	state->files = trail_scan_files(state->opts.location,
									walk_flags(&state->opts),
									walk_prune(state), state->prune,
									state->report, &state->single_file,
									&state->nfound, &state->walk_stats);
	state->time_pruning = trail_prune_describe_time(state->prune);
	if (state->opts.verified_only)
		state->files = trail_keep_verified(state->files, &state->left_out);
	state->nread = list_length(state->files);
	state->next_file = 0;
	state->prepared = true;
	MemoryContextSwitchTo(old);
}

static const char *
local_next_file(void *arg)
{
	TrailExecState *state = (TrailExecState *) arg;

	if (state->next_file >= list_length(state->files))
		return NULL;
	return (const char *) list_nth(state->files, state->next_file++);
}

/*
 * The next file of a parallel scan that this execution's quals keep.
 */
static const char *
shared_next_file(void *arg)
{
	TrailExecState *state = (TrailExecState *) arg;

	return trail_shared_files_next(state->shared, state->prune);
}

static void
start_scan(TrailExecState *state)
{
	MemoryContext old;

	if (state->shared != NULL && IsParallelWorker())
	{
		/*
		 * A worker: the files and their digests' event ranges come from the
		 * leader's walk, the quals' values are ours.
		 */
		old = MemoryContextSwitchTo(state->run_cxt);
		state->prune = begin_prune(state, TRAIL_PRUNE_EXEC);
		state->report = trail_report_create(state->opts.on_error);
		state->single_file = trail_shared_files_single_file(state->shared);
		MemoryContextSwitchTo(old);
	}
	else if (!state->prepared)
		prepare_files(state, false);

	old = MemoryContextSwitchTo(state->run_cxt);
	state->scan = trail_scan_begin(state->report, state->natts, state->outputs);
	if (state->shared != NULL)
		trail_scan_set_file_source(state->scan, shared_next_file, state,
								   state->single_file);
	else
		trail_scan_set_file_source(state->scan, local_next_file, state,
								   state->single_file);
	if (trail_prune_wants_filter(state->prune))
		trail_scan_set_filter(state->scan, trail_prune_filter, state->prune);
	MemoryContextSwitchTo(old);
}

static TupleTableSlot *
trailIterateForeignScan(ForeignScanState *node)
{
	TrailExecState *state = (TrailExecState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (state->scan == NULL)
		start_scan(state);
	ExecClearTuple(slot);
	if (trail_scan_next(state->scan, slot->tts_values, slot->tts_isnull))
		ExecStoreVirtualTuple(slot);
	return slot;
}

/* finish the current scan, keeping its counts */
static void
finish_scan(TrailExecState *state)
{
	TrailScanCounts counts;

	if (state->scan == NULL)
		return;
	trail_scan_counts(state->scan, &counts);
	trail_scan_counts_add(&state->counts, &counts);
	trail_scan_end(state->scan);
	state->scan = NULL;
}

/* finish the execution and free what it used */
static void
end_run(TrailExecState *state)
{
	finish_scan(state);
	state->prepared = false;
	state->prune = NULL;
	state->report = NULL;
	state->files = NIL;
	MemoryContextReset(state->run_cxt);
}

static void
trailReScanForeignScan(ForeignScanState *node)
{
	/* parameters may have changed: find and prune the files again */
	end_run((TrailExecState *) node->fdw_state);
}

static void
trailEndForeignScan(ForeignScanState *node)
{
	TrailExecState *state = (TrailExecState *) node->fdw_state;

	if (state != NULL)
		end_run(state);
}

/* ----------------------------------------------------------------
 * EXPLAIN
 * ----------------------------------------------------------------
 */

static void
trailExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	TrailExecState *state = (TrailExecState *) node->fdw_state;
	char	   *pruning = trail_prune_describe(state->filters, true,
											   state->opts.folder_pruning);
	char	   *testing = trail_prune_describe(state->filters, false,
											   state->opts.folder_pruning);

	ExplainPropertyText("Trail Location", state->opts.location, es);
	if (!state->prepared && !IsParallelWorker())
		prepare_files(state, !es->analyze);
	if (state->prepared)
		ExplainPropertyText("Trail Files",
							psprintf("%d of %d", state->nread, state->nfound), es);
	if (state->prepared && state->opts.verified_only)
		ExplainPropertyText("Trail Verified Only",
							trail_describe_verified(&state->left_out), es);
	if (state->prepared && trail_walk_stats_text(&state->walk_stats))
		ExplainPropertyText("Trail Folders",
							trail_walk_stats_text(&state->walk_stats), es);
	if (pruning)
		ExplainPropertyText("Trail File Pruning", pruning, es);
	if (state->prepared && state->time_pruning)
		ExplainPropertyText("Trail Time Pruning", state->time_pruning, es);
	if (testing)
		ExplainPropertyText("Trail Record Filter", testing, es);

	if (es->analyze)
	{
		TrailScanCounts total = state->counts;
		char	   *files_read;

		if (state->scan)
		{
			TrailScanCounts counts;

			trail_scan_counts(state->scan, &counts);
			trail_scan_counts_add(&total, &counts);
		}
		trail_scan_counts_add(&total, &state->parallel.workers);
		ExplainPropertyText("Trail Records", trail_scan_counts_text(&total), es);
		files_read = trail_parallel_report_text(&state->parallel);
		if (files_read)
			ExplainPropertyText("Trail Files Read", files_read, es);
	}
}

/* ----------------------------------------------------------------
 * Parallel scans
 * ----------------------------------------------------------------
 */

static bool
trailIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel,
							   RangeTblEntry *rte)
{
	return true;
}

/*
 * Every file the walk found (the cached walk of this statement), as paths.
 */
static List *
all_files(TrailExecState *state, bool *single_file)
{
	TrailReport *quiet = trail_report_create(TRAIL_ON_ERROR_SKIP);
	int			nfound;
	List	   *files = trail_scan_files(state->opts.location,
										 walk_flags(&state->opts),
										 walk_prune(state), NULL, quiet,
										 single_file, &nfound, NULL);

	if (state->opts.verified_only)
		files = trail_keep_verified(files, &state->left_out);
	return files;
}

static Size
trailEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt)
{
	TrailExecState *state = (TrailExecState *) node->fdw_state;
	MemoryContext old = MemoryContextSwitchTo(state->run_cxt);
	bool		single_file;
	Size		size = trail_shared_files_size(all_files(state, &single_file),
											   pcxt->nworkers);

	MemoryContextSwitchTo(old);
	return size;
}

static void
trailInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
							  void *coordinate)
{
	TrailExecState *state = (TrailExecState *) node->fdw_state;
	MemoryContext old = MemoryContextSwitchTo(state->run_cxt);
	bool		single_file;
	List	   *files = all_files(state, &single_file);

	trail_shared_files_init(coordinate, files, single_file, pcxt->nworkers);
	MemoryContextSwitchTo(old);
	state->shared = coordinate;
}

static void
trailReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
								void *coordinate)
{
	trail_shared_files_rewind(coordinate);
}

static void
trailInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc,
								 void *coordinate)
{
	TrailExecState *state = (TrailExecState *) node->fdw_state;

	state->shared = coordinate;
}

/*
 * Workers add their counts to shared memory; the leader reads them before
 * the shared memory goes away, for EXPLAIN ANALYZE.
 */
static void
trailShutdownForeignScan(ForeignScanState *node)
{
	TrailExecState *state = (TrailExecState *) node->fdw_state;

	if (state->shared == NULL)
		return;
	trail_shared_files_shutdown(state->shared, &state->counts, state->scan,
								&state->parallel, state->cxt);

	/*
	 * The shared memory is about to go.  Shutdown comes when no more rows
	 * are wanted (the end, or a Limit reached): a scan still open takes no
	 * more files.  A rescan after this is a serial execution of its own.
	 */
	state->shared = NULL;
	if (state->scan)
	{
		MemoryContext old = MemoryContextSwitchTo(state->run_cxt);

		state->files = NIL;
		state->next_file = 0;
		state->prepared = true;
		MemoryContextSwitchTo(old);
		trail_scan_set_file_source(state->scan, local_next_file, state,
								   state->single_file);
	}
}

/* ----------------------------------------------------------------
 * ANALYZE
 * ----------------------------------------------------------------
 */

/*
 * Sample rows for ANALYZE: a reservoir sample of the records of all files,
 * or of a random choice of files when the tree is larger than
 * TRAIL_ANALYZE_BYTES (the total is then extrapolated by size).
 */
static int
trail_acquire_sample_rows(Relation relation, int elevel, HeapTuple *rows,
						  int targrows, double *totalrows,
						  double *totaldeadrows)
{
	TrailFdwOptions opts;
	TupleDesc	tupdesc = RelationGetDescr(relation);
	TrailReport *report;
	List	   *files;
	List	   *chosen = NIL;
	bool		is_directory;
	double		total_bytes = 0;
	double		chosen_bytes = 0;
	int			nfiles;
	ReservoirStateData rstate;
	double		rowstoskip = -1;
	double		seen = 0;
	int			numrows = 0;
	TrailScanState *st;
	Datum	   *values = palloc(sizeof(Datum) * Max(tupdesc->natts, 1));
	bool	   *isnull = palloc(sizeof(bool) * Max(tupdesc->natts, 1));
	ListCell   *lc;
	int			i;

	trail_fdw_get_options(RelationGetRelid(relation), &opts);
	report = trail_report_create(opts.on_error);
	files = trail_scan_walk(opts.location, walk_flags(&opts) | TRAIL_WALK_SIZES,
					   &is_directory, report);

	foreach(lc, files)
	{
		TrailFile  *f = (TrailFile *) lfirst(lc);

		chosen = lappend(chosen, f);
		total_bytes += f->size;
	}

	reservoir_init_selection_state(&rstate, targrows);

	/* too much to read: a random choice of files (Fisher-Yates) */
	nfiles = list_length(chosen);
	if (total_bytes > TRAIL_ANALYZE_BYTES)
	{
		List	   *picked = NIL;

		for (i = nfiles - 1; i >= 0 && chosen_bytes < TRAIL_ANALYZE_BYTES; i--)
		{
			int			j = (int) (sampler_random_fract(&rstate.randstate) * (i + 1));
			TrailFile  *f = (TrailFile *) list_nth(chosen, j);

			list_nth_cell(chosen, j)->ptr_value = list_nth(chosen, i);
			list_nth_cell(chosen, i)->ptr_value = f;
			picked = lappend(picked, f);
			chosen_bytes += f->size;
		}
		chosen = picked;
	}
	else
		chosen_bytes = total_bytes;

	st = trail_scan_begin(report, tupdesc->natts,
						  table_outputs(relation, NULL, true, NULL));
	trail_scan_set_files(st, chosen, !is_directory);
	while (trail_scan_next(st, values, isnull))
	{
		vacuum_delay_point();
		seen += 1;
		if (numrows < targrows)
			rows[numrows++] = heap_form_tuple(tupdesc, values, isnull);
		else
		{
			if (rowstoskip < 0)
				rowstoskip = reservoir_get_next_S(&rstate, seen, targrows);
			if (rowstoskip <= 0)
			{
				int			k = (int) (targrows * sampler_random_fract(&rstate.randstate));

				heap_freetuple(rows[k]);
				rows[k] = heap_form_tuple(tupdesc, values, isnull);
			}
			rowstoskip -= 1;
		}
	}
	trail_scan_end(st);

	*totalrows = (chosen_bytes > 0) ? floor(seen * total_bytes / chosen_bytes) : 0;
	*totaldeadrows = 0;
	ereport(elevel,
			(errmsg("\"%s\": read %d of %d files, %.0f records, %d in sample, about %.0f in all",
					RelationGetRelationName(relation), list_length(chosen),
					nfiles, seen, numrows, *totalrows)));
	return numrows;
}

static bool
trailAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
						 BlockNumber *totalpages)
{
	TrailFdwOptions opts;
	TrailReport *quiet = trail_report_create(TRAIL_ON_ERROR_SKIP);
	bool		is_directory;
	List	   *files;
	double		bytes = 0;
	ListCell   *lc;

	trail_fdw_get_options(RelationGetRelid(relation), &opts);
	files = trail_scan_walk(opts.location, walk_flags(&opts) | TRAIL_WALK_SIZES,
					   &is_directory, quiet);
	foreach(lc, files)
		bytes += ((TrailFile *) lfirst(lc))->size;
	*totalpages = (BlockNumber) Max(1.0, ceil(bytes / BLCKSZ));
	*func = trail_acquire_sample_rows;
	return true;
}

/* ----------------------------------------------------------------
 * IMPORT FOREIGN SCHEMA trail ... : the table "events"
 * ----------------------------------------------------------------
 */

static List *
trailImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	bool		wanted = true;
	StringInfoData buf;
	ListCell   *lc;
	int			i;

	if (strcmp(stmt->remote_schema, "trail") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("trail_fdw has no schema \"%s\"", stmt->remote_schema),
				 errhint("Import the schema \"trail\", which holds the table \"events\".")));

	if (stmt->list_type != FDW_IMPORT_SCHEMA_ALL)
	{
		bool		listed = false;

		foreach(lc, stmt->table_list)
		{
			if (strcmp(((RangeVar *) lfirst(lc))->relname, "events") == 0)
				listed = true;
		}
		wanted = (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO) ? listed : !listed;
	}
	if (!wanted)
		return NIL;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (\n",
					 quote_identifier("events"));
	for (i = 0; i < TRAIL_NCOLUMNS; i++)
		appendStringInfo(&buf, "    %s %s%s\n",
						 quote_identifier(trail_columns[i].name),
						 format_type_be_qualified(trail_column_type(i)),
						 i < TRAIL_NCOLUMNS - 1 ? "," : "");
	appendStringInfo(&buf, ") SERVER %s", quote_identifier(stmt->server_name));
	if (stmt->options != NIL)
	{
		appendStringInfoString(&buf, " OPTIONS (");
		foreach(lc, stmt->options)
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			appendStringInfo(&buf, "%s%s %s",
							 lc == list_head(stmt->options) ? "" : ", ",
							 quote_identifier(def->defname),
							 quote_literal_cstr(defGetString(def)));
		}
		appendStringInfoChar(&buf, ')');
	}
	return list_make1(buf.data);
}

Datum
trail_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	/* planning */
	routine->GetForeignRelSize = trailGetForeignRelSize;
	routine->GetForeignPaths = trailGetForeignPaths;
	routine->GetForeignPlan = trailGetForeignPlan;

	/* scanning */
	routine->BeginForeignScan = trailBeginForeignScan;
	routine->IterateForeignScan = trailIterateForeignScan;
	routine->ReScanForeignScan = trailReScanForeignScan;
	routine->EndForeignScan = trailEndForeignScan;

	/* EXPLAIN and ANALYZE */
	routine->ExplainForeignScan = trailExplainForeignScan;
	routine->AnalyzeForeignTable = trailAnalyzeForeignTable;

	/* parallel scans */
	routine->IsForeignScanParallelSafe = trailIsForeignScanParallelSafe;
	routine->EstimateDSMForeignScan = trailEstimateDSMForeignScan;
	routine->InitializeDSMForeignScan = trailInitializeDSMForeignScan;
	routine->ReInitializeDSMForeignScan = trailReInitializeDSMForeignScan;
	routine->InitializeWorkerForeignScan = trailInitializeWorkerForeignScan;
	routine->ShutdownForeignScan = trailShutdownForeignScan;

	/* IMPORT FOREIGN SCHEMA */
	routine->ImportForeignSchema = trailImportForeignSchema;

	PG_RETURN_POINTER(routine);
}
