/*-------------------------------------------------------------------------
 *
 * read_scan.c
 *	  trail.read() and trail.parse() in FROM, as a CustomScan.
 *
 * A function in FROM would be run by a FunctionScan: it cannot know which
 * of its columns the query uses (so it would build every jsonb value for a
 * count(*)), it does not see the quals (so it would read every file for a
 * query on one day), and its rows go through a tuplestore.  The planner
 * knows the columns and the quals, so set_rel_pathlist_hook replaces the
 * FunctionScan of one of our readers with a CustomScan whose plan carries
 *
 *	  custom_private  the reader, the columns to build, the quals pruning.c
 *	                  understands (as the foreign table's plan does);
 *	  custom_exprs    the function's arguments, then the quals' values;
 *
 * and whose scan tuple holds just the columns used (custom_scan_tlist).
 * The executor streams rows from the same scan code as the foreign table,
 * and rechecks every qual.  Arguments that depend on an outer row (LATERAL,
 * a correlated subquery) become executor parameters: each rescan is a new
 * run with its own memory, reset when the next run starts.
 *
 * Join clauses pruning understands (r.event_time >= d.lo, r.account_id =
 * a.id) give parameterized paths, as for the foreign table: in a nested
 * loop their outer side becomes executor parameters too, so each outer
 * row's run opens only the files that can hold its rows.  The clauses stay
 * in the plan's quals.
 *
 * A whole-row reference (count(t), row_to_json(t), trail.resources(t))
 * is one more scan column: every column is built, and the row is formed
 * from them in the scan, as ExecEvalWholeRowVar forms it from a foreign
 * table's slot.
 *
 * What is left to a FunctionScan (and then builds every column and reads
 * every file): WITH ORDINALITY, ROWS FROM with several functions, and calls
 * in a SELECT list.
 *
 * The hook must be in place before the first query of a session is
 * planned, when nothing may have loaded the library yet, so the readers
 * name trail_reader_support as their planner support function: the planner
 * calls it while simplifying the call, which loads the library (and runs
 * _PG_init) before it plans the scan.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <math.h>
#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/sysattr.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

typedef enum ReaderKind
{
	READER_READ,				/* trail.read(location, recursive, on_error) */
	READER_PARSE_TEXT,			/* trail.parse(text) */
	READER_PARSE_BYTEA,			/* trail.parse(bytea) */
	NUM_READERS
} ReaderKind;

/* the C symbols (of 1.0 and 1.1) and the argument count of each reader */
static const struct
{
	const char *symbol;
	const char *symbol_1_1;
	int			nargs;
}			readers[NUM_READERS] = {
	{"trail_read", "trail_read_1_1", 3},
	{"trail_parse_text", "trail_parse_text_1_1", 1},
	{"trail_parse_bytea", "trail_parse_bytea_1_1", 1}
};

/* custom_private of a plan: a List of these */
enum
{
	PRIVATE_KIND,				/* Integer: ReaderKind */
	PRIVATE_FUNCID,				/* Integer: the function's OID */
	PRIVATE_COLUMNS,			/* IntList: TrailColumnId of each scan column,
								 * or READ_WHOLE_ROW */
	PRIVATE_FILTERS				/* List: pruning.c's filters (plans only) */
};

/*
 * Reading, inflating and scanning the bytes of every file is most of a
 * scan (inflating alone was two thirds of it with zlib); testing records on
 * their bytes saves only the rest.
 */
#define TRAIL_READ_BYTES_SHARE 0.7

/* a scan column that holds the whole row (always the last one) */
#define READ_WHOLE_ROW (-1)

typedef struct ReadScanState
{
	CustomScanState css;
	ReaderKind	kind;
	Oid			funcid;
	List	   *arg_states;		/* the function's arguments */
	List	   *filters;
	List	   *value_states;	/* the filters' values */
	int			noutputs;
	TrailOutput *outputs;
	int			whole_row_at;	/* scan column of the whole row, or -1 */
	TupleDesc	row_desc;		/* the function's row type, for it */

	/* one run: from the first row to the end or the next rescan */
	MemoryContext run_cxt;
	bool		started;
	char	   *location;		/* trail.read */
	TrailPrune *prune;
	TrailScanState *scan;		/* NULL when finished */
	List	   *files;			/* paths to read */
	int			next_file;
	bool		single_file;	/* the location named one file */
	int			nfound;
	int			nread;
	bool		walked;
	TrailWalkStats walk_stats;

	/* all runs so far, for EXPLAIN ANALYZE */
	TrailScanCounts counts;

	TrailSharedFiles *shared;	/* a parallel scan's files */
	TrailParallelReport parallel;	/* of its workers, for EXPLAIN ANALYZE */
} ReadScanState;

static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

static Plan *plan_read_path(PlannerInfo *root, RelOptInfo *rel,
							struct CustomPath *best_path, List *tlist,
							List *clauses, List *custom_plans);
static Node *create_read_state(CustomScan *cscan);
static void begin_read(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *exec_read(CustomScanState *node);
static void end_read(CustomScanState *node);
static void rescan_read(CustomScanState *node);
static void explain_read(CustomScanState *node, List *ancestors,
						 ExplainState *es);
static Size estimate_dsm_read(CustomScanState *node, ParallelContext *pcxt);
static void init_dsm_read(CustomScanState *node, ParallelContext *pcxt,
						  void *coordinate);
static void reinit_dsm_read(CustomScanState *node, ParallelContext *pcxt,
							void *coordinate);
static void init_worker_read(CustomScanState *node, shm_toc *toc,
							 void *coordinate);
static void shutdown_read(CustomScanState *node);

static const CustomPathMethods read_path_methods = {
	.CustomName = "trail",
	.PlanCustomPath = plan_read_path,
};

/* EXPLAIN shows the scan as "Custom Scan (trail.read)" */
static const CustomScanMethods scan_methods[NUM_READERS] = {
	{.CustomName = "trail.read",.CreateCustomScanState = create_read_state},
	{.CustomName = "trail.parse",.CreateCustomScanState = create_read_state},
	{.CustomName = "trail.parse",.CreateCustomScanState = create_read_state},
};

static const CustomExecMethods exec_methods = {
	.CustomName = "trail",
	.BeginCustomScan = begin_read,
	.ExecCustomScan = exec_read,
	.EndCustomScan = end_read,
	.ReScanCustomScan = rescan_read,
	.ExplainCustomScan = explain_read,
	.EstimateDSMCustomScan = estimate_dsm_read,
	.InitializeDSMCustomScan = init_dsm_read,
	.ReInitializeDSMCustomScan = reinit_dsm_read,
	.InitializeWorkerCustomScan = init_worker_read,
	.ShutdownCustomScan = shutdown_read,
};

/* ----------------------------------------------------------------
 * Planning
 * ----------------------------------------------------------------
 */

/*
 * Which of our readers funcid is (by its C symbol, so that nothing else
 * named "read" counts), or -1.
 */
static int
reader_kind(Oid funcid)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	int			kind = -1;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return -1;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (proc->prolang == ClanguageId && proc->proretset &&
		strcmp(get_namespace_name(proc->pronamespace), "trail") == 0)
	{
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc,
										  &isnull);
		char	   *symbol = isnull ? NULL : TextDatumGetCString(src);
		int			i;

		for (i = 0; symbol != NULL && i < NUM_READERS; i++)
		{
			if ((strcmp(symbol, readers[i].symbol) == 0 ||
				 strcmp(symbol, readers[i].symbol_1_1) == 0) &&
				proc->pronargs == readers[i].nargs)
				kind = i;
		}
	}
	ReleaseSysCache(tup);
	return kind;
}

/*
 * The columns a scan of rel builds: those of its target list, of its own
 * quals and of the join clauses it enforces (extra), as TrailColumnIds in
 * attribute order.  A whole-row reference needs all natts columns of the
 * row type, and then READ_WHOLE_ROW.  False for a system column (or a
 * row type this build does not know all of).
 */
static bool
scan_columns(RelOptInfo *rel, List *extra, int natts, List **columns)
{
	Bitmapset  *attrs = NULL;
	bool		whole_row = false;
	ListCell   *lc;
	int			x;

	pull_varattnos((Node *) rel->reltarget->exprs, rel->relid, &attrs);
	foreach(lc, rel->baserestrictinfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   rel->relid, &attrs);
	foreach(lc, extra)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   rel->relid, &attrs);
	*columns = NIL;
	x = -1;
	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		AttrNumber	attno = x + FirstLowInvalidHeapAttributeNumber;

		if (attno == InvalidAttrNumber)
		{
			whole_row = true;
			continue;
		}
		if (attno < 0 || attno > natts || attno > TRAIL_NCOLUMNS)
			return false;
		/* column i of trail.event (of any version) is attribute i + 1 */
		*columns = lappend_int(*columns, attno - 1);
	}
	if (whole_row)
	{
		if (natts > TRAIL_NCOLUMNS)
			return false;
		*columns = NIL;
		for (x = 0; x < natts; x++)
			*columns = lappend_int(*columns, x);
		*columns = lappend_int(*columns, READ_WHOLE_ROW);
	}
	return true;
}

/*
 * What share of the unparameterized scan's cost a scan that enforces the
 * join clauses of ppi costs.  Clauses that prune trail.read's files save
 * about the share of rows they keep (as for the foreign table); clauses
 * that only test records (and every clause of trail.parse, which has no
 * files) still read all the bytes, which is most of a scan, so a nested
 * loop over many outer rows does not look cheaper than reading once for a
 * hash join.
 */
static double
join_share(ReaderKind kind, RelOptInfo *rel, ParamPathInfo *ppi,
		   const int *attr_columns)
{
	List	   *exprs = NIL;
	List	   *filters;
	double		share;

	if (ppi == NULL)
		return 1.0;
	filters = trail_prune_classify_clauses(ppi->ppi_clauses, rel->relid,
										   attr_columns, &exprs, true);
	if (filters == NIL)
		return 1.0;
	share = Min(Max(clamp_row_est(ppi->ppi_rows) / Max(rel->rows, 1.0), 0.001),
				1.0);
	if (kind == READER_READ && trail_prune_describe(filters, true, true) != NULL)
		return share;
	return TRAIL_READ_BYTES_SHARE + (1.0 - TRAIL_READ_BYTES_SHARE) * share;
}

/*
 * How many workers a parallel scan of trail.read() should have, and then
 * its rows and cost (*rows, *run), from the files the scan will read, as
 * for the foreign table.  That needs the files: the location must be known
 * now (a constant), and walked now (the statement's walk, which the
 * executor reuses), so only for a user who may read it.  Otherwise there
 * is no partial path, and the function's ROWS stays the estimate.
 */
static int
read_workers(PlannerInfo *root, RelOptInfo *rel, FuncExpr *fexpr,
			 const int *attr_columns, double *rows, Cost *run)
{
	Node	   *loc = linitial(fexpr->args);
	Node	   *rec = lsecond(fexpr->args);
	List	   *exprs = NIL;
	List	   *values = NIL;
	List	   *filters;
	TrailPrune *prune;
	ListCell   *lc;
	double		bytes,
				records,
				all_bytes,
				all_records,
				pages;
	int			workers;

	if (!rel->consider_parallel || max_parallel_workers_per_gather <= 0 ||
		!bms_is_empty(rel->lateral_relids) ||
		!IsA(loc, Const) || ((Const *) loc)->constisnull ||
		!IsA(rec, Const) || ((Const *) rec)->constisnull ||
		!trail_may_read_files())
		return 0;

	/* the files the quals' values known now keep (as the foreign table) */
	filters = trail_prune_classify(rel, attr_columns, &exprs);
	foreach(lc, exprs)
		values = lappend(values, estimate_expression_value(root, lfirst(lc)));
	prune = trail_prune_begin(filters, values, NULL,
							  trail_max_delivery_delay_usecs(),
							  trail_folder_pruning, TRAIL_PRUNE_PLAN);
	if (!trail_estimate_location(TextDatumGetCString(((Const *) loc)->constvalue),
								 trail_scan_walk_flags(DatumGetBool(((Const *) rec)->constvalue)),
								 prune, &bytes, &records,
								 &all_bytes, &all_records))
		return 0;
	pages = Max(1.0, ceil(bytes / BLCKSZ));
	workers = compute_parallel_worker(rel, pages, -1,
									  max_parallel_workers_per_gather);
	if (workers > 0)
	{
		*rows = clamp_row_est(Min(records,
								  all_records *
								  clauselist_selectivity(root,
														 rel->baserestrictinfo,
														 0, JOIN_INNER, NULL)));
		*run = seq_page_cost * pages +
			(cpu_tuple_cost * TRAIL_DECODE_COST_FACTOR +
			 rel->baserestrictcost.per_tuple) * records;
	}
	return workers;
}

static void
trail_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
					   RangeTblEntry *rte)
{
	RangeTblFunction *rtfunc;
	FuncExpr   *fexpr;
	List	   *columns;
	int			attr_columns[TRAIL_NCOLUMNS];
	List	   *paths = NIL;
	Path	   *fpath;
	Cost		run;
	ListCell   *lc;
	TupleDesc	rowdesc;
	int			natts;
	int			kind;
	int			workers = 0;
	int			x;

	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);

	if (rte->rtekind != RTE_FUNCTION || list_length(rte->functions) != 1 ||
		rte->funcordinality || rel->pathlist == NIL)
		return;
	rtfunc = (RangeTblFunction *) linitial(rte->functions);
	if (!IsA(rtfunc->funcexpr, FuncExpr))
		return;
	fexpr = (FuncExpr *) rtfunc->funcexpr;
	if (!fexpr->funcretset)
		return;
	kind = reader_kind(fexpr->funcid);
	if (kind < 0 || list_length(fexpr->args) != readers[kind].nargs)
		return;

	/* the columns the target list and the quals use */
	rowdesc = lookup_rowtype_tupdesc(fexpr->funcresulttype, -1);
	natts = rowdesc->natts;
	ReleaseTupleDesc(rowdesc);
	if (!scan_columns(rel, NIL, natts, &columns))
		return;

	/* the quals, for pruning: column i of trail.event is attribute i + 1 */
	for (x = 0; x < TRAIL_NCOLUMNS; x++)
		attr_columns[x] = x;

	/* the FunctionScan's costs: the work is the same, minus the tuplestore */
	fpath = (Path *) linitial(rel->pathlist);
	run = fpath->total_cost - fpath->startup_cost;
	if (kind == READER_READ)
		workers = read_workers(root, rel, fexpr, attr_columns, &rel->rows, &run);

	/*
	 * One path for each set of outer relations: the plain scan (or the one
	 * its LATERAL arguments need), and parameterized ones whose join
	 * clauses prune each outer row's run (their values become executor
	 * parameters, as LATERAL arguments do).
	 */
	foreach(lc, trail_prune_join_outers(root, rel, attr_columns,
										 list_make1(bms_copy(rel->lateral_relids))))
	{
		Relids		outer = (Relids) lfirst(lc);
		ParamPathInfo *ppi = NULL;
		CustomPath *cpath;
		List	   *path_columns = columns;

		if (!bms_is_empty(outer))
		{
			ppi = get_baserel_parampathinfo(root, rel, outer);
			if (!scan_columns(rel, ppi->ppi_clauses, natts, &path_columns))
				continue;
		}

		cpath = makeNode(CustomPath);
		cpath->path.pathtype = T_CustomScan;
		cpath->path.parent = rel;
		cpath->path.pathtarget = rel->reltarget;
		cpath->path.param_info = ppi;
		cpath->path.parallel_aware = false;
		cpath->path.parallel_safe = rel->consider_parallel;
		cpath->path.parallel_workers = 0;
		cpath->path.rows = ppi ? clamp_row_est(ppi->ppi_rows) : rel->rows;
		cpath->path.startup_cost = 0;
		cpath->path.total_cost = run * join_share(kind, rel, ppi, attr_columns);
		cpath->path.pathkeys = NIL;
		/* ExecScan projects: no Result node above the scan */
		cpath->flags = CUSTOMPATH_SUPPORT_PROJECTION;
		cpath->custom_paths = NIL;
		cpath->custom_private = list_make3(makeInteger(kind),
										   makeInteger(fexpr->funcid),
										   path_columns);
		cpath->methods = &read_path_methods;
		paths = lappend(paths, cpath);
	}

	/* the FunctionScan would do the same, only slower (when it had a path) */
	if (paths == NIL)
		return;
	rel->pathlist = NIL;
	rel->partial_pathlist = NIL;

	/*
	 * A partial path: the work is inflating and parsing, which divides
	 * between processes file by file (parallel_files.c).  The first path
	 * is the unparameterized one (made before add_path may free it).
	 */
	if (workers > 0)
	{
		CustomPath *cpath = makeNode(CustomPath);
		double		divisor = trail_parallel_divisor(workers);

		memcpy(cpath, linitial(paths), sizeof(CustomPath));
		cpath->path.parallel_aware = true;
		cpath->path.parallel_safe = true;
		cpath->path.parallel_workers = workers;
		cpath->path.rows = clamp_row_est(rel->rows / divisor);
		cpath->path.total_cost = run / divisor;
		add_partial_path(rel, (Path *) cpath);
	}
	foreach(lc, paths)
		add_path(rel, (Path *) lfirst(lc));
}

static Plan *
plan_read_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			   List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	FuncExpr   *fexpr = (FuncExpr *) ((RangeTblFunction *) linitial(rte->functions))->funcexpr;
	int			kind = intVal(list_nth(best_path->custom_private, PRIVATE_KIND));
	List	   *columns = (List *) list_nth(best_path->custom_private, PRIVATE_COLUMNS);
	ParamPathInfo *ppi = best_path->path.param_info;
	List	   *filters;
	List	   *exprs = NIL;
	int			attr_columns[TRAIL_NCOLUMNS];
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(fexpr->funcresulttype, -1);
	List	   *scan_tlist = NIL;
	ListCell   *lc;
	int			x;

	/*
	 * The scan tuple: the columns used, as Vars of the function's relation,
	 * and the whole row as the whole-row Var setrefs.c will look for.
	 */
	foreach(lc, columns)
	{
		int			column = lfirst_int(lc);
		Var		   *var;

		if (column == READ_WHOLE_ROW)
			var = makeVar(rel->relid, InvalidAttrNumber, fexpr->funcresulttype,
						  -1, InvalidOid, 0);
		else
		{
			Form_pg_attribute attr = TupleDescAttr(tupdesc, column);

			var = makeVar(rel->relid, column + 1, attr->atttypid,
						  attr->atttypmod, attr->attcollation, 0);
		}

		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) var,
											 list_length(scan_tlist) + 1,
											 NULL, false));
	}
	ReleaseTupleDesc(tupdesc);

	/*
	 * The quals pruning uses (clauses holds the same, ordered by cost): the
	 * relation's own, and for a parameterized path its join clauses too,
	 * whose other side becomes executor parameters (createplan.c replaces
	 * the outer Vars in custom_exprs, as it does for LATERAL arguments).
	 */
	for (x = 0; x < TRAIL_NCOLUMNS; x++)
		attr_columns[x] = x;
	filters = trail_prune_classify(rel, attr_columns, &exprs);
	if (ppi)
		filters = list_concat(filters,
							  trail_prune_classify_clauses(ppi->ppi_clauses,
														   rel->relid,
														   attr_columns,
														   &exprs, true));

	cscan->scan.plan.targetlist = tlist;
	/* every qual is checked again on every row */
	cscan->scan.plan.qual = extract_actual_clauses(clauses, false);
	/* not a table: the scan tuple is custom_scan_tlist */
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = NIL;
	cscan->custom_exprs = list_concat(list_copy(fexpr->args), exprs);
	cscan->custom_private = list_make4(makeInteger(kind),
									   list_nth(best_path->custom_private, PRIVATE_FUNCID),
									   columns,
									   filters);
	cscan->custom_scan_tlist = scan_tlist;
	cscan->methods = &scan_methods[kind];
	return &cscan->scan.plan;
}

/* ----------------------------------------------------------------
 * Execution
 * ----------------------------------------------------------------
 */

static Node *
create_read_state(CustomScan *cscan)
{
	ReadScanState *state = palloc0(sizeof(ReadScanState));

	NodeSetTag(state, T_CustomScanState);
	state->css.methods = &exec_methods;
	return (Node *) state;
}

static void
begin_read(CustomScanState *node, EState *estate, int eflags)
{
	ReadScanState *state = (ReadScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *columns = (List *) list_nth(cscan->custom_private, PRIVATE_COLUMNS);
	TupleDesc	tupdesc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	int			nargs;
	AclResult	aclresult;
	ListCell   *lc;
	int			i = 0;

	state->kind = intVal(list_nth(cscan->custom_private, PRIVATE_KIND));
	state->funcid = intVal(list_nth(cscan->custom_private, PRIVATE_FUNCID));
	state->filters = (List *) list_nth(cscan->custom_private, PRIVATE_FILTERS);

	/* a FunctionScan would check this when it set up the call */
	aclresult = pg_proc_aclcheck(state->funcid, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, get_func_name(state->funcid));
	InvokeFunctionExecuteHook(state->funcid);

	nargs = readers[state->kind].nargs;
	state->arg_states = ExecInitExprList(list_copy_head(cscan->custom_exprs, nargs),
										 (PlanState *) node);
	state->value_states = ExecInitExprList(list_copy_tail(cscan->custom_exprs, nargs),
										   (PlanState *) node);

	state->noutputs = list_length(columns);
	state->outputs = palloc0(sizeof(TrailOutput) * Max(state->noutputs, 1));
	state->whole_row_at = -1;
	foreach(lc, columns)
	{
		state->outputs[i].column = lfirst_int(lc);
		state->outputs[i].typid = TupleDescAttr(tupdesc, i)->atttypid;
		state->outputs[i].typmod = TupleDescAttr(tupdesc, i)->atttypmod;
		if (state->outputs[i].column == READ_WHOLE_ROW)
		{
			/* the decoder leaves it NULL; read_next forms it */
			state->outputs[i].column = TRAIL_OUTPUT_NONE;
			state->whole_row_at = i;
			state->row_desc = lookup_rowtype_tupdesc_copy(state->outputs[i].typid, -1);
		}
		i++;
	}

	state->run_cxt = AllocSetContextCreate(estate->es_query_cxt,
										   "trail read run",
										   ALLOCSET_DEFAULT_SIZES);
}

static const char *
next_path(void *arg)
{
	ReadScanState *state = (ReadScanState *) arg;

	if (state->next_file >= list_length(state->files))
		return NULL;
	return (const char *) list_nth(state->files, state->next_file++);
}

/* the next file of a parallel scan that this run's quals keep */
static const char *
shared_path(void *arg)
{
	ReadScanState *state = (ReadScanState *) arg;

	return trail_shared_files_next(state->shared, state->prune);
}

/*
 * The quals' values of this run, with the settings in force.
 */
static TrailPrune *
begin_prune(ReadScanState *state, TrailPruneMode mode)
{
	return trail_prune_begin(state->filters, state->value_states,
							 state->css.ss.ps.ps_ExprContext,
							 trail_max_delivery_delay_usecs(),
							 trail_folder_pruning, mode);
}

/*
 * The walk's folder test: the quals whose values hold for the whole
 * statement (no executor parameter), the same for every rescan.
 */
static TrailPrune *
walk_prune(ReadScanState *state)
{
	return begin_prune(state, TRAIL_PRUNE_EXPLAIN);
}

/*
 * The bytes of a document argument, copied into the run's memory (the
 * argument lives only as long as the current row).  Text is in the server
 * encoding and the reader wants UTF-8.
 */
static void
document_bytes(ReadScanState *state, Datum arg, const char **data,
			   size_t *len)
{
	struct varlena *doc = PG_DETOAST_DATUM_PACKED(arg);
	const char *bytes = VARDATA_ANY(doc);
	size_t		n = VARSIZE_ANY_EXHDR(doc);
	char	   *copy;

	if (state->kind == READER_PARSE_TEXT)
	{
		char	   *utf8 = pg_server_to_any(bytes, (int) n, PG_UTF8);

		if (utf8 != bytes)
		{
			*data = utf8;
			*len = strlen(utf8);
			return;
		}
	}
	copy = palloc(n + 1);
	memcpy(copy, bytes, n);
	copy[n] = '\0';
	*data = copy;
	*len = n;
}

/*
 * Start a run: compute the arguments and the quals' values, find the
 * files (or take the document) and begin the scan.  Everything lives in
 * run_cxt.
 */
static void
start_run(ReadScanState *state)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	MemoryContext old = MemoryContextSwitchTo(state->run_cxt);
	Datum		args[3];
	bool		isnull;
	ListCell   *lc;
	int			i = 0;
	TrailReport *report;

	state->started = true;
	foreach(lc, state->arg_states)
	{
		args[i++] = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &isnull);
		/* the readers are STRICT: a NULL argument gives no rows */
		if (isnull)
		{
			MemoryContextSwitchTo(old);
			return;
		}
	}

	if (state->kind == READER_READ)
	{
		bool		recursive = DatumGetBool(args[1]);
		TrailOnError mode = trail_on_error_from_string(TextDatumGetCString(args[2]));

		trail_check_file_access();
		state->location = TextDatumGetCString(args[0]);
		state->prune = begin_prune(state, TRAIL_PRUNE_EXEC);
		report = trail_report_create(mode);
		if (state->shared != NULL && IsParallelWorker())
		{
			/* the files come from the leader's walk, which reports on it */
			state->single_file = trail_shared_files_single_file(state->shared);
		}
		else
		{
			state->files = trail_scan_files(state->location,
											trail_scan_walk_flags(recursive),
											walk_prune(state), state->prune,
											report, &state->single_file,
											&state->nfound,
											&state->walk_stats);
			state->nread = list_length(state->files);
			state->next_file = 0;
			state->walked = true;
		}
		state->scan = trail_scan_begin(report, state->noutputs, state->outputs);
		if (state->shared != NULL)
			trail_scan_set_file_source(state->scan, shared_path, state,
									   state->single_file);
		else
			trail_scan_set_file_source(state->scan, next_path, state,
									   state->single_file);
	}
	else
	{
		const char *data;
		size_t		len;

		document_bytes(state, args[0], &data, &len);
		state->prune = begin_prune(state, TRAIL_PRUNE_EXEC);
		report = trail_report_create(TRAIL_ON_ERROR_STOP);
		state->scan = trail_scan_begin(report, state->noutputs, state->outputs);
		trail_scan_set_memory(state->scan, data, len);
	}
	if (trail_prune_wants_filter(state->prune))
		trail_scan_set_filter(state->scan, trail_prune_filter, state->prune);
	MemoryContextSwitchTo(old);
}

/*
 * End the run's scan (which reports what it skipped), keeping its counts.
 */
static void
finish_scan(ReadScanState *state)
{
	TrailScanCounts c;

	if (state->scan == NULL)
		return;
	trail_scan_counts(state->scan, &c);
	trail_scan_counts_add(&state->counts, &c);
	trail_scan_end(state->scan);
	state->scan = NULL;
}

/*
 * The whole row, formed from the columns before it (all of the row type's,
 * in order) in the per-tuple memory ExecScan resets for every row.
 */
static void
form_whole_row(ReadScanState *state, TupleTableSlot *slot)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	HeapTuple	tuple;

	tuple = heap_form_tuple(state->row_desc, slot->tts_values, slot->tts_isnull);
	slot->tts_values[state->whole_row_at] = HeapTupleGetDatum(tuple);
	slot->tts_isnull[state->whole_row_at] = false;
	MemoryContextSwitchTo(old);
}

static TupleTableSlot *
read_next(ScanState *ss)
{
	ReadScanState *state = (ReadScanState *) ss;
	TupleTableSlot *slot = ss->ss_ScanTupleSlot;

	if (!state->started)
		start_run(state);
	ExecClearTuple(slot);
	if (state->scan == NULL)
		return slot;
	if (trail_scan_next(state->scan, slot->tts_values, slot->tts_isnull))
	{
		if (state->whole_row_at >= 0)
			form_whole_row(state, slot);
		ExecStoreVirtualTuple(slot);
	}
	else
		finish_scan(state);
	return slot;
}

static bool
read_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
exec_read(CustomScanState *node)
{
	return ExecScan(&node->ss, read_next, read_recheck);
}

static void
end_run(ReadScanState *state)
{
	finish_scan(state);
	state->files = NIL;
	state->location = NULL;
	state->prune = NULL;
	state->started = false;
	MemoryContextReset(state->run_cxt);
}

static void
rescan_read(CustomScanState *node)
{
	ReadScanState *state = (ReadScanState *) node;

	/* the arguments or the quals' values may have changed: a new run */
	end_run(state);
	ExecScanReScan(&node->ss);
}

static void
end_read(CustomScanState *node)
{
	end_run((ReadScanState *) node);
}

/* ----------------------------------------------------------------
 * EXPLAIN
 * ----------------------------------------------------------------
 */

static void
explain_read(CustomScanState *node, List *ancestors, ExplainState *es)
{
	ReadScanState *state = (ReadScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	char	   *pruning = trail_prune_describe(state->filters, true,
											   trail_folder_pruning);
	char	   *testing = trail_prune_describe(state->filters, false,
											   trail_folder_pruning);

	if (es->verbose)
	{
		FuncExpr   *call = makeFuncExpr(state->funcid, get_func_rettype(state->funcid),
										list_copy_head(cscan->custom_exprs,
													   readers[state->kind].nargs),
										InvalidOid, InvalidOid,
										COERCE_EXPLICIT_CALL);
		List	   *context = set_deparse_context_plan(es->deparse_cxt,
													   node->ss.ps.plan,
													   ancestors);

		ExplainPropertyText("Function Call",
							deparse_expression((Node *) call, context, true, false),
							es);
	}

	/*
	 * A location known before the scan runs is walked, so that EXPLAIN
	 * shows what pruning keeps, as for the foreign table.
	 */
	if (state->kind == READER_READ && !state->walked && !es->analyze)
	{
		Node	   *loc = linitial(cscan->custom_exprs);
		Node	   *rec = lsecond(cscan->custom_exprs);

		if (IsA(loc, Const) && !((Const *) loc)->constisnull &&
			IsA(rec, Const) && !((Const *) rec)->constisnull)
		{
			MemoryContext old = MemoryContextSwitchTo(state->run_cxt);
			struct stat st;
			bool		single_file;

			trail_check_file_access();
			state->location = TextDatumGetCString(((Const *) loc)->constvalue);
			if (stat(state->location, &st) == 0)
			{
				TrailPrune *prune = begin_prune(state, TRAIL_PRUNE_EXPLAIN);
				List	   *files;

				files = trail_scan_files(state->location,
										 trail_scan_walk_flags(DatumGetBool(((Const *) rec)->constvalue)),
										 walk_prune(state), prune,
										 trail_report_create(TRAIL_ON_ERROR_SKIP),
										 &single_file, &state->nfound,
										 &state->walk_stats);
				state->nread = list_length(files);
				state->walked = true;
			}
			MemoryContextSwitchTo(old);
		}
	}

	if (state->location)
		ExplainPropertyText("Trail Location", state->location, es);
	if (state->walked)
		ExplainPropertyText("Trail Files",
							psprintf("%d of %d", state->nread, state->nfound), es);
	if (state->walked && trail_walk_stats_text(&state->walk_stats))
		ExplainPropertyText("Trail Folders",
							trail_walk_stats_text(&state->walk_stats), es);
	if (pruning && state->kind == READER_READ)
		ExplainPropertyText("Trail File Pruning", pruning, es);
	if (testing)
		ExplainPropertyText("Trail Record Filter", testing, es);
	if (es->analyze)
	{
		TrailScanCounts total = state->counts;
		char	   *files_read;

		if (state->scan)
		{
			TrailScanCounts c;

			trail_scan_counts(state->scan, &c);
			trail_scan_counts_add(&total, &c);
		}
		trail_scan_counts_add(&total, &state->parallel.workers);
		ExplainPropertyText("Trail Records", trail_scan_counts_text(&total), es);
		files_read = trail_parallel_report_text(&state->parallel);
		if (files_read)
			ExplainPropertyText("Trail Files Read", files_read, es);
	}
}

/* ----------------------------------------------------------------
 * Parallel scans of trail.read() (see parallel_files.c)
 * ----------------------------------------------------------------
 */

/*
 * Every file the walk of the leader's arguments finds, unpruned (each
 * process prunes as it takes them), in run_cxt; NIL when an argument is
 * NULL.
 */
static List *
all_files(ReadScanState *state, bool *single_file)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	MemoryContext old = MemoryContextSwitchTo(state->run_cxt);
	Datum		location;
	Datum		recursive;
	bool		isnull1;
	bool		isnull2;
	int			nfound;
	List	   *files = NIL;

	*single_file = false;
	location = ExecEvalExpr(linitial(state->arg_states), econtext, &isnull1);
	recursive = ExecEvalExpr(lsecond(state->arg_states), econtext, &isnull2);
	if (!isnull1 && !isnull2)
	{
		trail_check_file_access();
		files = trail_scan_files(TextDatumGetCString(location),
								 trail_scan_walk_flags(DatumGetBool(recursive)),
								 walk_prune(state), NULL,
								 trail_report_create(TRAIL_ON_ERROR_SKIP),
								 single_file, &nfound, NULL);
	}
	MemoryContextSwitchTo(old);
	return files;
}

static Size
estimate_dsm_read(CustomScanState *node, ParallelContext *pcxt)
{
	ReadScanState *state = (ReadScanState *) node;
	bool		single_file;

	return trail_shared_files_size(all_files(state, &single_file),
								   pcxt->nworkers);
}

static void
init_dsm_read(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	ReadScanState *state = (ReadScanState *) node;
	bool		single_file;
	List	   *files = all_files(state, &single_file);

	trail_shared_files_init(coordinate, files, single_file, pcxt->nworkers);
	state->shared = coordinate;
}

static void
reinit_dsm_read(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	trail_shared_files_rewind(coordinate);
}

static void
init_worker_read(CustomScanState *node, shm_toc *toc, void *coordinate)
{
	((ReadScanState *) node)->shared = coordinate;
}

/*
 * Workers add their counts to shared memory; the leader reads them before
 * the shared memory goes away.
 */
static void
shutdown_read(CustomScanState *node)
{
	ReadScanState *state = (ReadScanState *) node;

	if (state->shared == NULL)
		return;
	trail_shared_files_shutdown(state->shared, &state->counts, state->scan,
								&state->parallel,
								state->css.ss.ps.state->es_query_cxt);

	/*
	 * Shutdown comes when no more rows are wanted (the end, or a Limit
	 * reached): a scan still open takes no more files.  A rescan after
	 * this is a serial run of its own.
	 */
	state->shared = NULL;
	if (state->scan)
	{
		state->files = NIL;
		state->next_file = 0;
		trail_scan_set_file_source(state->scan, next_path, state,
								   state->single_file);
	}
}

/* ----------------------------------------------------------------
 * Set-up
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(trail_reader_support);

/*
 * Planner support function of trail.read and trail.parse.  Being called is
 * its purpose (see above); it leaves every request to the defaults.
 */
Datum
trail_reader_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(NULL);
}

void
trail_read_scan_init(void)
{
	int			i;

	for (i = 0; i < NUM_READERS; i++)
	{
		/* two readers share a name; register each name once */
		if (i == 0 || strcmp(scan_methods[i].CustomName,
							 scan_methods[i - 1].CustomName) != 0)
			RegisterCustomScanMethods(&scan_methods[i]);
	}
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = trail_set_rel_pathlist;
}
