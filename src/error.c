/*-------------------------------------------------------------------------
 *
 * error.c
 *	  Soft errors: what a reading layer found wrong, filled in and handed
 *	  back to its caller instead of being raised.
 *
 * This file sits at the bottom of the flow: every layer may use it, and it
 * calls none of them.  It holds no policy; scan.c decides what a TrailError
 * becomes (an ERROR, or a count in the skip report).
 *
 * The texts are allocated in the context the TrailError names (err->cxt),
 * or in the current one when it names none.  scan.c points it at the row
 * context, so that on_error 'skip' does not keep one message per skipped
 * record until the file ends.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include "utils/memutils.h"

static char *format_va(MemoryContext cxt, const char *fmt, va_list args_in) pg_attribute_printf(2, 0);

/* a string of fmt and its arguments, allocated in cxt */
static char *
format_va(MemoryContext cxt, const char *fmt, va_list args_in)
{
	MemoryContext old = MemoryContextSwitchTo(cxt ? cxt : CurrentMemoryContext);
	StringInfoData buf;

	/* messages are short: start small rather than with 1 kB */
	buf.maxlen = 128;
	buf.data = palloc(buf.maxlen);
	resetStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_copy(args, args_in);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	MemoryContextSwitchTo(old);
	return buf.data;
}

/*
 * Fill err with a message; a previous detail and hint are dropped.
 * sqlerrcode 0 with saved_errno set is a file error ("could not open file"),
 * which the caller raises with %m and the path.
 */
void
trail_error_set(TrailError *err, int sqlerrcode, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	err->message = format_va(err->cxt, fmt, args);
	va_end(args);
	err->sqlerrcode = sqlerrcode;
	err->detail = NULL;
	err->hint = NULL;
}

void
trail_error_detail(TrailError *err, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	err->detail = format_va(err->cxt, fmt, args);
	va_end(args);
}

void
trail_error_hint(TrailError *err, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	err->hint = format_va(err->cxt, fmt, args);
	va_end(args);
}

/*
 * No error.  The texts of a later error go to the current memory context.
 */
void
trail_error_clear(TrailError *err)
{
	memset(err, 0, sizeof(TrailError));
	err->offset = -1;
}

/*
 * No error; the texts of a later error go to cxt.
 */
void
trail_error_init(TrailError *err, MemoryContext cxt)
{
	trail_error_clear(err);
	err->cxt = cxt;
}
