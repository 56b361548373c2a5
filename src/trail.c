/*-------------------------------------------------------------------------
 *
 * trail.c
 *	  Module load: settings and the planner hook.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <limits.h>

#include "common/int.h"
#include "utils/memutils.h"
#include "utils/datetime.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

/* largest JSON value (a record, or a whole non-Records document), in kB */
int			trail_max_record_size = 64 * 1024;

/* may pruning trust the account, region, category and day folders of files? */
bool		trail_folder_pruning = true;

/*
 * A setting that is an interval (trail.max_delivery_delay: how long after
 * an event its file may be delivered; trail.digest_lookahead: how long
 * after a window the walk reads digests for late files), in microseconds.
 *
 * A value set before the library was loaded (a placeholder) that turns out
 * not to be an interval would make PostgreSQL fall back to the default with
 * a WARNING, and queries would then use the default without anyone asking
 * for it.  Such a value is kept in invalid_placeholder, and every scan that
 * needs the setting raises an error instead.
 */
typedef struct IntervalSetting
{
	const char *name;
	int64		usecs;
	char	   *text;
	char	   *invalid_placeholder;
} IntervalSetting;

static IntervalSetting max_delivery_delay = {
	"trail.max_delivery_delay", INT64CONST(6) * 60 * 60 * USECS_PER_SEC
};
static IntervalSetting digest_lookahead = {
	"trail.digest_lookahead", INT64CONST(7) * USECS_PER_DAY
};

/* developer settings: short reads and small inflate inputs (0: normal) */
int			trail_debug_read_size = 0;
int			trail_debug_inflate_chunk = 0;

/* developer setting: which inflater gzip goes through (tests compare them) */
int			trail_debug_inflater = TRAIL_INFLATER_FAST;

static const struct config_enum_entry inflater_options[] = {
	{"fast", TRAIL_INFLATER_FAST, false},
	{"streaming", TRAIL_INFLATER_STREAMING, false},
	{"zlib", TRAIL_INFLATER_ZLIB, false},
	{NULL, 0, false}
};

/* trail.inflater: what 'fast' means in this build (read only) */
static char *inflater_name = NULL;

void		_PG_init(void);

/*
 * Parse a delivery delay: any interval PostgreSQL accepts ('6h', '3 days',
 * 'P1D', '90 minutes'), not negative.  Months count as 30 days.  Returns
 * false for anything else; never raises an error (GUC check hooks must
 * not).
 */
bool
trail_parse_delay(const char *text, int64 *usecs)
{
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_itm_in itm;
	Interval	iv;
	int			rc;
	char	   *copy;

	if (text == NULL)
		return false;
	rc = ParseDateTime(text, workbuf, sizeof(workbuf), field, ftype,
					   MAXDATEFIELDS, &nf);
	if (rc == 0)
		rc = DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm);
	if (rc == DTERR_BAD_FORMAT)
	{
		/* ISO 8601, as interval_in tries next */
		copy = pstrdup(text);
		rc = DecodeISO8601Interval(copy, &dtype, &itm);
		pfree(copy);
	}
	if (rc != 0 || dtype != DTK_DELTA || itmin2interval(&itm, &iv) != 0)
		return false;
	if (pg_mul_s64_overflow((int64) iv.month * DAYS_PER_MONTH + iv.day,
							USECS_PER_DAY, usecs) ||
		pg_add_s64_overflow(*usecs, iv.time, usecs) ||
		*usecs < 0)
		return false;
	return true;
}

static bool
check_interval(char **newval, void **extra, GucSource source)
{
	int64		usecs;
	int64	   *result;

	if (!trail_parse_delay(*newval, &usecs))
	{
		GUC_check_errdetail("The value must be an interval that is not negative, for example '6 hours' or '3 days'.");
		return false;
	}
	result = (int64 *) malloc(sizeof(int64));
	if (result == NULL)
		return false;
	*result = usecs;
	*extra = result;
	return true;
}

static void
assign_interval(IntervalSetting *setting, void *extra)
{
	setting->usecs = *(int64 *) extra;
	/* a value set since the library loaded replaces a bad placeholder */
	setting->invalid_placeholder = NULL;
}

static void
assign_delivery_delay(const char *newval, void *extra)
{
	assign_interval(&max_delivery_delay, extra);
}

static void
assign_digest_lookahead(const char *newval, void *extra)
{
	assign_interval(&digest_lookahead, extra);
}

static int64
interval_usecs(const IntervalSetting *setting)
{
	if (setting->invalid_placeholder != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"%s\": \"%s\"",
						setting->name, setting->invalid_placeholder),
				 errdetail("The value must be an interval that is not negative, for example '6 hours' or '3 days'."),
				 errhint("Set it again; it was set before the trail library was loaded.")));
	return setting->usecs;
}

/* the delivery delay in force, in microseconds */
int64
trail_max_delivery_delay_usecs(void)
{
	return interval_usecs(&max_delivery_delay);
}

/* how long after a window digests are read for late files, in microseconds */
int64
trail_digest_lookahead_usecs(void)
{
	return interval_usecs(&digest_lookahead);
}

/* remember the value of a placeholder that the setting just refused */
static void
keep_invalid_placeholder(IntervalSetting *setting, const char *placeholder)
{
	int64		usecs;

	if (placeholder != NULL && !trail_parse_delay(placeholder, &usecs))
		setting->invalid_placeholder = MemoryContextStrdup(TopMemoryContext,
														   placeholder);
}

void
_PG_init(void)
{
	const char *value = GetConfigOption("trail.max_delivery_delay", true, false);
	char	   *delay_placeholder = value ? pstrdup(value) : NULL;
	char	   *lookahead_placeholder;

	value = GetConfigOption("trail.digest_lookahead", true, false);
	lookahead_placeholder = value ? pstrdup(value) : NULL;

	/*
	 * Only superusers (or roles granted SET on it) raise the record size
	 * limit: it guards trail.parse(), which anyone may call, against
	 * decompression bombs.
	 */
	DefineCustomIntVariable("trail.max_record_size",
							"Largest CloudTrail record trail reads.",
							"A guard against hostile or broken input; CloudTrail's own limit is 256 kB per event.",
							&trail_max_record_size,
							64 * 1024,
							256,
							1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomStringVariable("trail.max_delivery_delay",
							   "How much later than an event its log file may be delivered.",
							   "Pruning by event_time reads files delivered up to this long after the time window.  An interval, such as '6 hours' or '3 days'.  Foreign tables can set their own with the option max_delivery_delay.",
							   &max_delivery_delay.text,
							   "6h",
							   PGC_USERSET,
							   0,
							   check_interval,
							   assign_delivery_delay,
							   NULL);
	DefineCustomStringVariable("trail.digest_lookahead",
							   "How much later than a time window digests are read for files delivered late.",
							   "A digest lists each file with its exact event range, so a file delivered later than max_delivery_delay is still found when a digest the walk reads lists it.  The walk reads digests delivered up to this long after the window (at least max_delivery_delay); a longer lookahead finds later files and reads more digests.  An interval, such as '7 days'.",
							   &digest_lookahead.text,
							   "7 days",
							   PGC_USERSET,
							   0,
							   check_interval,
							   assign_digest_lookahead,
							   NULL);
	DefineCustomBoolVariable("trail.folder_pruning",
							 "Lets pruning skip files by their account, region, category and day folders.",
							 "Pruning trusts that a file's records belong to the account, region and category of the folder the file is in, and that the file is in the folder of its delivery day, as CloudTrail delivers them.  Turn it off for trees where that may not hold.  Foreign tables can set their own with the option folder_pruning.",
							 &trail_folder_pruning,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("trail.listing_cache_size",
							"Memory each session may keep directory listings in, across statements.",
							"A walk lists a directory again only when its modification or change time differs from when it was listed, or when it had changed less than two seconds before then.  0 lists every directory every time.",
							&trail_listing_cache_size,
							16 * 1024,
							0,
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	/*
	 * Hidden developer settings, for tests that must cross every refill
	 * path of the readers with tiny reads (t/002_robustness.pl).
	 */
	DefineCustomIntVariable("trail.debug_read_size",
							"Developer setting: the most bytes one read of the byte source returns (0: no limit).",
							NULL,
							&trail_debug_read_size,
							0, 0, INT_MAX,
							PGC_SUSET,
							GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("trail.debug_inflate_chunk",
							"Developer setting: the most compressed bytes fed to the inflater at a time (0: normal).",
							NULL,
							&trail_debug_inflate_chunk,
							0, 0, INT_MAX,
							PGC_SUSET,
							GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomEnumVariable("trail.debug_inflater",
							 "Developer setting: inflate gzip with the fast libraries of the build (fast), with its streaming one only (streaming) or with zlib.",
							 NULL,
							 &trail_debug_inflater,
							 TRAIL_INFLATER_FAST,
							 inflater_options,
							 PGC_SUSET,
							 GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("trail.inflater",
							   "Shows the library that inflates gzip in this build.",
							   NULL,
							   &inflater_name,
							   trail_source_inflater_name(),
							   PGC_INTERNAL,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	MarkGUCPrefixReserved("trail");

	/*
	 * A placeholder's bad value was refused just now (with a WARNING), and
	 * the default took its place: remember the bad value.
	 */
	keep_invalid_placeholder(&max_delivery_delay, delay_placeholder);
	keep_invalid_placeholder(&digest_lookahead, lookahead_placeholder);

	trail_read_scan_init();
}
