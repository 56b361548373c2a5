/*-------------------------------------------------------------------------
 *
 * bytes.h
 *	  Short copies and compares of the bytes rows are built from, written
 *	  out instead of calling glibc.
 *
 * A row of every column makes dozens of copies of a few bytes (text values,
 * jsonb strings) and matches dozens of keys.  On this project's machine,
 * a Xeon with AVX-512, glibc's memcpy for them (its AVX-512 variant) ran at
 * less than half its speed in every scan of a session but the first
 * (README, "Reading the table"), and a call costs more than the copy.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRAIL_BYTES_H
#define TRAIL_BYTES_H

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * A word of 8 bytes at p if eight, else of 4: the short copies and compares
 * below cover 4 to 16 bytes with two words that overlap.
 */
static inline uint64
trail_load_word(const char *p, bool eight)
{
	uint64		v8;
	uint32		v4;

	if (eight)
	{
		memcpy(&v8, p, 8);
		return v8;
	}
	memcpy(&v4, p, 4);
	return v4;
}

static inline void
trail_store_word(char *p, uint64 v, bool eight)
{
	uint32		v4 = (uint32) v;

	if (eight)
		memcpy(p, &v, 8);
	else
		memcpy(p, &v4, 4);
}

/* memcpy(dst, src, n) */
static inline void
trail_copy_bytes(void *dst, const void *src, size_t n)
{
#ifdef __SSE2__
	char	   *d = (char *) dst;
	const char *s = (const char *) src;

	if (n >= 16)
	{
		size_t		i;

		for (i = 0; i + 16 < n; i += 16)
			_mm_storeu_si128((__m128i *) (d + i),
							 _mm_loadu_si128((const __m128i *) (s + i)));
		/* the last 16 bytes, overlapping the loop's last store */
		_mm_storeu_si128((__m128i *) (d + n - 16),
						 _mm_loadu_si128((const __m128i *) (s + n - 16)));
	}
	else if (n >= 4)
	{
		bool		eight = n >= 8;
		size_t		last = n - (eight ? 8 : 4);
		uint64		first_word = trail_load_word(s, eight);
		uint64		last_word = trail_load_word(s + last, eight);

		trail_store_word(d, first_word, eight);
		trail_store_word(d + last, last_word, eight);
	}
	else if (n > 0)
	{
		char		a = s[0],
					b = s[n / 2],
					c = s[n - 1];

		d[0] = a;
		d[n / 2] = b;
		d[n - 1] = c;
	}
#else
	memcpy(dst, src, n);
#endif
}

/* memcmp(a, b, n) == 0; most of the compares fail at once */
static inline bool
trail_bytes_equal(const char *a, const char *b, size_t n)
{
	if (n >= 4 && n <= 16)
	{
		/* two words from each side, overlapping, cover the n bytes */
		bool		eight = n >= 8;
		size_t		last = n - (eight ? 8 : 4);

		return ((trail_load_word(a, eight) ^ trail_load_word(b, eight)) |
				(trail_load_word(a + last, eight) ^
				 trail_load_word(b + last, eight))) == 0;
	}
	return memcmp(a, b, n) == 0;
}

/* cstring_to_text_with_len(), copying with trail_copy_bytes() */
static inline text *
trail_text_from_bytes(const char *s, int len)
{
	text	   *t = (text *) palloc(len + VARHDRSZ);

	SET_VARSIZE(t, len + VARHDRSZ);
	trail_copy_bytes(VARDATA(t), s, len);
	return t;
}

#endif							/* TRAIL_BYTES_H */
