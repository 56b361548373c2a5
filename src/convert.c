/*-------------------------------------------------------------------------
 *
 * convert.c
 *	  Scalar conversions from the text of CloudTrail fields: times,
 *	  UUIDs, addresses and boolean-ish strings, and UTF-8 text to the
 *	  server encoding.  None of them raises an error: each says whether the
 *	  text had the expected form, so the caller decides between NULL and a
 *	  soft error.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <arpa/inet.h>
#include <math.h>
#include <sys/socket.h>

#include "catalog/namespace.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "utils/datetime.h"
#include "utils/inet.h"
#include "utils/memutils.h"

/* Epoch numbers at or above this are milliseconds (seconds would be > 5000 AD) */
#define TRAIL_EPOCH_MS_THRESHOLD 1e11

static bool
digits(const char *s, int n, int *value)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*value = v;
	return true;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/*
 * ISO 8601 date and time, extended (2025-03-04T09:15:02Z) or basic
 * (20250304T091502Z) form, 'T' or a space between date and time, an
 * optional fraction of any length (rounded to microseconds), and a zone of
 * Z, +HH, +HH:MM or +HHMM.  Without a zone the time is UTC, which is what
 * CloudTrail writes.
 */
bool
trail_parse_timestamp(const char *s, int len, TimestampTz *result)
{
	const char *p = s;
	const char *end = s + len;
	bool		extended;
	int			year,
				month,
				day,
				hour,
				minute,
				second;
	int64		usec = 0;
	int			offset = 0;

	if (len < 15)
		return false;
	extended = (s[4] == '-');
	if (extended)
	{
		if (len < 19 || !digits(p, 4, &year) || p[4] != '-' ||
			!digits(p + 5, 2, &month) || p[7] != '-' ||
			!digits(p + 8, 2, &day) || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
			!digits(p + 11, 2, &hour) || p[13] != ':' ||
			!digits(p + 14, 2, &minute) || p[16] != ':' ||
			!digits(p + 17, 2, &second))
			return false;
		p += 19;
	}
	else
	{
		if (!digits(p, 4, &year) || !digits(p + 4, 2, &month) ||
			!digits(p + 6, 2, &day) || (p[8] != 'T' && p[8] != 't') ||
			!digits(p + 9, 2, &hour) || !digits(p + 11, 2, &minute) ||
			!digits(p + 13, 2, &second))
			return false;
		p += 15;
	}

	if (p < end && (*p == '.' || *p == ','))
	{
		int			n = 0;
		int64		scale = 100000;

		p++;
		if (p >= end || *p < '0' || *p > '9')
			return false;
		while (p < end && *p >= '0' && *p <= '9')
		{
			if (n < 6)
				usec += (*p - '0') * scale;
			else if (n == 6 && *p >= '5')
				usec++;
			scale /= 10;
			n++;
			p++;
		}
	}

	if (p < end)
	{
		if ((*p == 'Z' || *p == 'z') && p + 1 == end)
			p++;
		else if (*p == '+' || *p == '-')
		{
			int			sign = (*p == '-') ? -1 : 1;
			int			oh,
						om = 0;

			p++;
			if (end - p < 2 || !digits(p, 2, &oh))
				return false;
			p += 2;
			if (p < end && *p == ':')
				p++;
			if (p < end)
			{
				if (end - p != 2 || !digits(p, 2, &om))
					return false;
				p += 2;
			}
			if (oh > 23 || om > 59)
				return false;
			offset = sign * (oh * 3600 + om * 60);
		}
		else
			return false;
	}
	if (p != end)
		return false;

	if (year < 1 || month < 1 || month > 12 || day < 1 ||
		day > days_in_month(year, month) || hour > 23 || minute > 59 ||
		second > 60)
		return false;

	*result = ((int64) (date2j(year, month, day) - POSTGRES_EPOCH_JDATE) * SECS_PER_DAY +
			   hour * 3600 + minute * 60 + second - offset) * USECS_PER_SEC + usec;
	return IS_VALID_TIMESTAMP(*result);
}

/*
 * A JSON number of seconds since 1970 (LookupEvents writes 1741079702.0).
 * Numbers of 1e11 and more are taken as milliseconds.
 */
bool
trail_parse_epoch(const char *s, int len, TimestampTz *result)
{
	char		buf[64];
	char	   *endptr;
	double		v;
	double		usecs;

	if (len <= 0 || len >= (int) sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtod(buf, &endptr);
	if (*endptr != '\0' || errno != 0 || isnan(v) || isinf(v))
		return false;
	if (fabs(v) >= TRAIL_EPOCH_MS_THRESHOLD)
		v /= 1000.0;
	usecs = rint((v - ((double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)) *
				 USECS_PER_SEC);
	if (usecs < (double) MIN_TIMESTAMP || usecs >= (double) END_TIMESTAMP)
		return false;
	*result = (TimestampTz) usecs;
	return true;
}

/*
 * A UUID in its usual 8-4-4-4-12 form or as 32 bare hex digits.
 */
bool
trail_parse_uuid(const char *s, int len, unsigned char *result)
{
	/* where each byte's two digits start, in the dashed and the bare form */
	static const uint8 dashed[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
	const uint8 *at;
	int			bad = 0;
	int			i;

	if (len == 36)
	{
		if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
			return false;
		at = dashed;
	}
	else if (len == 32)
		at = NULL;
	else
		return false;

	/* no early exit: eventIDs are valid, and the loop unrolls without one */
	for (i = 0; i < 16; i++)
	{
		int			k = at ? at[i] : 2 * i;
		int			hi = trail_hex_digit(s[k]);
		int			lo = trail_hex_digit(s[k + 1]);

		bad |= hi | lo;
		result[i] = (unsigned char) (hi << 4 | lo);
	}
	return bad >= 0;
}

/*
 * An inet for an IPv4 or IPv6 address written the usual way; NULL for
 * anything else (sourceIPAddress is often "AWS Internal" or a service name).
 */
Datum
trail_make_inet(const char *s, int len, bool *isnull)
{
	char		buf[64];
	unsigned char addr[16];
	inet	   *result;
	inet_struct *ip;

	*isnull = true;
	if (len <= 0 || len >= (int) sizeof(buf))
		return (Datum) 0;
	memcpy(buf, s, len);
	buf[len] = '\0';

	result = (inet *) palloc0(sizeof(inet));
	ip = &result->inet_data;
	if (inet_pton(AF_INET, buf, addr) == 1)
	{
		ip->family = PGSQL_AF_INET;
		ip->bits = 32;
		memcpy(ip->ipaddr, addr, 4);
	}
	else if (inet_pton(AF_INET6, buf, addr) == 1)
	{
		ip->family = PGSQL_AF_INET6;
		ip->bits = 128;
		memcpy(ip->ipaddr, addr, 16);
	}
	else
	{
		pfree(result);
		return (Datum) 0;
	}
	SET_INET_VARSIZE(result);
	*isnull = false;
	return PointerGetDatum(result);
}

/*
 * "true"/"false" in any letter case (Python writes "False"): 1 or 0, -1 for
 * anything else.
 */
int
trail_parse_bool_text(const char *s, int len)
{
	if (len == 4 && pg_strncasecmp(s, "true", 4) == 0)
		return 1;
	if (len == 5 && pg_strncasecmp(s, "false", 5) == 0)
		return 0;
	return -1;
}

/*
 * UTF-8 text (validated) -> the server encoding.  Returns the text in the
 * server encoding and its length in *outlen: s itself when nothing changes
 * (a UTF-8 or SQL_ASCII database, or ASCII text), else a palloc'd,
 * NUL-terminated copy.  Returns NULL when the text holds a character the
 * server encoding lacks; *bad_at is then its offset in s.  Unlike
 * pg_any_to_server this raises no error, so that the caller can make it a
 * soft one (skipped with on_error 'skip').
 */
char *
trail_utf8_to_server(const char *s, int len, int *outlen, int *bad_at)
{
	static Oid	proc = InvalidOid;
	int			encoding = GetDatabaseEncoding();
	char	   *result;
	int			converted;
	int			i;

	*outlen = len;
	if (encoding == PG_UTF8 || encoding == PG_SQL_ASCII)
		return (char *) s;
	for (i = 0; i < len; i++)
	{
		if (IS_HIGHBIT_SET(s[i]))
			break;
	}
	if (i == len)
		return (char *) s;
	if ((Size) len * MAX_CONVERSION_GROWTH + 1 > MaxAllocSize)
	{
		/* too large for one buffer: let PostgreSQL's conversion raise */
		result = pg_any_to_server(s, len, PG_UTF8);
		*outlen = strlen(result);
		return result;
	}
	if (!OidIsValid(proc))
	{
		/* the database encoding cannot change in a session */
		proc = FindDefaultConversionProc(PG_UTF8, encoding);
		if (!OidIsValid(proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("default conversion function for encoding \"%s\" to \"%s\" does not exist",
							pg_encoding_to_char(PG_UTF8),
							pg_encoding_to_char(encoding))));
	}
	result = palloc((Size) len * MAX_CONVERSION_GROWTH + 1);
	converted = pg_do_encoding_conversion_buf(proc, PG_UTF8, encoding,
											  (unsigned char *) s, len,
											  (unsigned char *) result,
											  len * MAX_CONVERSION_GROWTH + 1,
											  true);
	if (converted < len)
	{
		pfree(result);
		*bad_at = converted;
		return NULL;
	}
	*outlen = strlen(result);
	return result;
}

/*
 * Fill err for the character at s (UTF-8) that the server encoding lacks,
 * with PostgreSQL's own message for it.
 */
void
trail_error_untranslatable(TrailError *err, const char *s, int len)
{
	char		buf[8 * 5 + 1];
	char	   *p = buf;
	int			n = Min(pg_utf_mblen((const unsigned char *) s), len);
	int			i;

	for (i = 0; i < n; i++)
	{
		sprintf(p, "0x%02x", (unsigned char) s[i]);
		p += strlen(p);
		if (i < n - 1)
			*p++ = ' ';
	}
	*p = '\0';
	trail_error_set(err, ERRCODE_UNTRANSLATABLE_CHARACTER,
					"character with byte sequence %s in encoding \"%s\" has no equivalent in encoding \"%s\"",
					buf, pg_encoding_to_char(PG_UTF8),
					GetDatabaseEncodingName());
}
