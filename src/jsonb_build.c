/*-------------------------------------------------------------------------
 *
 * jsonb_build.c
 *	  A JSON value the scanner has validated -> jsonb, built directly
 *	  instead of through jsonb_in, which would lex the text again and copy
 *	  every string one character at a time.
 *
 * The result is the jsonb that PostgreSQL's own input gives for the same
 * text, byte for byte: numbers go through numeric_in, duplicate keys are
 * resolved as in jsonb_in (the last wins), escapes are decoded the same
 * way -- except that \u0000 and unpaired surrogates, which jsonb_in
 * rejects, become U+FFFD (counted in *replaced).
 *
 * Two passes: the text becomes a JsonbValue tree (keys sorted as jsonb
 * stores them), and the tree is written in jsonb's binary format by
 * write_value(), which lays it out exactly as PostgreSQL's
 * convertJsonbValue() does (jsonb_util.c) into a buffer sized once from a
 * bound the first pass keeps.  PostgreSQL's JsonbValueToJsonb() spent a
 * tenth of a scan of every column growing its buffer and calling a
 * function per byte run; a value whose bound could pass jsonb's size
 * limit is still handed to it, so that its limit errors stay PostgreSQL's.
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
	TrailError *err;			/* filled on the first untranslatable character */
	bool		failed;
	int			depth;			/* of build_value's recursion */
	TrailStringBlock blk;		/* the quotes of the bytes being walked */
	Size		bound;			/* >= the bytes write_value() will write */
} BuildState;

/*
 * What write_value() may write for one value besides its own bytes: its
 * JEntry, and up to three bytes of padding before a number or a container
 * (whose header adds four more).
 */
#define ENTRY_BOUND		(sizeof(JEntry) + 3)
#define CONTAINER_BOUND	(ENTRY_BOUND + sizeof(uint32))

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
	const char *after = trail_json_string_end(p + 1, bs->end, &escaped, &bs->blk);
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
		int			bad_at;
		char	   *conv = trail_utf8_to_server(text, len, &len, &bad_at);

		if (conv == NULL)
		{
			/* keep building (the value is thrown away), report the first */
			if (!bs->failed)
				trail_error_untranslatable(bs->err, text + bad_at, len - bad_at);
			bs->failed = true;
		}
		else
			text = conv;
	}
	v->type = jbvString;
	v->val.string.val = text;
	v->val.string.len = len;
	bs->bound += len + sizeof(JEntry);
	return after;
}

/*
 * A number as numeric_in reads it.  Most CloudTrail numbers are small
 * integers (ports, counts, sizes): those are made from an int64, which gives
 * the same numeric (weight, digits, display scale 0) without the text round
 * trip.  The scanner has validated the grammar: no leading zeros, no sign
 * but a leading '-'.
 */
static const char *
number_value(BuildState *bs, const char *p, JsonbValue *v)
{
	const char *end = bs->end;
	const char *q = p;
	char		buf[64];
	char	   *text = buf;
	bool		integer = true;

	while (q < end && (*q == '-' || *q == '+' || *q == '.' || *q == 'e' ||
					   *q == 'E' || (*q >= '0' && *q <= '9')))
	{
		if (*q == '.' || *q == 'e' || *q == 'E')
			integer = false;
		q++;
	}
	v->type = jbvNumeric;
	/* 18 digits and a sign always fit in an int64 */
	if (integer && q - p <= 18)
	{
		const char *d = p + (*p == '-');
		int64		n = 0;

		for (; d < q; d++)
			n = n * 10 + (*d - '0');
		v->val.numeric = int64_to_numeric(*p == '-' ? -n : n);
		bs->bound += VARSIZE_ANY(v->val.numeric) + ENTRY_BOUND;
		return q;
	}
	if (q - p >= (ptrdiff_t) sizeof(buf))
		text = palloc(q - p + 1);
	memcpy(text, p, q - p);
	text[q - p] = '\0';
	v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
														 CStringGetDatum(text),
														 ObjectIdGetDatum(InvalidOid),
														 Int32GetDatum(-1)));
	bs->bound += VARSIZE_ANY(v->val.numeric) + ENTRY_BOUND;
	return q;
}

/* jsonb's key order: shorter first, then by bytes; later duplicates first */
static int
pair_cmp(const JsonbPair *a, const JsonbPair *b)
{
	int			r;

	if (a->key.val.string.len != b->key.val.string.len)
		return a->key.val.string.len < b->key.val.string.len ? -1 : 1;
	r = memcmp(a->key.val.string.val, b->key.val.string.val,
			   a->key.val.string.len);
	if (r != 0)
		return r;
	return a->order > b->order ? -1 : 1;
}

static int
pair_qsort_cmp(const void *a, const void *b)
{
	return pair_cmp((const JsonbPair *) a, (const JsonbPair *) b);
}

/*
 * Sort the pairs as jsonb stores them and drop duplicate keys but the last.
 * Objects in CloudTrail records are small: insertion sort beats qsort.
 */
static int
sort_pairs(JsonbPair *pairs, int n)
{
	int			i,
				out;

	if (n > 24)
		qsort(pairs, n, sizeof(JsonbPair), pair_qsort_cmp);
	else
	{
		for (i = 1; i < n; i++)
		{
			JsonbPair	p = pairs[i];
			int			j = i - 1;

			while (j >= 0 && pair_cmp(&pairs[j], &p) > 0)
			{
				pairs[j + 1] = pairs[j];
				j--;
			}
			pairs[j + 1] = p;
		}
	}
	for (i = 1, out = 0; i < n; i++)
	{
		if (pairs[i].key.val.string.len != pairs[out].key.val.string.len ||
			memcmp(pairs[i].key.val.string.val, pairs[out].key.val.string.val,
				   pairs[i].key.val.string.len) != 0)
			pairs[++out] = pairs[i];
	}
	return n > 0 ? out + 1 : 0;
}

/*
 * Build the value at p into *v; returns the byte after it.
 */
static const char *
build_value(BuildState *bs, const char *p, JsonbValue *v)
{
	int			n = 0;
	int			max = 8;

	/* the scanner bounds nesting (TRAIL_JSON_MAX_DEPTH): check now and then */
	if (bs->depth % 64 == 0)
		check_stack_depth();
	p = skip_ws(p, bs->end);
	/* (strings and numbers add to the bound where they are built) */
	if (*p == '{' || *p == '[')
		bs->bound += CONTAINER_BOUND;
	else if (*p == 't' || *p == 'f' || *p == 'n')
		bs->bound += sizeof(JEntry);
	switch (*p)
	{
		case '{':
			{
				JsonbPair  *pairs = palloc(sizeof(JsonbPair) * max);

				bs->depth++;
				p = skip_ws(p + 1, bs->end);
				while (*p != '}')
				{
					if (n >= max)
					{
						max *= 2;
						pairs = repalloc(pairs, sizeof(JsonbPair) * max);
					}
					p = string_value(bs, p, &pairs[n].key);
					p = skip_ws(p, bs->end);	/* the ':' */
					p = build_value(bs, p + 1, &pairs[n].value);
					pairs[n].order = n;
					n++;
					p = skip_ws(p, bs->end);
					if (*p == ',')
						p = skip_ws(p + 1, bs->end);
				}
				bs->depth--;
				v->type = jbvObject;
				v->val.object.nPairs = sort_pairs(pairs, n);
				v->val.object.pairs = pairs;
				return p + 1;
			}
		case '[':
			{
				JsonbValue *elems = palloc(sizeof(JsonbValue) * max);

				bs->depth++;
				p = skip_ws(p + 1, bs->end);
				while (*p != ']')
				{
					if (n >= max)
					{
						max *= 2;
						elems = repalloc(elems, sizeof(JsonbValue) * max);
					}
					p = build_value(bs, p, &elems[n++]);
					p = skip_ws(p, bs->end);
					if (*p == ',')
						p = skip_ws(p + 1, bs->end);
				}
				bs->depth--;
				v->type = jbvArray;
				v->val.array.nElems = n;
				v->val.array.elems = elems;
				v->val.array.rawScalar = false;
				return p + 1;
			}
		case '"':
			return string_value(bs, p, v);
		case 't':
			v->type = jbvBool;
			v->val.boolean = true;
			return p + 4;
		case 'f':
			v->type = jbvBool;
			v->val.boolean = false;
			return p + 5;
		case 'n':
			v->type = jbvNull;
			return p + 4;
		default:
			return number_value(bs, p, v);
	}
}

/*
 * The writer: jsonb's binary format, laid out as convertJsonbValue() lays
 * it out.  A container is a uint32 header (its count and kind), a JEntry
 * per child (an object's keys first, then its values, both in key order),
 * then the children's bytes.  A JEntry holds the child's type and length,
 * or in every JB_OFFSET_STRIDE'th child the end offset of its bytes
 * instead.  Numbers and containers start at a 4-byte boundary of the
 * whole datum (its varlena header included); the padding counts in their
 * length.
 */
typedef struct JsonbWriter
{
	char	   *data;			/* the datum, sized from BuildState.bound */
	Size		len;
} JsonbWriter;

static void write_value(JsonbWriter *w, const JsonbValue *v, JEntry *entry);

static inline int
write_padding(JsonbWriter *w)
{
	int			padlen = (int) (INTALIGN(w->len) - w->len);
	int			i;

	for (i = 0; i < padlen; i++)
		w->data[w->len++] = '\0';
	return padlen;
}

static inline void
write_bytes(JsonbWriter *w, const void *bytes, Size len)
{
	trail_copy_bytes(w->data + w->len, bytes, len);
	w->len += len;
}

/* a scalar's bytes; *entry gets its JEntry with its length */
static inline void
write_scalar(JsonbWriter *w, const JsonbValue *v, JEntry *entry)
{
	switch (v->type)
	{
		case jbvString:
			write_bytes(w, v->val.string.val, v->val.string.len);
			*entry = JENTRY_ISSTRING | v->val.string.len;
			break;
		case jbvNumeric:
			{
				/* a JSON number is never NaN, which jsonb stores as text */
				Size		numlen = VARSIZE_ANY(v->val.numeric);
				int			padlen = write_padding(w);

				write_bytes(w, v->val.numeric, numlen);
				*entry = JENTRY_ISNUMERIC | (padlen + numlen);
				break;
			}
		case jbvBool:
			*entry = v->val.boolean ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
			break;
		case jbvNull:
			*entry = JENTRY_ISNULL;
			break;
		default:
			elog(ERROR, "trail: unexpected jsonb value type %d", (int) v->type);
	}
}

/*
 * One child of a container: its bytes, and its JEntry at entries[i] of
 * count.  *total is the length of the container's children so far, which
 * every JB_OFFSET_STRIDE'th JEntry holds instead of a length.
 */
static inline void
write_child(JsonbWriter *w, const JsonbValue *v, Size entries, int i,
			uint32 *total)
{
	JEntry		entry;

	if (v->type == jbvArray || v->type == jbvObject)
		write_value(w, v, &entry);
	else
		write_scalar(w, v, &entry);
	*total += JBE_OFFLENFLD(entry);
	if (i % JB_OFFSET_STRIDE == 0)
		entry = (entry & JENTRY_TYPEMASK) | *total | JENTRY_HAS_OFF;
	memcpy(w->data + entries + i * sizeof(JEntry), &entry, sizeof(JEntry));
}

/* an array or an object; *entry gets its JEntry */
static void
write_value(JsonbWriter *w, const JsonbValue *v, JEntry *entry)
{
	Size		start = w->len;
	Size		entries;
	uint32		header;
	uint32		total = 0;
	int			i;

	write_padding(w);
	if (v->type == jbvArray)
	{
		int			n = v->val.array.nElems;

		header = n | JB_FARRAY | (v->val.array.rawScalar ? JB_FSCALAR : 0);
		write_bytes(w, &header, sizeof(uint32));
		entries = w->len;
		w->len += n * sizeof(JEntry);
		for (i = 0; i < n; i++)
			write_child(w, &v->val.array.elems[i], entries, i, &total);
	}
	else
	{
		int			n = v->val.object.nPairs;

		header = n | JB_FOBJECT;
		write_bytes(w, &header, sizeof(uint32));
		entries = w->len;
		w->len += 2 * n * sizeof(JEntry);
		for (i = 0; i < n; i++)
			write_child(w, &v->val.object.pairs[i].key, entries, i, &total);
		for (i = 0; i < n; i++)
			write_child(w, &v->val.object.pairs[i].value, entries, n + i, &total);
	}
	*entry = JENTRY_ISCONTAINER | (uint32) (w->len - start);
}

/*
 * The jsonb datum of a tree whose bytes are at most bound.  A scalar is
 * stored as jsonb stores one: a one-element array flagged as a raw scalar.
 */
static Jsonb *
write_jsonb(JsonbValue *v, Size bound)
{
	JsonbWriter w;
	JsonbValue	array;
	JEntry		entry;

	if (v->type != jbvArray && v->type != jbvObject)
	{
		array.type = jbvArray;
		array.val.array.nElems = 1;
		array.val.array.elems = v;
		array.val.array.rawScalar = true;
		v = &array;
	}
	w.data = palloc(VARHDRSZ + CONTAINER_BOUND + bound);
	w.len = VARHDRSZ;
	write_value(&w, v, &entry);
	Assert(w.len <= VARHDRSZ + CONTAINER_BOUND + bound);
	SET_VARSIZE(w.data, w.len);
	return (Jsonb *) w.data;
}

/*
 * The jsonb of a JSON value (an object, array or scalar) that was validated,
 * into *result.  With convert_encoding, strings (keys too) are converted
 * from UTF-8 to the server encoding; a character it lacks makes this return
 * false with err filled.
 */
bool
trail_jsonb_from_slice(TrailSlice value, bool convert_encoding, int *replaced,
					   Datum *result, TrailError *err)
{
	BuildState	bs = {0};
	JsonbValue	v;

	bs.end = value.ptr + value.len;
	bs.convert_encoding = convert_encoding;
	bs.err = err;
	(void) build_value(&bs, value.ptr, &v);
	*replaced = bs.replaced;
	if (bs.failed)
		return false;
	/*
	 * No container of a value this small can pass jsonb's limit on a
	 * container's bytes; PostgreSQL's writer reports one that could.
	 */
	if (bs.bound < JENTRY_OFFLENMASK - CONTAINER_BOUND)
		*result = JsonbPGetDatum(write_jsonb(&v, bs.bound));
	else
		*result = JsonbPGetDatum(JsonbValueToJsonb(&v));
	return true;
}
