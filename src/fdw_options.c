/*-------------------------------------------------------------------------
 *
 * fdw_options.c
 *	  The options of trail_fdw: one table says which option goes on which
 *	  object; the validator checks them (with the closest-match hint for a
 *	  misspelt name) and trail_fdw_get_options() reads them for a scan.
 *
 * Setting "location" points the server at its own files, so it needs
 * pg_read_server_files or superuser, as file_fdw's "filename" does.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "access/reloptions.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/varlena.h"

#include "trail_fdw.h"

typedef struct TrailOption
{
	const char *name;
	Oid			context;		/* the catalog the option belongs to */
} TrailOption;

static const TrailOption valid_options[] = {
	{"location", ForeignTableRelationId},
	{"recursive", ForeignTableRelationId},
	{"on_error", ForeignTableRelationId},
	{"max_delivery_delay", ForeignTableRelationId},
	{"folder_pruning", ForeignTableRelationId},
	{"verified_only", ForeignTableRelationId},
	{"field", AttributeRelationId},
	{NULL, InvalidOid}
};

PG_FUNCTION_INFO_V1(trail_fdw_validator);

/*
 * The interval text of max_delivery_delay in microseconds (the same syntax
 * as the setting trail.max_delivery_delay).
 */
static int64
parse_delay(const char *value)
{
	int64		usecs;

	if (!trail_parse_delay(value, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"max_delivery_delay\": \"%s\"", value),
				 errdetail("The value must be an interval that is not negative, for example '6 hours' or '3 days'.")));
	return usecs;
}

static void
unknown_option(DefElem *def, Oid context)
{
	const TrailOption *opt;
	const char *closest = NULL;
	int			best = -1;
	StringInfoData names;

	initStringInfo(&names);
	for (opt = valid_options; opt->name; opt++)
	{
		int			d;

		if (opt->context != context)
			continue;
		if (names.len > 0)
			appendStringInfoString(&names, ", ");
		appendStringInfoString(&names, opt->name);
		d = varstr_levenshtein(def->defname, strlen(def->defname),
							   opt->name, strlen(opt->name), 1, 1, 1, true);
		if (d <= 3 && (best < 0 || d < best))
		{
			best = d;
			closest = opt->name;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", def->defname),
			 closest ? errhint("Perhaps you meant the option \"%s\".", closest) :
			 names.len > 0 ?
			 errhint("Valid options in this context are: %s.", names.data) :
			 errhint("There are no valid options in this context.")));
}

/*
 * Check the options of a trail_fdw object.
 */
Datum
trail_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	bool		has_location = false;
	ListCell   *lc;
	List	   *seen = NIL;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const TrailOption *opt;

		for (opt = valid_options; opt->name; opt++)
		{
			if (opt->context == catalog && strcmp(opt->name, def->defname) == 0)
				break;
		}
		if (opt->name == NULL)
			unknown_option(def, catalog);
		if (list_member(seen, makeString(def->defname)))
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("conflicting or redundant options"),
					 errdetail("Option \"%s\" is given more than once.", def->defname)));
		seen = lappend(seen, makeString(def->defname));

		if (strcmp(def->defname, "location") == 0)
		{
			if (!superuser() &&
				!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set option \"location\""),
						 errdetail("Only roles with privileges of the \"%s\" role may set this option.",
								   "pg_read_server_files")));
			if (defGetString(def)[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"location\" must not be empty")));
			has_location = true;
		}
		else if (strcmp(def->defname, "recursive") == 0 ||
				 strcmp(def->defname, "folder_pruning") == 0 ||
				 strcmp(def->defname, "verified_only") == 0)
			(void) defGetBoolean(def);
		else if (strcmp(def->defname, "on_error") == 0)
			(void) trail_on_error_from_string(defGetString(def));
		else if (strcmp(def->defname, "max_delivery_delay") == 0)
			(void) parse_delay(defGetString(def));
		else if (strcmp(def->defname, "field") == 0)
		{
			int			nsteps;

			if (!trail_parse_field_path(defGetString(def), &nsteps, NULL))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid field path \"%s\"", defGetString(def)),
						 errhint("Write keys separated by dots and array elements as [n], for example 'requestParameters.bucketName' or 'resources[0].ARN'.")));
		}
	}

	if (catalog == ForeignTableRelationId && !has_location)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"location\" is required for trail_fdw foreign tables")));

	PG_RETURN_VOID();
}

/*
 * The options of a foreign table, with their defaults.
 */
void
trail_fdw_get_options(Oid foreigntableid, TrailFdwOptions *opts)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ListCell   *lc;

	opts->location = NULL;
	opts->recursive = true;
	opts->on_error = TRAIL_ON_ERROR_STOP;
	opts->max_delivery_delay = -1;
	opts->folder_pruning = trail_folder_pruning;
	opts->verified_only = false;

	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "location") == 0)
			opts->location = defGetString(def);
		else if (strcmp(def->defname, "recursive") == 0)
			opts->recursive = defGetBoolean(def);
		else if (strcmp(def->defname, "on_error") == 0)
			opts->on_error = trail_on_error_from_string(defGetString(def));
		else if (strcmp(def->defname, "max_delivery_delay") == 0)
			opts->max_delivery_delay = parse_delay(defGetString(def));
		else if (strcmp(def->defname, "folder_pruning") == 0)
			opts->folder_pruning = defGetBoolean(def);
		else if (strcmp(def->defname, "verified_only") == 0)
			opts->verified_only = defGetBoolean(def);
	}
	/* the setting only when the table does not say (it may be invalid) */
	if (opts->max_delivery_delay < 0)
		opts->max_delivery_delay = trail_max_delivery_delay_usecs();
	if (opts->location == NULL)
		elog(ERROR, "trail_fdw: foreign table has no location");
}

/*
 * The "field" option of a column, or NULL.
 */
char *
trail_fdw_column_field(Oid foreigntableid, AttrNumber attnum)
{
	ListCell   *lc;

	foreach(lc, GetForeignColumnOptions(foreigntableid, attnum))
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "field") == 0)
			return defGetString(def);
	}
	return NULL;
}
