/*-------------------------------------------------------------------------
 *
 * arn.c
 *	  Amazon Resource Names: arn:partition:service:region:account:resource,
 *	  taken apart for joins with inventories (trail.arn()).
 *
 * The resource part is "id", "type/id" or "type:id"; the type is what comes
 * before the first '/' or ':', and everything after it is the id (so
 * "function:name:alias" is the function "name:alias", "assumed-role/Admin/
 * alice" the assumed role "Admin/alice", "log-group:name:*" the log group
 * "name:*").  S3 names buckets and objects without a type and without a
 * region or account: arn:aws:s3:::bucket is a bucket, arn:aws:s3:::bucket/key
 * an object whose id is "bucket/key".  Parts an ARN leaves empty are NULL.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"

/* the fields of trail.arn, in order */
enum
{
	ARN_PARTITION,
	ARN_SERVICE,
	ARN_REGION,
	ARN_ACCOUNT,
	ARN_RESOURCE_TYPE,
	ARN_RESOURCE_ID,
	ARN_NFIELDS
};

/*
 * Take s (len bytes) apart.  Returns false when it is not an ARN: it must
 * start with "arn:", have six parts, and a partition, service and resource.
 */
bool
trail_arn_parse(const char *s, int len, TrailArn *arn)
{
	const char *end = s + len;
	const char *p;
	const char *parts[5];
	int			lens[5];
	int			i;

	memset(arn, 0, sizeof(TrailArn));
	if (len < 4 || memcmp(s, "arn:", 4) != 0)
		return false;
	p = s + 4;
	for (i = 0; i < 4; i++)
	{
		const char *colon = memchr(p, ':', end - p);

		if (colon == NULL)
			return false;
		parts[i] = p;
		lens[i] = colon - p;
		p = colon + 1;
	}
	parts[4] = p;
	lens[4] = end - p;
	if (lens[0] == 0 || lens[1] == 0 || lens[4] == 0)
		return false;

	arn->partition = parts[0];
	arn->partition_len = lens[0];
	arn->service = parts[1];
	arn->service_len = lens[1];
	arn->region = parts[2];
	arn->region_len = lens[2];
	arn->account = parts[3];
	arn->account_len = lens[3];

	/* S3 buckets and objects: no type, no region, no account */
	if (lens[1] == 2 && memcmp(parts[1], "s3", 2) == 0 && lens[2] == 0 &&
		lens[3] == 0)
	{
		bool		object = memchr(parts[4], '/', lens[4]) != NULL;

		arn->resource_type = object ? "object" : "bucket";
		arn->resource_type_len = 6;	/* both words are six letters */
		arn->resource_id = parts[4];
		arn->resource_id_len = lens[4];
		return true;
	}

	for (p = parts[4]; p < end; p++)
	{
		if (*p == '/' || *p == ':')
			break;
	}
	if (p < end && p > parts[4] && p + 1 < end)
	{
		arn->resource_type = parts[4];
		arn->resource_type_len = p - parts[4];
		arn->resource_id = p + 1;
		arn->resource_id_len = end - (p + 1);
	}
	else
	{
		arn->resource_id = parts[4];
		arn->resource_id_len = lens[4];
	}
	return true;
}

static void
set_field(Datum *values, bool *nulls, int field, const char *s, int len)
{
	if (s == NULL || len == 0)
	{
		nulls[field] = true;
		return;
	}
	values[field] = PointerGetDatum(trail_text_from_bytes(s, len));
	nulls[field] = false;
}

PG_FUNCTION_INFO_V1(trail_arn);

/*
 * trail.arn(arn text, lenient boolean DEFAULT false) RETURNS trail.arn
 *
 * Text that is not an ARN is an error, or NULL when lenient.
 */
Datum
trail_arn(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	bool		lenient = PG_NARGS() > 1 && PG_GETARG_BOOL(1);
	TupleDesc	tupdesc;
	TrailArn	arn;
	Datum		values[ARN_NFIELDS];
	bool		nulls[ARN_NFIELDS];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	if (tupdesc->natts != ARN_NFIELDS)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("type trail.arn does not match the trail library"),
				 errhint("Update the extension with ALTER EXTENSION trail UPDATE.")));

	if (!trail_arn_parse(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg), &arn))
	{
		if (lenient)
			PG_RETURN_NULL();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid ARN: \"%s\"", text_to_cstring(arg)),
				 errdetail("An ARN has the form arn:partition:service:region:account-id:resource, with a partition, a service and a resource."),
				 errhint("Pass lenient => true to get NULL for text that is not an ARN.")));
	}
	set_field(values, nulls, ARN_PARTITION, arn.partition, arn.partition_len);
	set_field(values, nulls, ARN_SERVICE, arn.service, arn.service_len);
	set_field(values, nulls, ARN_REGION, arn.region, arn.region_len);
	set_field(values, nulls, ARN_ACCOUNT, arn.account, arn.account_len);
	set_field(values, nulls, ARN_RESOURCE_TYPE, arn.resource_type, arn.resource_type_len);
	set_field(values, nulls, ARN_RESOURCE_ID, arn.resource_id, arn.resource_id_len);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
