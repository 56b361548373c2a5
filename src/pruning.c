/*-------------------------------------------------------------------------
 *
 * pruning.c
 *	  Quals -> which files a scan opens and which records it decodes.
 *
 * At plan time, trail_prune_classify() picks the quals it understands:
 *
 *	  event_time < <= = >= > value
 *	  recipient_account_id, aws_region, event_name, event_source,
 *	  error_code = value / = ANY(array)
 *	  event_category = value / = ANY(array)
 *	  read_only, NOT read_only, read_only = value, read_only IS TRUE/FALSE
 *
 * where value is anything that does not change during the scan: a
 * constant, a parameter, or a stable expression such as now() - interval
 * '1 day'.  Values are computed when the scan starts.
 *
 * Files are pruned by their place in the S3 key layout (account, region,
 * folder, delivery time), whole folders before the walk lists them
 * (trail_prune_keep_folder); records by their bytes before the rest of the
 * row is decoded.  Both are only shortcuts: the executor rechecks every
 * qual, so pruning can make a scan faster but never change its result --
 * except that an event delivered more than max_delivery_delay after it
 * happened lies in a file that time pruning does not open.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

/* a file's events happened before its delivery, give or take clock skew */
#define TRAIL_DELIVERY_SLACK_USECS (15 * 60 * USECS_PER_SEC)

typedef enum FilterKind
{
	FILTER_TIME_LT,
	FILTER_TIME_LE,
	FILTER_TIME_EQ,
	FILTER_TIME_GE,
	FILTER_TIME_GT,
	FILTER_EQ,					/* column = value */
	FILTER_EQ_ANY,				/* column = ANY(array value) */
	FILTER_IS_TRUE,				/* boolean column is true */
	FILTER_IS_FALSE,			/* boolean column is false */
	FILTER_LIKE					/* text column LIKE pattern */
} FilterKind;

/* what the value of a time filter is, before it becomes a timestamptz */
typedef enum TimeValue
{
	TIME_VALUE_TIMESTAMPTZ,
	TIME_VALUE_DATE,			/* midnight in the session's time zone */
	TIME_VALUE_TIMESTAMP		/* in the session's time zone */
} TimeValue;

/* what the qual does to event_time before comparing */
typedef enum TimeTransform
{
	TIME_AS_IS,					/* event_time op v */
	TIME_AS_DATE,				/* event_time::date op d */
	TIME_TRUNCATED				/* date_trunc(unit, event_time) op v */
} TimeTransform;

/*
 * A filter travels in fdw_private as a List of seven Integers:
 * kind, column, index of its value in fdw_exprs (-1: none), whether the
 * value needs an executor parameter (so EXPLAIN cannot compute it), and
 * for time filters the TimeValue, the TimeTransform and, for truncated
 * times, the longest the truncation unit can be, in seconds.
 */
#define FILTER_KIND(f)		intVal(list_nth(f, 0))
#define FILTER_COLUMN(f)	intVal(list_nth(f, 1))
#define FILTER_EXPR(f)		intVal(list_nth(f, 2))
#define FILTER_RUNTIME(f)	intVal(list_nth(f, 3))
#define FILTER_TIME_VALUE(f)	intVal(list_nth(f, 4))
#define FILTER_TIME_TRANSFORM(f)	intVal(list_nth(f, 5))
#define FILTER_TRUNC_SECS(f)	intVal(list_nth(f, 6))

/* a set of allowed values for one column (all sets of a column must hold) */
typedef struct ValueSet
{
	int			column;
	List	   *values;			/* of char * */
} ValueSet;

struct TrailPrune
{
	bool		impossible;		/* some qual can never be true */
	bool		time_filters;	/* event_time quals, whether or not valued */
	bool		has_time;
	TimestampTz lo;				/* events at or after */
	TimestampTz hi;				/* events at or before */
	int64		delay;
	int64		lookahead;		/* digests are read this long after hi */
	List	   *sets;			/* of ValueSet */
	int			read_only;		/* -1: no test, else 0 or 1 */
	List	   *prefixes;		/* of ValueSet: LIKE 'prefix%' */

	/*
	 * Pruning by account, region and category folder trusts that a file's
	 * records belong to its folder.  While it may, records are checked
	 * against their file's folder, and the first one that contradicts it is
	 * reported (once per scan).
	 */
	bool		folder_pruning;
	bool		check_folders;
	bool		folder_quals;	/* the quals prune by account, region, category */
	bool		warned;
	const char *folder_path;	/* the file whose layout is in folder */
	bool		folder_checked; /* its first record was checked */
	TrailLayout folder;

	/* time pruning of files, for EXPLAIN */
	int			time_by_digest;	/* pruned by the event range a digest lists */
	int			time_by_delivery;	/* pruned by delivery time (no digest) */
	int			kept_by_digest;	/* kept, judged by a digest's range */
};

static bool has_set(TrailPrune *prune, int column);

static bool
is_file_column(int column)
{
	return column == TRAIL_COL_EVENT_TIME ||
		column == TRAIL_COL_RECIPIENT_ACCOUNT_ID ||
		column == TRAIL_COL_AWS_REGION ||
		column == TRAIL_COL_EVENT_CATEGORY;
}

static bool
is_record_column(int column)
{
	return column == TRAIL_COL_EVENT_TIME ||
		column == TRAIL_COL_EVENT_NAME ||
		column == TRAIL_COL_EVENT_SOURCE ||
		column == TRAIL_COL_ERROR_CODE ||
		column == TRAIL_COL_READ_ONLY ||
		column == TRAIL_COL_EVENT_CATEGORY;
}

/*
 * Is node a Var of our relation for a column we filter on?  *column gets
 * its TrailColumnId.
 */
static bool
match_column(Node *node, Index relid, const int *attr_columns, int *column)
{
	Var		   *var;

	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node == NULL || !IsA(node, Var))
		return false;
	var = (Var *) node;
	if (var->varno != relid || var->varlevelsup != 0 || var->varattno <= 0)
		return false;
	*column = attr_columns[var->varattno - 1];
	return *column >= 0 && (is_file_column(*column) || is_record_column(*column));
}

static bool
own_var_walker(Node *node, Index *relid)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varno == *relid && ((Var *) node)->varlevelsup == 0;
	return expression_tree_walker(node, own_var_walker, relid);
}

/*
 * A value that stays the same for the whole scan: no volatile function, no
 * subplan, and no column -- or, for the join clauses of a parameterized
 * path (allow_outer), no column of the scanned relation itself: the other
 * relation's columns become parameters, known when each rescan starts.
 */
static bool
is_scan_constant(Node *node, Index relid, bool allow_outer)
{
	if (contain_volatile_functions(node) || contain_subplans(node))
		return false;
	if (!allow_outer)
		return !contain_var_clause(node);
	return !own_var_walker(node, &relid);
}

static bool
has_exec_param_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, has_exec_param_walker, context);
}

static bool
deterministic(Oid collid)
{
	return !OidIsValid(collid) || get_collation_isdeterministic(collid);
}

static List *
make_time_filter(FilterKind kind, int column, Node *value, List **exprs,
				 TimeValue tvalue, TimeTransform transform, int trunc_secs)
{
	int			index = -1;
	bool		runtime = false;
	List	   *f;

	if (value != NULL)
	{
		*exprs = lappend(*exprs, value);
		index = list_length(*exprs) - 1;
		/* outer columns become executor parameters too */
		runtime = has_exec_param_walker(value, NULL) || contain_var_clause(value);
	}
	f = list_make4(makeInteger(kind), makeInteger(column),
				   makeInteger(index), makeInteger(runtime));
	f = lappend(f, makeInteger(tvalue));
	f = lappend(f, makeInteger(transform));
	return lappend(f, makeInteger(trunc_secs));
}

static List *
make_filter(FilterKind kind, int column, Node *value, List **exprs)
{
	return make_time_filter(kind, column, value, exprs,
							TIME_VALUE_TIMESTAMPTZ, TIME_AS_IS, 0);
}

/*
 * The comparison an operator's function makes between its left and right
 * side, as written, and the type of the side that is not event_time;
 * false when it is not one we understand.
 */
static bool
time_comparison(Oid funcid, FilterKind *kind, TimeValue *tvalue)
{
	static const struct
	{
		Oid			funcid;
		FilterKind	kind;
		TimeValue	tvalue;
	}			ops[] = {
		{F_TIMESTAMPTZ_LT, FILTER_TIME_LT, TIME_VALUE_TIMESTAMPTZ},
		{F_TIMESTAMPTZ_LE, FILTER_TIME_LE, TIME_VALUE_TIMESTAMPTZ},
		{F_TIMESTAMPTZ_EQ, FILTER_TIME_EQ, TIME_VALUE_TIMESTAMPTZ},
		{F_TIMESTAMPTZ_GE, FILTER_TIME_GE, TIME_VALUE_TIMESTAMPTZ},
		{F_TIMESTAMPTZ_GT, FILTER_TIME_GT, TIME_VALUE_TIMESTAMPTZ},
		{F_TIMESTAMPTZ_LT_DATE, FILTER_TIME_LT, TIME_VALUE_DATE},
		{F_TIMESTAMPTZ_LE_DATE, FILTER_TIME_LE, TIME_VALUE_DATE},
		{F_TIMESTAMPTZ_EQ_DATE, FILTER_TIME_EQ, TIME_VALUE_DATE},
		{F_TIMESTAMPTZ_GE_DATE, FILTER_TIME_GE, TIME_VALUE_DATE},
		{F_TIMESTAMPTZ_GT_DATE, FILTER_TIME_GT, TIME_VALUE_DATE},
		{F_TIMESTAMPTZ_LT_TIMESTAMP, FILTER_TIME_LT, TIME_VALUE_TIMESTAMP},
		{F_TIMESTAMPTZ_LE_TIMESTAMP, FILTER_TIME_LE, TIME_VALUE_TIMESTAMP},
		{F_TIMESTAMPTZ_EQ_TIMESTAMP, FILTER_TIME_EQ, TIME_VALUE_TIMESTAMP},
		{F_TIMESTAMPTZ_GE_TIMESTAMP, FILTER_TIME_GE, TIME_VALUE_TIMESTAMP},
		{F_TIMESTAMPTZ_GT_TIMESTAMP, FILTER_TIME_GT, TIME_VALUE_TIMESTAMP},
		/* date = date, for event_time::date */
		{F_DATE_LT, FILTER_TIME_LT, TIME_VALUE_DATE},
		{F_DATE_LE, FILTER_TIME_LE, TIME_VALUE_DATE},
		{F_DATE_EQ, FILTER_TIME_EQ, TIME_VALUE_DATE},
		{F_DATE_GE, FILTER_TIME_GE, TIME_VALUE_DATE},
		{F_DATE_GT, FILTER_TIME_GT, TIME_VALUE_DATE},
		/* a date or timestamp on the left, as written (the caller commutes) */
		{F_DATE_LT_TIMESTAMPTZ, FILTER_TIME_LT, TIME_VALUE_DATE},
		{F_DATE_LE_TIMESTAMPTZ, FILTER_TIME_LE, TIME_VALUE_DATE},
		{F_DATE_EQ_TIMESTAMPTZ, FILTER_TIME_EQ, TIME_VALUE_DATE},
		{F_DATE_GE_TIMESTAMPTZ, FILTER_TIME_GE, TIME_VALUE_DATE},
		{F_DATE_GT_TIMESTAMPTZ, FILTER_TIME_GT, TIME_VALUE_DATE},
		{F_TIMESTAMP_LT_TIMESTAMPTZ, FILTER_TIME_LT, TIME_VALUE_TIMESTAMP},
		{F_TIMESTAMP_LE_TIMESTAMPTZ, FILTER_TIME_LE, TIME_VALUE_TIMESTAMP},
		{F_TIMESTAMP_EQ_TIMESTAMPTZ, FILTER_TIME_EQ, TIME_VALUE_TIMESTAMP},
		{F_TIMESTAMP_GE_TIMESTAMPTZ, FILTER_TIME_GE, TIME_VALUE_TIMESTAMP},
		{F_TIMESTAMP_GT_TIMESTAMPTZ, FILTER_TIME_GT, TIME_VALUE_TIMESTAMP},
	};
	int			i;

	for (i = 0; i < lengthof(ops); i++)
	{
		if (ops[i].funcid == funcid)
		{
			*kind = ops[i].kind;
			*tvalue = ops[i].tvalue;
			return true;
		}
	}
	return false;
}

/* the comparison seen from the other side: v < e is e > v */
static FilterKind
commute(FilterKind kind)
{
	switch (kind)
	{
		case FILTER_TIME_LT:
			return FILTER_TIME_GT;
		case FILTER_TIME_LE:
			return FILTER_TIME_GE;
		case FILTER_TIME_GE:
			return FILTER_TIME_LE;
		case FILTER_TIME_GT:
			return FILTER_TIME_LT;
		default:
			return kind;
	}
}

/*
 * Is node event_time, event_time::date or date_trunc('unit', event_time)?
 * *trunc_secs gets the longest the unit can last (a day can be 25 hours
 * long in the session's time zone), in seconds.
 */
static bool
match_time(Node *node, Index relid, const int *attr_columns,
		   TimeTransform *transform, int *trunc_secs)
{
	static const struct
	{
		const char *unit;
		int			secs;
	}			units[] = {
		{"microseconds", 1}, {"milliseconds", 1}, {"second", 1},
		{"minute", 60}, {"hour", 3600}, {"day", 26 * 3600},
		{"week", 7 * 26 * 3600}, {"month", 32 * 24 * 3600},
		{"quarter", 93 * 24 * 3600}, {"year", 367 * 24 * 3600},
	};
	int			column;
	FuncExpr   *fe;

	*transform = TIME_AS_IS;
	*trunc_secs = 0;
	if (match_column(node, relid, attr_columns, &column))
		return column == TRAIL_COL_EVENT_TIME;
	if (!IsA(node, FuncExpr))
		return false;
	fe = (FuncExpr *) node;
	/* date(timestamptz), the cast event_time::date */
	if (fe->funcid == F_DATE_TIMESTAMPTZ && list_length(fe->args) == 1 &&
		match_column(linitial(fe->args), relid, attr_columns, &column) &&
		column == TRAIL_COL_EVENT_TIME)
	{
		*transform = TIME_AS_DATE;
		return true;
	}
	if (fe->funcid == F_DATE_TRUNC_TEXT_TIMESTAMPTZ && list_length(fe->args) == 2 &&
		IsA(linitial(fe->args), Const) && !((Const *) linitial(fe->args))->constisnull &&
		match_column(lsecond(fe->args), relid, attr_columns, &column) &&
		column == TRAIL_COL_EVENT_TIME)
	{
		char	   *unit = TextDatumGetCString(((Const *) linitial(fe->args))->constvalue);
		int			i;

		for (i = 0; i < lengthof(units); i++)
		{
			/* date_trunc takes the plural and any letter case too */
			if (pg_strncasecmp(unit, units[i].unit, strlen(units[i].unit)) == 0 ||
				(strlen(unit) + 1 == strlen(units[i].unit) &&
				 pg_strncasecmp(unit, units[i].unit, strlen(unit)) == 0))
			{
				*transform = TIME_TRUNCATED;
				*trunc_secs = units[i].secs;
				return true;
			}
		}
	}
	return false;
}

/*
 * event_name = 'A' OR event_name = 'B' ...: the same column compared with
 * scan constants in every arm becomes column = ANY(ARRAY[...]).
 */
static List *
classify_or(BoolExpr *or, Index relid, const int *attr_columns, List **exprs,
			bool allow_outer)
{
	int			column = -1;
	Oid			element_type = InvalidOid;
	List	   *values = NIL;
	ListCell   *lc;
	ArrayExpr  *arr;

	foreach(lc, or->args)
	{
		OpExpr	   *op = (OpExpr *) lfirst(lc);
		Node	   *left;
		Node	   *right;
		int			c;
		Oid			funcid;

		if (!IsA(op, OpExpr) || list_length(op->args) != 2)
			return NIL;
		left = linitial(op->args);
		right = lsecond(op->args);
		if (!match_column(left, relid, attr_columns, &c))
		{
			Node	   *tmp = left;

			left = right;
			right = tmp;
			if (!match_column(left, relid, attr_columns, &c))
				return NIL;
		}
		funcid = get_opcode(op->opno);
		if (!is_scan_constant(right, relid, allow_outer) ||
			(column >= 0 && c != column) ||
			c == TRAIL_COL_EVENT_TIME || c == TRAIL_COL_READ_ONLY ||
			!((funcid == F_TEXTEQ && deterministic(op->inputcollid)) ||
			  (funcid == F_ENUM_EQ && c == TRAIL_COL_EVENT_CATEGORY)))
			return NIL;
		column = c;
		element_type = exprType(right);
		values = lappend(values, right);
	}
	if (column < 0 || !OidIsValid(get_array_type(element_type)))
		return NIL;
	arr = makeNode(ArrayExpr);
	arr->array_typeid = get_array_type(element_type);
	arr->array_collid = InvalidOid;
	arr->element_typeid = element_type;
	arr->elements = values;
	arr->multidims = false;
	arr->location = -1;
	return make_filter(FILTER_EQ_ANY, column, (Node *) arr, exprs);
}

static List *
classify_clause(Expr *clause, Index relid, const int *attr_columns,
				List **exprs, bool allow_outer)
{
	int			column;

	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) clause;
		Node	   *left = linitial(op->args);
		Node	   *right = lsecond(op->args);
		bool		commuted = false;
		Oid			funcid = get_opcode(op->opno);
		TimeTransform transform;
		int			trunc_secs;
		FilterKind	kind;
		TimeValue	tvalue;

		/* event_time, event_time::date, date_trunc(unit, event_time) */
		if (match_time(left, relid, attr_columns, &transform, &trunc_secs) ||
			(match_time(right, relid, attr_columns, &transform, &trunc_secs) &&
			 (commuted = true)))
		{
			Node	   *value = commuted ? left : right;

			if (!is_scan_constant(value, relid, allow_outer) ||
				!time_comparison(funcid, &kind, &tvalue))
				return NIL;
			/* the date operators compare event_time::date only */
			if ((funcid == F_DATE_LT || funcid == F_DATE_LE || funcid == F_DATE_EQ ||
				 funcid == F_DATE_GE || funcid == F_DATE_GT) != (transform == TIME_AS_DATE))
				return NIL;
			return make_time_filter(commuted ? commute(kind) : kind,
									TRAIL_COL_EVENT_TIME, value, exprs,
									tvalue, transform, trunc_secs);
		}

		if (!match_column(left, relid, attr_columns, &column))
		{
			Node	   *tmp = left;

			left = right;
			right = tmp;
			commuted = true;
			if (!match_column(left, relid, attr_columns, &column))
				return NIL;
		}
		if (!is_scan_constant(right, relid, allow_outer) ||
			column == TRAIL_COL_EVENT_TIME)
			return NIL;

		if (column == TRAIL_COL_READ_ONLY)
		{
			if (funcid != F_BOOLEQ)
				return NIL;
			return make_filter(FILTER_EQ, column, right, exprs);
		}
		if ((funcid == F_TEXTEQ && deterministic(op->inputcollid)) ||
			(funcid == F_ENUM_EQ && column == TRAIL_COL_EVENT_CATEGORY))
			return make_filter(FILTER_EQ, column, right, exprs);
		/* LIKE 'prefix%': a record test on the bytes */
		if (funcid == F_TEXTLIKE && !commuted && deterministic(op->inputcollid) &&
			(column == TRAIL_COL_EVENT_NAME || column == TRAIL_COL_EVENT_SOURCE ||
			 column == TRAIL_COL_ERROR_CODE))
			return make_filter(FILTER_LIKE, column, right, exprs);
		return NIL;
	}

	if (is_orclause(clause))
		return classify_or((BoolExpr *) clause, relid, attr_columns, exprs,
						   allow_outer);

	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
		Oid			funcid = get_opcode(saop->opno);

		if (!saop->useOr || list_length(saop->args) != 2 ||
			!match_column(linitial(saop->args), relid, attr_columns, &column) ||
			!is_scan_constant(lsecond(saop->args), relid, allow_outer) ||
			column == TRAIL_COL_EVENT_TIME || column == TRAIL_COL_READ_ONLY)
			return NIL;
		if ((funcid == F_TEXTEQ && deterministic(saop->inputcollid)) ||
			(funcid == F_ENUM_EQ && column == TRAIL_COL_EVENT_CATEGORY))
			return make_filter(FILTER_EQ_ANY, column, lsecond(saop->args), exprs);
		return NIL;
	}

	/* read_only, NOT read_only, read_only IS [NOT] TRUE/FALSE */
	if (match_column((Node *) clause, relid, attr_columns, &column) &&
		column == TRAIL_COL_READ_ONLY)
		return make_filter(FILTER_IS_TRUE, column, NULL, exprs);
	if (is_notclause(clause) &&
		match_column((Node *) get_notclausearg(clause), relid, attr_columns, &column) &&
		column == TRAIL_COL_READ_ONLY)
		return make_filter(FILTER_IS_FALSE, column, NULL, exprs);
	if (IsA(clause, BooleanTest) &&
		match_column((Node *) ((BooleanTest *) clause)->arg, relid, attr_columns, &column) &&
		column == TRAIL_COL_READ_ONLY)
	{
		BoolTestType t = ((BooleanTest *) clause)->booltesttype;

		if (t == IS_TRUE)
			return make_filter(FILTER_IS_TRUE, column, NULL, exprs);
		if (t == IS_FALSE)
			return make_filter(FILTER_IS_FALSE, column, NULL, exprs);
	}
	return NIL;
}

/*
 * The filters of a list of RestrictInfos for a scan of relid.
 * attr_columns maps attribute numbers (1-based, index attno - 1) to
 * TrailColumnIds, or -1 for attributes that are not a trail.event column
 * in its own type.  The values to compute go to *exprs (they become the
 * plan's fdw_exprs or custom_exprs).  allow_outer: the clauses may compare
 * with other relations' columns (the join clauses of a parameterized
 * path).  Returns a List of filters for the plan's private data.
 */
List *
trail_prune_classify_clauses(List *rinfos, Index relid,
							 const int *attr_columns, List **exprs,
							 bool allow_outer)
{
	List	   *filters = NIL;
	ListCell   *lc;

	foreach(lc, rinfos)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		List	   *filter;

		filter = classify_clause(rinfo->clause, relid, attr_columns, exprs,
								 allow_outer);
		if (filter != NIL)
			filters = lappend(filters, filter);
	}
	return filters;
}

/*
 * Is an equivalence class member an expression of rel's row alone
 * (e.recipient_account_id, e.event_time::date)?  For
 * generate_implied_equalities_for_column: the classification then decides
 * which of the clauses it makes pruning can use.
 */
static bool
ec_member_is_own(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
				 EquivalenceMember *em, void *arg)
{
	return bms_equal(em->em_relids, rel->relids) && !em->em_is_const &&
		!contain_volatile_functions((Node *) em->em_expr);
}

/*
 * The sets of outer relations (Relids) whose values could prune a scan of
 * rel: for each join clause pruning can use (e.event_time >= d.lo,
 * e.recipient_account_id = a.id, and those equivalence classes imply), the
 * other side's relations, with rel's own LATERAL references.  Appended to
 * choices without repeats; the foreign table and the CustomScan make one
 * parameterized path for each.
 */
List *
trail_prune_join_outers(PlannerInfo *root, RelOptInfo *rel,
						const int *attr_columns, List *choices)
{
	List	   *candidates = list_copy(rel->joininfo);
	ListCell   *lc;

	candidates = list_concat(candidates,
							 generate_implied_equalities_for_column(root, rel,
																	ec_member_is_own,
																	NULL, NULL));
	foreach(lc, candidates)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		List	   *exprs = NIL;
		Relids		outer;
		ListCell   *lc2;
		bool		seen = false;

		if (!join_clause_is_movable_to(rinfo, rel) ||
			trail_prune_classify_clauses(list_make1(rinfo), rel->relid,
										 attr_columns, &exprs, true) == NIL)
			continue;
		outer = bms_union(bms_difference(rinfo->clause_relids, rel->relids),
						  rel->lateral_relids);
		if (bms_is_empty(outer) || bms_overlap(outer, rel->lateral_referencers))
			continue;
		foreach(lc2, choices)
		{
			if (bms_equal(outer, (Relids) lfirst(lc2)))
				seen = true;
		}
		if (!seen)
			choices = lappend(choices, outer);
	}
	return choices;
}

/*
 * The filters of baserel's own quals (see trail_prune_classify_clauses).
 */
List *
trail_prune_classify(RelOptInfo *baserel, const int *attr_columns, List **exprs)
{
	return trail_prune_classify_clauses(baserel->baserestrictinfo,
										baserel->relid, attr_columns, exprs,
										false);
}

/*
 * What the filters test, for EXPLAIN: how they prune files (file_level),
 * or the columns tested on records.  NULL when there is nothing to say.
 */
char *
trail_prune_describe(List *filters, bool file_level, bool folder_pruning)
{
	StringInfoData buf;
	StringInfoData folders;
	bool		shown[TRAIL_NCOLUMNS] = {0};
	bool		time = false;
	ListCell   *lc;

	initStringInfo(&buf);
	initStringInfo(&folders);
	foreach(lc, filters)
	{
		List	   *f = (List *) lfirst(lc);
		int			column = FILTER_COLUMN(f);

		if (shown[column] ||
			!(file_level ? is_file_column(column) : is_record_column(column)))
			continue;
		shown[column] = true;
		if (file_level && column == TRAIL_COL_EVENT_TIME)
		{
			time = true;
			continue;
		}
		if (file_level)
		{
			if (folders.len > 0)
				appendStringInfoString(&folders, ", ");
			appendStringInfoString(&folders, trail_columns[column].name);
			continue;
		}
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, trail_columns[column].name);
	}
	if (file_level)
	{
		/* the folders are trusted to hold what their names say */
		if (folders.len > 0)
			appendStringInfo(&buf, folder_pruning ? "%s by folder" :
							 "not %s (folder_pruning is off)", folders.data);
		if (time)
			appendStringInfo(&buf, "%sevent_time by delivery time",
							 buf.len > 0 ? "; " : "");
	}
	return buf.len > 0 ? buf.data : NULL;
}

/*
 * A qual's value as UTF-8 text: records are compared in UTF-8, whatever the
 * server encoding.
 */
static char *
value_text(int column, Datum value)
{
	char	   *s;

	if (column == TRAIL_COL_EVENT_CATEGORY)
		s = DatumGetCString(DirectFunctionCall1(enum_out, value));
	else
		s = TextDatumGetCString(value);
	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

static void
add_set(TrailPrune *prune, int column, List *values)
{
	ValueSet   *set = palloc(sizeof(ValueSet));

	set->column = column;
	set->values = values;
	prune->sets = lappend(prune->sets, set);
	if (values == NIL)
		prune->impossible = true;
}

static TrailPrune *
prune_create(int64 max_delivery_delay, bool folder_pruning)
{
	TrailPrune *prune = palloc0(sizeof(TrailPrune));

	prune->lo = DT_NOBEGIN;
	prune->hi = DT_NOEND;
	prune->delay = max_delivery_delay;
	prune->lookahead = Max(max_delivery_delay, trail_digest_lookahead_usecs());
	prune->read_only = -1;
	prune->folder_pruning = folder_pruning;
	return prune;
}

/*
 * The literal text a LIKE pattern starts with (up to its first wildcard),
 * which every matching value starts with too.
 */
static char *
like_prefix(const char *pattern)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	for (p = pattern; *p; p++)
	{
		if (*p == '%' || *p == '_')
			break;
		if (*p == '\\')
		{
			if (p[1] == '\0')
				break;
			p++;
		}
		appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/* a timestamp-like value as the timestamptz it means, if it is one */
static bool
time_value(List *f, Datum value, TimestampTz *ts)
{
	switch ((TimeValue) FILTER_TIME_VALUE(f))
	{
		case TIME_VALUE_TIMESTAMPTZ:
			*ts = DatumGetTimestampTz(value);
			return true;
		case TIME_VALUE_DATE:
			{
				DateADT		d = DatumGetDateADT(value);

				/* far dates cannot become timestamps: no pruning */
				if (DATE_NOT_FINITE(d) || d < -2000000 || d > 2000000)
					return false;
				*ts = DatumGetTimestampTz(DirectFunctionCall1(date_timestamptz, value));
				return true;
			}
		case TIME_VALUE_TIMESTAMP:
			{
				Timestamp	t = DatumGetTimestamp(value);

				if (TIMESTAMP_NOT_FINITE(t) ||
					t < MIN_TIMESTAMP + USECS_PER_DAY || t > END_TIMESTAMP - USECS_PER_DAY)
					return false;
				*ts = DatumGetTimestampTz(DirectFunctionCall1(timestamp_timestamptz, value));
				return true;
			}
	}
	return false;
}

/*
 * The range of event times a time filter lets through: [*lo, *hi], both
 * inclusive; the whole line when the value cannot say.
 */
static void
time_bounds(List *f, Datum value, TimestampTz *lo, TimestampTz *hi)
{
	FilterKind	kind = (FilterKind) FILTER_KIND(f);
	TimestampTz v;
	TimestampTz end;			/* the first time past the value's span */

	*lo = DT_NOBEGIN;
	*hi = DT_NOEND;
	if (!time_value(f, value, &v))
		return;

	switch ((TimeTransform) FILTER_TIME_TRANSFORM(f))
	{
		case TIME_AS_IS:
			if (kind == FILTER_TIME_LT || kind == FILTER_TIME_LE || kind == FILTER_TIME_EQ)
				*hi = v;
			if (kind == FILTER_TIME_GT || kind == FILTER_TIME_GE || kind == FILTER_TIME_EQ)
				*lo = v;
			return;

		case TIME_AS_DATE:
			/* event_time::date op d: d's day starts at v and ends before end */
			if (TIMESTAMP_NOT_FINITE(v))
				return;
			end = DatumGetTimestampTz(DirectFunctionCall1(date_timestamptz,
														  DateADTGetDatum(DatumGetDateADT(value) + 1)));
			if (kind == FILTER_TIME_LT)
				*hi = v - 1;
			else if (kind == FILTER_TIME_LE)
				*hi = end - 1;
			else if (kind == FILTER_TIME_GT)
				*lo = end;
			else if (kind == FILTER_TIME_GE)
				*lo = v;
			else
			{
				*lo = v;
				*hi = end - 1;
			}
			return;

		case TIME_TRUNCATED:
			/* date_trunc(unit, e) <= e < date_trunc(unit, e) + unit */
			if (TIMESTAMP_NOT_FINITE(v))
				return;
			end = v + (int64) FILTER_TRUNC_SECS(f) * USECS_PER_SEC;
			if (kind == FILTER_TIME_LT || kind == FILTER_TIME_LE || kind == FILTER_TIME_EQ)
				*hi = end;
			if (kind == FILTER_TIME_GT || kind == FILTER_TIME_GE || kind == FILTER_TIME_EQ)
				*lo = v;
			return;
	}
}

/*
 * Add one filter, with its value (ignored for filters that have none).
 */
static void
prune_add(TrailPrune *prune, List *f, Datum value, bool isnull)
{
	int			column = FILTER_COLUMN(f);

	if (FILTER_EXPR(f) >= 0 && isnull)
	{
		/* comparing with NULL is never true */
		prune->impossible = true;
		return;
	}

	switch ((FilterKind) FILTER_KIND(f))
	{
		case FILTER_TIME_LT:
		case FILTER_TIME_LE:
		case FILTER_TIME_GE:
		case FILTER_TIME_GT:
		case FILTER_TIME_EQ:
			{
				TimestampTz lo;
				TimestampTz hi;

				time_bounds(f, value, &lo, &hi);
				prune->has_time = true;
				prune->lo = Max(prune->lo, lo);
				prune->hi = Min(prune->hi, hi);
			}
			break;
		case FILTER_LIKE:
			{
				char	   *prefix = like_prefix(TextDatumGetCString(value));
				ValueSet   *set = palloc(sizeof(ValueSet));

				set->column = column;
				set->values = list_make1(pg_server_to_any(prefix, strlen(prefix), PG_UTF8));
				prune->prefixes = lappend(prune->prefixes, set);
			}
			break;
		case FILTER_EQ:
			if (column == TRAIL_COL_READ_ONLY)
			{
				int			b = DatumGetBool(value) ? 1 : 0;

				if (prune->read_only >= 0 && prune->read_only != b)
					prune->impossible = true;
				prune->read_only = b;
			}
			else
				add_set(prune, column, list_make1(value_text(column, value)));
			break;
		case FILTER_EQ_ANY:
			{
				ArrayType  *arr = DatumGetArrayTypeP(value);
				Datum	   *elems;
				bool	   *nulls;
				int			n,
							i;
				int16		typlen;
				bool		typbyval;
				char		typalign;
				List	   *values = NIL;

				get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
				deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval,
								  typalign, &elems, &nulls, &n);
				for (i = 0; i < n; i++)
				{
					if (!nulls[i])
						values = lappend(values, value_text(column, elems[i]));
				}
				add_set(prune, column, values);
			}
			break;
		case FILTER_IS_TRUE:
		case FILTER_IS_FALSE:
			{
				int			b = (FILTER_KIND(f) == FILTER_IS_TRUE) ? 1 : 0;

				if (prune->read_only >= 0 && prune->read_only != b)
					prune->impossible = true;
				prune->read_only = b;
			}
			break;
	}
	if (prune->has_time && prune->lo > prune->hi)
		prune->impossible = true;
}

/*
 * Compute the filters' values for one scan.
 *
 * TRAIL_PRUNE_PLAN: values holds the value expressions themselves, and
 *		only constants are used (for the planner's estimates).
 * TRAIL_PRUNE_EXPLAIN: values holds ExprStates; values that need executor
 *		parameters are left out (EXPLAIN does not run the plans that make
 *		them).
 * TRAIL_PRUNE_EXEC: values holds ExprStates, all computed in econtext.
 */
TrailPrune *
trail_prune_begin(List *filters, List *values, ExprContext *econtext,
				  int64 max_delivery_delay, bool folder_pruning,
				  TrailPruneMode mode)
{
	TrailPrune *prune = prune_create(max_delivery_delay, folder_pruning);
	ListCell   *lc;

	foreach(lc, filters)
	{
		List	   *f = (List *) lfirst(lc);
		Datum		value = (Datum) 0;
		bool		isnull = false;

		if (FILTER_KIND(f) >= FILTER_TIME_LT && FILTER_KIND(f) <= FILTER_TIME_GT)
			prune->time_filters = true;
		if (FILTER_EXPR(f) >= 0)
		{
			if (mode == TRAIL_PRUNE_PLAN)
			{
				Node	   *expr = list_nth(values, FILTER_EXPR(f));

				if (!IsA(expr, Const))
					continue;
				value = ((Const *) expr)->constvalue;
				isnull = ((Const *) expr)->constisnull;
			}
			else if (mode == TRAIL_PRUNE_EXPLAIN && FILTER_RUNTIME(f))
				continue;
			else
				value = ExecEvalExpr(list_nth(values, FILTER_EXPR(f)),
									 econtext, &isnull);
		}
		prune_add(prune, f, value, isnull);
	}
	/*
	 * While folders are trusted, every scan checks that its records belong
	 * to their files' folders, so that a tree where they do not is found
	 * by any query, not only by one that pruning then gets wrong.
	 */
	prune->check_folders = folder_pruning;
	prune->folder_quals = folder_pruning &&
		(has_set(prune, TRAIL_COL_RECIPIENT_ACCOUNT_ID) ||
		 has_set(prune, TRAIL_COL_AWS_REGION) ||
		 has_set(prune, TRAIL_COL_EVENT_CATEGORY));
	return prune;
}

static bool
text_in(List *values, const char *s)
{
	ListCell   *lc;

	foreach(lc, values)
	{
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	}
	return false;
}

/* does every set for column hold s? */
static bool
sets_hold(TrailPrune *prune, int column, const char *s)
{
	ListCell   *lc;

	foreach(lc, prune->sets)
	{
		ValueSet   *set = (ValueSet *) lfirst(lc);

		if (set->column == column && !text_in(set->values, s))
			return false;
	}
	return true;
}

static bool
has_set(TrailPrune *prune, int column)
{
	ListCell   *lc;

	foreach(lc, prune->sets)
	{
		if (((ValueSet *) lfirst(lc))->column == column)
			return true;
	}
	return false;
}

/*
 * Does a folder (an account, a region and a kind; NULL or
 * TRAIL_KIND_NONE for what a folder above them does not say) rule out the
 * rows the quals accept?
 */
static bool
folder_parts_rule_out(TrailPrune *prune, const char *account,
					  const char *region, TrailFileKind kind)
{
	if ((account && !sets_hold(prune, TRAIL_COL_RECIPIENT_ACCOUNT_ID, account)) ||
		(region && !sets_hold(prune, TRAIL_COL_AWS_REGION, region)))
		return true;
	if (has_set(prune, TRAIL_COL_EVENT_CATEGORY))
	{
		switch (kind)
		{
			case TRAIL_KIND_CLOUDTRAIL:
				return !sets_hold(prune, TRAIL_COL_EVENT_CATEGORY, "Management") &&
					!sets_hold(prune, TRAIL_COL_EVENT_CATEGORY, "Data");
			case TRAIL_KIND_INSIGHT:
				return !sets_hold(prune, TRAIL_COL_EVENT_CATEGORY, "Insight");
			case TRAIL_KIND_NETWORK_ACTIVITY:
				return !sets_hold(prune, TRAIL_COL_EVENT_CATEGORY, "NetworkActivity");
			default:
				break;
		}
	}
	return false;
}

/*
 * Does the folder of a file (its account, region and kind) rule out the
 * rows the quals accept?
 */
static bool
folder_rules_out(TrailPrune *prune, const TrailLayout *layout)
{
	return folder_parts_rule_out(prune, layout->account_id, layout->region,
								 layout->kind);
}

/*
 * Can the file whose path says layout hold a row the quals accept?  Files
 * outside the CloudTrail layout always can.
 */
/* was the file delivered later than digests are read for the window? */
static bool
beyond_lookahead(TrailPrune *prune, const TrailLayout *layout)
{
	TimestampTz last;

	return prune->hi != DT_NOEND && layout->has_delivered_at &&
		!pg_add_s64_overflow(prune->hi, prune->lookahead, &last) &&
		layout->delivered_at > last;
}

bool
trail_prune_keep_file(TrailPrune *prune, const TrailLayout *layout)
{
	if (prune->impossible)
		return false;
	if (layout->kind == TRAIL_KIND_NONE)
		return true;
	if (prune->folder_pruning && folder_rules_out(prune, layout))
		return false;

	/*
	 * A digest lists the file with the times of its oldest and newest
	 * events: exact, for files delivered up to the digest lookahead after
	 * the window (the walk reads no later digest, so later files are left
	 * out whether or not the walk found them).
	 */
	if (prune->has_time && layout->has_event_range)
	{
		if ((prune->lo != DT_NOBEGIN && layout->newest_event < prune->lo) ||
			(prune->hi != DT_NOEND && layout->oldest_event > prune->hi) ||
			beyond_lookahead(prune, layout))
		{
			prune->time_by_digest++;
			return false;
		}
		prune->kept_by_digest++;
		return true;
	}

	/*
	 * Otherwise a file delivered at D holds events from D -
	 * max_delivery_delay up to D (plus slack for clock skew).
	 */
	if (prune->has_time && layout->has_delivered_at)
	{
		if ((prune->lo != DT_NOBEGIN &&
			 layout->delivered_at + TRAIL_DELIVERY_SLACK_USECS < prune->lo) ||
			(prune->hi != DT_NOEND &&
			 layout->delivered_at - prune->delay > prune->hi))
		{
			prune->time_by_delivery++;
			return false;
		}
	}
	return true;
}

/*
 * Can a file below folder hold a row the quals accept, or, in a digest
 * folder, a digest that lists one?  (A TrailFolderTestFn for the walk of
 * a scan; arg is a TrailPrune made without executor parameters, so that
 * the walk holds for every rescan and every process of the statement.)
 *
 * CloudTrail puts a file in the folder of its delivery day (UTC), so a
 * day folder can only hold files whose delivery times lie in that day:
 * it is skipped when no such time can hold window events by the delivery
 * rule of trail_prune_keep_file, and so are month and year folders.  A
 * file delivered later than that rule allows lies in a skipped folder:
 * when a digest lists it, trail_prune_wants_listed adds it back.  Digests
 * are only read when the quals bound event_time, and only those that can
 * list a file with events in the window: a digest lists files delivered
 * before it, so one delivered over a day before the window lists none.
 * On the high side a late file is listed by a later digest, however late:
 * digests are read up to trail.digest_lookahead after the window (files
 * delivered later are pruned, walked or not, so that the answer does not
 * depend on the walk).  Aggregated summaries hold no events.  All of this trusts the
 * folders' names, as pruning by account, region and category does: with
 * folder pruning off only those aggregated and (without time quals) digest
 * folders are skipped, and files are pruned by their own names.
 */
bool
trail_prune_keep_folder(void *arg, const TrailFolder *folder)
{
	TrailPrune *prune = (TrailPrune *) arg;
	TimestampTz last;

	if (prune->impossible)
		return false;
	if (folder->depth >= 2 && folder->kind == TRAIL_KIND_AGGREGATED)
		return false;
	if (folder->depth >= 2 && folder->kind == TRAIL_KIND_DIGEST &&
		!prune->time_filters)
		return false;
	if (prune->folder_pruning &&
		folder_parts_rule_out(prune,
							  folder->depth >= 1 ? folder->account_id : NULL,
							  folder->depth >= 3 ? folder->region : NULL,
							  folder->depth >= 2 ? folder->kind : TRAIL_KIND_NONE))
		return false;
	/* dates are folder names too: trusted only with folder pruning */
	if (!prune->has_time || !folder->has_time || !prune->folder_pruning)
		return true;

	/* the last delivery time the folder can hold */
	last = folder->end - 1;
	if (folder->kind == TRAIL_KIND_DIGEST)
	{
		TimestampTz first;

		if (prune->lo != DT_NOBEGIN && last + USECS_PER_DAY < prune->lo)
			return false;
		/* a digest lists files delivered in the hour (a day's margin) before it */
		return prune->hi == DT_NOEND ||
			pg_add_s64_overflow(prune->hi, prune->lookahead, &first) ||
			pg_add_s64_overflow(first, USECS_PER_DAY, &first) ||
			folder->start <= first;
	}
	if (prune->lo != DT_NOBEGIN && last + TRAIL_DELIVERY_SLACK_USECS < prune->lo)
		return false;
	if (prune->hi != DT_NOEND)
	{
		TimestampTz first;

		/* a delay so long that it overflows rules nothing out */
		if (!pg_sub_s64_overflow(folder->start, prune->delay, &first) &&
			first > prune->hi)
			return false;
	}
	return true;
}

/*
 * Should the walk add a file that a digest lists (layout: what its path
 * says, with the digest's event range) and that the walk did not find?
 * When its events can be in the window and its folder was skipped.  (A
 * TrailListedTestFn; arg is the walk's TrailPrune.)
 */
bool
trail_prune_wants_listed(void *arg, const char *path, const TrailLayout *layout)
{
	TrailPrune *prune = (TrailPrune *) arg;
	TrailFolder folder;
	char	   *dir;
	char	   *slash;
	bool		skipped;

	if (prune->impossible || layout->kind == TRAIL_KIND_NONE ||
		!layout->has_event_range || !trail_walk_wants(layout))
		return false;
	if (prune->has_time &&
		((prune->lo != DT_NOBEGIN && layout->newest_event < prune->lo) ||
		 (prune->hi != DT_NOEND && layout->oldest_event > prune->hi) ||
		 beyond_lookahead(prune, layout)))
		return false;
	if (prune->folder_pruning && folder_rules_out(prune, layout))
		return false;

	/* folder tests only narrow going down: the day folder's says it all */
	dir = pstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	skipped = trail_folder_parse(dir, &folder) &&
		!trail_prune_keep_folder(prune, &folder);
	pfree(dir);
	return skipped;
}

/* does a walk for these quals need the digests (and their folders)? */
bool
trail_prune_wants_digests(TrailPrune *prune)
{
	return prune->time_filters && !prune->impossible;
}

/*
 * What trail_prune_keep_folder goes by, as text: two walks of a location
 * with the same key find the same files.
 */
char *
trail_prune_folder_key(TrailPrune *prune)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%d %d %d %d", prune->impossible,
					 prune->time_filters, prune->has_time,
					 prune->folder_pruning);
	if (prune->has_time)
		appendStringInfo(&buf, " " INT64_FORMAT " " INT64_FORMAT " " INT64_FORMAT
						 " " INT64_FORMAT,
						 prune->lo, prune->hi, prune->delay, prune->lookahead);
	if (!prune->folder_pruning)
		return buf.data;
	foreach(lc, prune->sets)
	{
		ValueSet   *set = (ValueSet *) lfirst(lc);
		ListCell   *vc;

		if (set->column != TRAIL_COL_RECIPIENT_ACCOUNT_ID &&
			set->column != TRAIL_COL_AWS_REGION &&
			set->column != TRAIL_COL_EVENT_CATEGORY)
			continue;
		appendStringInfo(&buf, " %d:", set->column);
		foreach(vc, set->values)
		{
			const char *v = (const char *) lfirst(vc);

			/* lengths first: values may hold any byte but NUL */
			appendStringInfo(&buf, "%d.%s", (int) strlen(v), v);
		}
	}
	return buf.data;
}

/*
 * For EXPLAIN: how time pruning judged the files, or NULL when the quals
 * have no time bounds.
 */
char *
trail_prune_describe_time(TrailPrune *prune)
{
	if (prune == NULL || !prune->has_time)
		return NULL;
	return psprintf("%d files pruned by digest event ranges, %d by delivery time; %d kept by digest event ranges",
					prune->time_by_digest, prune->time_by_delivery,
					prune->kept_by_digest);
}

/*
 * The TrailFiles of files that trail_prune_keep_file keeps, as a new list.
 */
List *
trail_prune_files(TrailPrune *prune, List *files)
{
	List	   *kept = NIL;
	ListCell   *lc;

	foreach(lc, files)
	{
		TrailFile  *f = (TrailFile *) lfirst(lc);

		if (trail_prune_keep_file(prune, &f->layout))
			kept = lappend(kept, f);
	}
	return kept;
}

bool
trail_prune_has_record_tests(TrailPrune *prune)
{
	return prune->has_time || prune->read_only >= 0 ||
		has_set(prune, TRAIL_COL_EVENT_NAME) ||
		has_set(prune, TRAIL_COL_EVENT_SOURCE) ||
		has_set(prune, TRAIL_COL_ERROR_CODE) ||
		has_set(prune, TRAIL_COL_EVENT_CATEGORY);
}

/*
 * The text of a string slice, unescaped when it has escapes (not
 * NUL-terminated unless unescaped), as the decoder reads it.
 */
static const char *
record_string(TrailSlice v, int *len)
{
	int			replaced;

	if (memchr(v.ptr + 1, '\\', v.len - 2) == NULL)
	{
		*len = v.len - 2;
		return v.ptr + 1;
	}
	return trail_json_unescape(v, len, &replaced);
}

/*
 * Test a text field of a record against the sets for its column.  Absent
 * or null fails (the column would be NULL, and NULL = x is not true); a
 * value of the wrong type passes, so that decoding reports it.  Keys and
 * values are compared by their unescaped text, the last of duplicate keys
 * winning, exactly as the decoder reads them.
 */
static bool
record_text_passes(TrailPrune *prune, const TrailRecord *rec, int column)
{
	TrailSlice	v;
	char	   *text;
	int			len;
	int			replaced;

	if (!has_set(prune, column))
		return true;
	v = trail_json_get(rec->members, trail_columns[column].path[0]);
	if (v.type == TRAIL_JSON_NONE || v.type == TRAIL_JSON_NULL)
		return false;
	if (v.type != TRAIL_JSON_STRING)
		return true;
	text = trail_json_unescape(v, &len, &replaced);
	return sets_hold(prune, column, text);
}

/*
 * Can this record pass the quals?  (A TrailRecordFilterFn; arg is the
 * TrailPrune.)  Runs in the scan's row memory context.
 */
bool
trail_prune_record(void *arg, const TrailRecord *rec)
{
	TrailPrune *prune = (TrailPrune *) arg;

	if (prune->read_only >= 0)
	{
		TrailSlice	v = trail_json_get(rec->members, "readOnly");

		if (v.type == TRAIL_JSON_NONE || v.type == TRAIL_JSON_NULL)
			return false;
		if (v.type == TRAIL_JSON_TRUE || v.type == TRAIL_JSON_FALSE)
		{
			if ((v.type == TRAIL_JSON_TRUE) != (prune->read_only == 1))
				return false;
		}
		else if (v.type == TRAIL_JSON_STRING)
		{
			int			len;
			const char *text = record_string(v, &len);
			int			b = trail_parse_bool_text(text, len);

			if (b >= 0 && b != prune->read_only)
				return false;
		}
	}

	if (!record_text_passes(prune, rec, TRAIL_COL_EVENT_NAME) ||
		!record_text_passes(prune, rec, TRAIL_COL_EVENT_SOURCE) ||
		!record_text_passes(prune, rec, TRAIL_COL_ERROR_CODE))
		return false;

	if (has_set(prune, TRAIL_COL_EVENT_CATEGORY))
	{
		TrailError	err = {0};
		int			c = trail_record_category(rec->members, &err);

		if (c >= 0 && !sets_hold(prune, TRAIL_COL_EVENT_CATEGORY,
								 trail_category_label(c)))
			return false;
	}

	if (prune->has_time)
	{
		TrailSlice	v = trail_json_get(rec->members, "eventTime");
		TimestampTz ts;
		const char *text;
		int			len;

		if (v.type == TRAIL_JSON_NONE || v.type == TRAIL_JSON_NULL)
			return false;
		/* a time that does not parse passes, so that decoding reports it */
		if (v.type == TRAIL_JSON_STRING)
		{
			text = record_string(v, &len);
			if (trail_parse_timestamp(text, len, &ts) &&
				(ts < prune->lo || ts > prune->hi))
				return false;
		}
		else if (v.type == TRAIL_JSON_NUMBER &&
				 trail_parse_epoch(v.ptr, v.len, &ts) &&
				 (ts < prune->lo || ts > prune->hi))
			return false;
	}
	return true;
}

/*
 * The unescaped text of a string member of a record, or NULL when it is
 * absent or not a string.
 */
static char *
record_member_text(const TrailRecord *rec, const char *key)
{
	TrailSlice	v = trail_json_get(rec->members, key);
	int			len;
	int			replaced;

	if (v.type != TRAIL_JSON_STRING)
		return NULL;
	return trail_json_unescape(v, &len, &replaced);
}

/*
 * Does a string member of a record differ from s?  Absent, null or not a
 * string does not count as a difference (its column would be NULL, or bad
 * input reported by decoding).  *value gets the member's text when it
 * differs.
 */
static bool
member_differs(const TrailRecord *rec, const char *key, const char *s,
			   char **value)
{
	TrailSlice	v = trail_json_get(rec->members, key);
	int			len = strlen(s);

	if (v.type != TRAIL_JSON_STRING)
		return false;
	/* the usual case: no escape, compare the bytes */
	if (v.len - 2 == len && trail_bytes_equal(v.ptr + 1, s, len))
		return false;
	*value = record_member_text(rec, key);
	return *value != NULL && strcmp(*value, s) != 0;
}

/* the UTC day of t, as YYYY-MM-DD */
static char *
utc_day(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		return pstrdup("?");
	return psprintf("%04d-%02d-%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
}

/*
 * Is the file at path in the day folder of the delivery time its name
 * gives?  The walk skips day folders by their dates; warn when one holds a
 * file of another day.
 */
static bool
check_day_folder(TrailPrune *prune, const char *path)
{
	const char *slash = strrchr(path, '/');
	TrailFolder folder;

	if (!prune->folder.has_delivered_at || slash == NULL ||
		!trail_folder_parse(pnstrdup(path, slash - path), &folder) ||
		folder.depth != 6 || !folder.has_time)
		return true;
	if (prune->folder.delivered_at >= folder.start &&
		prune->folder.delivered_at < folder.end)
		return true;
	prune->warned = true;
	ereport(WARNING,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("CloudTrail file \"%s\" is not in the folder of its delivery day",
					path),
			 errdetail("Its name says it was delivered on %s (UTC), but it is in the folder of %s.  Pruning by folder skips day folders by their dates, so a query may lack rows from files it did not read.",
					   utc_day(prune->folder.delivered_at), utc_day(folder.start)),
			 errhint("Turn pruning by folder off with SET trail.folder_pruning = off, or with the foreign table option folder_pruning 'false'.")));
	return false;
}

/*
 * Warn (once per scan) when a record does not belong to the folder its file
 * is in (or the file not to its day folder): pruning by folder may then
 * skip files that hold rows a query asks for.  While the quals prune by
 * folder every record is checked; otherwise the first record of each file
 * is (a file in the wrong folder shows at once, at little cost).
 */
static void
check_folder(TrailPrune *prune, const char *path, const TrailRecord *rec)
{
	const char *field = NULL;
	char	   *value = NULL;
	const char *expected = NULL;
	TrailSlice	cat;

	/* the path of the file being read stays at one address */
	if (prune->folder_path != path)
	{
		prune->folder_path = path;
		trail_layout_parse(path, &prune->folder);
		prune->folder_checked = false;
		if (prune->folder.kind != TRAIL_KIND_NONE &&
			!check_day_folder(prune, path))
			return;
	}
	if (prune->folder.kind == TRAIL_KIND_NONE)
		return;
	if (prune->folder_checked && !prune->folder_quals)
		return;
	prune->folder_checked = true;

	if (member_differs(rec, "recipientAccountId", prune->folder.account_id, &value))
	{
		field = "recipientAccountId";
		expected = psprintf("account \"%s\"", prune->folder.account_id);
	}
	else if (member_differs(rec, "awsRegion", prune->folder.region, &value))
	{
		field = "awsRegion";
		expected = psprintf("region \"%s\"", prune->folder.region);
	}
	else
	{
		const char *label = NULL;
		bool		fits = true;

		/* the usual case: eventCategory as written, without escapes */
		cat = trail_json_get(rec->members, "eventCategory");
		if (cat.type == TRAIL_JSON_STRING && memchr(cat.ptr, '\\', cat.len) == NULL)
		{
			int			i;

			for (i = 0; i < 4; i++)
			{
				const char *l = trail_category_label(i);

				if ((int) strlen(l) == cat.len - 2 && memcmp(cat.ptr + 1, l, cat.len - 2) == 0)
					label = l;
			}
		}
		else
		{
			TrailError	err = {0};
			int			c = trail_record_category(rec->members, &err);

			label = c >= 0 ? trail_category_label(c) : NULL;
		}
		if (label == NULL)
			return;
		switch (prune->folder.kind)
		{
			case TRAIL_KIND_CLOUDTRAIL:
				fits = strcmp(label, "Management") == 0 || strcmp(label, "Data") == 0;
				break;
			case TRAIL_KIND_INSIGHT:
				fits = strcmp(label, "Insight") == 0;
				break;
			case TRAIL_KIND_NETWORK_ACTIVITY:
				fits = strcmp(label, "NetworkActivity") == 0;
				break;
			default:
				break;
		}
		if (!fits)
		{
			field = "eventCategory";
			value = pstrdup(label);
			expected = psprintf("folder \"%s\"", trail_kind_name(prune->folder.kind));
		}
	}
	if (field == NULL)
		return;

	prune->warned = true;
	ereport(WARNING,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("CloudTrail file \"%s\" holds a record that does not belong to its folder",
					path),
			 errdetail("Record %lld has %s \"%s\", but the file is in the %s.  Pruning by folder skips files by their folders, so a query may lack rows from files it did not read.",
					   (long long) rec->ordinal, field, value, expected),
			 errhint("Turn pruning by folder off with SET trail.folder_pruning = off, or with the foreign table option folder_pruning 'false'.")));
}

/*
 * Does a scan need to look at records before decoding them?
 */
bool
trail_prune_wants_filter(TrailPrune *prune)
{
	return prune->check_folders || prune->prefixes != NIL ||
		trail_prune_has_record_tests(prune);
}

/*
 * Do a record's text fields start with the prefixes LIKE quals ask for?
 * Absent or null fails (LIKE on NULL is not true); a value of the wrong
 * type passes, so that decoding reports it.
 */
static bool
prefixes_pass(TrailPrune *prune, const TrailRecord *rec)
{
	ListCell   *lc;

	foreach(lc, prune->prefixes)
	{
		ValueSet   *set = (ValueSet *) lfirst(lc);
		const char *prefix = (const char *) linitial(set->values);
		TrailSlice	v = trail_json_get(rec->members, trail_columns[set->column].path[0]);
		char	   *text;

		if (v.type == TRAIL_JSON_NONE || v.type == TRAIL_JSON_NULL)
			return false;
		if (v.type != TRAIL_JSON_STRING)
			continue;
		text = record_member_text(rec, trail_columns[set->column].path[0]);
		if (text == NULL)
			text = "";
		if (strncmp(text, prefix, strlen(prefix)) != 0)
			return false;
	}
	return true;
}

/*
 * The record filter of a scan (a TrailRecordFilterFn; arg is the
 * TrailPrune): checks the record against its folder when pruning trusted
 * folders, then tests it against the quals.  Runs in the scan's row
 * memory context.
 */
bool
trail_prune_filter(void *arg, const char *path, const TrailRecord *rec)
{
	TrailPrune *prune = (TrailPrune *) arg;

	if (prune->check_folders && !prune->warned && path != NULL)
		check_folder(prune, path, rec);
	return prefixes_pass(prune, rec) && trail_prune_record(prune, rec);
}
