/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  One scan: files (or a buffer) -> records -> column values, with the
 *	  error policy.  The SQL functions and the foreign data wrapper both
 *	  drive this; neither reads files itself.
 *
 * Memory has three lifetimes: the scan (the caller's context), the file
 * (reset when the file changes) and the row (reset before each record).
 * The texts of a record's errors go to the row context too (the TrailErrors
 * are made with trail_error_init(err, row_cxt)), so that skipping costs no
 * memory per skipped record; the report keeps only the first few as text.
 *
 * This is the policy layer.  The reading layers return problems as
 * TrailErrors (error.c), and the walk returns a list of them; here they
 * become an ERROR (on_error 'stop') or are counted and passed over
 * (on_error 'skip'), with one WARNING at the end of the scan.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#define TRAIL_REPORT_EXAMPLES 5

struct TrailReport
{
	MemoryContext cxt;			/* where the examples are kept */
	TrailOnError mode;
	int64		bad_records;
	int64		bad_files;
	List	   *examples;		/* the first few problems, as text */
};

struct TrailScanState
{
	MemoryContext cxt;			/* the scan's: deleted by trail_scan_end */
	MemoryContext file_cxt;
	MemoryContext row_cxt;

	/* what to read */
	List	   *files;
	int			next_file;
	TrailNextFileFn next_fn;	/* or files come from here */
	void	   *next_arg;
	TrailRecordFilterFn filter;
	void	   *filter_arg;
	bool		single_file;	/* a file named on its own must hold events */
	const char *mem_data;		/* trail.parse input, or NULL */
	size_t		mem_len;
	bool		mem_done;

	TrailReport *report;
	TrailDecoder *decoder;

	/* the file being read */
	TrailSource *src;
	TrailRecordStream *rs;
	const char *path;			/* NULL for a buffer */
	int64		ordinal;
	int64		offset;
	ErrorContextCallback errcb;

	/* counters */
	int64		files_read;
	int64		files_passed_over;
	int64		records_read;
	int64		records_filtered;
	int64		records_returned;
};

TrailOnError
trail_on_error_from_string(const char *value)
{
	if (pg_strcasecmp(value, "stop") == 0)
		return TRAIL_ON_ERROR_STOP;
	if (pg_strcasecmp(value, "skip") == 0)
		return TRAIL_ON_ERROR_SKIP;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for on_error: \"%s\"", value),
			 errhint("Valid values are \"stop\" and \"skip\".")));
	return TRAIL_ON_ERROR_STOP;		/* keep compiler quiet */
}

TrailReport *
trail_report_create(TrailOnError mode)
{
	TrailReport *report = palloc0(sizeof(TrailReport));

	report->cxt = CurrentMemoryContext;
	report->mode = mode;
	return report;
}

/* how many problems the report has seen */
int64
trail_report_count(TrailReport *report)
{
	return report->bad_records + report->bad_files;
}

/* "CloudTrail file "x", record 3, byte offset 1234" */
static char *
where_text(const char *file, int64 ordinal, int64 offset)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (file != NULL)
		appendStringInfo(&buf, "CloudTrail file \"%s\"", file);
	else
		appendStringInfoString(&buf, "trail.parse() input");
	if (ordinal > 0)
		appendStringInfo(&buf, ", record %lld", (long long) ordinal);
	if (offset >= 0)
		appendStringInfo(&buf, ", byte offset %lld", (long long) offset);
	return buf.data;
}

static void raise_problem(const char *file, int64 ordinal, TrailError *err) pg_attribute_noreturn();

/* raise err as an ERROR, with where it happened as its context */
static void
raise_problem(const char *file, int64 ordinal, TrailError *err)
{
	char	   *where = (file != NULL || ordinal > 0 || err->offset >= 0) ?
		where_text(file, ordinal, err->offset) : NULL;

	if (err->saved_errno != 0)
	{
		errno = err->saved_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("%s \"%s\": %m", err->message, file)));
	}
	ereport(ERROR,
			(errcode(err->sqlerrcode),
			 errmsg_internal("%s", err->message),
			 err->detail ? errdetail_internal("%s", err->detail) : 0,
			 err->hint ? errhint("%s", err->hint) : 0,
			 where ? errcontext("%s", where) : 0));
}

/*
 * A problem with one record, or with a whole file (whole_file: the file,
 * or the rest of it from record ordinal on, cannot be read).  With on_error
 * 'stop' this raises it; with 'skip' it is counted, and only the first few
 * are kept as text (so that skipping stays in bounded memory).  file may be
 * NULL when the message names its object itself.
 */
void
trail_report_problem(TrailReport *report, const char *file, int64 ordinal,
					 bool whole_file, TrailError *err)
{
	if (report->mode == TRAIL_ON_ERROR_STOP)
		raise_problem(file, ordinal, err);

	if (whole_file)
		report->bad_files++;
	else
		report->bad_records++;
	if (list_length(report->examples) < TRAIL_REPORT_EXAMPLES)
	{
		MemoryContext old = MemoryContextSwitchTo(report->cxt);
		char	   *text;

		if (err->saved_errno != 0)
			text = psprintf("%s \"%s\": %s", err->message, file,
							strerror(err->saved_errno));
		else if (file != NULL || ordinal > 0)
			text = psprintf("%s: %s%s", where_text(file, ordinal, err->offset),
							err->message,
							(whole_file && ordinal > 0) ?
							" (the rest of the file was not read)" : "");
		else
			text = pstrdup(err->message);
		report->examples = lappend(report->examples, text);
		MemoryContextSwitchTo(old);
	}
}

/*
 * The problems a walk returned (file_walk.c): one about the location itself
 * is always an ERROR, since there is nothing to scan; the others follow the
 * report's policy, as unreadable files.
 */
void
trail_report_walk_problems(TrailReport *report, List *problems)
{
	ListCell   *lc;

	foreach(lc, problems)
	{
		TrailWalkProblem *p = (TrailWalkProblem *) lfirst(lc);

		if (p->fatal)
			raise_problem(p->path, 0, &p->err);
		trail_report_problem(report, p->path, 0, true, &p->err);
	}
}

/*
 * trail_walk(), with its problems raised or counted by report.
 */
List *
trail_scan_walk(const char *location, int flags, bool *is_directory,
				TrailReport *report)
{
	List	   *problems = NIL;
	List	   *files;

	files = trail_walk(location, flags, is_directory, &problems);
	trail_report_walk_problems(report, problems);
	list_free(problems);
	return files;
}

/*
 * One WARNING for everything skipped.
 */
void
trail_report_finish(TrailReport *report)
{
	StringInfoData detail;
	ListCell   *lc;

	if (report->bad_records == 0 && report->bad_files == 0)
		return;
	initStringInfo(&detail);
	foreach(lc, report->examples)
	{
		if (detail.len > 0)
			appendStringInfoChar(&detail, '\n');
		appendStringInfoString(&detail, (char *) lfirst(lc));
	}
	if (report->bad_records + report->bad_files > list_length(report->examples))
		appendStringInfo(&detail, "\n... and %lld more.",
						 (long long) (report->bad_records + report->bad_files -
									  list_length(report->examples)));
	ereport(WARNING,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("skipped %lld bad records and %lld unreadable files",
					(long long) report->bad_records,
					(long long) report->bad_files),
			 errdetail_internal("%s", detail.data)));
}

static void
scan_error_callback(void *arg)
{
	TrailScanState *st = (TrailScanState *) arg;

	errcontext("%s", where_text(st->path, st->ordinal, st->offset));
}

/*
 * A scan that makes noutputs values per record as outputs[] says; say what
 * to read with one of the trail_scan_set_* functions.
 */
TrailScanState *
trail_scan_begin(TrailReport *report, int noutputs, const TrailOutput *outputs)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "trail scan", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TrailScanState *st = palloc0(sizeof(TrailScanState));

	st->cxt = cxt;
	st->file_cxt = AllocSetContextCreate(cxt, "trail file", ALLOCSET_DEFAULT_SIZES);

	/*
	 * A row of every column takes some tens of kB: a first block that holds
	 * it is kept across resets, instead of a malloc and free of the blocks
	 * after it for every row.
	 */
	st->row_cxt = AllocSetContextCreate(cxt, "trail row", 0, 64 * 1024,
										ALLOCSET_DEFAULT_MAXSIZE);
	st->report = report;
	st->decoder = trail_decoder_create(noutputs, outputs);
	st->errcb.callback = scan_error_callback;
	st->errcb.arg = st;
	MemoryContextSwitchTo(old);
	return st;
}

/*
 * Read the files of a List of TrailFile.  single_file: the location named
 * one file, which must then hold CloudTrail events.
 */
void
trail_scan_set_files(TrailScanState *st, List *files, bool single_file)
{
	st->files = files;
	st->single_file = single_file;
}

/*
 * Read the files that next() returns, until it returns NULL (a parallel
 * scan shares one list between processes this way).
 */
void
trail_scan_set_file_source(TrailScanState *st, TrailNextFileFn next, void *arg,
						   bool single_file)
{
	st->next_fn = next;
	st->next_arg = arg;
	st->single_file = single_file;
}

/*
 * Read a buffer (trail.parse).
 */
void
trail_scan_set_memory(TrailScanState *st, const char *data, size_t len)
{
	st->mem_data = data;
	st->mem_len = len;
	st->single_file = true;
}

/*
 * Pass over the records for which filter() returns false, before decoding.
 */
void
trail_scan_set_filter(TrailScanState *st, TrailRecordFilterFn filter, void *arg)
{
	st->filter = filter;
	st->filter_arg = arg;
}

void
trail_scan_counts(TrailScanState *st, TrailScanCounts *counts)
{
	counts->files_read = st->files_read;
	counts->files_passed_over = st->files_passed_over;
	counts->records_read = st->records_read;
	counts->records_filtered = st->records_filtered;
	counts->records_returned = st->records_returned;
	counts->records_skipped = st->report->bad_records;
	counts->files_skipped = st->report->bad_files;
}

/*
 * Add one set of counts to another (a node's runs, a parallel scan's
 * workers).
 */
void
trail_scan_counts_add(TrailScanCounts *to, const TrailScanCounts *from)
{
	to->files_read += from->files_read;
	to->files_passed_over += from->files_passed_over;
	to->records_read += from->records_read;
	to->records_filtered += from->records_filtered;
	to->records_returned += from->records_returned;
	to->records_skipped += from->records_skipped;
	to->files_skipped += from->files_skipped;
}

/*
 * The records counts as EXPLAIN ANALYZE shows them, palloc'd.
 */
char *
trail_scan_counts_text(const TrailScanCounts *counts)
{
	return psprintf("%lld read, %lld returned, %lld filtered, %lld skipped",
					(long long) counts->records_read,
					(long long) counts->records_returned,
					(long long) counts->records_filtered,
					(long long) counts->records_skipped);
}

static void
close_file(TrailScanState *st)
{
	if (st->src != NULL)
		trail_source_close(st->src);
	st->src = NULL;
	st->rs = NULL;
	MemoryContextReset(st->file_cxt);
}

/*
 * Open the next file to read; false when there is none.
 */
static bool
open_next(TrailScanState *st)
{
	MemoryContext old;

	for (;;)
	{
		const char *path;
		TrailError	err;

		if (st->mem_data != NULL)
		{
			if (st->mem_done)
				return false;
			st->mem_done = true;
			trail_error_init(&err, st->row_cxt);
			old = MemoryContextSwitchTo(st->file_cxt);
			st->src = trail_source_open_memory(st->mem_data, st->mem_len, &err);
			if (st->src != NULL)
				st->rs = trail_stream_begin(st->src);
			MemoryContextSwitchTo(old);
			st->path = NULL;
			if (st->src == NULL)
			{
				trail_report_problem(st->report, NULL, 0, true, &err);
				MemoryContextReset(st->file_cxt);
				return false;
			}
			return true;
		}

		if (st->next_fn != NULL)
			path = st->next_fn(st->next_arg);
		else if (st->next_file < list_length(st->files))
			path = ((TrailFile *) list_nth(st->files, st->next_file++))->path;
		else
			path = NULL;
		if (path == NULL)
			return false;

		/* the row context holds nothing now: the error text can go there */
		MemoryContextReset(st->row_cxt);
		trail_error_init(&err, st->row_cxt);
		old = MemoryContextSwitchTo(st->file_cxt);
		st->src = trail_source_open_file(path, &err);
		if (st->src != NULL)
			st->rs = trail_stream_begin(st->src);
		MemoryContextSwitchTo(old);
		if (st->src == NULL)
		{
			trail_report_problem(st->report, path, 0, true, &err);
			MemoryContextReset(st->file_cxt);
			continue;
		}
		st->path = path;
		st->files_read++;
		return true;
	}
}

/*
 * gzip's CRC sits at the end of each member, so corrupt compressed data can
 * inflate to bytes that look like a JSON error (or a bad record) before
 * zlib notices.  Before a problem is raised, or the rest of a file is
 * passed over, the rest of a compressed file is read: when it is corrupt,
 * the corruption is what gets reported (as the whole file's problem).
 * Returns true when it replaced the problem.
 */
static bool
corruption_instead(TrailScanState *st, int64 ordinal)
{
	TrailError	gz;

	trail_error_init(&gz, st->row_cxt);
	if (st->src == NULL || trail_source_verify_rest(st->src, &gz))
		return false;
	trail_report_problem(st->report, st->path, ordinal, true, &gz);
	return true;
}

/*
 * A problem with the file being read (record ordinal, or the rest of the
 * file from it with whole_file).  Returns true when the file is done with.
 */
static bool
read_problem(TrailScanState *st, int64 ordinal, bool whole_file,
			 TrailError *err)
{
	/* a problem of the bytes themselves needs no second look */
	bool		from_source = (err->sqlerrcode == ERRCODE_DATA_CORRUPTED ||
							   err->saved_errno != 0);

	if (!from_source &&
		(whole_file || st->report->mode == TRAIL_ON_ERROR_STOP) &&
		corruption_instead(st, ordinal))
		return true;
	trail_report_problem(st->report, st->path, ordinal, whole_file, err);
	return whole_file;
}

/*
 * The stream ended: a file named on its own (or parse() input) must have
 * held CloudTrail events; in a directory, other files are passed over.
 */
static void
end_of_file(TrailScanState *st)
{
	const char *detail = trail_stream_content_detail(st->rs);
	TrailError	err;

	if (detail == NULL)
		return;
	/* a corrupt .gz is reported as such, not passed over as "not JSON" */
	if (corruption_instead(st, 0))
		return;
	if (!st->single_file)
	{
		st->files_passed_over++;
		ereport(DEBUG1,
				(errmsg_internal("trail: passed over \"%s\": %s", st->path, detail)));
		return;
	}
	trail_error_init(&err, st->row_cxt);
	trail_error_set(&err, ERRCODE_INVALID_TEXT_REPRESENTATION,
					st->path ? "file does not hold CloudTrail events" :
					"input does not hold CloudTrail events");
	trail_error_detail(&err, "%s", detail);
	trail_report_problem(st->report, st->path, 0, true, &err);
}

static bool
record_problem(TrailScanState *st, const TrailRecord *rec, TrailError *err)
{
	if (rec->flags & TRAIL_JSON_BAD_UTF8)
	{
		trail_error_set(err, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
						"record holds bytes that are not valid UTF-8");
		err->offset = rec->flag_offset;
		return true;
	}
	if (rec->flags & TRAIL_JSON_CONTROL_CHAR)
	{
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"record holds a control character that is not escaped");
		trail_error_detail(err, "JSON strings must write characters below U+0020 as escapes.");
		err->offset = rec->flag_offset;
		return true;
	}
	return false;
}

/*
 * The next row.  values[] and isnull[] are indexed by TrailColumnId and
 * live in the row context until the next call.  Returns false at the end.
 */
bool
trail_scan_next(TrailScanState *st, Datum *values, bool *isnull)
{
	for (;;)
	{
		TrailRecord rec = {0};
		TrailError	err;
		TrailNext	next;
		MemoryContext old;
		bool		ok;

		CHECK_FOR_INTERRUPTS();

		if (st->rs == NULL && !open_next(st))
			return false;

		/*
		 * The row context holds this record's values and the texts of its
		 * errors: a skipped record leaves nothing behind.
		 */
		MemoryContextReset(st->row_cxt);
		trail_error_init(&err, st->row_cxt);
		old = MemoryContextSwitchTo(st->file_cxt);
		next = trail_stream_next(st->rs, &rec, &err);
		MemoryContextSwitchTo(old);

		switch (next)
		{
			case TRAIL_NEXT_END:
				end_of_file(st);
				close_file(st);
				continue;
			case TRAIL_NEXT_BAD_FILE:
				read_problem(st, rec.ordinal, true, &err);
				close_file(st);
				continue;
			case TRAIL_NEXT_BAD_RECORD:
				st->records_read++;
				if (read_problem(st, rec.ordinal, false, &err))
					close_file(st);
				continue;
			case TRAIL_NEXT_RECORD:
				break;
		}

		st->records_read++;
		if (record_problem(st, &rec, &err))
		{
			if (read_problem(st, rec.ordinal, false, &err))
				close_file(st);
			continue;
		}
		if (st->filter != NULL)
		{
			old = MemoryContextSwitchTo(st->row_cxt);
			ok = st->filter(st->filter_arg, st->path, &rec);
			MemoryContextSwitchTo(old);
			if (!ok)
			{
				st->records_filtered++;
				continue;
			}
		}

		/* PostgreSQL's input functions may raise errors too: say where */
		st->ordinal = rec.ordinal;
		st->offset = rec.offset;
		st->errcb.previous = error_context_stack;
		error_context_stack = &st->errcb;
		old = MemoryContextSwitchTo(st->row_cxt);
		ok = trail_decode(st->decoder, &rec, st->path, values, isnull, &err);
		MemoryContextSwitchTo(old);
		error_context_stack = st->errcb.previous;

		if (!ok)
		{
			if (err.offset < 0)
				err.offset = rec.offset;
			if (read_problem(st, rec.ordinal, false, &err))
				close_file(st);
			continue;
		}
		st->records_returned++;
		return true;
	}
}

/*
 * Close what is open, say what was skipped or replaced, and free the scan
 * (st, and the values of the last row, are gone afterwards).
 */
void
trail_scan_end(TrailScanState *st)
{
	int64		replaced = trail_decoder_replaced(st->decoder);

	close_file(st);
	trail_report_finish(st->report);
	if (replaced > 0)
		ereport(NOTICE,
				(errmsg("replaced %lld characters that PostgreSQL cannot store with U+FFFD",
						(long long) replaced),
				 errdetail("JSON strings held \\u0000 or unpaired surrogate escapes."),
				 errhint("The raw column keeps the original text.")));
	MemoryContextDelete(st->cxt);
}
