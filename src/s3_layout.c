/*-------------------------------------------------------------------------
 *
 * s3_layout.c
 *	  What a path says in CloudTrail's S3 key layout:
 *
 *	  .../AWSLogs/[o-org/]<account>/<Folder>/<region>/YYYY/MM/DD/<file>
 *
 *	  <file> = <account>_<Folder>_<region>_<YYYYMMDDTHHmmZ>_<suffix>.json.gz
 *	  digest = <account>_CloudTrail-Digest_<region>_<trail>_<home region>_
 *	           <YYYYMMDDTHHMMSSZ>.json.gz
 *
 * The time in the file name is when the file was delivered (to the minute;
 * to the second for digests), not when its events happened.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "datatype/timestamp.h"
#include "utils/datetime.h"

static const struct
{
	const char *folder;
	TrailFileKind kind;
}			folders[] = {
	{"CloudTrail", TRAIL_KIND_CLOUDTRAIL},
	{"CloudTrail-Insight", TRAIL_KIND_INSIGHT},
	{"CloudTrail-NetworkActivity", TRAIL_KIND_NETWORK_ACTIVITY},
	{"CloudTrail-Digest", TRAIL_KIND_DIGEST},
	{"CloudTrail-Aggregated", TRAIL_KIND_AGGREGATED},
};

const char *
trail_kind_name(TrailFileKind kind)
{
	int			i;

	for (i = 0; i < lengthof(folders); i++)
	{
		if (folders[i].kind == kind)
			return folders[i].folder;
	}
	return NULL;
}

static bool
all_digits(const char *s, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/* one path component [start, end) */
typedef struct Part
{
	const char *s;
	int			len;
} Part;

static bool
part_is(Part p, const char *lit)
{
	return p.len == (int) strlen(lit) && memcmp(p.s, lit, p.len) == 0;
}

static bool
is_region(Part p)
{
	int			i;

	if (p.len < 1 || p.len >= 40)
		return false;
	for (i = 0; i < p.len; i++)
	{
		char		c = p.s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static int
num(const char *s, int n)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/*
 * YYYYMMDDTHHmm[ss]Z at s, n = 14 or 16.
 */
static bool
parse_name_time(const char *s, int n, TimestampTz *result)
{
	int			year,
				month,
				day,
				hour,
				minute,
				second = 0;

	if (!all_digits(s, 8) || s[8] != 'T' || !all_digits(s + 9, n - 10) ||
		s[n - 1] != 'Z')
		return false;
	year = num(s, 4);
	month = num(s + 4, 2);
	day = num(s + 6, 2);
	hour = num(s + 9, 2);
	minute = num(s + 11, 2);
	if (n == 16)
		second = num(s + 13, 2);
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
		minute > 59 || second > 59)
		return false;
	*result = ((int64) (date2j(year, month, day) - POSTGRES_EPOCH_JDATE) * SECS_PER_DAY +
			   hour * 3600 + minute * 60 + second) * USECS_PER_SEC;
	return true;
}

/*
 * The delivery time in a file name, given the layout parsed so far.
 */
static void
parse_file_name(Part name, Part folder, TrailLayout *layout)
{
	char		prefix[128];
	int			plen;
	const char *rest;
	int			restlen;

	plen = snprintf(prefix, sizeof(prefix), "%s_%.*s_%s_",
					layout->account_id, folder.len, folder.s, layout->region);
	if (plen >= (int) sizeof(prefix) || name.len <= plen ||
		memcmp(name.s, prefix, plen) != 0)
		return;
	rest = name.s + plen;
	restlen = name.len - plen;

	if (layout->kind == TRAIL_KIND_DIGEST)
	{
		/* the time is the last _-separated token, before ".json" */
		const char *dot = memchr(rest, '.', restlen);
		const char *p;

		if (dot == NULL || dot - rest < 16)
			return;
		p = dot - 16;
		if (p > rest && p[-1] != '_')
			return;
		layout->has_delivered_at = parse_name_time(p, 16, &layout->delivered_at);
	}
	else if (restlen > 15 && rest[14] == '_')
		layout->has_delivered_at = parse_name_time(rest, 14, &layout->delivered_at);
}

/*
 * Parse path.  Returns true and fills layout when the path is in the
 * layout; otherwise layout->kind is TRAIL_KIND_NONE.
 */
bool
trail_layout_parse(const char *path, TrailLayout *layout)
{
	Part		parts[10];
	int			nparts = 0;
	const char *p;
	const char *start = NULL;
	int			i;

	memset(layout, 0, sizeof(TrailLayout));

	/* the components after the last "AWSLogs" component */
	for (p = path; *p; p++)
	{
		if ((p == path || p[-1] == '/') && strncmp(p, "AWSLogs/", 8) == 0)
			start = p + 8;
	}
	if (start == NULL)
		return false;
	for (p = start; *p && nparts < lengthof(parts);)
	{
		const char *slash = strchr(p, '/');
		int			len = slash ? (int) (slash - p) : (int) strlen(p);

		parts[nparts].s = p;
		parts[nparts].len = len;
		nparts++;
		if (slash == NULL)
			break;
		p = slash + 1;
	}

	/* [o-org/]account/Folder/region/YYYY/MM/DD/file */
	i = 0;
	if (nparts == 8)
	{
		/* an organization trail: o-<id> first */
		if (parts[0].len < 3 || parts[0].len >= (int) sizeof(layout->organization_id) ||
			strncmp(parts[0].s, "o-", 2) != 0)
			return false;
		memcpy(layout->organization_id, parts[0].s, parts[0].len);
		i = 1;
	}
	else if (nparts != 7)
		return false;

	if (parts[i].len != 12 || !all_digits(parts[i].s, 12))
		goto not_layout;
	memcpy(layout->account_id, parts[i].s, 12);
	layout->account_id[12] = '\0';

	for (int f = 0; f < lengthof(folders); f++)
	{
		if (part_is(parts[i + 1], folders[f].folder))
			layout->kind = folders[f].kind;
	}
	if (layout->kind == TRAIL_KIND_NONE || !is_region(parts[i + 2]))
		goto not_layout;
	memcpy(layout->region, parts[i + 2].s, parts[i + 2].len);
	layout->region[parts[i + 2].len] = '\0';

	if (parts[i + 3].len != 4 || !all_digits(parts[i + 3].s, 4) ||
		parts[i + 4].len != 2 || !all_digits(parts[i + 4].s, 2) ||
		parts[i + 5].len != 2 || !all_digits(parts[i + 5].s, 2) ||
		parts[i + 6].len == 0)
		goto not_layout;

	parse_file_name(parts[i + 6], parts[i + 1], layout);
	return true;

not_layout:
	memset(layout, 0, sizeof(TrailLayout));
	return false;
}

/*
 * Parse a directory's path as a prefix of the layout (after its last
 * "AWSLogs" component): AWSLogs/[o-org/]<account>/<Folder>/<region>/YYYY/
 * MM/DD.  Returns false when it is not at or below an AWSLogs component, or
 * a component does not fit (the walk then has nothing to go by), or it is
 * deeper than a day.  A year, month or day folder gets its time span, in
 * UTC, the time zone of the names CloudTrail gives them.
 */
bool
trail_folder_parse(const char *dirpath, TrailFolder *folder)
{
	const char *p;
	const char *start = NULL;
	int			level = 0;
	int			year = 0,
				month = 1,
				day = 1;
	bool		first = true;

	memset(folder, 0, sizeof(TrailFolder));
	for (p = dirpath; *p; p++)
	{
		if ((p == dirpath || p[-1] == '/') && strncmp(p, "AWSLogs", 7) == 0 &&
			(p[7] == '/' || p[7] == '\0'))
			start = p + 7;
	}
	if (start == NULL)
		return false;

	p = start;
	while (*p == '/')
	{
		Part		part;
		const char *slash;

		p++;
		slash = strchr(p, '/');
		part.s = p;
		part.len = slash ? (int) (slash - p) : (int) strlen(p);
		p += part.len;
		if (part.len == 0)
			return false;

		/* an organization trail's o-<id> comes before the account */
		if (first && part.len >= 3 && part.len < 40 &&
			strncmp(part.s, "o-", 2) == 0)
		{
			first = false;
			continue;
		}
		first = false;

		switch (level)
		{
			case 0:
				if (part.len != 12 || !all_digits(part.s, 12))
					return false;
				memcpy(folder->account_id, part.s, 12);
				folder->account_id[12] = '\0';
				break;
			case 1:
				for (int f = 0; f < lengthof(folders); f++)
				{
					if (part_is(part, folders[f].folder))
						folder->kind = folders[f].kind;
				}
				if (folder->kind == TRAIL_KIND_NONE)
					return false;
				break;
			case 2:
				if (!is_region(part))
					return false;
				memcpy(folder->region, part.s, part.len);
				folder->region[part.len] = '\0';
				break;
			case 3:
				if (part.len != 4 || !all_digits(part.s, 4))
					return false;
				year = num(part.s, 4);
				break;
			case 4:
				if (part.len != 2 || !all_digits(part.s, 2))
					return false;
				month = num(part.s, 2);
				if (month < 1 || month > 12)
					return false;
				break;
			case 5:
				if (part.len != 2 || !all_digits(part.s, 2))
					return false;
				day = num(part.s, 2);
				if (day < 1 || day > 31)
					return false;
				break;
			default:
				return false;
		}
		level++;
		folder->depth = level;
	}

	if (level >= 4)
	{
		int			end_year = year,
					end_month = month,
					end_day = day;

		if (level == 4)
			end_year++;
		else if (level == 5)
		{
			if (++end_month > 12)
			{
				end_month = 1;
				end_year++;
			}
		}
		folder->has_time = true;
		folder->start = (TimestampTz) (date2j(year, month, day) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
		folder->end = (TimestampTz) (date2j(end_year, end_month, end_day) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
		if (level == 6)
			folder->end = folder->start + USECS_PER_DAY;
	}
	return true;
}
