/*-------------------------------------------------------------------------
 *
 * decode.c
 *	  A record's bytes -> the values of the trail.event columns a query
 *	  needs, and nothing more: a count(*) builds no value at all, a query on
 *	  three text columns builds three texts.
 *
 * Free-form fields (requestParameters, ...) go to PostgreSQL's own jsonb
 * input as the bytes they were written with, so numbers and key order rules
 * are exactly jsonb's.  JSON null gives SQL NULL, like a missing field.
 *
 * What PostgreSQL cannot store (\u0000, unpaired surrogates) becomes U+FFFD
 * in text and jsonb values; the count is kept for the end-of-scan notice,
 * and the raw column keeps the original bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/uuid.h"

typedef enum TrailCategory
{
	CATEGORY_MANAGEMENT,
	CATEGORY_DATA,
	CATEGORY_INSIGHT,
	CATEGORY_NETWORK_ACTIVITY,
	NUM_CATEGORIES
} TrailCategory;

static const char *const category_labels[NUM_CATEGORIES] = {
	"Management", "Data", "Insight", "NetworkActivity"
};

/* a nested object found while decoding one record (userIdentity, ...) */
typedef struct NestedObject
{
	int			depth;
	const char *const *path;
	bool		valid;
	bool		present;		/* false: absent or null on the way */
	TrailMemberIndex index;
} NestedObject;

/* the objects inside userIdentity that actor.c reads */
static const char *const actor_issuer_path[] = {"userIdentity", "sessionContext", "sessionIssuer"};
static const char *const actor_behalf_path[] = {"userIdentity", "onBehalfOf"};

/* one step of a field path: a key, or an array index when key is NULL */
typedef struct PathStep
{
	char	   *key;
	int			index;
} PathStep;

/* how one output value is made from the canonical columns or a path */
typedef struct OutputPlan
{
	int			column;			/* TrailColumnId, TRAIL_OUTPUT_FIELD/NONE */
	bool		convert;		/* canonical type differs from the wanted one */
	FmgrInfo	out_func;		/* canonical type's output function */
	FmgrInfo	in_func;		/* wanted type's input function */
	Oid			typioparam;
	int32		typmod;
	bool		wants_json;		/* field into json/jsonb: pass JSON text */
	bool		wants_jsonb;	/* field into jsonb: built as jsonb columns are */
	const char *field;			/* the path as written, for messages */
	PathStep   *steps;
	int			nsteps;
	int			key;			/* top-level key slot of the first step */
} OutputPlan;

/* keys up to this long are unescaped on the stack */
#define KEY_BUF_SIZE 256

struct TrailDecoder
{
	MemoryContext cxt;			/* where the decoder and its indexes live */
	bool		needed[TRAIL_NCOLUMNS];
	int			noutputs;
	int			noutputs_used;	/* outputs that are not always NULL */
	OutputPlan *outputs;
	Datum		cvalues[TRAIL_NCOLUMNS];	/* canonical values of one row */
	bool		cnull[TRAIL_NCOLUMNS];
	bool		convert_encoding;	/* server encoding is not UTF-8 */
	Datum		categories[NUM_CATEGORIES];

	/* the actor columns of the current record, made once for all four */
	bool		actor_valid;
	/* NestedObjects of the objects actor.c reads, by level */
	int			actor_issuer_nest[4];
	int			actor_behalf_nest[3];
	TrailActor	actor;

	/*
	 * The top-level keys we look at (their text, unescaped), and where each
	 * record put them.  bykey[bylen_first[n] .. bylen_first[n + 1] - 1] are
	 * the keys of length n, so a member is compared with the few keys of its
	 * own length.
	 */
	int			nkeys;
	int			maxkeys;
	const char **keys;
	int		   *keylens;
	TrailSlice *slots;
	int			maxkeylen;
	int		   *bylen_first;	/* maxkeylen + 2 entries */
	int		   *bykey;			/* nkeys entries */
	int			column_key[TRAIL_NCOLUMNS];

	/* keys every record is checked for, and those eventCategory derives from */
	int			key_time,
				key_category,
				key_insight,
				key_event_type,
				key_management,
				key_source,
				key_name;

	NestedObject *nested;
	int			nnested;
	int			maxnested;
	int			column_nest[TRAIL_NCOLUMNS][TRAIL_MAX_PATH];

	int64		replaced;
};

static int	nested_for(TrailDecoder *dec, const char *const *path, int level);

/*
 * The slot of a top-level key, added if new.  (Called while the decoder is
 * made; finish_keys then sorts the keys by length.)
 */
static int
add_key(TrailDecoder *dec, const char *key)
{
	int			i;
	int			len = strlen(key);

	for (i = 0; i < dec->nkeys; i++)
	{
		if (dec->keylens[i] == len && memcmp(dec->keys[i], key, len) == 0)
			return i;
	}
	if (dec->nkeys >= dec->maxkeys)
	{
		dec->maxkeys = Max(16, dec->maxkeys * 2);
		if (dec->keys == NULL)
		{
			dec->keys = palloc(sizeof(char *) * dec->maxkeys);
			dec->keylens = palloc(sizeof(int) * dec->maxkeys);
		}
		else
		{
			dec->keys = repalloc(dec->keys, sizeof(char *) * dec->maxkeys);
			dec->keylens = repalloc(dec->keylens, sizeof(int) * dec->maxkeys);
		}
	}
	dec->keys[dec->nkeys] = key;
	dec->keylens[dec->nkeys] = len;
	dec->maxkeylen = Max(dec->maxkeylen, len);
	return dec->nkeys++;
}

/* the slots, and the keys grouped by length (a counting sort) */
static void
finish_keys(TrailDecoder *dec)
{
	int			n = dec->maxkeylen + 2;
	int		   *next = palloc0(sizeof(int) * n);
	int			i;

	dec->slots = palloc0(sizeof(TrailSlice) * Max(dec->nkeys, 1));
	dec->bykey = palloc(sizeof(int) * Max(dec->nkeys, 1));
	dec->bylen_first = palloc0(sizeof(int) * n);
	for (i = 0; i < dec->nkeys; i++)
		dec->bylen_first[dec->keylens[i] + 1]++;
	for (i = 1; i < n; i++)
		dec->bylen_first[i] += dec->bylen_first[i - 1];
	memcpy(next, dec->bylen_first, sizeof(int) * n);
	for (i = 0; i < dec->nkeys; i++)
		dec->bykey[next[dec->keylens[i]]++] = i;
	pfree(next);
}

/*
 * The type a column's value is built as.
 */
Oid
trail_column_type(int column)
{
	switch (trail_columns[column].conversion)
	{
		case TRAIL_CONV_TEXT:
		case TRAIL_CONV_SOURCE_FILE:
		case TRAIL_CONV_ACTOR:
		case TRAIL_CONV_ACTOR_TYPE:
		case TRAIL_CONV_ACTOR_ACCOUNT:
		case TRAIL_CONV_SESSION_NAME:
			return TEXTOID;
		case TRAIL_CONV_BOOL:
			return BOOLOID;
		case TRAIL_CONV_TIMESTAMPTZ:
			return TIMESTAMPTZOID;
		case TRAIL_CONV_UUID:
			return UUIDOID;
		case TRAIL_CONV_INET:
			return INETOID;
		case TRAIL_CONV_JSONB:
			return JSONBOID;
		case TRAIL_CONV_CATEGORY:
			return trail_category_type();
		case TRAIL_CONV_RECORD_INDEX:
			return INT4OID;
		case TRAIL_CONV_RAW:
			return JSONOID;
	}
	return InvalidOid;
}

/*
 * The OID of trail.event_category.
 */
Oid
trail_category_type(void)
{
	Oid			nsp = get_namespace_oid("trail", false);

	return GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
						   CStringGetDatum("event_category"),
						   ObjectIdGetDatum(nsp));
}

/*
 * Parse a field path such as requestParameters.bucketName or
 * resources[0].ARN.  Returns false if it is malformed.
 */
bool
trail_parse_field_path(const char *path, int *nsteps_out, void **steps_out)
{
	PathStep   *steps = palloc0(sizeof(PathStep) * (strlen(path) + 1));
	int			nsteps = 0;
	const char *p = path;

	while (*p)
	{
		if (*p == '[')
		{
			char	   *end;
			long		n = strtol(p + 1, &end, 10);

			if (end == p + 1 || *end != ']' || n < 0 || n > PG_INT32_MAX)
				return false;
			steps[nsteps].key = NULL;
			steps[nsteps].index = (int) n;
			nsteps++;
			p = end + 1;
			if (*p == '.')
				p++;
			else if (*p != '\0' && *p != '[')
				return false;
		}
		else
		{
			const char *start = p;

			while (*p && *p != '.' && *p != '[')
				p++;
			if (p == start)
				return false;
			steps[nsteps].key = pnstrdup(start, p - start);
			nsteps++;
			if (*p == '.')
			{
				p++;
				if (*p == '\0')
					return false;
			}
		}
	}
	if (nsteps == 0 || steps[0].key == NULL)
		return false;
	*nsteps_out = nsteps;
	if (steps_out)
		*steps_out = steps;
	return true;
}

/*
 * A decoder that makes noutputs values per record, as outputs[] says.
 * It lives in the current memory context.
 */
TrailDecoder *
trail_decoder_create(int noutputs, const TrailOutput *outputs)
{
	TrailDecoder *dec = palloc0(sizeof(TrailDecoder));
	int			i;

	dec->cxt = CurrentMemoryContext;
	dec->convert_encoding = (GetDatabaseEncoding() != PG_UTF8);
	dec->noutputs = noutputs;
	dec->outputs = palloc0(sizeof(OutputPlan) * Max(noutputs, 1));
	for (i = 0; i < noutputs; i++)
	{
		const TrailOutput *o = &outputs[i];
		OutputPlan *plan = &dec->outputs[i];
		Oid			func;

		plan->column = o->column;
		plan->typmod = o->typmod;
		if (o->column == TRAIL_OUTPUT_NONE)
			continue;
		dec->noutputs_used++;
		if (o->column == TRAIL_OUTPUT_FIELD)
		{
			/* records are UTF-8: so are the keys they are matched with */
			char	   *path = pg_server_to_any(o->field, strlen(o->field), PG_UTF8);

			plan->field = pstrdup(o->field);
			if (!trail_parse_field_path(path, &plan->nsteps, (void **) &plan->steps))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid field path \"%s\"", o->field)));
			plan->key = add_key(dec, plan->steps[0].key);
			plan->wants_json = (o->typid == JSONOID || o->typid == JSONBOID);
			plan->wants_jsonb = (o->typid == JSONBOID);
			getTypeInputInfo(o->typid, &func, &plan->typioparam);
			fmgr_info(func, &plan->in_func);
			continue;
		}
		dec->needed[o->column] = true;
		if (o->typid != trail_column_type(o->column))
		{
			bool		varlena;

			plan->convert = true;
			getTypeOutputInfo(trail_column_type(o->column), &func, &varlena);
			fmgr_info(func, &plan->out_func);
			getTypeInputInfo(o->typid, &func, &plan->typioparam);
			fmgr_info(func, &plan->in_func);
		}
	}

	for (i = 0; i < TRAIL_NCOLUMNS; i++)
	{
		int			level;

		dec->column_key[i] = -1;
		if (dec->needed[i] && trail_columns[i].depth > 0)
			dec->column_key[i] = add_key(dec, trail_columns[i].path[0]);
		for (level = 1; dec->needed[i] && level < trail_columns[i].depth; level++)
			dec->column_nest[i][level] = nested_for(dec, trail_columns[i].path,
													level);
		if (dec->needed[i] && trail_columns[i].conversion >= TRAIL_CONV_ACTOR)
		{
			for (level = 1; level <= 3; level++)
				dec->actor_issuer_nest[level] = nested_for(dec, actor_issuer_path,
														   level);
			for (level = 1; level <= 2; level++)
				dec->actor_behalf_nest[level] = nested_for(dec, actor_behalf_path,
														   level);
		}
	}
	dec->key_insight = dec->key_event_type = -1;
	dec->key_management = dec->key_source = dec->key_name = -1;
	/* checked on every record, whatever the query uses */
	dec->key_time = add_key(dec, "eventTime");
	dec->key_category = add_key(dec, "eventCategory");
	if (dec->needed[TRAIL_COL_EVENT_CATEGORY])
	{
		Oid			category_type = trail_category_type();

		dec->key_insight = add_key(dec, "insightDetails");
		dec->key_event_type = add_key(dec, "eventType");
		dec->key_management = add_key(dec, "managementEvent");
		dec->key_source = add_key(dec, "eventSource");
		dec->key_name = add_key(dec, "eventName");
		for (i = 0; i < NUM_CATEGORIES; i++)
			dec->categories[i] =
				DirectFunctionCall2(enum_in,
									CStringGetDatum(category_labels[i]),
									ObjectIdGetDatum(category_type));
	}
	finish_keys(dec);
	return dec;
}

int64
trail_decoder_replaced(TrailDecoder *dec)
{
	return dec->replaced;
}

static void
wrong_type(TrailError *err, const char *field, const char *expected,
		   TrailSlice v)
{
	trail_error_set(err, ERRCODE_SQL_JSON_ITEM_CANNOT_BE_CAST_TO_TARGET_TYPE,
					"field \"%s\" must be %s, not %s",
					field, expected, trail_json_type_name(v.type));
}

/* the bytes between the quotes of a string slice */
#define STR_PTR(v) ((v).ptr + 1)
#define STR_LEN(v) ((v).len - 2)

/*
 * The UTF-8 text of a string slice, unescaped when it has escapes (not
 * NUL-terminated); for values that are parsed or compared, never stored.
 */
static const char *
plain_text(TrailSlice v, int *len)
{
	int			replaced;

	if (memchr(STR_PTR(v), '\\', STR_LEN(v)) == NULL)
	{
		*len = STR_LEN(v);
		return STR_PTR(v);
	}
	return trail_json_unescape(v, len, &replaced);
}

/* is v a string whose text is lit? */
static bool
string_equals(TrailSlice v, const char *lit)
{
	int			len = strlen(lit);
	const char *text;
	int			textlen;

	if (v.type != TRAIL_JSON_STRING)
		return false;
	if (STR_LEN(v) == len && trail_bytes_equal(STR_PTR(v), lit, len))
		return true;
	if (STR_LEN(v) <= len)
		return false;			/* escapes only make text shorter */
	text = plain_text(v, &textlen);
	return textlen == len && trail_bytes_equal(text, lit, len);
}

/*
 * UTF-8 text -> the server encoding, or false with err filled when it
 * holds a character the encoding lacks.  *s stays NUL-terminated if it was.
 */
static bool
to_server(TrailDecoder *dec, const char *field, char **s, int *len,
		  TrailError *err)
{
	int			bad_at;
	char	   *conv;

	if (!dec->convert_encoding)
		return true;
	conv = trail_utf8_to_server(*s, *len, len, &bad_at);
	if (conv == NULL)
	{
		trail_error_untranslatable(err, *s + bad_at, *len - bad_at);
		trail_error_detail(err, "The character is in field \"%s\".", field);
		return false;
	}
	*s = conv;
	return true;
}

/*
 * The text of a string slice, unescaped, in the server encoding, as a
 * palloc'd NUL-terminated string; *len gets its length.  False with err
 * filled when the server encoding lacks one of its characters.
 */
static bool
string_text(TrailDecoder *dec, const char *field, TrailSlice v, int flags,
			char **result, int *len, TrailError *err)
{
	char	   *s;
	int			replaced = 0;

	if (memchr(STR_PTR(v), '\\', STR_LEN(v)) == NULL)
	{
		s = palloc(STR_LEN(v) + 1);
		trail_copy_bytes(s, STR_PTR(v), STR_LEN(v));
		s[STR_LEN(v)] = '\0';
		*len = STR_LEN(v);
	}
	else
	{
		s = trail_json_unescape(v, len, &replaced);
		dec->replaced += replaced;
	}
	/* NON_ASCII covers \u escapes of non-ASCII characters too */
	if ((flags & TRAIL_JSON_NON_ASCII) &&
		!to_server(dec, field, &s, len, err))
		return false;
	*result = s;
	return true;
}

static bool
text_value(TrailDecoder *dec, const char *field, TrailSlice v, int flags,
		   Datum *value, TrailError *err)
{
	int			len;
	char	   *s;

	if ((!dec->convert_encoding || !(flags & TRAIL_JSON_NON_ASCII)) &&
		memchr(STR_PTR(v), '\\', STR_LEN(v)) == NULL)
	{
		*value = PointerGetDatum(trail_text_from_bytes(STR_PTR(v), STR_LEN(v)));
		return true;
	}
	if (!string_text(dec, field, v, flags, &s, &len, err))
		return false;
	*value = PointerGetDatum(trail_text_from_bytes(s, len));
	return true;
}

static bool
jsonb_value(TrailDecoder *dec, const char *field, TrailSlice v, int flags,
			Datum *value, TrailError *err)
{
	int			replaced;
	bool		ok;

	if (flags & TRAIL_JSON_HUGE_NUMBER)
	{
		TrailScan	scan = {0};

		scan.at_eof = true;
		(void) trail_json_scan(v.ptr, v.ptr + v.len, &scan);
		if (scan.flags & TRAIL_JSON_HUGE_NUMBER)
		{
			trail_error_set(err, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
							"field \"%s\" holds a number too large for jsonb",
							field);
			return false;
		}
	}
	ok = trail_jsonb_from_slice(v, dec->convert_encoding &&
								(flags & TRAIL_JSON_NON_ASCII), &replaced,
								value, err);
	dec->replaced += replaced;
	if (!ok)
		trail_error_detail(err, "The character is in field \"%s\".", field);
	return ok;
}

static bool
bool_value(const char *field, TrailSlice v, Datum *value, TrailError *err)
{
	int			b;
	const char *text;
	int			len;

	if (v.type == TRAIL_JSON_TRUE || v.type == TRAIL_JSON_FALSE)
	{
		*value = BoolGetDatum(v.type == TRAIL_JSON_TRUE);
		return true;
	}
	if (v.type != TRAIL_JSON_STRING)
	{
		wrong_type(err, field, "a boolean", v);
		return false;
	}
	text = plain_text(v, &len);
	b = trail_parse_bool_text(text, len);
	if (b < 0)
	{
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"field \"%s\" must be a boolean, not %.*s",
						field, Min(STR_LEN(v) + 2, 64), v.ptr);
		return false;
	}
	*value = BoolGetDatum(b == 1);
	return true;
}

static bool
time_value(const char *field, TrailSlice v, Datum *value, TrailError *err)
{
	TimestampTz ts;
	bool		ok;

	if (v.type == TRAIL_JSON_STRING)
	{
		int			len;
		const char *text = plain_text(v, &len);

		ok = trail_parse_timestamp(text, len, &ts);
	}
	else if (v.type == TRAIL_JSON_NUMBER)
		ok = trail_parse_epoch(v.ptr, v.len, &ts);
	else
	{
		wrong_type(err, field, "a string or a number", v);
		return false;
	}
	if (!ok)
	{
		trail_error_set(err, ERRCODE_INVALID_DATETIME_FORMAT,
						"field \"%s\" is not a valid time: %.*s",
						field, Min(v.len, 64), v.ptr);
		return false;
	}
	*value = TimestampTzGetDatum(ts);
	return true;
}

/* is this eventName, from this eventSource, a data event of the 1.0-1.06 era? */
static bool
is_data_api(TrailSlice source, TrailSlice name)
{
	static const char *const s3[] = {
		"AbortMultipartUpload", "CompleteMultipartUpload", "CopyObject",
		"CreateMultipartUpload", "DeleteObject", "DeleteObjects",
		"DeleteObjectTagging", "GetObject", "GetObjectAcl",
		"GetObjectAttributes", "GetObjectLegalHold", "GetObjectRetention",
		"GetObjectTagging", "GetObjectTorrent", "HeadObject", "ListParts",
		"PutObject", "PutObjectAcl", "PutObjectLegalHold",
		"PutObjectRetention", "PutObjectTagging", "RestoreObject",
		"SelectObjectContent", "UploadPart", "UploadPartCopy", NULL
	};
	static const char *const lambda[] = {
		"Invoke", "InvokeAsync", "InvokeWithResponseStream", NULL
	};
	static const char *const dynamodb[] = {
		"BatchExecuteStatement", "BatchGetItem", "BatchWriteItem",
		"DeleteItem", "ExecuteStatement", "ExecuteTransaction", "GetItem",
		"PutItem", "Query", "Scan", "TransactGetItems",
		"TransactWriteItems", "UpdateItem", NULL
	};
	const char *const *names;
	int			i;

	if (string_equals(source, "s3.amazonaws.com"))
		names = s3;
	else if (string_equals(source, "lambda.amazonaws.com"))
		names = lambda;
	else if (string_equals(source, "dynamodb.amazonaws.com"))
		names = dynamodb;
	else
		return false;
	for (i = 0; names[i] != NULL; i++)
	{
		if (string_equals(name, names[i]))
			return true;
	}
	return false;
}

#define SLOT(dec, k) ((k) >= 0 ? (dec)->slots[k] : (TrailSlice) {NULL, 0, TRAIL_JSON_NONE})

/*
 * eventCategory, or when it is absent (records before 1.07) what the other
 * fields say it would have been.  Returns the category's index in
 * category_labels, or -1 with err filled.
 */
static int
derive_category(TrailSlice v, TrailSlice type, TrailSlice insight,
				TrailSlice mgmt, TrailSlice source, TrailSlice name,
				TrailError *err)
{
	int			i;

	if (v.type == TRAIL_JSON_STRING)
	{
		for (i = 0; i < NUM_CATEGORIES; i++)
		{
			if (string_equals(v, category_labels[i]))
				return i;
		}
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"unknown eventCategory %.*s", Min(v.len, 64), v.ptr);
		trail_error_detail(err, "trail knows the categories Management, Data, Insight and NetworkActivity.");
		trail_error_hint(err, "A newer version of trail may know this category; meanwhile skip these records with on_error 'skip' (its WARNING names them).");
		return -1;
	}
	if (v.type != TRAIL_JSON_NONE && v.type != TRAIL_JSON_NULL)
	{
		wrong_type(err, "eventCategory", "a string", v);
		return -1;
	}

	if ((insight.type != TRAIL_JSON_NONE && insight.type != TRAIL_JSON_NULL) ||
		string_equals(type, "AwsCloudTrailInsight"))
		return CATEGORY_INSIGHT;
	if (string_equals(type, "AwsVpceEvent"))
		return CATEGORY_NETWORK_ACTIVITY;
	if (mgmt.type == TRAIL_JSON_TRUE || string_equals(mgmt, "true"))
		return CATEGORY_MANAGEMENT;
	if (mgmt.type == TRAIL_JSON_FALSE || string_equals(mgmt, "false"))
		return CATEGORY_DATA;
	if (is_data_api(source, name))
		return CATEGORY_DATA;
	return CATEGORY_MANAGEMENT;
}

/*
 * The category of a record from its member index (for filters that look at
 * a record before it is decoded): an index into the labels of
 * trail.event_category, or -1 with err filled.
 */
int
trail_record_category(const TrailMemberIndex *members, TrailError *err)
{
	return derive_category(trail_json_get(members, "eventCategory"),
						   trail_json_get(members, "eventType"),
						   trail_json_get(members, "insightDetails"),
						   trail_json_get(members, "managementEvent"),
						   trail_json_get(members, "eventSource"),
						   trail_json_get(members, "eventName"),
						   err);
}

const char *
trail_category_label(int category)
{
	Assert(category >= 0 && category < NUM_CATEGORIES);
	return category_labels[category];
}

static bool
category_value(TrailDecoder *dec, Datum *value, TrailError *err)
{
	int			c = derive_category(SLOT(dec, dec->key_category),
									SLOT(dec, dec->key_event_type),
									SLOT(dec, dec->key_insight),
									SLOT(dec, dec->key_management),
									SLOT(dec, dec->key_source),
									SLOT(dec, dec->key_name),
									err);

	if (c < 0)
		return false;
	*value = dec->categories[c];
	return true;
}

/*
 * The nested object for the first level keys of a path, made when the
 * decoder is created (so records need no lookups by name).
 */
static int
nested_for(TrailDecoder *dec, const char *const *path, int level)
{
	int			i;

	for (i = 0; i < dec->nnested; i++)
	{
		int			j;

		if (dec->nested[i].depth != level)
			continue;
		for (j = 0; j < level; j++)
		{
			if (strcmp(dec->nested[i].path[j], path[j]) != 0)
				break;
		}
		if (j == level)
			return i;
	}
	if (dec->nnested >= dec->maxnested)
	{
		dec->maxnested = Max(4, dec->maxnested * 2);
		if (dec->nested == NULL)
			dec->nested = palloc0(sizeof(NestedObject) * dec->maxnested);
		else
		{
			dec->nested = repalloc(dec->nested,
								   sizeof(NestedObject) * dec->maxnested);
			memset(&dec->nested[dec->nnested], 0,
				   sizeof(NestedObject) * (dec->maxnested - dec->nnested));
		}
	}
	dec->nested[dec->nnested].depth = level;
	dec->nested[dec->nnested].path = path;
	return dec->nnested++;
}

/*
 * Index obj, the object at the first level keys of path, into n once per
 * record (the index outlives the row: it is reused for every record).
 * Absent or null is no object; another type is bad input, or with err NULL
 * no object (n is then left for a column that reports it).
 */
static bool
index_nested(TrailDecoder *dec, NestedObject *n, TrailSlice obj,
			 const char *const *path, int level, TrailError *err)
{
	if (obj.type == TRAIL_JSON_OBJECT)
	{
		MemoryContext old = MemoryContextSwitchTo(dec->cxt);

		trail_json_members(obj, &n->index);
		MemoryContextSwitchTo(old);
		n->present = true;
	}
	else if (obj.type != TRAIL_JSON_NONE && obj.type != TRAIL_JSON_NULL)
	{
		char	   *name;
		int			j;

		if (err == NULL)
			return false;
		name = pstrdup(path[0]);
		for (j = 1; j < level; j++)
			name = psprintf("%s.%s", name, path[j]);
		wrong_type(err, name, "an object", obj);
		return false;
	}
	else
		n->present = false;
	n->valid = true;
	return true;
}

/*
 * *result: the index of the object at path[0..depth-1], obj being the
 * record's member path[0]; NULL when it is absent or null on the way (or,
 * with err NULL, not an object).  nest[level] are the NestedObjects of the
 * levels, shared between columns.
 */
static bool
nested_object(TrailDecoder *dec, TrailSlice obj, const char *const *path,
			  const int *nest, int depth, const TrailMemberIndex **result,
			  TrailError *err)
{
	const TrailMemberIndex *index = NULL;
	int			level;

	*result = NULL;
	for (level = 1; level <= depth; level++)
	{
		NestedObject *n = &dec->nested[nest[level]];

		if (!n->valid)
		{
			if (index != NULL)
				obj = trail_json_get(index, path[level - 1]);
			if (!index_nested(dec, n, obj, path, level, err))
				return err == NULL;
		}
		if (!n->present)
			return true;
		index = &n->index;
	}
	*result = index;
	return true;
}

/* the value of a nested field (userIdentity.type, ...) */
static bool
nested_value(TrailDecoder *dec, int column, TrailSlice *result,
			 TrailError *err)
{
	const TrailColumn *col = &trail_columns[column];
	const TrailMemberIndex *index;

	result->type = TRAIL_JSON_NONE;
	if (!nested_object(dec, dec->slots[dec->column_key[column]], col->path,
					   dec->column_nest[column], col->depth - 1, &index, err))
		return false;
	if (index != NULL)
		*result = trail_json_get(index, col->path[col->depth - 1]);
	return true;
}

/*
 * Every record's eventTime and eventCategory are checked, whatever the
 * query uses: a count(*) and a GROUP BY date(event_time) or category must
 * count the same records (README, "Values are checked").  Columns that are
 * built are checked when they are.
 */
static bool
check_always(TrailDecoder *dec, TrailSlice time, TrailSlice category,
			 TrailError *err)
{
	if (!dec->needed[TRAIL_COL_EVENT_TIME] &&
		time.type != TRAIL_JSON_NONE && time.type != TRAIL_JSON_NULL)
	{
		Datum		ts;

		if (!time_value("eventTime", time, &ts, err))
			return false;
	}
	if (!dec->needed[TRAIL_COL_EVENT_CATEGORY] &&
		category.type != TRAIL_JSON_NONE && category.type != TRAIL_JSON_NULL &&
		derive_category(category, category, category, category, category,
						category, err) < 0)
		return false;
	return true;
}

/*
 * The same checks for a record no value is built from (count(*)): the two
 * keys are looked up directly, from the end since the last one wins.
 */
static bool
check_record(TrailDecoder *dec, const TrailRecord *rec, TrailError *err)
{
	const TrailMemberIndex *members = rec->members;
	TrailSlice	time = {NULL, 0, TRAIL_JSON_NONE};
	TrailSlice	category = {NULL, 0, TRAIL_JSON_NONE};
	bool		have_time = false;
	bool		have_category = false;
	int			i;

	for (i = members->nmembers - 1; i >= 0 && !(have_time && have_category); i--)
	{
		const TrailMember *m = &members->members[i];

		/* most keys differ in length: compare bytes only when they do not */
		if (!m->key_escaped && m->keylen != 9 && m->keylen != 13)
			continue;
		if (!have_time && trail_json_key_equals(m, "eventTime", 9))
		{
			time = m->value;
			have_time = true;
		}
		else if (!have_category && trail_json_key_equals(m, "eventCategory", 13))
		{
			category = m->value;
			have_category = true;
		}
	}
	return check_always(dec, time, category, err);
}

/*
 * One of the actor columns (actor.c derives them from userIdentity, once
 * per record for all four), as text in the server encoding.
 */
static bool
actor_value(TrailDecoder *dec, int column, TrailSlice ui, Datum *value,
			bool *isnull, TrailError *err)
{
	char	   *s = NULL;
	int			len;

	*isnull = true;
	/*
	 * The strings live in the current (row) memory context.  The objects
	 * actor.c reads are indexed once, with userIdentity's other columns
	 * (user_type, session_issuer_arn, ...); userIdentity itself must be an
	 * object, the objects inside it are passed over when they are not.
	 */
	if (!dec->actor_valid)
	{
		TrailActorInput in;

		if (!nested_object(dec, ui, actor_issuer_path, dec->actor_issuer_nest,
						   1, &in.identity, err))
			return false;
		in.session_issuer = NULL;
		in.on_behalf_of = NULL;
		if (in.identity != NULL)
		{
			nested_object(dec, ui, actor_issuer_path, dec->actor_issuer_nest,
						  3, &in.session_issuer, NULL);
			nested_object(dec, ui, actor_behalf_path, dec->actor_behalf_nest,
						  2, &in.on_behalf_of, NULL);
		}
		trail_actor_derive(&in, &dec->actor);
		dec->actor_valid = true;
	}
	switch (trail_columns[column].conversion)
	{
		case TRAIL_CONV_ACTOR:
			s = dec->actor.actor;
			break;
		case TRAIL_CONV_ACTOR_TYPE:
			s = dec->actor.actor_type;
			break;
		case TRAIL_CONV_ACTOR_ACCOUNT:
			s = dec->actor.actor_account;
			break;
		case TRAIL_CONV_SESSION_NAME:
			s = dec->actor.session_name;
			break;
		default:
			break;
	}
	if (s == NULL)
		return true;
	len = strlen(s);
	if (!to_server(dec, trail_columns[column].name, &s, &len, err))
		return false;
	*value = PointerGetDatum(trail_text_from_bytes(s, len));
	*isnull = false;
	return true;
}

/*
 * Fill values[] and isnull[] (indexed by TrailColumnId) for the needed
 * canonical columns of one record.
 */
static bool
decode_columns(TrailDecoder *dec, const TrailRecord *rec,
			   const char *source_file, Datum *values, bool *isnull,
			   TrailError *err)
{
	const TrailMemberIndex *members = rec->members;
	int			i;

	/* where did this record put the keys we look at? */
	for (i = 0; i < dec->nkeys; i++)
		dec->slots[i].type = TRAIL_JSON_NONE;
	for (i = 0; i < dec->nnested; i++)
		dec->nested[i].valid = false;
	dec->actor_valid = false;
	for (i = 0; i < members->nmembers; i++)
	{
		const TrailMember *m = &members->members[i];
		const char *key = m->key;
		int			keylen = m->keylen;
		char		buf[KEY_BUF_SIZE];
		int			j;

		/* keys match by their text: "event\u004eame" is eventName */
		if (m->key_escaped)
			key = trail_json_key_text(m, keylen <= KEY_BUF_SIZE ? buf :
									  palloc(keylen), &keylen);
		if (keylen > dec->maxkeylen)
			continue;
		for (j = dec->bylen_first[keylen]; j < dec->bylen_first[keylen + 1]; j++)
		{
			int			k = dec->bykey[j];

			/* the last of duplicate keys wins, as in jsonb */
			if (trail_bytes_equal(key, dec->keys[k], keylen))
			{
				dec->slots[k] = m->value;
				break;
			}
		}
	}

	if (!check_always(dec, dec->slots[dec->key_time],
					  dec->slots[dec->key_category], err))
		return false;

	for (i = 0; i < TRAIL_NCOLUMNS; i++)
	{
		const TrailColumn *col = &trail_columns[i];
		TrailSlice	v;
		bool		ok = true;

		isnull[i] = true;
		values[i] = (Datum) 0;
		if (!dec->needed[i])
			continue;

		switch (col->conversion)
		{
			case TRAIL_CONV_SOURCE_FILE:
				if (source_file != NULL)
				{
					values[i] = CStringGetTextDatum(source_file);
					isnull[i] = false;
				}
				continue;
			case TRAIL_CONV_RECORD_INDEX:
				values[i] = Int32GetDatum((int32) Min(rec->ordinal, PG_INT32_MAX));
				isnull[i] = false;
				continue;
			case TRAIL_CONV_RAW:
				{
					/* escapes stay as written: only raw bytes convert */
					char	   *s = (char *) rec->data;
					int			len = rec->len;

					if ((rec->flags & TRAIL_JSON_NON_ASCII) &&
						!to_server(dec, "raw", &s, &len, err))
						return false;
					values[i] = PointerGetDatum(trail_text_from_bytes(s, len));
				}
				isnull[i] = false;
				continue;
			case TRAIL_CONV_CATEGORY:
				if (!category_value(dec, &values[i], err))
					return false;
				isnull[i] = false;
				continue;
			default:
				break;
		}

		if (col->depth == 1)
			v = dec->slots[dec->column_key[i]];
		else if (!nested_value(dec, i, &v, err))
			return false;

		if (col->conversion >= TRAIL_CONV_ACTOR)
		{
			if (!actor_value(dec, i, v, &values[i], &isnull[i], err))
				return false;
			continue;
		}
		if (v.type == TRAIL_JSON_NONE || v.type == TRAIL_JSON_NULL)
			continue;

		switch (col->conversion)
		{
			case TRAIL_CONV_TEXT:
				if (v.type != TRAIL_JSON_STRING)
				{
					wrong_type(err, col->field, "a string", v);
					return false;
				}
				ok = text_value(dec, col->field, v, rec->flags, &values[i], err);
				break;
			case TRAIL_CONV_BOOL:
				ok = bool_value(col->field, v, &values[i], err);
				break;
			case TRAIL_CONV_TIMESTAMPTZ:
				ok = time_value(col->field, v, &values[i], err);
				break;
			case TRAIL_CONV_UUID:
				if (v.type != TRAIL_JSON_STRING)
				{
					wrong_type(err, col->field, "a string", v);
					return false;
				}
				{
					pg_uuid_t  *uuid = palloc(sizeof(pg_uuid_t));
					int			len;
					const char *text = plain_text(v, &len);

					if (!trail_parse_uuid(text, len, uuid->data))
					{
						pfree(uuid);
						continue;
					}
					values[i] = UUIDPGetDatum(uuid);
				}
				break;
			case TRAIL_CONV_INET:
				if (v.type != TRAIL_JSON_STRING)
				{
					wrong_type(err, col->field, "a string", v);
					return false;
				}
				{
					bool		null;
					int			len;
					const char *text = plain_text(v, &len);

					values[i] = trail_make_inet(text, len, &null);
					if (null)
						continue;
				}
				break;
			case TRAIL_CONV_JSONB:
				ok = jsonb_value(dec, col->field, v, rec->flags, &values[i], err);
				break;
			default:
				elog(ERROR, "trail: unexpected conversion %d", (int) col->conversion);
		}
		if (!ok)
			return false;
		isnull[i] = false;
	}
	return true;
}

/*
 * The value at a field path, or a slice of type TRAIL_JSON_NONE.
 */
static TrailSlice
path_value(TrailDecoder *dec, OutputPlan *plan)
{
	TrailSlice	v = dec->slots[plan->key];
	TrailMemberIndex index = {0};
	int			i;

	for (i = 1; i < plan->nsteps && v.type != TRAIL_JSON_NONE; i++)
	{
		PathStep   *step = &plan->steps[i];

		if (step->key != NULL)
		{
			if (!trail_json_members(v, &index))
				v.type = TRAIL_JSON_NONE;
			else
				v = trail_json_get(&index, step->key);
		}
		else
			v = trail_json_element(v, step->index);
	}
	return v;
}

/*
 * The value of a field column: JSON text for json/jsonb, the string itself
 * for a string, the JSON text of anything else, through the type's input
 * function.
 */
static bool
field_value(TrailDecoder *dec, OutputPlan *plan, const TrailRecord *rec,
			Datum *value, bool *isnull, TrailError *err)
{
	TrailSlice	v = path_value(dec, plan);
	char	   *text;
	int			len;

	*isnull = true;
	if (v.type == TRAIL_JSON_NONE || v.type == TRAIL_JSON_NULL)
		return true;
	if (plan->wants_jsonb)
	{
		/*
		 * the same jsonb as jsonb_in would make, but a character the server
		 * encoding lacks is a soft error (jsonb_in would raise it)
		 */
		if (!jsonb_value(dec, plan->field, v, rec->flags, value, err))
			return false;
		*isnull = false;
		return true;
	}
	if (v.type == TRAIL_JSON_STRING && !plan->wants_json)
	{
		if (!string_text(dec, plan->field, v, rec->flags, &text, &len, err))
			return false;
	}
	else
	{
		/*
		 * JSON text: escapes stay as written (the input function decodes
		 * them in the server encoding), raw non-ASCII bytes are converted
		 */
		if (rec->flags & (TRAIL_JSON_ESC_NUL | TRAIL_JSON_ESC_SURROGATE))
		{
			int			replaced;

			text = trail_json_sanitize(v, &replaced);
			dec->replaced += replaced;
		}
		else
			text = pnstrdup(v.ptr, v.len);
		len = v.len;
		if ((rec->flags & TRAIL_JSON_NON_ASCII) &&
			!to_server(dec, plan->field, &text, &len, err))
			return false;
	}
	*value = InputFunctionCall(&plan->in_func, text, plan->typioparam,
							   plan->typmod);
	*isnull = false;
	return true;
}

/* every output NULL (a record no value is built from) */
static bool
fill_none(TrailDecoder *dec, Datum *values, bool *isnull)
{
	int			i;

	for (i = 0; i < dec->noutputs; i++)
	{
		values[i] = (Datum) 0;
		isnull[i] = true;
	}
	return true;
}

/*
 * Fill values[] and isnull[] (one per output) for one record.  Values are
 * allocated in the current memory context.  Returns false with err filled
 * when a needed field is bad.
 */
bool
trail_decode(TrailDecoder *dec, const TrailRecord *rec, const char *source_file,
			 Datum *values, bool *isnull, TrailError *err)
{
	int			i;

	if (dec->noutputs_used == 0)
		return check_record(dec, rec, err) && fill_none(dec, values, isnull);
	if (!decode_columns(dec, rec, source_file, dec->cvalues, dec->cnull, err))
		return false;
	for (i = 0; i < dec->noutputs; i++)
	{
		OutputPlan *plan = &dec->outputs[i];

		if (plan->column == TRAIL_OUTPUT_NONE)
		{
			values[i] = (Datum) 0;
			isnull[i] = true;
		}
		else if (plan->column == TRAIL_OUTPUT_FIELD)
		{
			if (!field_value(dec, plan, rec, &values[i], &isnull[i], err))
				return false;
		}
		else if (dec->cnull[plan->column])
		{
			values[i] = (Datum) 0;
			isnull[i] = true;
		}
		else if (!plan->convert)
		{
			values[i] = dec->cvalues[plan->column];
			isnull[i] = false;
		}
		else
		{
			char	   *text = OutputFunctionCall(&plan->out_func,
												  dec->cvalues[plan->column]);

			values[i] = InputFunctionCall(&plan->in_func, text,
										  plan->typioparam, plan->typmod);
			isnull[i] = false;
		}
	}
	return true;
}
