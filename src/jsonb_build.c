/*-------------------------------------------------------------------------
 *
 * jsonb_build.c
 *	  A JSON value the scanner has validated -> jsonb, built directly with
 *	  pushJsonbValue() instead of through jsonb_in, which would lex the
 *	  text again and copy every string one character at a time.
 *
 * The result is the jsonb that PostgreSQL's own input gives for the same
 * text: numbers go through numeric_in, duplicate keys are resolved by
 * pushJsonbValue as in jsonb_in (the last wins), escapes are decoded the
 * same way -- except that \u0000 and unpaired surrogates, which jsonb_in
 * rejects, become U+FFFD (counted in *replaced).
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

typedef struct BuildState
{
	const char *end;
	bool		convert_encoding;
	int			replaced;
	JsonbParseState *parse;
	JsonbValue *result;			/* the whole value, once it is complete */
} BuildState;

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/*
 * The string starting at p (its opening quote) as a jbvString; returns the
 * byte after it.
 */
static const char *
string_value(BuildState *bs, const char *p, JsonbValue *v)
{
	bool		escaped;
	const char *after = trail_json_string_end(p + 1, bs->end, &escaped);
	char	   *text = (char *) p + 1;
	int			len = (int) (after - p - 2);

	if (escaped)
	{
		TrailSlice	s = {p, (int) (after - p), TRAIL_JSON_STRING};
		int			replaced;

		text = trail_json_unescape(s, &len, &replaced);
		bs->replaced += replaced;
	}
	if (bs->convert_encoding)
	{
		char	   *conv = pg_any_to_server(text, len, PG_UTF8);

		if (conv != text)
		{
			text = conv;
			len = strlen(conv);
		}
	}
	v->type = jbvString;
	v->val.string.val = text;
	v->val.string.len = len;
	return after;
}

static const char *
number_value(const char *p, const char *end, JsonbValue *v)
{
	const char *q = p;
	char		buf[64];
	char	   *text = buf;

	while (q < end && (*q == '-' || *q == '+' || *q == '.' || *q == 'e' ||
					   *q == 'E' || (*q >= '0' && *q <= '9')))
		q++;
	if (q - p >= (ptrdiff_t) sizeof(buf))
		text = palloc(q - p + 1);
	memcpy(text, p, q - p);
	text[q - p] = '\0';
	v->type = jbvNumeric;
	v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
														 CStringGetDatum(text),
														 ObjectIdGetDatum(InvalidOid),
														 Int32GetDatum(-1)));
	return q;
}

/*
 * Push the value at p; returns the byte after it.
 */
static const char *
push_value(BuildState *bs, const char *p, JsonbIteratorToken token)
{
	JsonbValue	v;

	check_stack_depth();
	p = skip_ws(p, bs->end);
	switch (*p)
	{
		case '{':
			pushJsonbValue(&bs->parse, WJB_BEGIN_OBJECT, NULL);
			p = skip_ws(p + 1, bs->end);
			while (*p != '}')
			{
				JsonbValue	key;

				p = string_value(bs, p, &key);
				pushJsonbValue(&bs->parse, WJB_KEY, &key);
				p = skip_ws(p, bs->end);	/* the ':' */
				p = push_value(bs, p + 1, WJB_VALUE);
				p = skip_ws(p, bs->end);
				if (*p == ',')
					p = skip_ws(p + 1, bs->end);
			}
			bs->result = pushJsonbValue(&bs->parse, WJB_END_OBJECT, NULL);
			return p + 1;
		case '[':
			pushJsonbValue(&bs->parse, WJB_BEGIN_ARRAY, NULL);
			p = skip_ws(p + 1, bs->end);
			while (*p != ']')
			{
				p = push_value(bs, p, WJB_ELEM);
				p = skip_ws(p, bs->end);
				if (*p == ',')
					p = skip_ws(p + 1, bs->end);
			}
			bs->result = pushJsonbValue(&bs->parse, WJB_END_ARRAY, NULL);
			return p + 1;
		case '"':
			p = string_value(bs, p, &v);
			break;
		case 't':
			v.type = jbvBool;
			v.val.boolean = true;
			p += 4;
			break;
		case 'f':
			v.type = jbvBool;
			v.val.boolean = false;
			p += 5;
			break;
		case 'n':
			v.type = jbvNull;
			p += 4;
			break;
		default:
			p = number_value(p, bs->end, &v);
			break;
	}
	pushJsonbValue(&bs->parse, token, &v);
	return p;
}

/*
 * The jsonb of a JSON value (an object, array or scalar) that was validated.
 */
Datum
trail_jsonb_from_slice(TrailSlice value, bool convert_encoding, int *replaced)
{
	BuildState	bs = {0};

	bs.end = value.ptr + value.len;
	bs.convert_encoding = convert_encoding;
	if (value.type == TRAIL_JSON_OBJECT || value.type == TRAIL_JSON_ARRAY)
		(void) push_value(&bs, value.ptr, WJB_VALUE);
	else
	{
		/* a scalar is stored as a one-element "raw scalar" array */
		JsonbValue	array;

		array.type = jbvArray;
		array.val.array.rawScalar = true;
		array.val.array.nElems = 1;
		pushJsonbValue(&bs.parse, WJB_BEGIN_ARRAY, &array);
		(void) push_value(&bs, value.ptr, WJB_ELEM);
		bs.result = pushJsonbValue(&bs.parse, WJB_END_ARRAY, NULL);
	}
	*replaced = bs.replaced;
	return JsonbPGetDatum(JsonbValueToJsonb(bs.result));
}
