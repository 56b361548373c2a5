/*-------------------------------------------------------------------------
 *
 * functions.c
 *	  The SQL-callable functions: trail.read, trail.parse and trail.files,
 *	  and the privilege check for reading server files.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/*
 * The readers of each extension version: a new symbol where the output
 * changes (1.1 added columns to trail.event), as pg_stat_statements does,
 * so that a database not yet updated gets the rows its type has.
 */
PG_FUNCTION_INFO_V1(trail_read);
PG_FUNCTION_INFO_V1(trail_parse_text);
PG_FUNCTION_INFO_V1(trail_parse_bytea);
PG_FUNCTION_INFO_V1(trail_read_1_1);
PG_FUNCTION_INFO_V1(trail_parse_text_1_1);
PG_FUNCTION_INFO_V1(trail_parse_bytea_1_1);
PG_FUNCTION_INFO_V1(trail_files);

/*
 * Reading files on the server is for superusers and members of
 * pg_read_server_files, as for pg_read_file() and COPY FROM a file.  The
 * install script also revokes EXECUTE from PUBLIC; this check stays in C so
 * that a careless GRANT does not open the server's files.
 */
bool
trail_may_read_files(void)
{
	return superuser() ||
		has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES);
}

void
trail_check_file_access(void)
{
	if (!trail_may_read_files())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read server files"),
				 errdetail("Only roles with privileges of the \"%s\" role may read files on the server.",
						   "pg_read_server_files")));
}

/*
 * Set up materialize mode with a trail.event result of ncolumns columns
 * and check that the composite type is the one this reader was made for.
 */
static TupleDesc
event_result(FunctionCallInfo fcinfo, int ncolumns)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	tupdesc;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	tupdesc = rsinfo->setDesc;
	for (i = 0; i < Max(tupdesc->natts, ncolumns); i++)
	{
		if (i >= tupdesc->natts || i >= ncolumns ||
			strcmp(NameStr(TupleDescAttr(tupdesc, i)->attname),
				   trail_columns[i].name) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("type trail.event does not match the trail library"),
					 errdetail("The type has %d columns, the function expects %d.",
							   tupdesc->natts, ncolumns),
					 errhint("Update the extension with ALTER EXTENSION trail UPDATE.")));
	}
	return tupdesc;
}

/*
 * Run a scan to its end, putting every row in the result tuplestore.
 *
 * This is the FunctionScan path, taken only when the CustomScan cannot be
 * (see read_scan.c): every column is built and every file read.  The scan
 * lives in a memory context of its own, deleted before returning, so that
 * a call per outer row (LATERAL) does not accumulate memory.
 */
static void
materialize_scan(FunctionCallInfo fcinfo, int ncolumns, TrailReport *report,
				 const char *location, bool recursive,
				 const char *data, size_t len)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	tupdesc = event_result(fcinfo, ncolumns);
	TrailOutput outputs[TRAIL_NCOLUMNS];
	Datum		values[TRAIL_NCOLUMNS];
	bool		isnull[TRAIL_NCOLUMNS];
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "trail function call",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TrailScanState *st;
	int			i;

	for (i = 0; i < TRAIL_NCOLUMNS; i++)
	{
		outputs[i].column = i;
		outputs[i].field = NULL;
		outputs[i].typid = trail_column_type(i);
		outputs[i].typmod = -1;
	}
	st = trail_scan_begin(report, TRAIL_NCOLUMNS, outputs);
	if (location != NULL)
	{
		bool		is_directory;
		List	   *files = trail_scan_walk(location,
											trail_scan_walk_flags(recursive),
											&is_directory, report);

		trail_scan_set_files(st, files, !is_directory);
	}
	else
		trail_scan_set_memory(st, data, len);
	while (trail_scan_next(st, values, isnull))
		tuplestore_putvalues(rsinfo->setResult, tupdesc, values, isnull);
	trail_scan_end(st);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * trail.read(location text, recursive boolean, on_error text)
 */
static Datum
read_events(FunctionCallInfo fcinfo, int ncolumns)
{
	char	   *location = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		recursive = PG_GETARG_BOOL(1);
	TrailOnError mode = trail_on_error_from_string(text_to_cstring(PG_GETARG_TEXT_PP(2)));

	trail_check_file_access();
	materialize_scan(fcinfo, ncolumns, trail_report_create(mode), location,
					 recursive, NULL, 0);
	return (Datum) 0;
}

/*
 * trail.parse(document text): the text is in the server encoding, the
 * reader wants UTF-8.
 */
static Datum
parse_text(FunctionCallInfo fcinfo, int ncolumns)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	const char *bytes = VARDATA_ANY(doc);
	int			len = VARSIZE_ANY_EXHDR(doc);
	char	   *utf8 = pg_server_to_any(bytes, len, PG_UTF8);

	materialize_scan(fcinfo, ncolumns, trail_report_create(TRAIL_ON_ERROR_STOP),
					 NULL, false, utf8, utf8 == bytes ? len : strlen(utf8));
	return (Datum) 0;
}

/*
 * trail.parse(document bytea): the same, and the bytes may be gzip.
 */
static Datum
parse_bytea(FunctionCallInfo fcinfo, int ncolumns)
{
	bytea	   *doc = PG_GETARG_BYTEA_PP(0);

	materialize_scan(fcinfo, ncolumns, trail_report_create(TRAIL_ON_ERROR_STOP),
					 NULL, false, VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc));
	return (Datum) 0;
}

Datum
trail_read(PG_FUNCTION_ARGS)
{
	return read_events(fcinfo, TRAIL_NCOLUMNS_1_0);
}

Datum
trail_parse_text(PG_FUNCTION_ARGS)
{
	return parse_text(fcinfo, TRAIL_NCOLUMNS_1_0);
}

Datum
trail_parse_bytea(PG_FUNCTION_ARGS)
{
	return parse_bytea(fcinfo, TRAIL_NCOLUMNS_1_0);
}

Datum
trail_read_1_1(PG_FUNCTION_ARGS)
{
	return read_events(fcinfo, TRAIL_NCOLUMNS);
}

Datum
trail_parse_text_1_1(PG_FUNCTION_ARGS)
{
	return parse_text(fcinfo, TRAIL_NCOLUMNS);
}

Datum
trail_parse_bytea_1_1(PG_FUNCTION_ARGS)
{
	return parse_bytea(fcinfo, TRAIL_NCOLUMNS);
}

/*
 * trail.files(location text, recursive boolean): what the S3 key layout
 * tells about each file.
 */
Datum
trail_files(PG_FUNCTION_ARGS)
{
	char	   *location = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		recursive = PG_GETARG_BOOL(1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TrailReport *report;
	List	   *files;
	bool		is_directory;
	ListCell   *lc;

	trail_check_file_access();
	InitMaterializedSRF(fcinfo, 0);

	/* a listing goes on past a bad directory, and warns at the end */
	report = trail_report_create(TRAIL_ON_ERROR_SKIP);
	files = trail_scan_walk(location,
							(recursive ? TRAIL_WALK_RECURSIVE : 0) | TRAIL_WALK_SIZES,
							&is_directory, report);
	foreach(lc, files)
	{
		TrailFile  *f = (TrailFile *) lfirst(lc);
		TrailLayout layout = f->layout;
		Datum		values[7];
		bool		isnull[7] = {0};

		values[0] = CStringGetTextDatum(f->path);
		isnull[1] = isnull[2] = isnull[3] = isnull[4] = isnull[5] = true;
		if (layout.kind != TRAIL_KIND_NONE)
		{
			values[1] = CStringGetTextDatum(trail_kind_name(layout.kind));
			isnull[1] = false;
			if (layout.organization_id[0] != '\0')
			{
				values[2] = CStringGetTextDatum(layout.organization_id);
				isnull[2] = false;
			}
			values[3] = CStringGetTextDatum(layout.account_id);
			values[4] = CStringGetTextDatum(layout.region);
			isnull[3] = isnull[4] = false;
			if (layout.has_delivered_at)
			{
				values[5] = TimestampTzGetDatum(layout.delivered_at);
				isnull[5] = false;
			}
		}
		values[6] = Int64GetDatum(f->size);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	trail_report_finish(report);
	return (Datum) 0;
}
