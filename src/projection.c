/*-------------------------------------------------------------------------
 *
 * projection.c
 *	  Tell trail.read() and trail.parse() which columns the query uses.
 *
 * A function in FROM normally cannot know which of its output columns are
 * used, so it would build all of them -- jsonb values included -- for a
 * count(*); nor does it see the quals, so it would read every file for a
 * query on one day.  The planner knows both: after it has decided what each
 * base relation must produce, this hook looks at a function scan of ours
 * and appends to the call
 *
 *	  int4[]  the column numbers the target list and quals use;
 *	  int4[]  the quals pruning.c understands (trail_prune_classify), and
 *	  then    the value expression of each of them, as further arguments,
 *
 * so the executor computes the values (constants, parameters, stable
 * expressions) once per scan and the function can skip files and records
 * as the foreign data wrapper does.  The quals stay in the plan and are
 * checked on every row as before.
 *
 * Without the hook (the function called in a SELECT list, or ROWS FROM
 * with several functions) every column is built, as before.
 *
 * The hook must be in place before the first query of a session is
 * planned, when nothing may have loaded the library yet.  So the readers
 * name trail_reader_support as their planner support function: the planner
 * calls it while simplifying the call, which loads the library (and runs
 * _PG_init) before it plans the scan.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "access/sysattr.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

/*
 * How many arguments the SQL signature of one of our row readers has, or -1
 * if funcid is not one of them.
 */
static int
reader_nargs(Oid funcid)
{
	Oid			nsp = get_func_namespace(funcid);
	char	   *nspname;
	char	   *name;
	int			nargs = -1;

	if (!OidIsValid(nsp))
		return -1;
	nspname = get_namespace_name(nsp);
	if (nspname == NULL || strcmp(nspname, "trail") != 0)
		return -1;
	name = get_func_name(funcid);
	if (name == NULL)
		return -1;
	if (strcmp(name, "read") == 0)
		nargs = 3;
	else if (strcmp(name, "parse") == 0)
		nargs = 1;
	return nargs;
}

static void
trail_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
					   RangeTblEntry *rte)
{
	RangeTblFunction *rtfunc;
	FuncExpr   *fexpr;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	Datum	   *elems;
	int			nelems = 0;
	int			x;
	int			nargs;
	ArrayType  *arr;
	List	   *args;
	List	   *filters;
	List	   *exprs = NIL;
	int		   *attr_columns;

	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);

	if (rte->rtekind != RTE_FUNCTION || list_length(rte->functions) != 1)
		return;
	rtfunc = (RangeTblFunction *) linitial(rte->functions);
	if (!IsA(rtfunc->funcexpr, FuncExpr))
		return;
	fexpr = (FuncExpr *) rtfunc->funcexpr;
	if (!fexpr->funcretset)
		return;
	nargs = reader_nargs(fexpr->funcid);
	if (nargs < 0 || list_length(fexpr->args) != nargs)
		return;

	pull_varattnos((Node *) rel->reltarget->exprs, rel->relid, &attrs);
	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		pull_varattnos((Node *) rinfo->clause, rel->relid, &attrs);
	}

	elems = palloc(sizeof(Datum) * (bms_num_members(attrs) + 1));
	x = -1;
	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		AttrNumber	attno = x + FirstLowInvalidHeapAttributeNumber;

		if (attno == 0)
			return;				/* the whole row is used */
		if (attno > 0 && attno <= TRAIL_NCOLUMNS)
			elems[nelems++] = Int32GetDatum(attno);
	}
	arr = construct_array(elems, nelems, INT4OID, sizeof(int32), true,
						  TYPALIGN_INT);
	args = lappend(list_copy(fexpr->args),
				   makeConst(INT4ARRAYOID, -1, InvalidOid, -1,
							 PointerGetDatum(arr), false, false));

	/* the quals, for pruning: column i of trail.event is attribute i + 1 */
	attr_columns = palloc(sizeof(int) * (rel->max_attr + 1));
	for (x = 0; x <= rel->max_attr; x++)
		attr_columns[x] = (x < TRAIL_NCOLUMNS) ? x : -1;
	filters = trail_prune_classify(rel, attr_columns, &exprs);
	if (filters != NIL)
	{
		args = lappend(args,
					   makeConst(INT4ARRAYOID, -1, InvalidOid, -1,
								 PointerGetDatum(trail_prune_filters_to_array(filters)),
								 false, false));
		foreach(lc, exprs)
			args = lappend(args, copyObject(lfirst(lc)));
	}
	fexpr->args = args;
}

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
trail_projection_init(void)
{
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = trail_set_rel_pathlist;
}

/*
 * The pruning the planner asked for (the arguments after the column list
 * at argno), or NULL.
 */
TrailPrune *
trail_projection_prune(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno + 1 || PG_ARGISNULL(argno + 1))
		return NULL;
	return trail_prune_from_args(PG_GETARG_ARRAYTYPE_P(argno + 1), fcinfo,
								 argno + 2, trail_max_delivery_delay_usecs());
}

/*
 * Which columns to build: those listed in the extra argument at argno when
 * the planner added one, otherwise all of them.
 */
void
trail_projection_needed(FunctionCallInfo fcinfo, int argno, bool *needed)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			i;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
	{
		for (i = 0; i < TRAIL_NCOLUMNS; i++)
			needed[i] = true;
		return;
	}
	memset(needed, 0, sizeof(bool) * TRAIL_NCOLUMNS);
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	deconstruct_array(arr, INT4OID, sizeof(int32), true, TYPALIGN_INT,
					  &elems, &nulls, &nelems);
	for (i = 0; i < nelems; i++)
	{
		int			attno = DatumGetInt32(elems[i]);

		if (!nulls[i] && attno >= 1 && attno <= TRAIL_NCOLUMNS)
			needed[attno - 1] = true;
	}
}
