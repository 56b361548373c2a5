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
 * folder, delivery time); records by their bytes before the rest of the
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
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
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
	FILTER_IS_FALSE				/* boolean column is false */
} FilterKind;

/*
 * A filter travels in fdw_private as a List of four Integers:
 * kind, column, index of its value in fdw_exprs (-1: none), and whether
 * the value needs an executor parameter (so EXPLAIN cannot compute it).
 */
#define FILTER_KIND(f)		intVal(linitial(f))
#define FILTER_COLUMN(f)	intVal(lsecond(f))
#define FILTER_EXPR(f)		intVal(lthird(f))
#define FILTER_RUNTIME(f)	intVal(lfourth(f))

/* a set of allowed values for one column (all sets of a column must hold) */
typedef struct ValueSet
{
	int			column;
	List	   *values;			/* of char * */
} ValueSet;

struct TrailPrune
{
	bool		impossible;		/* some qual can never be true */
	bool		has_time;
	TimestampTz lo;				/* events at or after */
	TimestampTz hi;				/* events at or before */
	int64		delay;
	List	   *sets;			/* of ValueSet */
	int			read_only;		/* -1: no test, else 0 or 1 */

	/*
	 * Pruning by account, region and category folder trusts that a file's
	 * records belong to its folder.  When it prunes, records are checked
	 * against their file's folder, and the first one that contradicts it is
	 * reported (once per scan).
	 */
	bool		folder_pruning;
	bool		check_folders;
	bool		warned;
	char	   *folder_path;	/* the file whose layout is in folder */
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

/* a value that stays the same for the whole scan */
static bool
is_scan_constant(Node *node)
{
	return !contain_var_clause(node) &&
		!contain_volatile_functions(node) &&
		!contain_subplans(node);
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
make_filter(FilterKind kind, int column, Node *value, List **exprs)
{
	int			index = -1;
	bool		runtime = false;

	if (value != NULL)
	{
		*exprs = lappend(*exprs, value);
		index = list_length(*exprs) - 1;
		runtime = has_exec_param_walker(value, NULL);
	}
	return list_make4(makeInteger(kind), makeInteger(column),
					  makeInteger(index), makeInteger(runtime));
}

static FilterKind
time_kind(Oid funcid, bool commuted)
{
	switch (funcid)
	{
		case F_TIMESTAMPTZ_LT:
			return commuted ? FILTER_TIME_GT : FILTER_TIME_LT;
		case F_TIMESTAMPTZ_LE:
			return commuted ? FILTER_TIME_GE : FILTER_TIME_LE;
		case F_TIMESTAMPTZ_GE:
			return commuted ? FILTER_TIME_LE : FILTER_TIME_GE;
		case F_TIMESTAMPTZ_GT:
			return commuted ? FILTER_TIME_LT : FILTER_TIME_GT;
		default:
			return FILTER_TIME_EQ;
	}
}

static List *
classify_clause(Expr *clause, Index relid, const int *attr_columns,
				List **exprs)
{
	int			column;

	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) clause;
		Node	   *left = linitial(op->args);
		Node	   *right = lsecond(op->args);
		bool		commuted = false;
		Oid			funcid = get_opcode(op->opno);

		if (!match_column(left, relid, attr_columns, &column))
		{
			Node	   *tmp = left;

			left = right;
			right = tmp;
			commuted = true;
			if (!match_column(left, relid, attr_columns, &column))
				return NIL;
		}
		if (!is_scan_constant(right))
			return NIL;

		if (column == TRAIL_COL_EVENT_TIME)
		{
			if (funcid != F_TIMESTAMPTZ_LT && funcid != F_TIMESTAMPTZ_LE &&
				funcid != F_TIMESTAMPTZ_EQ && funcid != F_TIMESTAMPTZ_GE &&
				funcid != F_TIMESTAMPTZ_GT)
				return NIL;
			return make_filter(time_kind(funcid, commuted), column, right, exprs);
		}
		if (column == TRAIL_COL_READ_ONLY)
		{
			if (funcid != F_BOOLEQ)
				return NIL;
			return make_filter(FILTER_EQ, column, right, exprs);
		}
		if ((funcid == F_TEXTEQ && deterministic(op->inputcollid)) ||
			(funcid == F_ENUM_EQ && column == TRAIL_COL_EVENT_CATEGORY))
			return make_filter(FILTER_EQ, column, right, exprs);
		return NIL;
	}

	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
		Oid			funcid = get_opcode(saop->opno);

		if (!saop->useOr || list_length(saop->args) != 2 ||
			!match_column(linitial(saop->args), relid, attr_columns, &column) ||
			!is_scan_constant(lsecond(saop->args)) ||
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
 * The filters for a scan of baserel.  attr_columns maps attribute numbers
 * (1-based, index attno - 1) to TrailColumnIds, or -1 for attributes that
 * are not a trail.event column in its own type.  The values to compute go
 * to *exprs (they become the plan's fdw_exprs).  Returns a List of filters
 * for fdw_private.
 */
List *
trail_prune_classify(RelOptInfo *baserel, const int *attr_columns, List **exprs)
{
	List	   *filters = NIL;
	ListCell   *lc;

	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		List	   *filter;

		filter = classify_clause(rinfo->clause, baserel->relid, attr_columns, exprs);
		if (filter != NIL)
			filters = lappend(filters, filter);
	}
	return filters;
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

static char *
value_text(int column, Datum value)
{
	if (column == TRAIL_COL_EVENT_CATEGORY)
		return DatumGetCString(DirectFunctionCall1(enum_out, value));
	return TextDatumGetCString(value);
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
	prune->read_only = -1;
	prune->folder_pruning = folder_pruning;
	return prune;
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
			prune->has_time = true;
			prune->hi = Min(prune->hi, DatumGetTimestampTz(value));
			break;
		case FILTER_TIME_GE:
		case FILTER_TIME_GT:
			prune->has_time = true;
			prune->lo = Max(prune->lo, DatumGetTimestampTz(value));
			break;
		case FILTER_TIME_EQ:
			prune->has_time = true;
			prune->hi = Min(prune->hi, DatumGetTimestampTz(value));
			prune->lo = Max(prune->lo, DatumGetTimestampTz(value));
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
	prune->check_folders = folder_pruning &&
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
 * Does the folder of a file (its account, region and kind) rule out the
 * rows the quals accept?
 */
static bool
folder_rules_out(TrailPrune *prune, const TrailLayout *layout)
{
	if (!sets_hold(prune, TRAIL_COL_RECIPIENT_ACCOUNT_ID, layout->account_id) ||
		!sets_hold(prune, TRAIL_COL_AWS_REGION, layout->region))
		return true;
	if (has_set(prune, TRAIL_COL_EVENT_CATEGORY))
	{
		switch (layout->kind)
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
 * Can the file whose path says layout hold a row the quals accept?  Files
 * outside the CloudTrail layout always can.
 */
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
	 * events: exact, however late the file was delivered.
	 */
	if (prune->has_time && layout->has_event_range)
	{
		if ((prune->lo != DT_NOBEGIN && layout->newest_event < prune->lo) ||
			(prune->hi != DT_NOEND && layout->oldest_event > prune->hi))
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
 * Test a text field of a record against the sets for its column.  Absent
 * or null fails (the column would be NULL, and NULL = x is not true); a
 * value of the wrong type passes, so that decoding reports it.
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
			int			b = trail_parse_bool_text(v.ptr + 1, v.len - 2);

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

		if (v.type == TRAIL_JSON_NONE || v.type == TRAIL_JSON_NULL)
			return false;
		if (v.type == TRAIL_JSON_STRING &&
			trail_parse_timestamp(v.ptr + 1, v.len - 2, &ts) &&
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
record_string(const TrailRecord *rec, const char *key)
{
	TrailSlice	v = trail_json_get(rec->members, key);
	int			len;
	int			replaced;

	if (v.type != TRAIL_JSON_STRING)
		return NULL;
	return trail_json_unescape(v, &len, &replaced);
}

/*
 * Warn (once per scan) when a record does not belong to the folder its file
 * is in, for the folder levels the quals pruned by: files pruned by their
 * folder may then hold rows the query asked for.
 */
static void
check_folder(TrailPrune *prune, const char *path, const TrailRecord *rec)
{
	const char *field = NULL;
	char	   *value = NULL;
	const char *expected = NULL;

	if (prune->folder_path == NULL || strcmp(prune->folder_path, path) != 0)
	{
		if (prune->folder_path)
			pfree(prune->folder_path);
		prune->folder_path = MemoryContextStrdup(GetMemoryChunkContext(prune), path);
		trail_layout_parse(path, &prune->folder);
	}
	if (prune->folder.kind == TRAIL_KIND_NONE)
		return;

	if (has_set(prune, TRAIL_COL_RECIPIENT_ACCOUNT_ID) &&
		(value = record_string(rec, "recipientAccountId")) != NULL &&
		strcmp(value, prune->folder.account_id) != 0)
	{
		field = "recipientAccountId";
		expected = psprintf("account \"%s\"", prune->folder.account_id);
	}
	else if (has_set(prune, TRAIL_COL_AWS_REGION) &&
			 (value = record_string(rec, "awsRegion")) != NULL &&
			 strcmp(value, prune->folder.region) != 0)
	{
		field = "awsRegion";
		expected = psprintf("region \"%s\"", prune->folder.region);
	}
	else if (has_set(prune, TRAIL_COL_EVENT_CATEGORY))
	{
		TrailError	err = {0};
		int			c = trail_record_category(rec->members, &err);
		const char *label = c >= 0 ? trail_category_label(c) : NULL;
		bool		fits = true;

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
			 errdetail("Record %lld has %s \"%s\", but the file is in the %s.  Pruning by folder skipped files by their folders, so the result may lack rows from files that were not read.",
					   (long long) rec->ordinal, field, value, expected),
			 errhint("Turn pruning by folder off with SET trail.folder_pruning = off, or with the foreign table option folder_pruning 'false'.")));
}

/*
 * Does a scan need to look at records before decoding them?
 */
bool
trail_prune_wants_filter(TrailPrune *prune)
{
	return prune->check_folders || trail_prune_has_record_tests(prune);
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
	return trail_prune_record(prune, rec);
}
