/*-------------------------------------------------------------------------
 *
 * json_scan.c
 *	  A validating JSON scanner that works on the bytes in place.
 *
 * It finds where a value ends, checks it is well-formed JSON (the same
 * grammar PostgreSQL's json input accepts), and optionally records the
 * members of the top-level object as byte slices, so that the record
 * decoder can hand the original text of a field to PostgreSQL's own
 * json/jsonb input: numbers and escapes stay exactly as written.  It builds
 * no tree and allocates nothing but the member index.
 *
 * Problems that do not change the structure (bytes that are not UTF-8, raw
 * control characters in strings, \u0000 and surrogate escapes, numbers
 * jsonb cannot hold) are reported as flags, so that the caller still knows
 * where the value ends and can skip just that record.
 *
 * Strings are scanned with SSE2 where the compiler offers it; CloudTrail
 * records are mostly string bytes.  One scan keeps a 64-byte block's mask
 * of the bytes that can end or interrupt a string, so the many short
 * strings of a record cost a shift and a count each (find_special_cached).
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "mb/pg_wchar.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* numeric's limits, so that jsonb input never fails on a number we passed */
#define TRAIL_NUMERIC_MAX_WEIGHT_DIGITS 131072
#define TRAIL_NUMERIC_MAX_SCALE 16383

#define H16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
const int8	trail_hex_values[256] = {
	H16(-1), H16(-1), H16(-1),
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,	/* '0'-'9' */
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,	/* 'A'-'F' */
	H16(-1),
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,	/* 'a'-'f' */
	H16(-1),
	H16(-1), H16(-1), H16(-1), H16(-1), H16(-1), H16(-1), H16(-1), H16(-1)
};
#undef H16

static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static pg_attribute_always_inline const char *
skip_ws(const char *p, const char *end)
{
	/* CloudTrail writes no whitespace between tokens: test that first */
	if (likely(p < end && (unsigned char) *p > ' '))
		return p;
	while (p < end && is_ws(*p))
		p++;
	return p;
}

const char *
trail_json_skip_ws(const char *p, const char *end)
{
	return skip_ws(p, end);
}

/*
 * First byte at or after p that is '"', '\\', a control character or not
 * ASCII; end if none.
 */
static inline const char *
find_string_special(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);

	while (end - p >= 16)
	{
		__m128i		v = _mm_loadu_si128((const __m128i *) p);

		/* signed compare: bytes >= 0x80 are negative, so below 0x20 too */
		__m128i		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
												  _mm_cmpeq_epi8(v, bslash)),
									 _mm_cmplt_epi8(v, space));
		int			mask = _mm_movemask_epi8(m);

		if (mask != 0)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#endif
	while (p < end)
	{
		unsigned char c = (unsigned char) *p;

		if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
			return p;
		p++;
	}
	return p;
}

/*
 * find_string_special over one 64-byte block at a time (a TrailStringBlock),
 * kept between the calls of one scan: a record's strings are a few dozen
 * bytes apart, so one block's mask serves several of them, and finding the
 * next special byte is a shift and a count instead of a load and compares
 * for each string.
 */
#ifdef __SSE2__
static inline uint32
special_mask16(const char *p)
{
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);
	__m128i		v = _mm_loadu_si128((const __m128i *) p);

	/* signed compare: bytes >= 0x80 are negative, so below 0x20 too */
	return (uint32) _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
																_mm_cmpeq_epi8(v, bslash)),
												   _mm_cmplt_epi8(v, space)));
}

/* bit i: p[i] is a quote or a backslash */
static inline uint32
quote_mask16(const char *p)
{
	__m128i		v = _mm_loadu_si128((const __m128i *) p);

	return (uint32) _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
												   _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
}

/*
 * The loop of find_special_cached and find_quote_cached: returns the first
 * byte at or after p whose bit mask16 sets, taking 64-byte blocks into blk
 * while 64 bytes are left, and falls through with p where to go on.  A
 * macro, not a function taking mask16, so that the scan's loop compiles as
 * it did when it was written out.
 */
#define FIND_IN_BLOCKS(p, end, blk, mask16) \
	for (;;) \
	{ \
		/* one unsigned compare: p in the block (never when base is NULL) */ \
		if ((uintptr_t) (p) - (uintptr_t) (blk)->base < 64) \
		{ \
			uint64		m_ = (blk)->mask >> ((p) - (blk)->base); \
\
			if (m_ != 0) \
				return (p) + __builtin_ctzll(m_); \
			(p) = (blk)->base + 64; \
		} \
		if ((end) - (p) < 64) \
			break; \
		(blk)->base = (p); \
		(blk)->mask = (uint64) mask16(p) | \
			((uint64) mask16((p) + 16) << 16) | \
			((uint64) mask16((p) + 32) << 32) | \
			((uint64) mask16((p) + 48) << 48); \
	}
#endif

static pg_attribute_always_inline const char *
find_special_cached(const char *p, const char *end, TrailStringBlock *blk)
{
#ifdef __SSE2__
	FIND_IN_BLOCKS(p, end, blk, special_mask16);
#endif
	return find_string_special(p, end);
}

/*
 * The first quote or backslash at or after p, or end.  In a string that was
 * validated nothing else can end it, so control characters and non-ASCII
 * bytes need no stop; blk keeps a 64-byte block's mask as for the scan.
 */
static pg_attribute_always_inline const char *
find_quote_cached(const char *p, const char *end, TrailStringBlock *blk)
{
#ifdef __SSE2__
	FIND_IN_BLOCKS(p, end, blk, quote_mask16);
	while (end - p >= 16)
	{
		uint32		m = quote_mask16(p);

		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

/*
 * The byte after the closing quote of a string that was validated already;
 * p points just after its opening quote.  *escaped says whether it holds
 * any escape.  blk is the caller's cache for the walk over one value
 * ({NULL, 0} at its start): the walk's strings share 64-byte blocks.
 */
static pg_attribute_always_inline const char *
string_end(const char *p, const char *end, bool *escaped,
		   TrailStringBlock *blk)
{
	*escaped = false;
	for (;;)
	{
		p = find_quote_cached(p, end, blk);
		if (p >= end)
			return end;
		if (*p == '"')
			return p + 1;
		*escaped = true;
		p += 2;
	}
}

const char *
trail_json_string_end(const char *p, const char *end, bool *escaped,
					  TrailStringBlock *blk)
{
	return string_end(p, end, escaped, blk);
}

/* the code unit of a \uXXXX escape at p (p points at the backslash), or -1 */
static inline int
escape_code_unit(const char *p)
{
	int			a = trail_hex_digit(p[2]),
				b = trail_hex_digit(p[3]),
				c = trail_hex_digit(p[4]),
				d = trail_hex_digit(p[5]);

	if ((a | b | c | d) < 0)
		return -1;
	return (a << 12) | (b << 8) | (c << 4) | d;
}

static inline void
raise_flag(TrailScan *scan, int flag, const char *at)
{
	if ((flag & TRAIL_JSON_INVALID_FLAGS) && scan->flag_at == NULL)
		scan->flag_at = at;
	scan->flags |= flag;
}

/*
 * Scan a string whose opening quote is just before p.  Returns the byte
 * after the closing quote, or NULL: out of bytes when scan->error is unset,
 * a syntax error otherwise.  *escaped is set when the string holds an
 * escape (for keys: the index notes it, so that keys without one compare
 * their bytes).
 */
static pg_attribute_always_inline const char *
scan_string(const char *p, const char *end, TrailScan *scan, bool *escaped,
			TrailStringBlock *blk)
{
	for (;;)
	{
		unsigned char c;

		p = find_special_cached(p, end, blk);
		if (p >= end)
			return NULL;
		c = (unsigned char) *p;
		if (c == '"')
			return p + 1;
		if (c == '\\')
		{
			*escaped = true;
			if (end - p < 2)
				return NULL;
			switch (p[1])
			{
				case '"':
				case '\\':
				case '/':
				case 'b':
				case 'f':
				case 'n':
				case 'r':
				case 't':
					p += 2;
					continue;
				case 'u':
					{
						int			cu;

						if (end - p < 6)
							return NULL;
						cu = escape_code_unit(p);
						if (cu < 0)
						{
							scan->error = "invalid \\u escape: four hexadecimal digits must follow \"\\u\"";
							scan->error_at = p;
							return NULL;
						}
						if (cu == 0)
							raise_flag(scan, TRAIL_JSON_ESC_NUL, p);
						else if (cu >= 0xD800 && cu <= 0xDFFF)
							raise_flag(scan, TRAIL_JSON_ESC_SURROGATE, p);

						/*
						 * the text holds a non-ASCII character even though
						 * the bytes are ASCII: conversion to the server
						 * encoding is keyed on the text
						 */
						if (cu >= 0x80)
							raise_flag(scan, TRAIL_JSON_NON_ASCII, p);
						p += 6;
						continue;
					}
				default:
					scan->error = "invalid escape sequence in a string";
					scan->error_at = p;
					return NULL;
			}
		}
		if (c < 0x20)
		{
			raise_flag(scan, TRAIL_JSON_CONTROL_CHAR, p);
			p++;
			continue;
		}
		/* c >= 0x80: one UTF-8 character */
		{
			int			len = pg_utf_mblen((const unsigned char *) p);

			raise_flag(scan, TRAIL_JSON_NON_ASCII, p);
			if (end - p < len)
			{
				if (!scan->at_eof)
					return NULL;
				raise_flag(scan, TRAIL_JSON_BAD_UTF8, p);
				p++;
				continue;
			}
			if (len < 2 || !pg_utf8_islegal((const unsigned char *) p, len))
			{
				raise_flag(scan, TRAIL_JSON_BAD_UTF8, p);
				p++;
				continue;
			}
			p += len;
		}
	}
}

/*
 * Scan a number starting at p.  Returns the byte after it, or NULL as for
 * scan_string.
 */
static const char *
scan_number(const char *p, const char *end, TrailScan *scan)
{
	const char *start = p;
	int64		intdigits = 0;
	int64		fracdigits = 0;
	int64		exponent = 0;
	bool		negexp = false;

	if (*p == '-')
		p++;
	if (p >= end)
		goto out_of_bytes;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
	{
		while (p < end && *p >= '0' && *p <= '9')
		{
			p++;
			intdigits++;
		}
	}
	else
		goto bad;
	if (p < end && *p == '.')
	{
		p++;
		if (p >= end)
			goto out_of_bytes;
		if (!(*p >= '0' && *p <= '9'))
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
		{
			p++;
			fracdigits++;
		}
	}
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
		{
			negexp = (*p == '-');
			p++;
		}
		if (p >= end)
			goto out_of_bytes;
		if (!(*p >= '0' && *p <= '9'))
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
		{
			if (exponent < 1000000)
				exponent = exponent * 10 + (*p - '0');
			p++;
		}
	}
	if (p >= end && !scan->at_eof)
		goto out_of_bytes;

	if (negexp)
		exponent = -exponent;
	if (intdigits + exponent > TRAIL_NUMERIC_MAX_WEIGHT_DIGITS ||
		fracdigits - exponent > TRAIL_NUMERIC_MAX_SCALE)
		raise_flag(scan, TRAIL_JSON_HUGE_NUMBER, start);
	return p;

bad:
	scan->error = "invalid number";
	scan->error_at = start;
	return NULL;
out_of_bytes:
	return NULL;
}

static char *unescape_into(const char *p, const char *end, char *out,
						   int *replaced);

/*
 * "Records", "Events" or "logEvents" (as a static string, so that callers
 * see the key's text even when it was written with escapes), or NULL.
 */
static const char *
wrapper_key(const char *key, int keylen, bool escaped)
{
	static const char *const wrappers[] = {"Records", "Events", "logEvents"};
	char		buf[64];
	int			i;

	if (escaped)
	{
		int			replaced;

		/* unescaped text is never longer than its escaped form */
		if (keylen > (int) sizeof(buf))
			return NULL;
		keylen = (int) (unescape_into(key, key + keylen, buf, &replaced) - buf);
		key = buf;
	}
	for (i = 0; i < lengthof(wrappers); i++)
	{
		if (keylen == (int) strlen(wrappers[i]) &&
			memcmp(key, wrappers[i], keylen) == 0)
			return wrappers[i];
	}
	return NULL;
}

static TrailMember *
index_add(TrailMemberIndex *index)
{
	if (index->nmembers >= index->maxmembers)
	{
		int			newmax = Max(32, index->maxmembers * 2);

		if (index->members == NULL)
			index->members = palloc(newmax * sizeof(TrailMember));
		else
			index->members = repalloc(index->members, newmax * sizeof(TrailMember));
		index->maxmembers = newmax;
	}
	return &index->members[index->nmembers++];
}

/*
 * Scan one JSON value starting at p (leading whitespace allowed).
 *
 * DONE: scan->end is the byte after it and scan->type its type.
 * MORE: the value goes on past end; call again from the same start with
 *       more bytes (or with scan->at_eof set when there are none).
 * WRAPPER: with stop_at_wrapper, the value is an object that has a
 *       "Records", "Events" or "logEvents" member holding an array;
 *       scan->end points at that array's '['.  Members before it are in
 *       the index.
 * BAD: scan->error says what is wrong at scan->error_at.
 */
TrailScanStatus
trail_json_scan(const char *p, const char *end, TrailScan *scan)
{
	char		stack[TRAIL_JSON_MAX_DEPTH];
	int			depth = 0;
	TrailJsonType vtype = TRAIL_JSON_NONE;
	TrailMember *member = NULL;
	TrailMemberIndex *index = scan->index;
	TrailStringBlock blk = {NULL, 0};

	scan->flags = 0;
	scan->flag_at = NULL;
	scan->error = NULL;
	scan->error_at = NULL;
	scan->end = NULL;
	scan->type = TRAIL_JSON_NONE;
	if (index)
		index->nmembers = 0;

value:
	p = skip_ws(p, end);
	if (p >= end)
		goto out_of_bytes;
	/* most values are strings: test for one before the switch */
	if (likely(*p == '"'))
	{
		bool		escaped = false;

		p = scan_string(p + 1, end, scan, &escaped, &blk);
		if (p == NULL)
			goto null_result;
		vtype = TRAIL_JSON_STRING;
		goto after_value;
	}
	switch (*p)
	{
		case '{':
			if (depth >= TRAIL_JSON_MAX_DEPTH)
				goto too_deep;
			stack[depth++] = '{';
			p = skip_ws(p + 1, end);
			if (p >= end)
				goto out_of_bytes;
			if (*p == '}')
			{
				p++;
				depth--;
				vtype = TRAIL_JSON_OBJECT;
				goto after_value;
			}
			goto key;
		case '[':
			if (depth >= TRAIL_JSON_MAX_DEPTH)
				goto too_deep;
			stack[depth++] = '[';
			p = skip_ws(p + 1, end);
			if (p >= end)
				goto out_of_bytes;
			if (*p == ']')
			{
				p++;
				depth--;
				vtype = TRAIL_JSON_ARRAY;
				goto after_value;
			}
			goto value;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			p = scan_number(p, end, scan);
			if (p == NULL)
				goto null_result;
			vtype = TRAIL_JSON_NUMBER;
			goto after_value;
		case 't':
			if (end - p < 4)
				goto short_literal;
			if (memcmp(p, "true", 4) != 0)
				goto bad_token;
			p += 4;
			vtype = TRAIL_JSON_TRUE;
			goto after_value;
		case 'f':
			if (end - p < 5)
				goto short_literal;
			if (memcmp(p, "false", 5) != 0)
				goto bad_token;
			p += 5;
			vtype = TRAIL_JSON_FALSE;
			goto after_value;
		case 'n':
			if (end - p < 4)
				goto short_literal;
			if (memcmp(p, "null", 4) != 0)
				goto bad_token;
			p += 4;
			vtype = TRAIL_JSON_NULL;
			goto after_value;
		default:
			goto bad_token;
	}

key:
	/* p is at the first non-blank byte where an object key must start */
	if (*p != '"')
	{
		scan->error = "expected a string as object key";
		scan->error_at = p;
		return TRAIL_SCAN_BAD;
	}
	{
		const char *keystart = p + 1;
		const char *keyend;
		bool		key_escaped = false;

		p = scan_string(p + 1, end, scan, &key_escaped, &blk);
		if (p == NULL)
			goto null_result;
		keyend = p - 1;
		p = skip_ws(p, end);
		if (p >= end)
			goto out_of_bytes;
		if (*p != ':')
		{
			scan->error = "expected \":\" after an object key";
			scan->error_at = p;
			return TRAIL_SCAN_BAD;
		}
		p = skip_ws(p + 1, end);
		if (p >= end)
			goto out_of_bytes;
		if (depth == 1)
		{
			const char *wrapper;

			if (scan->stop_at_wrapper && *p == '[' &&
				(wrapper = wrapper_key(keystart, (int) (keyend - keystart),
									   key_escaped)) != NULL)
			{
				scan->end = p;
				scan->wrapper_key = wrapper;
				scan->wrapper_keylen = strlen(wrapper);
				return TRAIL_SCAN_WRAPPER;
			}
			if (index)
			{
				member = index_add(index);
				member->key = keystart;
				member->keylen = (int) (keyend - keystart);
				member->key_escaped = key_escaped;
				member->value.ptr = p;
			}
		}
	}
	goto value;

after_value:
	/* a value of type vtype ended just before p */
	if (depth == 1 && member != NULL)
	{
		member->value.len = (int) (p - member->value.ptr);
		member->value.type = vtype;
		member = NULL;
	}
	if (depth == 0)
	{
		scan->end = p;
		scan->type = vtype;
		return TRAIL_SCAN_DONE;
	}
	p = skip_ws(p, end);
	if (p >= end)
		goto out_of_bytes;
	if (*p == ',')
	{
		p = skip_ws(p + 1, end);
		if (p >= end)
			goto out_of_bytes;
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (*p == '}' && stack[depth - 1] == '{')
	{
		p++;
		depth--;
		vtype = TRAIL_JSON_OBJECT;
		goto after_value;
	}
	if (*p == ']' && stack[depth - 1] == '[')
	{
		p++;
		depth--;
		vtype = TRAIL_JSON_ARRAY;
		goto after_value;
	}
	scan->error = stack[depth - 1] == '{' ?
		"expected \",\" or \"}\" after an object member" :
		"expected \",\" or \"]\" after an array element";
	scan->error_at = p;
	return TRAIL_SCAN_BAD;

short_literal:
	if (!scan->at_eof)
		goto out_of_bytes;
	/* FALLTHROUGH */
bad_token:
	scan->error = "invalid token";
	scan->error_at = p;
	return TRAIL_SCAN_BAD;

too_deep:
	scan->error = "nesting is too deep";
	scan->error_at = p;
	return TRAIL_SCAN_BAD;

null_result:
	if (scan->error != NULL)
		return TRAIL_SCAN_BAD;
	/* FALLTHROUGH */
out_of_bytes:
	if (scan->at_eof)
	{
		scan->error = "unexpected end of input";
		scan->error_at = end;
		return TRAIL_SCAN_BAD;
	}
	return TRAIL_SCAN_MORE;
}

/*
 * The end of a value that was validated already (it is part of a scanned
 * record), starting at its first byte; *type gets its type.  Walking a
 * validated value needs no grammar and no checks of its bytes: strings are
 * skipped by their quotes, containers by counting brackets outside them.
 * Returns NULL (or end) if a value runs to end or past it, which only bytes
 * that were not validated can do: the callers check that what follows the
 * value is what must follow it.
 */
static pg_attribute_always_inline const char *
validated_value_end(const char *p, const char *end, TrailStringBlock *blk,
					TrailJsonType *type)
{
	bool		escaped;
	int			depth = 0;

	switch (*p)
	{
		case '"':
			*type = TRAIL_JSON_STRING;
			return string_end(p + 1, end, &escaped, blk);
		case '{':
			*type = TRAIL_JSON_OBJECT;
			break;
		case '[':
			*type = TRAIL_JSON_ARRAY;
			break;
		case 't':
			*type = TRAIL_JSON_TRUE;
			return end - p >= 4 ? p + 4 : NULL;
		case 'f':
			*type = TRAIL_JSON_FALSE;
			return end - p >= 5 ? p + 5 : NULL;
		case 'n':
			*type = TRAIL_JSON_NULL;
			return end - p >= 4 ? p + 4 : NULL;
		default:
			{
				const char *start = p;

				*type = TRAIL_JSON_NUMBER;
				while (p < end && ((*p >= '0' && *p <= '9') || *p == '-' ||
								   *p == '+' || *p == '.' || *p == 'e' ||
								   *p == 'E'))
					p++;
				return p > start ? p : NULL;
			}
	}
	while (p < end)
	{
		char		c = *p++;

		if (c == '"')
			p = string_end(p, end, &escaped, blk);
		else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return p;
	}
	return NULL;
}

/*
 * Index the members of an object value.  The value must have been validated
 * already (it is part of a scanned record), so that this walk is
 * validated_value_end's, not the scanner's: the decoder indexes a few nested
 * objects of every record.  obj must be exactly the object, from its '{' to
 * its '}' (a member's value or an element is).  Returns false if it is not
 * an object.
 */
bool
trail_json_members(TrailSlice obj, TrailMemberIndex *index)
{
	const char *p;
	const char *end;
	TrailStringBlock blk = {NULL, 0};

	index->nmembers = 0;
	if (obj.type != TRAIL_JSON_OBJECT)
		return false;
	end = obj.ptr + obj.len;
	p = skip_ws(obj.ptr + 1, end);
	if (p + 1 == end && *p == '}')
		return true;			/* {} */
	while (p < end && *p == '"')
	{
		TrailMember *m = index_add(index);
		bool		escaped;

		m->key = p + 1;
		p = string_end(p + 1, end, &escaped, &blk);
		m->keylen = (int) (p - 1 - m->key);
		m->key_escaped = escaped;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			break;
		p = skip_ws(p + 1, end);
		if (p >= end)
			break;
		m->value.ptr = p;
		p = validated_value_end(p, end, &blk, &m->value.type);
		if (p == NULL)
			break;
		m->value.len = (int) (p - m->value.ptr);
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
		else if (p < end && *p == '}' && p + 1 == end)
			return true;
		else
			break;
	}
	elog(ERROR, "trail: could not walk a validated JSON object");
	return false;				/* keep compiler quiet */
}

/*
 * The text of a member's key: its bytes when it has no escape, else the
 * unescaped text in buf (which must hold m->keylen bytes: unescaped text is
 * never longer).  *len gets its length.
 */
const char *
trail_json_key_text(const TrailMember *m, char *buf, int *len)
{
	int			replaced;

	if (!m->key_escaped)
	{
		*len = m->keylen;
		return m->key;
	}
	*len = (int) (unescape_into(m->key, m->key + m->keylen, buf, &replaced) - buf);
	return buf;
}

/*
 * Does the member's key equal key?  Keys are compared as text, so a key
 * written with escapes still matches; keys without one (nearly all)
 * compare their bytes.
 */
bool
trail_json_key_equals(const TrailMember *m, const char *key, int keylen)
{
	char		sbuf[256];
	char	   *buf;
	const char *text;
	int			len;
	bool		result;

	if (!m->key_escaped)
		return m->keylen == keylen && trail_bytes_equal(m->key, key, keylen);
	/* unescaping never lengthens a key, nor shortens it below a sixth */
	if (m->keylen < keylen || m->keylen > 6 * keylen)
		return false;
	buf = m->keylen <= (int) sizeof(sbuf) ? sbuf : palloc(m->keylen);
	text = trail_json_key_text(m, buf, &len);
	result = (len == keylen && memcmp(text, key, keylen) == 0);
	if (buf != sbuf)
		pfree(buf);
	return result;
}

/*
 * The value of the member named key, or a slice of type TRAIL_JSON_NONE.
 * When a key repeats, the last one wins, as in jsonb.
 */
TrailSlice
trail_json_get(const TrailMemberIndex *index, const char *key)
{
	TrailSlice	none = {NULL, 0, TRAIL_JSON_NONE};
	int			keylen = strlen(key);
	int			i;

	for (i = index->nmembers - 1; i >= 0; i--)
	{
		const TrailMember *m = &index->members[i];

		/* nearly every key has no escape: compare its bytes here */
		if (likely(!m->key_escaped))
		{
			if (m->keylen == keylen &&
				(keylen == 0 || m->key[0] == key[0]) &&
				trail_bytes_equal(m->key, key, keylen))
				return m->value;
		}
		else if (trail_json_key_equals(m, key, keylen))
			return m->value;
	}
	return none;
}

/*
 * Element n (0-based) of an array value that was validated already, or a
 * slice of type TRAIL_JSON_NONE.
 */
TrailSlice
trail_json_element(TrailSlice array, int n)
{
	TrailSlice	none = {NULL, 0, TRAIL_JSON_NONE};
	TrailStringBlock blk = {NULL, 0};
	const char *p;
	const char *end;
	int			i;

	if (array.type != TRAIL_JSON_ARRAY)
		return none;
	end = array.ptr + array.len - 1;	/* the closing ']' */
	p = skip_ws(array.ptr + 1, end);
	for (i = 0; p < end; i++)
	{
		TrailSlice	v;

		v.ptr = p;
		p = validated_value_end(p, end, &blk, &v.type);
		if (p == NULL)
			return none;
		if (i == n)
		{
			v.len = (int) (p - v.ptr);
			return v;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
		else if (p < end)
			return none;		/* not validated: never loop on it */
	}
	return none;
}

static inline char *
put_utf8(char *out, pg_wchar cp)
{
	unicode_to_utf8(cp, (unsigned char *) out);
	return out + pg_utf_mblen((unsigned char *) out);
}

/*
 * The text of a JSON string (slice with its quotes), unescaped, as a
 * palloc'd NUL-terminated UTF-8 string.  What PostgreSQL cannot store in
 * text -- \u0000 and surrogates that do not pair up -- becomes U+FFFD, and
 * *replaced counts them.
 */
char *
trail_json_unescape(TrailSlice str, int *len, int *replaced)
{
	char	   *result = palloc(str.len + 1);
	char	   *out;

	out = unescape_into(str.ptr + 1, str.ptr + str.len - 1, result, replaced);
	*out = '\0';
	*len = (int) (out - result);
	return result;
}

/*
 * Unescape the validated string bytes p..end into out (which has room for
 * end - p bytes); returns the end of the output.
 */
static char *
unescape_into(const char *p, const char *end, char *out, int *replaced)
{
	*replaced = 0;
	while (p < end)
	{
		const char *bs = memchr(p, '\\', end - p);
		int			cu;

		if (bs == NULL)
		{
			memcpy(out, p, end - p);
			out += end - p;
			break;
		}
		memcpy(out, p, bs - p);
		out += bs - p;
		p = bs;
		switch (p[1])
		{
			case 'b':
				*out++ = '\b';
				break;
			case 'f':
				*out++ = '\f';
				break;
			case 'n':
				*out++ = '\n';
				break;
			case 'r':
				*out++ = '\r';
				break;
			case 't':
				*out++ = '\t';
				break;
			case 'u':
				cu = escape_code_unit(p);
				if (cu >= 0xD800 && cu <= 0xDBFF && end - p >= 12 &&
					p[6] == '\\' && p[7] == 'u')
				{
					int			lo = escape_code_unit(p + 6);

					if (lo >= 0xDC00 && lo <= 0xDFFF)
					{
						out = put_utf8(out, 0x10000 + ((cu - 0xD800) << 10) + (lo - 0xDC00));
						p += 12;
						continue;
					}
				}
				if (cu == 0 || (cu >= 0xD800 && cu <= 0xDFFF))
				{
					out = put_utf8(out, 0xFFFD);
					(*replaced)++;
				}
				else
					out = put_utf8(out, cu);
				p += 6;
				continue;
			default:
				/* \" \\ \/ */
				*out++ = p[1];
				break;
		}
		p += 2;
	}
	return out;
}

/*
 * A copy of a JSON value's text that PostgreSQL's jsonb input accepts:
 * \u0000 and unpaired surrogate escapes are rewritten as \ufffd (the same
 * length, so nothing else moves).  *replaced counts them.  The copy is
 * palloc'd and NUL-terminated.
 */
char *
trail_json_sanitize(TrailSlice value, int *replaced)
{
	char	   *copy = palloc(value.len + 1);
	char	   *p;
	char	   *end = copy + value.len;
	bool		in_string = false;

	memcpy(copy, value.ptr, value.len);
	*end = '\0';
	*replaced = 0;
	for (p = copy; p < end; p++)
	{
		if (*p == '"')
			in_string = !in_string;
		else if (in_string && *p == '\\')
		{
			int			cu;

			if (p[1] != 'u')
			{
				p++;			/* skip the escaped character */
				continue;
			}
			cu = escape_code_unit(p);
			if (cu >= 0xD800 && cu <= 0xDBFF && end - p >= 12 &&
				p[6] == '\\' && p[7] == 'u')
			{
				int			lo = escape_code_unit(p + 6);

				if (lo >= 0xDC00 && lo <= 0xDFFF)
				{
					p += 11;
					continue;
				}
			}
			if (cu == 0 || (cu >= 0xD800 && cu <= 0xDFFF))
			{
				memcpy(p, "\\ufffd", 6);
				(*replaced)++;
			}
			p += 5;
		}
	}
	return copy;
}

const char *
trail_json_type_name(TrailJsonType type)
{
	switch (type)
	{
		case TRAIL_JSON_NONE:
			return "absent";
		case TRAIL_JSON_OBJECT:
			return "an object";
		case TRAIL_JSON_ARRAY:
			return "an array";
		case TRAIL_JSON_STRING:
			return "a string";
		case TRAIL_JSON_NUMBER:
			return "a number";
		case TRAIL_JSON_TRUE:
		case TRAIL_JSON_FALSE:
			return "a boolean";
		case TRAIL_JSON_NULL:
			return "null";
	}
	return "unknown";
}
