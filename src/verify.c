/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  The SQL front end of log file validation: trail.load_public_keys and
 *	  trail.verify.  The checks themselves are in digest.c; this file
 *	  reads the keys from trail.public_key, turns the signatures argument
 *	  into a list, returns the rows and records the verdicts in
 *	  trail.verdict.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <sys/stat.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/base64.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(trail_load_public_keys);
PG_FUNCTION_INFO_V1(trail_verify);

/* the extension's schema, quoted, from the function being called */
static const char *
ext_schema(FunctionCallInfo fcinfo)
{
	char	   *nsp = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));

	return quote_identifier(nsp);
}

/* ----------------------------------------------------------------
 * trail.load_public_keys(document text, region text)
 * ----------------------------------------------------------------
 */

static void
key_list_error(int entry, const char *fmt, const char *arg)
{
	char	   *msg = psprintf(fmt, arg);

	if (entry > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid public key list: entry %d of \"PublicKeyList\" %s",
						entry, msg),
				 errhint("Pass the JSON that \"aws cloudtrail list-public-keys\" prints.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid public key list: %s", msg),
			 errhint("Pass the JSON that \"aws cloudtrail list-public-keys\" prints.")));
}

static const TrailDocNode *
key_member(const TrailDocNode *obj, const char *key, int entry)
{
	bool		duplicate;
	const TrailDocNode *v = trail_doc_member(obj, key, &duplicate);

	if (v == NULL)
		key_list_error(entry, "has no \"%s\" key", key);
	if (duplicate)
		key_list_error(entry, "has the key \"%s\" more than once", key);
	return v;
}

/* ValidityStartTime/EndTime: ISO 8601 text (the CLI's default) or epoch */
static TimestampTz
key_time(const TrailDocNode *obj, const char *key, int entry)
{
	const TrailDocNode *v = key_member(obj, key, entry);
	double		epoch;

	if (trail_doc_number(v, &epoch))
		return DatumGetTimestampTz(DirectFunctionCall1(float8_timestamptz,
													   Float8GetDatum(epoch)));
	if (trail_doc_type(v) == TRAIL_JSON_STRING)
	{
		const char *s = trail_doc_string(v);
		TimestampTz t;

		if (trail_parse_timestamp(s, strlen(s), &t))
			return t;
		return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
													   CStringGetDatum(s),
													   ObjectIdGetDatum(InvalidOid),
													   Int32GetDatum(-1)));
	}
	key_list_error(entry, "has \"%s\" that is not a time", key);
	return 0;
}

/* errors from the type input functions say which entry they are about */
static void
key_entry_context(void *arg)
{
	int			entry = *(int *) arg;

	if (entry > 0)
		errcontext("entry %d of \"PublicKeyList\"", entry);
}

Datum
trail_load_public_keys(PG_FUNCTION_ARGS)
{
	text	   *doctext = PG_GETARG_TEXT_PP(0);
	char	   *region = text_to_cstring(PG_GETARG_TEXT_PP(1));
	TrailError	err = {0};
	TrailDoc   *doc;
	const TrailDocNode *list;
	const TrailDocNode *e;
	bool		duplicate;
	int			entry = 0;
	int			stored = 0;
	SPIPlanPtr	plan;
	Oid			argtypes[5] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, BYTEAOID};
	ErrorContextCallback errcallback;

	if (region[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("region must not be empty")));
	err.offset = -1;
	doc = trail_doc_parse(VARDATA_ANY(doctext), VARSIZE_ANY_EXHDR(doctext), &err);
	if (doc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid public key list: %s", err.message),
				 err.detail ? errdetail_internal("%s", err.detail) : 0,
				 errhint("Pass the JSON that \"aws cloudtrail list-public-keys\" prints.")));
	if (trail_doc_type(trail_doc_root(doc)) != TRAIL_JSON_OBJECT)
		key_list_error(0, "%s", "the document is not a JSON object");
	list = trail_doc_member(trail_doc_root(doc), "PublicKeyList", &duplicate);
	if (duplicate)
		key_list_error(0, "%s", "it has the key \"PublicKeyList\" more than once");
	if (list == NULL || trail_doc_type(list) != TRAIL_JSON_ARRAY)
		key_list_error(0, "%s", "it has no \"PublicKeyList\" array");
	errcallback.callback = key_entry_context;
	errcallback.arg = &entry;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	SPI_connect();
	plan = SPI_prepare(psprintf("INSERT INTO %s.public_key AS k "
								"(fingerprint, region, valid_from, valid_to, key) "
								"VALUES ($1, $2, $3, $4, $5) "
								"ON CONFLICT (fingerprint) DO UPDATE SET region = excluded.region, "
								"valid_from = excluded.valid_from, valid_to = excluded.valid_to, "
								"key = excluded.key", ext_schema(fcinfo)),
					   5, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

	for (e = trail_doc_next(list, NULL); e != NULL; e = trail_doc_next(list, e))
	{
		const char *value;
		const char *fp;
		char	   *fplower;
		int			vlen;
		int			derlen;
		bytea	   *der;
		int			bits;
		TimestampTz from,
					to;
		Datum		values[5];
		int			i;

		CHECK_FOR_INTERRUPTS();
		entry++;
		if (trail_doc_type(e) != TRAIL_JSON_OBJECT)
			key_list_error(entry, "%s", "is not an object");
		value = trail_doc_string(key_member(e, "Value", entry));
		if (value == NULL)
			key_list_error(entry, "has \"%s\" that is not a string", "Value");
		fp = trail_doc_string(key_member(e, "Fingerprint", entry));
		if (fp == NULL || strlen(fp) != 32 || strspn(fp, "0123456789abcdefABCDEF") != 32)
			key_list_error(entry, "has \"%s\" that is not 32 hex digits", "Fingerprint");
		fplower = pstrdup(fp);
		for (i = 0; fplower[i]; i++)
			fplower[i] = pg_ascii_tolower((unsigned char) fplower[i]);
		from = key_time(e, "ValidityStartTime", entry);
		to = key_time(e, "ValidityEndTime", entry);
		if (from > to)
			key_list_error(entry, "%s", "ends before it starts");

		vlen = strlen(value);
		der = palloc(VARHDRSZ + pg_b64_dec_len(vlen));
		derlen = pg_b64_decode(value, vlen, VARDATA(der), pg_b64_dec_len(vlen));
		if (derlen <= 0)
			key_list_error(entry, "has \"%s\" that is not base64", "Value");
		SET_VARSIZE(der, VARHDRSZ + derlen);
		if (!trail_public_key_check((unsigned char *) VARDATA(der), derlen, &bits))
			key_list_error(entry, "%s", "has a \"Value\" that is not an RSA public key in DER (PKCS#1 or SubjectPublicKeyInfo)");

		values[0] = CStringGetTextDatum(fplower);
		values[1] = CStringGetTextDatum(region);
		values[2] = TimestampTzGetDatum(from);
		values[3] = TimestampTzGetDatum(to);
		values[4] = PointerGetDatum(der);
		if (SPI_execute_plan(plan, values, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not store a public key");
		stored++;
	}
	error_context_stack = errcallback.previous;
	SPI_finish();
	trail_doc_free(doc);
	PG_RETURN_INT32(stored);
}

/* ----------------------------------------------------------------
 * trail.verify(location, since, until, signatures)
 * ----------------------------------------------------------------
 */

static List *
load_keys(const char *schema)
{
	List	   *keys = NIL;
	uint64		i;
	MemoryContext outer = CurrentMemoryContext;

	if (SPI_execute(psprintf("SELECT fingerprint, region, valid_from, valid_to, key "
							 "FROM %s.public_key", schema), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read trail.public_key");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(outer);
		TrailPublicKey *k = palloc0(sizeof(TrailPublicKey));
		bytea	   *der;

		k->fingerprint = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		k->region = TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull));
		k->valid_from = DatumGetTimestampTz(SPI_getbinval(tup, desc, 3, &isnull));
		k->valid_to = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
		der = DatumGetByteaPCopy(SPI_getbinval(tup, desc, 5, &isnull));
		k->der = (unsigned char *) VARDATA(der);
		k->derlen = VARSIZE(der) - VARHDRSZ;
		keys = lappend(keys, k);
		MemoryContextSwitchTo(old);
	}
	return keys;
}

/* signatures jsonb: an object of digest key -> hex signature */
static List *
given_signatures(Jsonb *jb)
{
	List	   *list = NIL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("signatures must be a JSON object"),
				 errdetail("Its keys are digest S3 keys (AWSLogs/...), its values the hex signatures from their x-amz-meta-signature metadata.")));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			TrailGivenSignature *g;

			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("signature for \"%s\" in signatures is not a string", key)));
			g = palloc(sizeof(TrailGivenSignature));
			g->key = key;
			g->hex = pnstrdup(v.val.string.val, v.val.string.len);
			list = lappend(list, g);
		}
	}
	return list;
}

/*
 * Verdicts are written VERDICT_BATCH at a time: one statement per batch
 * over arrays (unnest), so that the arrays do not grow with the tree (one
 * statement over the 28000 rows of the bench tree held them all twice).
 */
#define VERDICT_BATCH 2000

typedef struct VerdictBatch
{
	SPIPlanPtr	upsert;
	SPIPlanPtr	forget;
	MemoryContext cxt;			/* the arrays of one batch */
	int			k;				/* rows to upsert */
	int			g;				/* paths to forget */
	Datum		paths[VERDICT_BATCH];
	Datum		objects[VERDICT_BATCH];
	Datum		sizes[VERDICT_BATCH];
	Datum		mtimes[VERDICT_BATCH];
	Datum		statuses[VERDICT_BATCH];
	Datum		vouched[VERDICT_BATCH];
	Datum		digests[VERDICT_BATCH];
	bool		dnulls[VERDICT_BATCH];
	Datum		gone[VERDICT_BATCH];
} VerdictBatch;

static Datum
text_array(Datum *elems, int n)
{
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static void
flush_verdicts(VerdictBatch *b)
{
	MemoryContext old = MemoryContextSwitchTo(b->cxt);
	Datum		args[7];
	int			dims[1];
	int			lbs[1] = {1};

	if (b->k > 0)
	{
		dims[0] = b->k;
		args[0] = text_array(b->paths, b->k);
		args[1] = text_array(b->objects, b->k);
		args[2] = PointerGetDatum(construct_array(b->sizes, b->k, INT8OID, 8,
												  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[3] = PointerGetDatum(construct_array(b->mtimes, b->k, TIMESTAMPTZOID, 8,
												  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[4] = text_array(b->statuses, b->k);
		args[5] = PointerGetDatum(construct_array(b->vouched, b->k, BOOLOID, 1, true,
												  TYPALIGN_CHAR));
		args[6] = PointerGetDatum(construct_md_array(b->digests, b->dnulls, 1, dims, lbs,
													 TEXTOID, -1, false, TYPALIGN_INT));
		if (SPI_execute_plan(b->upsert, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record verdicts");
	}
	if (b->g > 0)
	{
		args[0] = text_array(b->gone, b->g);
		if (SPI_execute_plan(b->forget, args, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not forget verdicts");
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(b->cxt);
	b->k = 0;
	b->g = 0;
}

/* keep the verdicts: upsert the files on disk, forget the missing ones */
static void
record_verdicts(const char *schema, List *rows)
{
	VerdictBatch *b = palloc(sizeof(VerdictBatch));
	Oid			types[7] = {TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID,
		TIMESTAMPTZARRAYOID, TEXTARRAYOID, BOOLARRAYOID, TEXTARRAYOID};
	ListCell   *lc;

	/*
	 * unnest() in the target list (arrays of one length: they advance
	 * together) streams the rows; in FROM, it would store them first.
	 */
	b->upsert = SPI_prepare(psprintf("INSERT INTO %s.verdict AS v "
									 "SELECT unnest($1), unnest($2), unnest($3), unnest($4), "
									 "unnest($5), unnest($6), unnest($7), statement_timestamp() "
									 "ON CONFLICT (path) DO UPDATE SET object = excluded.object, "
									 "size = excluded.size, mtime = excluded.mtime, "
									 "status = excluded.status, vouched = excluded.vouched, "
									 "digest_path = excluded.digest_path, "
									 "verified_at = excluded.verified_at", schema),
							7, types);
	b->forget = SPI_prepare(psprintf("DELETE FROM %s.verdict WHERE path = ANY ($1)",
									 schema),
							1, types);
	if (b->upsert == NULL || b->forget == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	b->cxt = AllocSetContextCreate(CurrentMemoryContext, "trail verdicts",
								   ALLOCSET_DEFAULT_SIZES);
	b->k = 0;
	b->g = 0;

	foreach(lc, rows)
	{
		TrailVerifyRow *r = lfirst(lc);
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (!r->on_disk && strcmp(r->status, "missing") != 0)
			continue;
		old = MemoryContextSwitchTo(b->cxt);
		if (!r->on_disk)
			b->gone[b->g++] = CStringGetTextDatum(r->path);
		else
		{
			int			k = b->k++;

			b->paths[k] = CStringGetTextDatum(r->path);
			b->objects[k] = CStringGetTextDatum(r->is_digest ? "digest" : "log");
			b->sizes[k] = Int64GetDatum(r->size);
			b->mtimes[k] = TimestampTzGetDatum(r->mtime);
			b->statuses[k] = CStringGetTextDatum(r->status);
			b->vouched[k] = BoolGetDatum(r->vouched);
			b->dnulls[k] = r->digest_path == NULL;
			b->digests[k] = r->digest_path ? CStringGetTextDatum(r->digest_path) : (Datum) 0;
		}
		MemoryContextSwitchTo(old);
		if (b->k == VERDICT_BATCH || b->g == VERDICT_BATCH)
			flush_verdicts(b);
	}
	flush_verdicts(b);
	MemoryContextDelete(b->cxt);
	pfree(b);
}

static int
compare_rows(const ListCell *a, const ListCell *b)
{
	const TrailVerifyRow *ra = lfirst(a);
	const TrailVerifyRow *rb = lfirst(b);

	return strcmp(ra->path, rb->path);
}

Datum
trail_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TrailVerifyRequest req = {0};
	MemoryContext cxt;
	MemoryContext rowcxt;
	MemoryContext old;
	List	   *rows;
	ListCell   *lc;

	trail_check_file_access();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("location must not be null")));
	InitMaterializedSRF(fcinfo, 0);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "trail verify",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	req.location = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
	{
		req.has_since = true;
		req.since = PG_GETARG_TIMESTAMPTZ(1);
	}
	if (!PG_ARGISNULL(2))
	{
		req.has_until = true;
		req.until = PG_GETARG_TIMESTAMPTZ(2);
	}
	if (!PG_ARGISNULL(3))
		req.signatures = given_signatures(PG_GETARG_JSONB_P(3));

	/*
	 * SPI_connect and every SPI call leave the current context at SPI's
	 * own, which SPI_finish frees: the results live in cxt.
	 */
	SPI_connect();
	MemoryContextSwitchTo(cxt);
	req.keys = load_keys(ext_schema(fcinfo));
	MemoryContextSwitchTo(cxt);
	rows = trail_verify_walk(&req);
	list_sort(rows, compare_rows);
	record_verdicts(ext_schema(fcinfo), rows);
	SPI_finish();

	/* the rows' text datums are copied into the tuplestore: one row at a time */
	rowcxt = AllocSetContextCreate(cxt, "trail verify row", ALLOCSET_SMALL_SIZES);
	foreach(lc, rows)
	{
		TrailVerifyRow *r = lfirst(lc);
		Datum		values[8];
		bool		nulls[8] = {0};

		MemoryContextSwitchTo(rowcxt);
		MemoryContextReset(rowcxt);

		values[0] = CStringGetTextDatum(r->is_digest ? "digest" : "log");
		values[1] = CStringGetTextDatum(r->path);
		nulls[2] = r->account_id == NULL;
		values[2] = nulls[2] ? (Datum) 0 : CStringGetTextDatum(r->account_id);
		nulls[3] = r->region == NULL;
		values[3] = nulls[3] ? (Datum) 0 : CStringGetTextDatum(r->region);
		nulls[4] = !r->has_delivered_at;
		values[4] = TimestampTzGetDatum(r->delivered_at);
		values[5] = CStringGetTextDatum(r->status);
		nulls[6] = r->detail == NULL;
		values[6] = nulls[6] ? (Datum) 0 : CStringGetTextDatum(r->detail);
		nulls[7] = r->digest_path == NULL;
		values[7] = nulls[7] ? (Datum) 0 : CStringGetTextDatum(r->digest_path);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	PG_RETURN_NULL();
}

/* ----------------------------------------------------------------
 * The foreign tables' verified_only: keep the files proven intact
 * ----------------------------------------------------------------
 */

/*
 * The paths whose recorded verdict is valid and vouched for by a verified
 * digest, and whose size and modification time are still those verified.
 * counts gets why the others were left out.  The extension's schema is
 * fixed (trail.control: schema = trail, not relocatable).
 */
List *
trail_keep_verified(List *paths, TrailVerifiedCounts *counts)
{
	int			n = list_length(paths);
	Datum	   *elems;
	Datum		arg;
	Oid			argtype = TEXTARRAYOID;
	List	   *kept = NIL;
	MemoryContext outer = CurrentMemoryContext;
	ListCell   *lc;
	uint64		i;

	memset(counts, 0, sizeof(TrailVerifiedCounts));
	if (n == 0)
		return NIL;
	elems = palloc(sizeof(Datum) * n);
	i = 0;
	foreach(lc, paths)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	arg = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));

	SPI_connect();
	if (SPI_execute_with_args("SELECT v.size, v.mtime, v.status = 'valid' AND v.vouched "
							  "FROM unnest($1) WITH ORDINALITY AS u(p, i) "
							  "LEFT JOIN trail.verdict v ON v.path = u.p "
							  "ORDER BY u.i",
							  1, &argtype, &arg, NULL, true, 0) != SPI_OK_SELECT ||
		SPI_processed != (uint64) n)
		elog(ERROR, "could not read trail.verdict");
	i = 0;
	foreach(lc, paths)
	{
		HeapTuple	tup = SPI_tuptable->vals[i++];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		null_size,
					null_mtime,
					null_ok;
		int64		size = DatumGetInt64(SPI_getbinval(tup, desc, 1, &null_size));
		TimestampTz mtime = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &null_mtime));
		bool		ok = DatumGetBool(SPI_getbinval(tup, desc, 3, &null_ok));
		struct stat st;

		CHECK_FOR_INTERRUPTS();
		if (null_size)
			counts->no_verdict++;
		else if (null_ok || !ok)
			counts->not_valid++;
		else if (stat((char *) lfirst(lc), &st) != 0 || st.st_size != size ||
				 time_t_to_timestamptz(st.st_mtime) != mtime)
			counts->changed++;
		else
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			kept = lappend(kept, lfirst(lc));
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	return kept;
}

/* for EXPLAIN: how many files verified_only left out, and why */
char *
trail_describe_verified(const TrailVerifiedCounts *c)
{
	return psprintf("%d files left out: %d never verified, %d not valid, %d changed since verified",
					c->no_verdict + c->not_valid + c->changed,
					c->no_verdict, c->not_valid, c->changed);
}
