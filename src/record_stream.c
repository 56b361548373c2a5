/*-------------------------------------------------------------------------
 *
 * record_stream.c
 *	  The records inside a byte stream, whatever shape they came in:
 *
 *	  {"Records":[...]}          trail files, console Event history download
 *	  {...}{...} / one per line  concatenated objects, NDJSON
 *	  [{...},...]                arrays of records
 *	  {"detail-type":..,"detail":{...}}         EventBridge events
 *	  {"messageType":..,"logEvents":[{"message":"<record>"}]}
 *	                             CloudWatch Logs subscription payloads
 *	  {"Events":[{"CloudTrailEvent":"<record>"}]}, {"CloudTrailEvent":..}
 *	                             LookupEvents output
 *
 * The stream keeps one window of bytes.  The arrays that hold many records
 * ("Records", "Events", "logEvents") are walked element by element, so
 * memory is bounded by the largest record, not by the file.  Everything
 * else is read one top-level value at a time.
 *
 * The window is the source's own bytes (trail_source_read_view: where the
 * inflater wrote them) while nothing is pending, so the bytes of most log
 * files, which fit in one inflater buffer, are never copied; a value that
 * goes on past those bytes is carried into the stream's own buffer, which
 * reads on by copying.  A value that does not fit in the window is
 * rescanned from its start after the window has grown; the window at least
 * doubles each time, so the cost stays linear.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#define TRAIL_WINDOW_INITIAL (1024 * 1024)

typedef enum StreamMode
{
	MODE_TOP,					/* between top-level values */
	MODE_ITEMS,					/* inside an array of items */
	MODE_WRAPPER_REST,			/* members of a wrapper after its array */
	MODE_DONE
} StreamMode;

typedef enum ItemKind
{
	ITEM_RECORD,				/* elements of "Records" */
	ITEM_LOOKUP_EVENT,			/* elements of "Events" */
	ITEM_LOG_EVENT,				/* elements of "logEvents" */
	ITEM_ANY					/* elements of a top-level array */
} ItemKind;

struct TrailRecordStream
{
	TrailSource *src;
	MemoryContext cxt;

	/* the window: bytes [pos, fill) of buf are unread */
	const char *buf;			/* own, or the source's bytes */
	size_t		pos;
	size_t		fill;
	int64		base;			/* stream offset of buf[0] */
	bool		eof;
	char	   *own;			/* the stream's buffer, once needed */
	size_t		size;			/* of own */

	StreamMode	mode;
	ItemKind	item_kind;
	bool		in_wrapper;		/* the array is a member of an object */
	bool		control_message;	/* CloudWatch Logs CONTROL_MESSAGE */
	bool		first_item;

	TrailContent content;
	const char *other_detail;	/* TRAIL_CONTENT_OTHER_JSON: what it held */
	int64		ordinal;

	TrailMemberIndex index;		/* members of the current record */
	char	   *embedded;		/* a record decoded from a JSON string */

	/*
	 * JSON values that are not records, met before the first record, are
	 * passed over as JSON of another kind; when a record follows, they were
	 * bad records after all, and are reported (one by one, from their
	 * ordinals) before it.
	 */
	int64		passed_values;	/* how many, so far */
	int64		passed_offset;	/* where the first was */
	int64		pending_bad;	/* still to report */
	int64		pending_ordinal;	/* the next one's ordinal */
	bool		has_pending;	/* the record held back meanwhile */
	TrailRecord pending;
};

static const char *const record_keys[] = {
	"eventVersion", "eventTime", "eventSource", "eventName", "eventID",
	"userIdentity", "insightDetails", "eventType", "awsRegion", NULL
};

TrailRecordStream *
trail_stream_begin(TrailSource *src)
{
	TrailRecordStream *rs = palloc0(sizeof(TrailRecordStream));

	rs->src = src;
	rs->cxt = CurrentMemoryContext;
	rs->buf = "";
	rs->mode = MODE_TOP;
	rs->content = TRAIL_CONTENT_UNKNOWN;
	return rs;
}

TrailContent
trail_stream_content(TrailRecordStream *rs)
{
	return rs->content;
}

/*
 * A sentence saying what a stream that held no events held instead, for
 * the error about a file named on its own; NULL when it held events.
 */
const char *
trail_stream_content_detail(TrailRecordStream *rs)
{
	switch (rs->content)
	{
		case TRAIL_CONTENT_EVENTS:
			return NULL;
		case TRAIL_CONTENT_EMPTY:
			return "It is empty.";
		case TRAIL_CONTENT_DIGEST:
			return "It is a CloudTrail digest file, which lists log files but holds no events.";
		case TRAIL_CONTENT_OTHER_JSON:
			if (rs->other_detail != NULL)
				return rs->other_detail;
			return "It is JSON, but holds no CloudTrail records.";
		case TRAIL_CONTENT_UNKNOWN:
		case TRAIL_CONTENT_NOT_JSON:
			break;
	}
	return "It does not start with a JSON object or array.";
}

/* the stream holds JSON of another kind (so far): say what, once */
static void
other_json(TrailRecordStream *rs, const char *fmt, const char *arg)
{
	MemoryContext old;

	if (rs->content != TRAIL_CONTENT_UNKNOWN)
		return;
	rs->content = TRAIL_CONTENT_OTHER_JSON;
	old = MemoryContextSwitchTo(rs->cxt);
	rs->other_detail = psprintf(fmt, arg);
	MemoryContextSwitchTo(old);
}

static void
set_error_at(TrailRecordStream *rs, TrailError *err, const char *at,
			 int sqlerrcode, const char *message)
{
	trail_error_set(err, sqlerrcode, "%s", message);
	err->offset = rs->base + (at - rs->buf);
}

static void
too_large(TrailRecordStream *rs, TrailError *err)
{
	trail_error_set(err, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
					"JSON value exceeds the maximum record size of %d kB",
					trail_max_record_size);
	trail_error_hint(err, "Raise \"trail.max_record_size\" to read larger records.");
	err->offset = rs->base + rs->pos;
}

/*
 * Nothing is pending: the window becomes the source's next bytes, where
 * they are.
 */
static bool
view_next(TrailRecordStream *rs, TrailError *err)
{
	const char *data;
	ssize_t		n;

	rs->base += rs->fill;
	rs->pos = rs->fill = 0;
	rs->buf = "";
	n = trail_source_read_view(rs->src, &data, err);
	if (n < 0)
	{
		/* how far the decoded stream got, if anywhere */
		err->offset = rs->base > 0 ? rs->base : -1;
		return false;
	}
	if (n == 0)
		rs->eof = true;
	else
	{
		rs->buf = data;
		rs->fill = n;
	}
	return true;
}

/*
 * Read more bytes into the window, keeping [pos, fill).  Returns false on a
 * read error or when the value being read would exceed the record size
 * limit; at the end of input it sets eof and returns true.
 */
static bool
refill(TrailRecordStream *rs, TrailError *err)
{
	ssize_t		n;
	size_t		pending = rs->fill - rs->pos;
	size_t		want;
	size_t		got;

	CHECK_FOR_INTERRUPTS();

	/* the value being read already holds this many bytes and goes on */
	if (pending >= (size_t) trail_max_record_size * 1024)
	{
		too_large(rs, err);
		return false;
	}
	if (pending == 0)
		return view_next(rs, err);

	/* the pending bytes move to the start of our own buffer, grown */
	if (rs->own == NULL)
	{
		rs->size = TRAIL_WINDOW_INITIAL;
		rs->own = MemoryContextAlloc(rs->cxt, rs->size);
	}
	while (pending >= rs->size / 2)
	{
		rs->size *= 2;
		if (rs->buf == rs->own)
			rs->buf = rs->own = repalloc_huge(rs->own, rs->size);
		else
		{
			pfree(rs->own);
			rs->own = MemoryContextAllocHuge(rs->cxt, rs->size);
		}
	}
	if (rs->pos > 0 || rs->buf != rs->own)
		memmove(rs->own, rs->buf + rs->pos, pending);
	rs->buf = rs->own;
	rs->base += rs->pos;
	rs->fill = pending;
	rs->pos = 0;

	/*
	 * Read at least as many bytes as are pending (or to the end of input):
	 * the value being scanned is rescanned from its start after a refill,
	 * so each rescan must be paid for by as many new bytes, or short reads
	 * would make the cost quadratic in the record size.
	 */
	want = Max(rs->fill, 1);
	got = 0;
	while (got < want && rs->fill < rs->size)
	{
		n = trail_source_read(rs->src, rs->own + rs->fill,
							  rs->size - rs->fill, err);
		if (n < 0)
		{
			/* how far the decoded stream got, if anywhere */
			err->offset = (rs->base + rs->fill > 0) ? rs->base + rs->fill : -1;
			return false;
		}
		if (n == 0)
		{
			rs->eof = true;
			break;
		}
		rs->fill += n;
		got += n;
	}
	return true;
}

/*
 * Skip whitespace; false when input ends (or on a read error: err is set).
 */
static bool
skip_ws(TrailRecordStream *rs, TrailError *err)
{
	for (;;)
	{
		const char *p = trail_json_skip_ws(rs->buf + rs->pos, rs->buf + rs->fill);

		rs->pos = p - rs->buf;
		if (rs->pos < rs->fill)
			return true;
		if (rs->eof || !refill(rs, err))
			return false;
	}
}

/*
 * Scan the value at pos, growing the window as needed.  On DONE or WRAPPER
 * the scanned bytes are still at buf + pos.
 */
static TrailScanStatus
scan_value(TrailRecordStream *rs, TrailScan *scan, TrailError *err)
{
	for (;;)
	{
		TrailScanStatus st;

		scan->at_eof = rs->eof;
		st = trail_json_scan(rs->buf + rs->pos, rs->buf + rs->fill, scan);
		if (st == TRAIL_SCAN_DONE &&
			scan->end - (rs->buf + rs->pos) > (ptrdiff_t) trail_max_record_size * 1024)
		{
			too_large(rs, err);
			return TRAIL_SCAN_BAD;
		}
		if (st != TRAIL_SCAN_MORE)
		{
			if (st == TRAIL_SCAN_BAD)
			{
				set_error_at(rs, err, scan->error_at,
							 ERRCODE_INVALID_TEXT_REPRESENTATION, "invalid JSON");
				trail_error_detail(err, "%s.", scan->error);
			}
			return st;
		}
		if (!refill(rs, err))
			return TRAIL_SCAN_BAD;
	}
}

static bool
has_record_key(TrailMemberIndex *index)
{
	int			i;

	for (i = 0; record_keys[i] != NULL; i++)
	{
		if (trail_json_get(index, record_keys[i]).type != TRAIL_JSON_NONE)
			return true;
	}
	return false;
}

static void
fill_record(TrailRecordStream *rs, TrailRecord *rec, const char *data,
			int len, const TrailScan *scan, const char *at)
{
	rec->data = data;
	rec->len = len;
	rec->flags = scan->flags;
	rec->members = &rs->index;
	rec->offset = rs->base + (at - rs->buf);
	/* a flag raised inside a decoded string is reported at the record */
	if (scan->flag_at != NULL && scan->flag_at >= rs->buf &&
		scan->flag_at < rs->buf + rs->fill)
		rec->flag_offset = rs->base + (scan->flag_at - rs->buf);
	else
		rec->flag_offset = rec->offset;
	if (rs->passed_values > 0)
	{
		/* the values passed over come first: see trail_stream_next */
		rs->pending_bad = rs->passed_values;
		rs->pending_ordinal = rs->ordinal + 1;
		rs->ordinal += rs->passed_values;
		rs->passed_values = 0;
	}
	rec->ordinal = ++rs->ordinal;
	rs->content = TRAIL_CONTENT_EVENTS;
}

/* a value that is not a record, before any record: passed over for now */
static void
pass_over_value(TrailRecordStream *rs, const char *start)
{
	if (rs->passed_values++ == 0)
		rs->passed_offset = rs->base + (start - rs->buf);
}

/*
 * Bytes that are not UTF-8, or a raw control character in a string, outside
 * any record (in a wrapper's other members, in an object passed over): the
 * document is not valid JSON.  Fills err and returns true when scan saw one.
 */
static bool
invalid_outside_record(TrailRecordStream *rs, const TrailScan *scan,
					   TrailError *err)
{
	const char *at = scan->flag_at;

	if (!(scan->flags & TRAIL_JSON_INVALID_FLAGS))
		return false;
	if (at == NULL || at < rs->buf || at > rs->buf + rs->fill)
		at = rs->buf + rs->pos;
	if (scan->flags & TRAIL_JSON_BAD_UTF8)
		set_error_at(rs, err, at, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
					 "input holds bytes that are not valid UTF-8");
	else
	{
		set_error_at(rs, err, at, ERRCODE_INVALID_TEXT_REPRESENTATION,
					 "invalid JSON");
		trail_error_detail(err, "A string holds a control character that is not escaped.");
	}
	return true;
}

/*
 * A record written as a JSON string (CloudTrailEvent, logEvents[].message):
 * unescape it and scan the result.
 */
static TrailNext
embedded_record(TrailRecordStream *rs, TrailSlice str, const char *at,
				const char *what, const TrailScan *outer, TrailRecord *rec,
				TrailError *err)
{
	TrailScan	scan = {0};
	int			len;
	int			replaced;
	TrailScanStatus st;

	if (rs->embedded)
		pfree(rs->embedded);
	rs->embedded = trail_json_unescape(str, &len, &replaced);
	scan.index = &rs->index;
	scan.at_eof = true;
	st = trail_json_scan(rs->embedded, rs->embedded + len, &scan);
	fill_record(rs, rec, rs->embedded, len, &scan, at);

	/*
	 * The object around the string is part of the record's unit: what it
	 * holds that is not JSON (a raw control character in the string itself,
	 * bytes that are not UTF-8 in a member) makes the record bad.
	 */
	if (outer->flags & TRAIL_JSON_INVALID_FLAGS)
	{
		rec->flags |= outer->flags & TRAIL_JSON_INVALID_FLAGS;
		if (outer->flag_at != NULL && outer->flag_at >= rs->buf &&
			outer->flag_at < rs->buf + rs->fill)
			rec->flag_offset = rs->base + (outer->flag_at - rs->buf);
	}
	if (st == TRAIL_SCAN_BAD)
	{
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"%s is not valid JSON", what);
		trail_error_detail(err, "%s at byte %d of the decoded string.",
						   scan.error, (int) (scan.error_at - rs->embedded));
		err->offset = rec->offset;
		return TRAIL_NEXT_BAD_RECORD;
	}
	if (scan.type != TRAIL_JSON_OBJECT ||
		trail_json_skip_ws(scan.end, rs->embedded + len) != rs->embedded + len)
	{
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"%s does not hold one JSON object", what);
		err->offset = rec->offset;
		return TRAIL_NEXT_BAD_RECORD;
	}
	return TRAIL_NEXT_RECORD;
}

/*
 * A complete object that is not a Records-style wrapper: a record, an
 * EventBridge event, a LookupEvents Event, a digest, or something else.
 * Its members are in rs->index.  Returns TRAIL_NEXT_END when it holds no
 * record (the caller moves on).
 */
static TrailNext
unit_object(TrailRecordStream *rs, const char *start, int len,
			const TrailScan *scan, bool strict, TrailRecord *rec,
			TrailError *err)
{
	TrailSlice	s;

	/* EventBridge: the record is "detail" */
	if (trail_json_get(&rs->index, "detail-type").type == TRAIL_JSON_STRING &&
		(s = trail_json_get(&rs->index, "detail")).type == TRAIL_JSON_OBJECT)
	{
		trail_json_members(s, &rs->index);
		if (trail_json_get(&rs->index, "eventVersion").type == TRAIL_JSON_NONE)
		{
			/* an EventBridge event that did not come from CloudTrail */
			if (invalid_outside_record(rs, scan, err))
				return TRAIL_NEXT_BAD_FILE;
			other_json(rs, "It holds %s, none of them from CloudTrail.",
					   "EventBridge events");
			return TRAIL_NEXT_END;
		}
		fill_record(rs, rec, s.ptr, s.len, scan, start);
		return TRAIL_NEXT_RECORD;
	}

	/* one LookupEvents Event */
	s = trail_json_get(&rs->index, "CloudTrailEvent");
	if (s.type == TRAIL_JSON_STRING)
		return embedded_record(rs, s, start, "CloudTrailEvent", scan, rec, err);

	if (has_record_key(&rs->index))
	{
		fill_record(rs, rec, start, len, scan, start);
		return TRAIL_NEXT_RECORD;
	}

	if (trail_json_get(&rs->index, "digestS3Object").type != TRAIL_JSON_NONE ||
		(trail_json_get(&rs->index, "logFiles").type != TRAIL_JSON_NONE &&
		 trail_json_get(&rs->index, "awsAccountId").type != TRAIL_JSON_NONE))
	{
		if (invalid_outside_record(rs, scan, err))
			return TRAIL_NEXT_BAD_FILE;
		if (rs->content == TRAIL_CONTENT_UNKNOWN)
			rs->content = TRAIL_CONTENT_DIGEST;
		return TRAIL_NEXT_END;
	}

	/*
	 * Some other object.  Among records it is a bad record; on its own it is
	 * JSON of another kind (an error when the file was named on its own).
	 */
	if (strict || rs->content == TRAIL_CONTENT_EVENTS)
	{
		rec->ordinal = ++rs->ordinal;
		rec->offset = rs->base + (start - rs->buf);
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"JSON object is not a CloudTrail record");
		trail_error_detail(err, "It has none of the fields eventVersion, eventTime, eventSource, eventName or eventID.");
		err->offset = rec->offset;
		return TRAIL_NEXT_BAD_RECORD;
	}
	if (invalid_outside_record(rs, scan, err))
		return TRAIL_NEXT_BAD_FILE;
	pass_over_value(rs, start);
	s = trail_json_get(&rs->index, "Records");
	if (rs->mode == MODE_ITEMS)
		other_json(rs, "It holds a JSON array of %s that are not CloudTrail records.",
				   "objects");
	else if (s.type != TRAIL_JSON_NONE && s.type != TRAIL_JSON_ARRAY)
		other_json(rs, "Its \"Records\" member is %s, not an array.",
				   trail_json_type_name(s.type));
	else
		other_json(rs, "It holds a JSON object that is not a CloudTrail record and has no \"%s\" array.",
				   "Records");
	return TRAIL_NEXT_END;
}

/* an array element that should have been a record and is not an object */
static TrailNext
not_an_object(TrailRecordStream *rs, const TrailScan *scan, const char *start,
			  TrailRecord *rec, TrailError *err)
{
	rec->ordinal = ++rs->ordinal;
	set_error_at(rs, err, start, ERRCODE_INVALID_TEXT_REPRESENTATION,
				 "record is not a JSON object");
	trail_error_detail(err, "The array element is %s.",
					   trail_json_type_name(scan->type));
	return TRAIL_NEXT_BAD_RECORD;
}

/*
 * One element of an array of items, just scanned at buf + pos.
 */
static TrailNext
array_item(TrailRecordStream *rs, TrailScan *scan, TrailRecord *rec,
		   TrailError *err)
{
	const char *start = rs->buf + rs->pos;
	int			len = (int) (scan->end - start);
	TrailSlice	s;

	if (rs->item_kind == ITEM_ANY)
	{
		if (scan->type == TRAIL_JSON_OBJECT)
			return unit_object(rs, start, len, scan, false, rec, err);
		if (rs->content == TRAIL_CONTENT_EVENTS)
			return not_an_object(rs, scan, start, rec, err);
		pass_over_value(rs, start);
		other_json(rs, "It holds a JSON array whose elements are not CloudTrail records (the first is %s).",
				   trail_json_type_name(scan->type));
		return TRAIL_NEXT_END;
	}

	if (scan->type != TRAIL_JSON_OBJECT)
		return not_an_object(rs, scan, start, rec, err);

	switch (rs->item_kind)
	{
		case ITEM_RECORD:
			fill_record(rs, rec, start, len, scan, start);
			return TRAIL_NEXT_RECORD;

		case ITEM_LOOKUP_EVENT:
			s = trail_json_get(&rs->index, "CloudTrailEvent");
			if (s.type != TRAIL_JSON_STRING)
				return unit_object(rs, start, len, scan, true, rec, err);
			return embedded_record(rs, s, start, "CloudTrailEvent", scan, rec, err);

		case ITEM_LOG_EVENT:
			if (rs->control_message)
				return TRAIL_NEXT_END;	/* a health check, not records */
			s = trail_json_get(&rs->index, "message");
			if (s.type != TRAIL_JSON_STRING)
			{
				rec->ordinal = ++rs->ordinal;
				set_error_at(rs, err, start, ERRCODE_INVALID_TEXT_REPRESENTATION,
							 "log event has no \"message\" string");
				return TRAIL_NEXT_BAD_RECORD;
			}
			return embedded_record(rs, s, start, "log event message", scan, rec, err);

		case ITEM_ANY:
			break;
	}
	return TRAIL_NEXT_END;
}

/*
 * Enter the array of a wrapper object ({"Records":[ ...).  The scan stopped
 * at the '['; members before it are in rs->index.
 */
static void
enter_wrapper(TrailRecordStream *rs, TrailScan *scan)
{
	int			keylen = scan->wrapper_keylen;
	TrailSlice	mt;

	if (keylen == 7)
		rs->item_kind = ITEM_RECORD;
	else if (keylen == 6)
		rs->item_kind = ITEM_LOOKUP_EVENT;
	else
		rs->item_kind = ITEM_LOG_EVENT;

	mt = trail_json_get(&rs->index, "messageType");
	rs->control_message = (mt.type == TRAIL_JSON_STRING &&
						   mt.len == 17 &&
						   memcmp(mt.ptr, "\"CONTROL_MESSAGE\"", 17) == 0);
	if (rs->content == TRAIL_CONTENT_UNKNOWN)
		rs->content = TRAIL_CONTENT_EVENTS;
	rs->in_wrapper = true;
	rs->first_item = true;
	rs->mode = MODE_ITEMS;
	rs->pos = (scan->end - rs->buf) + 1;
}

/*
 * Skip whitespace, then the character c; false with err set when the input
 * ends or another character comes (what says what was expected).
 */
static bool
expect_char(TrailRecordStream *rs, char c, const char *what, TrailError *err)
{
	if (!skip_ws(rs, err))
	{
		if (err->message == NULL)
			set_error_at(rs, err, rs->buf + rs->fill,
						 ERRCODE_INVALID_TEXT_REPRESENTATION,
						 "unexpected end of input inside an object");
		return false;
	}
	if (rs->buf[rs->pos] != c)
	{
		set_error_at(rs, err, rs->buf + rs->pos,
					 ERRCODE_INVALID_TEXT_REPRESENTATION, what);
		return false;
	}
	rs->pos++;
	return true;
}

/*
 * The members of a wrapper object after its array: ,"key":value ... }
 * They are checked and passed over.
 */
static TrailNext
wrapper_rest(TrailRecordStream *rs, TrailError *err)
{
	TrailScan	scan = {0};

	for (;;)
	{
		if (skip_ws(rs, err) && rs->buf[rs->pos] == '}')
		{
			rs->pos++;
			rs->mode = MODE_TOP;
			return TRAIL_NEXT_END;
		}
		if (!expect_char(rs, ',', "expected \",\" or \"}\" after an object member", err))
			return TRAIL_NEXT_BAD_FILE;

		/* the key: a string */
		if (!skip_ws(rs, err) || rs->buf[rs->pos] != '"')
		{
			if (err->message == NULL)
				set_error_at(rs, err, rs->buf + rs->pos,
							 ERRCODE_INVALID_TEXT_REPRESENTATION,
							 "expected a string as object key");
			return TRAIL_NEXT_BAD_FILE;
		}
		if (scan_value(rs, &scan, err) != TRAIL_SCAN_DONE ||
			invalid_outside_record(rs, &scan, err))
			return TRAIL_NEXT_BAD_FILE;
		rs->pos = scan.end - rs->buf;

		/* the value, passed over */
		if (!expect_char(rs, ':', "expected \":\" after an object key", err))
			return TRAIL_NEXT_BAD_FILE;
		if (!skip_ws(rs, err) || scan_value(rs, &scan, err) != TRAIL_SCAN_DONE)
		{
			if (err->message == NULL)
				set_error_at(rs, err, rs->buf + rs->fill,
							 ERRCODE_INVALID_TEXT_REPRESENTATION,
							 "unexpected end of input inside an object");
			return TRAIL_NEXT_BAD_FILE;
		}
		if (invalid_outside_record(rs, &scan, err))
			return TRAIL_NEXT_BAD_FILE;
		rs->pos = scan.end - rs->buf;
	}
}

static TrailNext stream_next(TrailRecordStream *rs, TrailRecord *rec,
							 TrailError *err);

/* the next of the values passed over before the first record, as bad */
static TrailNext
passed_over_bad(TrailRecordStream *rs, TrailRecord *rec, TrailError *err)
{
	bool		first = (rs->pending_ordinal == 1);

	rec->ordinal = rs->pending_ordinal++;
	rec->offset = first ? rs->passed_offset : -1;
	rs->pending_bad--;
	trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
					"JSON value is not a CloudTrail record");
	trail_error_detail(err, "It comes before the first record of the input.");
	err->offset = rec->offset;
	return TRAIL_NEXT_BAD_RECORD;
}

/*
 * The next record.  On TRAIL_NEXT_RECORD *rec points into the window and is
 * valid until the next call.  On TRAIL_NEXT_BAD_RECORD rec->ordinal and err
 * describe the bad record and the stream can go on; on TRAIL_NEXT_BAD_FILE
 * it cannot.
 */
TrailNext
trail_stream_next(TrailRecordStream *rs, TrailRecord *rec, TrailError *err)
{
	TrailNext	next;

	if (rs->pending_bad > 0)
		return passed_over_bad(rs, rec, err);
	if (rs->has_pending)
	{
		/* nothing was read since: its bytes are still in the window */
		*rec = rs->pending;
		rs->has_pending = false;
		return TRAIL_NEXT_RECORD;
	}
	next = stream_next(rs, rec, err);
	if (next == TRAIL_NEXT_RECORD && rs->pending_bad > 0)
	{
		rs->pending = *rec;
		rs->has_pending = true;
		memset(rec, 0, sizeof(TrailRecord));
		return passed_over_bad(rs, rec, err);
	}
	return next;
}

static TrailNext
stream_next(TrailRecordStream *rs, TrailRecord *rec, TrailError *err)
{
	TrailScan	scan = {0};
	TrailScanStatus st;
	TrailNext	next;

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();

		switch (rs->mode)
		{
			case MODE_DONE:
				return TRAIL_NEXT_END;

			case MODE_TOP:
				if (!skip_ws(rs, err))
				{
					if (err->message != NULL)
						goto bad_file;
					if (rs->content == TRAIL_CONTENT_UNKNOWN)
						rs->content = (rs->base + rs->fill == 0) ?
							TRAIL_CONTENT_EMPTY : TRAIL_CONTENT_NOT_JSON;
					rs->mode = MODE_DONE;
					return TRAIL_NEXT_END;
				}
				/*
				 * A UTF-8 byte order mark may open the stream.  A short read
				 * may have brought only part of it: read on first.
				 */
				if (rs->base + rs->pos == 0 &&
					(unsigned char) rs->buf[0] == 0xEF &&
					rs->fill < 3 && !rs->eof)
				{
					if (!refill(rs, err))
						goto bad_file;
					continue;
				}
				if (rs->base + rs->pos == 0 && rs->fill - rs->pos >= 3 &&
					memcmp(rs->buf, "\xEF\xBB\xBF", 3) == 0)
				{
					rs->pos += 3;
					continue;
				}
				if (rs->buf[rs->pos] == '[')
				{
					rs->pos++;
					rs->item_kind = ITEM_ANY;
					rs->in_wrapper = false;
					rs->first_item = true;
					rs->mode = MODE_ITEMS;
					continue;
				}
				if (rs->buf[rs->pos] != '{')
				{
					if (rs->content == TRAIL_CONTENT_UNKNOWN)
					{
						rs->content = TRAIL_CONTENT_NOT_JSON;
						rs->mode = MODE_DONE;
						return TRAIL_NEXT_END;
					}
					set_error_at(rs, err, rs->buf + rs->pos,
								 ERRCODE_INVALID_TEXT_REPRESENTATION,
								 "unexpected data after a JSON value");
					goto bad_file;
				}
				scan.index = &rs->index;
				scan.stop_at_wrapper = true;
				st = scan_value(rs, &scan, err);
				if (st == TRAIL_SCAN_BAD)
					goto bad_file;
				if (st == TRAIL_SCAN_WRAPPER)
				{
					/* the members before the array are not a record's */
					if (invalid_outside_record(rs, &scan, err))
						goto bad_file;
					enter_wrapper(rs, &scan);
					continue;
				}
				{
					const char *start = rs->buf + rs->pos;

					rs->pos = scan.end - rs->buf;
					next = unit_object(rs, start, (int) (scan.end - start),
									   &scan, false, rec, err);
				}
				if (next == TRAIL_NEXT_BAD_FILE)
					goto bad_file;
				if (next != TRAIL_NEXT_END)
					return next;
				continue;

			case MODE_ITEMS:
				if (!skip_ws(rs, err))
					goto truncated;
				if (rs->buf[rs->pos] == ']')
				{
					/* [] is an array of records with none in it */
					if (rs->first_item && rs->content == TRAIL_CONTENT_UNKNOWN)
						rs->content = TRAIL_CONTENT_EVENTS;
					rs->pos++;
					rs->mode = rs->in_wrapper ? MODE_WRAPPER_REST : MODE_TOP;
					continue;
				}
				if (!rs->first_item)
				{
					if (rs->buf[rs->pos] != ',')
					{
						set_error_at(rs, err, rs->buf + rs->pos,
									 ERRCODE_INVALID_TEXT_REPRESENTATION,
									 "expected \",\" or \"]\" after an array element");
						goto bad_file;
					}
					rs->pos++;
					if (!skip_ws(rs, err))
						goto truncated;
				}
				rs->first_item = false;
				scan.index = &rs->index;
				scan.stop_at_wrapper = false;
				st = scan_value(rs, &scan, err);
				if (st == TRAIL_SCAN_BAD)
					goto bad_file;
				next = array_item(rs, &scan, rec, err);
				rs->pos = scan.end - rs->buf;
				if (next == TRAIL_NEXT_BAD_FILE)
					goto bad_file;
				if (next != TRAIL_NEXT_END)
					return next;
				continue;

			case MODE_WRAPPER_REST:
				next = wrapper_rest(rs, err);
				if (next == TRAIL_NEXT_BAD_FILE)
					goto bad_file;
				continue;
		}
	}

truncated:
	if (err->message == NULL)
		set_error_at(rs, err, rs->buf + rs->fill,
					 ERRCODE_INVALID_TEXT_REPRESENTATION,
					 "unexpected end of input inside an array");
bad_file:
	/*
	 * The error belongs to the record being read, or the next one; after
	 * the last record of a wrapper, to none.
	 */
	rec->ordinal = (rs->mode == MODE_WRAPPER_REST) ? 0 : rs->ordinal + 1;
	rec->offset = err->offset;
	rs->mode = MODE_DONE;
	return TRAIL_NEXT_BAD_FILE;
}
