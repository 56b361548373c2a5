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

/* may pruning trust the account, region and category folders of files? */
bool		trail_folder_pruning = true;

/* how long after an event its file may be delivered, in microseconds */
static int64 max_delivery_delay_usecs = INT64CONST(6) * 60 * 60 * USECS_PER_SEC;
static char *max_delivery_delay_text = NULL;

/*
 * A value of trail.max_delivery_delay that was set before the library was
 * loaded (a placeholder) and turned out not to be an interval: PostgreSQL
 * would fall back to the default with a WARNING, and queries would then
 * use 6 hours without anyone asking for it.  Such a value is kept here and
 * every scan that needs the setting raises an error instead.
 */
static char *invalid_placeholder_delay = NULL;

/* developer settings: short reads and small inflate inputs (0: normal) */
int			trail_debug_read_size = 0;
int			trail_debug_inflate_chunk = 0;

/* developer setting: which inflater gzip goes through (tests compare them) */
int			trail_debug_inflater = TRAIL_INFLATER_FAST;

static const struct config_enum_entry inflater_options[] = {
	{"fast", TRAIL_INFLATER_FAST, false},
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
check_delivery_delay(char **newval, void **extra, GucSource source)
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
assign_delivery_delay(const char *newval, void *extra)
{
	max_delivery_delay_usecs = *(int64 *) extra;
	/* a value set since the library loaded replaces a bad placeholder */
	invalid_placeholder_delay = NULL;
}

/*
 * The delivery delay in force, in microseconds.
 */
int64
trail_max_delivery_delay_usecs(void)
{
	if (invalid_placeholder_delay != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"%s\": \"%s\"",
						"trail.max_delivery_delay", invalid_placeholder_delay),
				 errdetail("The value must be an interval that is not negative, for example '6 hours' or '3 days'."),
				 errhint("Set it again; it was set before the trail library was loaded.")));
	return max_delivery_delay_usecs;
}

void
_PG_init(void)
{
	const char *value = GetConfigOption("trail.max_delivery_delay", true, false);
	char	   *placeholder = value ? pstrdup(value) : NULL;
	int64		usecs;

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
							   &max_delivery_delay_text,
							   "6h",
							   PGC_USERSET,
							   0,
							   check_delivery_delay,
							   assign_delivery_delay,
							   NULL);
	DefineCustomBoolVariable("trail.folder_pruning",
							 "Lets pruning skip files by their account, region and category folders.",
							 "Pruning trusts that a file's records belong to the account, region and category of the folder the file is in, as CloudTrail delivers them.  Turn it off for trees where that may not hold.  Foreign tables can set their own with the option folder_pruning.",
							 &trail_folder_pruning,
							 true,
							 PGC_USERSET,
							 0,
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
							 "Developer setting: inflate gzip with the fast library of the build (fast) or with zlib.",
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
	if (placeholder != NULL && !trail_parse_delay(placeholder, &usecs))
		invalid_placeholder_delay = MemoryContextStrdup(TopMemoryContext,
														placeholder);

	trail_read_scan_init();
}
