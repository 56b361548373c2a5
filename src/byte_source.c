/*-------------------------------------------------------------------------
 *
 * byte_source.c
 *	  A file or a memory buffer as a stream of bytes.  gzip is recognised
 *	  by its magic bytes, not by the file name, and inflated on the way:
 *	  concatenated members (Firehose) and gzip inside gzip (CloudWatch Logs
 *	  payloads stored by Firehose) are both handled.
 *
 * This is the only file that sees an inflater library.  Two streaming ones
 * sit behind the same layer: Intel ISA-L's igzip (gzip members and CRC,
 * about twice as fast as zlib on CloudTrail files) when the build found it,
 * and zlib, the portable path, always.  Both are fed and drained by the
 * same loop here, so the member logic (concatenated members, zero padding,
 * garbage after the last member, truncation) and the errors are the same
 * whichever inflates.  Before either, libdeflate (when the build found it)
 * inflates a member that is whole in the input in one call, faster again
 * than ISA-L: nearly every CloudTrail file is one such member (a file of up
 * to 2 MB is read whole for it, and a member of up to 16 MB inflated whole,
 * so that the JSON of the whole file is then scanned in place).  It is
 * only ever a shortcut: a member it does not take, or fails on, is inflated
 * by the streaming inflater from the same input, shown to it in the chunks
 * a read would have given, so its errors are the streaming path's and
 * arrive after the same bytes.  (Two exceptions, both about damaged or
 * crafted input: libdeflate decodes a few deflate codes zlib calls invalid,
 * lengths 286-287 and distances 30-31, so such a member whose CRC then
 * matches is read, not refused; and inside gzip inside gzip the inner
 * layer is fed other pieces, so a damaged inner member may hand out a few
 * bytes more or less before its error, as ISA-L and zlib already differ
 * there.)  trail.debug_inflater = 'streaming'
 * turns the shortcut off and 'zlib' picks zlib alone, so that tests can
 * compare their bytes.  zlib allocates
 * in the source's memory context (through palloc), so an ERROR anywhere
 * frees it; ISA-L's state and the buffers are kept from one source to the
 * next (see take_buffers) and given back by that context's reset callback.
 * Neither calls back into us except zlib's allocator: CHECK_FOR_INTERRUPTS
 * is in our loops.
 *
 * Files are fd.c's virtual file descriptors (PathNameOpenFile), closed by a
 * reset callback on the source's memory context: the descriptor lives
 * exactly as long as the scan's memory, whatever transaction or
 * subtransaction it was opened in.  OpenTransientFile() would not do: it
 * ties the descriptor to the subtransaction that happened to open it, so a
 * cursor that opened a file after a SAVEPOINT had its descriptor closed by
 * ROLLBACK TO SAVEPOINT while the scan went on reading it (and fd.c could
 * hand the same number to a relation file meanwhile).  A virtual
 * descriptor is closed only here; the memory context it belongs to is
 * deleted with the portal or the function call that owns the scan, on
 * success and on error alike.
 *
 * Problems with the input are returned as TrailErrors, never raised.  The
 * exceptions are zlib failing to get memory or finding its own state
 * broken: those are not about the input, and an ERROR is what any palloc
 * failure would give too.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>
#ifdef TRAIL_HAVE_ISAL
#include <isa-l.h>
#endif
#ifdef TRAIL_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/wait_event.h"
#include "utils/memutils.h"

/* How many gzip layers we peel before calling the input hostile */
#define TRAIL_MAX_GZIP_LAYERS 4

#define TRAIL_INPUT_CHUNK (256 * 1024)
#define TRAIL_OUTPUT_CHUNK (256 * 1024)

/*
 * The largest file read whole, and the largest member inflated whole, for
 * libdeflate's shortcut when they do not fit the chunks above (see
 * whole_buffer)
 */
#define TRAIL_WHOLE_MAX_INPUT (2 * 1024 * 1024)
#define TRAIL_WHOLE_MAX_OUTPUT (16 * 1024 * 1024)

typedef enum LayerKind
{
	LAYER_FILE,
	LAYER_MEMORY,
	LAYER_GUNZIP
} LayerKind;

typedef struct Layer
{
	LayerKind	kind;
	struct Layer *below;

	/* bytes read ahead while sniffing, handed out before anything else */
	char		peek[2];
	int			npeek;
	int			peekpos;

	/* LAYER_FILE */
	File		file;			/* a virtual fd, or -1 once closed */
	off_t		file_pos;		/* FileRead takes the offset */

	/* LAYER_MEMORY */
	const char *data;
	size_t		len;
	size_t		pos;

	/* LAYER_GUNZIP: the input, shared by both inflaters */
	const uint8 *next_in;
	size_t		avail_in;
	bool		fast;			/* ISA-L, not zlib */
	bool		whole;			/* try libdeflate on whole members */
	bool		input_whole;	/* the last fill read the rest of the input */

	/*
	 * When the input is the whole file, in whole_input (see
	 * gunzip_fill_whole): its start (file offset 0) and end.  next_in and
	 * avail_in are then a window of it that ends where a read of the file
	 * would have ended, so that the inflaters see the input as if it had
	 * been read a chunk at a time; NULL otherwise.
	 */
	const uint8 *whole_base;
	const uint8 *whole_end;
	z_stream	zs;
#ifdef TRAIL_HAVE_ISAL
	struct inflate_state *isal;
	struct isal_gzip_header *gzhdr; /* the member's header, kept across calls */
#endif
	char	   *inbuf;
	bool		has_buffers;	/* inbuf, outbuf, isal: a set from take_buffers */
	bool		in_member;		/* between a member's header and its end */
	bool		out_full;		/* the last step filled the output: more may be
								 * pending inside the inflater */
	int			failure;		/* a GzipFailure: the layer failed */
	/* small reads are inflated here first (see gunzip_read) */
	char	   *outbuf;
	char	   *out_base;		/* outbuf, or a whole member's buffer */
	size_t		out_pos;		/* [out_pos, out_len) of out_base are unread */
	size_t		out_len;
	bool		below_eof;
	int64		members;
} Layer;

struct TrailSource
{
	MemoryContext cxt;
	Layer	   *top;
	Layer	   *file_layer;		/* the LAYER_FILE at the bottom, or NULL */
	MemoryContextCallback close_cb;
	int			gzip_layers;
	char	   *viewbuf;		/* trail_source_read_view's, when it copies */
};

/*
 * The big buffers of a gunzip layer (input and output, 256 kB each, and
 * ISA-L's state, about 100 kB) outlive it: a closing source leaves them
 * for the next one.  Freed and allocated again for every file, they went
 * back to the kernel (malloc trims its heap) and were faulted in again,
 * which over thousands of small files (trail.verify, a directory scan)
 * cost more CPU than inflating them.  One set is kept, in a context under
 * TopMemoryContext; a source opened while another holds it gets its own.
 */
static MemoryContext spare_cxt = NULL;
static char *spare = NULL;		/* the kept set (see take_buffers) */
static bool spare_held = false; /* a source has it */

/*
 * With the spare set go two buffers for libdeflate's shortcut on files and
 * members larger than its chunks: the whole file (up to 2 MB), and the
 * whole member inflated (up to 16 MB).  They grow to the largest seen and
 * are kept, as the set is, so that a directory of such files does not
 * allocate for each; only the layer that holds the spare set uses them.
 */
typedef struct WholeBuffer
{
	char	   *data;
	size_t		size;
} WholeBuffer;

static WholeBuffer whole_input = {NULL, 0};
#ifdef TRAIL_HAVE_LIBDEFLATE
static WholeBuffer whole_output = {NULL, 0};
#endif

static ssize_t layer_read(Layer *layer, char *buf, size_t len, TrailError *err);

static voidpf
zalloc_palloc(voidpf opaque, uInt items, uInt size)
{
	return MemoryContextAlloc((MemoryContext) opaque, (Size) items * size);
}

static void
zfree_palloc(voidpf opaque, voidpf address)
{
	pfree(address);
}

/*
 * Read from the layer below until buf holds len bytes or the layer ends.
 */
static ssize_t
layer_read_full(Layer *layer, char *buf, size_t len, TrailError *err)
{
	size_t		got = 0;

	while (got < len)
	{
		ssize_t		n = layer_read(layer, buf + got, len - got, err);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static ssize_t
file_read(Layer *layer, char *buf, size_t len, TrailError *err)
{
	for (;;)
	{
		int			n;

		/* FileRead takes an int */
		len = Min(len, (size_t) (1024 * 1024 * 1024));
		n = FileRead(layer->file, buf, (int) len, layer->file_pos,
					 WAIT_EVENT_DATA_FILE_READ);
		if (n >= 0)
		{
			layer->file_pos += n;
			return n;
		}
		if (errno == EINTR)
		{
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		err->saved_errno = errno;
		trail_error_set(err, 0, "could not read file");
		return -1;
	}
}

static ssize_t
memory_read(Layer *layer, char *buf, size_t len)
{
	size_t		n = Min(len, layer->len - layer->pos);

	memcpy(buf, layer->data + layer->pos, n);
	layer->pos += n;
	return n;
}

/*
 * A buffer of at least need bytes in *wb (grown, never shrunk), or NULL
 * when need is more than max.
 */
static char *
whole_buffer(WholeBuffer *wb, size_t need, size_t max)
{
	if (need > max)
		return NULL;
	if (need > wb->size)
	{
		size_t		size = Min(Max(need, wb->size * 2), max);

		if (wb->data != NULL)
			pfree(wb->data);
		wb->data = NULL;
		wb->size = 0;
		wb->data = MemoryContextAlloc(spare_cxt, size);
		wb->size = size;
	}
	return wb->data;
}

/*
 * A fill of a layer over a file filled its input chunk: when it was the
 * file's first chunk, the layer holds the spare set and the file is at most
 * TRAIL_WHOLE_MAX_INPUT, read the rest of it too, so that the input is the
 * whole file and libdeflate can take its members.  The window stays the
 * first chunk.
 * False with err filled on a read error.
 */
static bool
gunzip_fill_whole(Layer *layer, TrailError *err)
{
	Layer	   *below = layer->below;
	off_t		size;
	char	   *buf;
	ssize_t		more;
	size_t		total;

	if (below->kind != LAYER_FILE || layer->inbuf != spare ||
		below->file_pos != TRAIL_INPUT_CHUNK)
		return true;
	size = FileSize(below->file);
	if (size <= (off_t) layer->avail_in)
		return true;
	/* one byte more than the size, so that a file that grew is not whole */
	buf = whole_buffer(&whole_input, (size_t) size + 1, TRAIL_WHOLE_MAX_INPUT + 1);
	if (buf == NULL)
		return true;
	memcpy(buf, layer->next_in, layer->avail_in);
	more = layer_read_full(below, buf + layer->avail_in,
						   (size_t) size + 1 - layer->avail_in, err);
	if (more < 0)
		return false;
	total = layer->avail_in + more;
	layer->input_whole = (total < (size_t) size + 1);
	if (!layer->input_whole)
	{
		/*
		 * The file grew since its size was taken: keep its whole chunks
		 * only, and read the rest as usual, so that the chunks stay those a
		 * read would have given.
		 */
		size_t		keep = total / TRAIL_INPUT_CHUNK * TRAIL_INPUT_CHUNK;

		below->file_pos -= (off_t) (total - keep);
		total = keep;
	}
	layer->next_in = (const uint8 *) buf;
	layer->whole_base = (const uint8 *) buf;
	layer->whole_end = (const uint8 *) buf + total;
	return true;
}

#ifdef TRAIL_HAVE_LIBDEFLATE
/*
 * The input moved on to next_in, past the window perhaps: the window is
 * again from there to the next chunk boundary of the file (empty when
 * next_in is at one: the next fill shows the next chunk).
 */
static void
gunzip_window(Layer *layer)
{
	size_t		off = layer->next_in - layer->whole_base;
	size_t		boundary = (off + TRAIL_INPUT_CHUNK - 1) / TRAIL_INPUT_CHUNK *
		TRAIL_INPUT_CHUNK;

	layer->avail_in = Min(boundary, (size_t) (layer->whole_end - layer->whole_base)) - off;
}
#endif

/*
 * Make sure the gunzip layer has input; false at the end of the layer below.
 */
static bool
gunzip_fill(Layer *layer, TrailError *err)
{
	size_t		want;
	ssize_t		n;

	if (layer->avail_in > 0)
		return true;
	if (layer->whole_base != NULL)
	{
		/* the next chunk of the whole file, as a read would have given */
		if (layer->next_in < layer->whole_end)
		{
			layer->avail_in = Min((size_t) (layer->whole_end - layer->next_in),
								  TRAIL_INPUT_CHUNK);
			return true;
		}
		/* all of it was used: at its end, or reading on if the file grew */
		layer->whole_base = layer->whole_end = NULL;
		if (layer->input_whole)
			layer->below_eof = true;
	}
	if (layer->below_eof)
		return false;
	want = trail_debug_inflate_chunk > 0 ?
		Min(trail_debug_inflate_chunk, TRAIL_INPUT_CHUNK) : TRAIL_INPUT_CHUNK;
	n = layer_read(layer->below, layer->inbuf, want, err);
	if (n < 0)
		return false;
	if (n == 0)
	{
		layer->below_eof = true;
		return false;
	}
	layer->next_in = (const uint8 *) layer->inbuf;
	layer->avail_in = (size_t) n;

	/*
	 * A short read is the end of a file or a buffer: the input now holds
	 * the rest.  Below a gunzip layer it need not be; then libdeflate finds
	 * the member cut short and the streaming inflater takes it.
	 */
	layer->input_whole = ((size_t) n < want);
	if (!layer->input_whole && layer->whole && !gunzip_fill_whole(layer, err))
		return false;
	return true;
}

/*
 * What went wrong with a gzip stream.  The details name what is wrong, not
 * which library found it, so that both inflaters say the same.  A layer
 * that failed fails again on every later read, with the same error.
 */
typedef enum GzipFailure
{
	GZIP_OK = 0,
	GZIP_BAD_HEADER,
	GZIP_BAD_DATA,
	GZIP_BAD_CHECK,
	GZIP_TRUNCATED,
	GZIP_TRAILING
} GzipFailure;

static void
gunzip_report(Layer *layer, TrailError *err)
{
	long long	member = (long long) layer->members + 1;

	switch ((GzipFailure) layer->failure)
	{
		case GZIP_OK:
			break;
		case GZIP_BAD_HEADER:
			trail_error_set(err, ERRCODE_DATA_CORRUPTED, "compressed data is corrupt");
			trail_error_detail(err, "The header of gzip member %lld is not valid.",
							   member);
			break;
		case GZIP_BAD_DATA:
			trail_error_set(err, ERRCODE_DATA_CORRUPTED, "compressed data is corrupt");
			trail_error_detail(err, "The deflate data of gzip member %lld is not valid.",
							   member);
			break;
		case GZIP_BAD_CHECK:
			trail_error_set(err, ERRCODE_DATA_CORRUPTED, "compressed data is corrupt");
			trail_error_detail(err, "The CRC-32 or length in the trailer of gzip member %lld does not match the inflated data.",
							   member);
			break;
		case GZIP_TRUNCATED:
			trail_error_set(err, ERRCODE_DATA_CORRUPTED,
							"compressed data is truncated");
			trail_error_detail(err, "The gzip stream ends before its last member is complete.");
			break;
		case GZIP_TRAILING:
			trail_error_set(err, ERRCODE_DATA_CORRUPTED,
							"unexpected data after the end of the compressed data");
			trail_error_detail(err, "Bytes after gzip member %lld are not another gzip member.",
							   (long long) layer->members);
			break;
	}
}

static void
gunzip_fail(Layer *layer, GzipFailure what, TrailError *err)
{
	layer->failure = what;
	gunzip_report(layer, err);
}

/* Start a member: the input stays where it is */
static void
gunzip_member_start(Layer *layer)
{
#ifdef TRAIL_HAVE_ISAL
	if (layer->fast)
	{
		isal_inflate_reset(layer->isal);
		layer->isal->crc_flag = ISAL_GZIP;
		isal_gzip_header_init(layer->gzhdr);
		return;
	}
#endif
	/* fails only on a broken z_stream: not the input's fault */
	if (inflateReset(&layer->zs) != Z_OK)
		elog(ERROR, "could not reset zlib stream");
}

/*
 * Inflate from the layer's input into buf.  Returns the bytes produced,
 * sets *member_end at the end of a member (its CRC and length checked), or
 * returns -1 with err filled.  Consumes input, produces output or ends the
 * member unless the input is used up.
 */
static ssize_t
gunzip_step(Layer *layer, char *buf, size_t len, bool *member_end,
			TrailError *err)
{
	size_t		produced;
	GzipFailure what;

	*member_end = false;
#ifdef TRAIL_HAVE_ISAL
	if (layer->fast)
	{
		struct inflate_state *st = layer->isal;
		int			rc;

		st->next_in = (uint8_t *) layer->next_in;
		st->avail_in = (uint32_t) Min(layer->avail_in, (size_t) UINT32_MAX);
		st->next_out = (uint8_t *) buf;
		st->avail_out = (uint32_t) len;

		/*
		 * The header is read here, into a header kept in the layer (a
		 * header may be split across inputs), not inside isal_inflate():
		 * ISA-L does not refuse the reserved flag bits, which zlib does,
		 * and only the kept header shows them.
		 */
		if (!st->wrapper_flag)
		{
			rc = isal_read_gzip_header(st, layer->gzhdr);
			layer->avail_in -= (const uint8 *) st->next_in - layer->next_in;
			layer->next_in = (const uint8 *) st->next_in;
			if (rc >= 0 && (st->wrapper_flag || st->block_state != ISAL_BLOCK_NEW_HDR) &&
				(layer->gzhdr->flags & 0xe0) != 0)
				rc = ISAL_INVALID_WRAPPER;
			if (rc >= 0)
				return 0;		/* ISAL_END_INPUT: the rest comes next */
			gunzip_fail(layer, GZIP_BAD_HEADER, err);
			return -1;
		}

		rc = isal_inflate(st);
		layer->avail_in -= (const uint8 *) st->next_in - layer->next_in;
		layer->next_in = (const uint8 *) st->next_in;
		produced = len - st->avail_out;
		switch (rc)
		{
			case ISAL_DECOMP_OK:
				if (st->block_state == ISAL_BLOCK_FINISH)
					*member_end = true;
				return produced;
			case ISAL_INVALID_WRAPPER:
			case ISAL_UNSUPPORTED_METHOD:
				what = GZIP_BAD_HEADER;
				break;
			case ISAL_INCORRECT_CHECKSUM:
				/* the header's own CRC (FHCRC), or the trailer's */
				what = st->wrapper_flag ? GZIP_BAD_CHECK : GZIP_BAD_HEADER;
				break;
			default:
				what = GZIP_BAD_DATA;
				break;
		}
	}
	else
#endif
	{
		int			rc;

		layer->zs.next_in = (Bytef *) layer->next_in;
		layer->zs.avail_in = (uInt) Min(layer->avail_in, (size_t) UINT_MAX);
		layer->zs.next_out = (Bytef *) buf;
		layer->zs.avail_out = (uInt) len;
		rc = inflate(&layer->zs, Z_NO_FLUSH);
		layer->avail_in -= (const uint8 *) layer->zs.next_in - layer->next_in;
		layer->next_in = (const uint8 *) layer->zs.next_in;
		produced = len - layer->zs.avail_out;

		switch (rc)
		{
			case Z_STREAM_END:
				*member_end = true;
				return produced;
			case Z_OK:
			case Z_BUF_ERROR:
				return produced;
			case Z_MEM_ERROR:
				/* not the input's fault; palloc would have raised it anyway */
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory while inflating gzip data")));
				break;
			default:
				break;
		}
		/* zlib's messages, sorted into what the details say */
		if (layer->zs.msg != NULL &&
			(strcmp(layer->zs.msg, "incorrect data check") == 0 ||
			 strcmp(layer->zs.msg, "incorrect length check") == 0))
			what = GZIP_BAD_CHECK;
		else if (layer->zs.msg != NULL &&
				 (strcmp(layer->zs.msg, "incorrect header check") == 0 ||
				  strcmp(layer->zs.msg, "unknown compression method") == 0 ||
				  strcmp(layer->zs.msg, "unknown header flags set") == 0 ||
				  strcmp(layer->zs.msg, "header crc mismatch") == 0))
			what = GZIP_BAD_HEADER;
		else
			what = GZIP_BAD_DATA;
	}

	/* the bytes of the call that found the damage are not handed out */
	gunzip_fail(layer, what, err);
	return -1;
}

#ifdef TRAIL_HAVE_LIBDEFLATE
/* libdeflate's state (its own malloc), kept for the backend's life */
static struct libdeflate_decompressor *whole_decompressor = NULL;
#endif

/*
 * Inflate the member that starts at the layer's input in one call, with
 * libdeflate, when it may be whole there and fit in buf: the bytes
 * produced, with the member consumed, or -1 when it was not tried or did
 * not succeed.  Then nothing was consumed, and the streaming inflater reads
 * the member as if this had not been called: what is in buf is not handed
 * out, and its errors are the only ones.  A layer where it failed does not
 * try again (a member cut by the input buffer, one larger than buf).
 *
 * With moved not NULL, a member larger than buf (up to
 * TRAIL_WHOLE_MAX_OUTPUT) may be inflated into whole_output instead, when
 * the layer holds the spare set; *moved then points there.
 */
static ssize_t
gunzip_whole_member(Layer *layer, char *buf, size_t len, char **moved)
{
#ifdef TRAIL_HAVE_LIBDEFLATE
	const uint8 *in = layer->next_in;
	size_t		avail = layer->whole_base != NULL ?
		(size_t) (layer->whole_end - in) : layer->avail_in;
	uint32		isize;
	size_t		in_used;
	size_t		out_used;
	bool		into_whole = false;

	if (!layer->whole || !layer->input_whole || avail < 18)
		return -1;

	/*
	 * Deflate, no reserved flag bits, and no header CRC (FHCRC), which
	 * libdeflate skips without checking it; the streaming inflaters check
	 * it.
	 */
	if (in[2] != 8 || (in[3] & 0xe2) != 0)
		return -1;

	/* the input's last four bytes: the size of its last member, mod 2^32 */
	isize = (uint32) in[avail - 4] | ((uint32) in[avail - 3] << 8) |
		((uint32) in[avail - 2] << 16) | ((uint32) in[avail - 1] << 24);
	if (isize > len)
	{
		/*
		 * Not when deflate could not make that much of the input (1032 to
		 * 1 at most): the size is not this member's, so no buffer is grown
		 * for it.
		 */
		if (moved == NULL || layer->inbuf != spare || isize / 1032 > avail)
			return -1;
		buf = whole_buffer(&whole_output, isize, TRAIL_WHOLE_MAX_OUTPUT);
		if (buf == NULL)
			return -1;
		len = whole_output.size;
		into_whole = true;
	}
	if (whole_decompressor == NULL)
	{
		whole_decompressor = libdeflate_alloc_decompressor();
		if (whole_decompressor == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory while inflating gzip data")));
	}
	if (libdeflate_gzip_decompress_ex(whole_decompressor, in, avail, buf, len,
									  &in_used, &out_used) != LIBDEFLATE_SUCCESS)
	{
		layer->whole = false;
		return -1;
	}
	layer->next_in += in_used;
	if (layer->whole_base != NULL)
		gunzip_window(layer);
	else
		layer->avail_in -= in_used;
	/* an empty member hands out nothing: the next may be streamed into buf */
	if (into_whole && out_used > 0)
		*moved = buf;
	return (ssize_t) out_used;
#else
	return -1;
#endif
}

/*
 * Inflate into buf, up to len bytes: the bytes produced (> 0), or 0 at the
 * end of the stream, or -1 with err filled.  With moved not NULL, a whole
 * member may come out elsewhere (see gunzip_whole_member): then *moved says
 * where.
 */
static ssize_t
gunzip_inflate(Layer *layer, char *buf, size_t len, char **moved,
			   TrailError *err)
{
	int			stalls = 0;

	/* both libraries count in 32 bits */
	len = Min(len, (size_t) (1024 * 1024 * 1024));
	for (;;)
	{
		ssize_t		produced;
		size_t		avail_before;
		bool		member_end;

		CHECK_FOR_INTERRUPTS();

		/*
		 * More input only when the inflater wants it: after a step that
		 * filled the output, it may hold more (ISA-L buffers up to 64 kB of
		 * output and 8 bytes of input bits), which must come out before the
		 * end of the input can mean truncation.
		 */
		if (layer->in_member && layer->out_full)
			;
		else if (!gunzip_fill(layer, err))
		{
			if (err->sqlerrcode != 0 || err->message != NULL)
				return -1;
			if (layer->in_member)
			{
				gunzip_fail(layer, GZIP_TRUNCATED, err);
				return -1;
			}
			return 0;
		}

		if (!layer->in_member)
		{
			/*
			 * Between members.  Another member must start with the gzip magic;
			 * zero bytes padding the end are tolerated, as gzip(1) does.
			 */
			if (layer->next_in[0] == 0)
			{
				while (layer->avail_in > 0 && layer->next_in[0] == 0)
				{
					layer->next_in++;
					layer->avail_in--;
				}
				continue;
			}
			if (layer->next_in[0] != 0x1f ||
				(layer->avail_in > 1 && layer->next_in[1] != 0x8b))
			{
				gunzip_fail(layer, GZIP_TRAILING, err);
				return -1;
			}
			produced = gunzip_whole_member(layer, buf, len, moved);
			if (produced >= 0)
			{
				layer->members++;
				if (produced > 0)
					return produced;
				continue;		/* an empty member */
			}
			gunzip_member_start(layer);
			layer->in_member = true;
		}

		avail_before = layer->avail_in;
		produced = gunzip_step(layer, buf, len, &member_end, err);
		if (produced < 0)
			return -1;
		layer->out_full = ((size_t) produced == len && !member_end);
		if (member_end)
		{
			layer->in_member = false;
			layer->members++;
		}
		if (produced > 0)
			return produced;

		/*
		 * Nothing out: the input was used up (fill more), or a header or a
		 * member's end was read.  A step that does none of these would loop
		 * for ever; neither library does that, but a loop must not trust it.
		 */
		if (layer->avail_in == avail_before && !member_end && layer->avail_in > 0)
		{
			if (++stalls > 8)
			{
				gunzip_fail(layer, GZIP_BAD_DATA, err);
				return -1;
			}
		}
		else
			stalls = 0;
	}
}

/*
 * Inflate into the layer's outbuf when it has nothing left: the number of
 * bytes there to take (> 0), or 0 at the end, or -1 with err filled.
 */
static ssize_t
gunzip_refill(Layer *layer, TrailError *err)
{
	ssize_t		n;
	char	   *moved = NULL;

	if (layer->out_pos < layer->out_len)
		return layer->out_len - layer->out_pos;
	n = gunzip_inflate(layer, layer->outbuf, TRAIL_OUTPUT_CHUNK, &moved, err);
	if (n <= 0)
		return n;
	layer->out_base = moved != NULL ? moved : layer->outbuf;
	layer->out_pos = 0;
	layer->out_len = n;
	return n;
}

/*
 * Reads smaller than TRAIL_OUTPUT_CHUNK (the 2 bytes that look for gzip
 * inside gzip, the end of a reader's buffer) are inflated into the layer's
 * own buffer and handed out from there.  So every library call gets room
 * for the same bytes, whichever library it is: ISA-L decodes up to 64 kB
 * ahead of the room it is given, zlib not at all, and with tiny calls a
 * damaged member would be found at different points by the two.  The
 * developer setting trail.debug_read_size turns this off, so that its tiny
 * reads reach the library.
 */
static ssize_t
gunzip_read(Layer *layer, char *buf, size_t len, TrailError *err)
{
	ssize_t		n;

	if (layer->failure != GZIP_OK)
	{
		gunzip_report(layer, err);
		return -1;
	}
	if (layer->out_pos == layer->out_len &&
		(len >= TRAIL_OUTPUT_CHUNK || trail_debug_read_size > 0))
		return gunzip_inflate(layer, buf, len, NULL, err);
	n = gunzip_refill(layer, err);
	if (n <= 0)
		return n;
	n = Min(len, layer->out_len - layer->out_pos);
	memcpy(buf, layer->out_base + layer->out_pos, n);
	layer->out_pos += n;
	return n;
}

/* gunzip_read without the copy: *data points into the layer's out_base */
static ssize_t
gunzip_view(Layer *layer, const char **data, TrailError *err)
{
	ssize_t		n;

	if (layer->failure != GZIP_OK)
	{
		gunzip_report(layer, err);
		return -1;
	}
	n = gunzip_refill(layer, err);
	if (n <= 0)
		return n;
	*data = layer->out_base + layer->out_pos;
	n = layer->out_len - layer->out_pos;
	layer->out_pos = layer->out_len;
	return n;
}

static ssize_t
layer_read(Layer *layer, char *buf, size_t len, TrailError *err)
{
	if (layer->peekpos < layer->npeek)
	{
		size_t		n = Min(len, (size_t) (layer->npeek - layer->peekpos));
		ssize_t		more;

		memcpy(buf, layer->peek + layer->peekpos, n);
		layer->peekpos += n;
		if (n == len)
			return n;
		/* go on reading, so that callers see more than the peeked bytes */
		more = layer_read(layer, buf + n, len - n, err);
		return more < 0 ? -1 : (ssize_t) n + more;
	}
	switch (layer->kind)
	{
		case LAYER_FILE:
			return file_read(layer, buf, len, err);
		case LAYER_MEMORY:
			return memory_read(layer, buf, len);
		case LAYER_GUNZIP:
			return gunzip_read(layer, buf, len, err);
	}
	return -1;
}

/*
 * A gunzip layer's big buffers: the spare set, or a set of its own.  A set
 * is one allocation (inbuf first), so that it is all there or not at all.
 */
static void
take_buffers(Layer *layer)
{
	char	   *block;

	if (spare_cxt == NULL)
		spare_cxt = AllocSetContextCreate(TopMemoryContext,
										  "trail inflater buffers",
										  ALLOCSET_DEFAULT_SIZES);
	if (!spare_held && spare != NULL)
		block = spare;
	else
	{
		Size		size = TRAIL_INPUT_CHUNK + TRAIL_OUTPUT_CHUNK;

#ifdef TRAIL_HAVE_ISAL
		size += MAXALIGN(sizeof(struct inflate_state)) +
			MAXALIGN(sizeof(struct isal_gzip_header));
#endif
		block = MemoryContextAlloc(spare_cxt, size);
		if (!spare_held && spare == NULL)
			spare = block;
	}
	if (block == spare)
		spare_held = true;
	layer->has_buffers = true;
	layer->inbuf = block;
	layer->outbuf = block + TRAIL_INPUT_CHUNK;
	layer->out_base = layer->outbuf;
#ifdef TRAIL_HAVE_ISAL
	layer->isal = (struct inflate_state *) (layer->outbuf + TRAIL_OUTPUT_CHUNK);
	layer->gzhdr = (struct isal_gzip_header *)
		((char *) layer->isal + MAXALIGN(sizeof(struct inflate_state)));
#endif
}

/* the source is closing: the spare set is free again, others are freed */
static void
give_back_buffers(Layer *layer)
{
	if (!layer->has_buffers)
		return;
	layer->has_buffers = false;
	if (layer->inbuf == spare)
		spare_held = false;
	else
		pfree(layer->inbuf);
}

/*
 * Put a gunzip layer on top of src.  It is linked in before it takes its
 * buffers, so that the source's reset callback gives them back even when
 * an ERROR comes before this returns.
 */
static void
push_gunzip(TrailSource *src)
{
	Layer	   *layer = palloc0(sizeof(Layer));

	layer->kind = LAYER_GUNZIP;
	layer->below = src->top;
	src->top = layer;
	take_buffers(layer);
	layer->in_member = false;
#ifdef TRAIL_HAVE_LIBDEFLATE
	/* not under the settings that exist to exercise the streaming path */
	layer->whole = (trail_debug_inflater == TRAIL_INFLATER_FAST &&
					trail_debug_read_size == 0 && trail_debug_inflate_chunk == 0);
#endif
#ifdef TRAIL_HAVE_ISAL
	if (trail_debug_inflater != TRAIL_INFLATER_ZLIB)
	{
		layer->fast = true;
		isal_inflate_init(layer->isal);
		return;
	}
#endif
	layer->zs.zalloc = zalloc_palloc;
	layer->zs.zfree = zfree_palloc;
	layer->zs.opaque = (voidpf) src->cxt;

	/*
	 * 16 + MAX_WBITS: gzip only; the magic bytes were already seen.  It
	 * fails only for want of memory (or a zlib of another version): not the
	 * input's fault, so an ERROR.
	 */
	if (inflateInit2(&layer->zs, 16 + MAX_WBITS) != Z_OK)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialize zlib: %s",
						layer->zs.msg ? layer->zs.msg : "unknown error")));
}

/*
 * The first two bytes of a layer into layer->peek, for sniffing: the number
 * read (fewer at the end), or -1 with err filled.  Bytes a gunzip layer
 * has inflated are looked at where they are and stay there, so that
 * trail_source_read_view hands out the whole of its buffer, not the two
 * bytes first; other bytes are read and replayed from layer->peek.
 */
static ssize_t
layer_peek(Layer *layer, TrailError *err)
{
	ssize_t		n;

	layer->npeek = 0;
	layer->peekpos = 0;
	if (layer->kind == LAYER_GUNZIP && trail_debug_read_size == 0)
	{
		n = gunzip_refill(layer, err);
		if (n < 0)
			return -1;
		if (n >= 2)
		{
			memcpy(layer->peek, layer->out_base + layer->out_pos, 2);
			return 2;
		}
	}
	n = layer_read_full(layer, layer->peek, 2, err);
	if (n >= 0)
		layer->npeek = (int) n;
	return n;
}

/*
 * Peel gzip layers off the bottom layer: while the bytes start with the gzip
 * magic, put a gunzip layer on top.  Returns false on a read error.
 */
static bool
sniff_layers(TrailSource *src, TrailError *err)
{
	for (;;)
	{
		Layer	   *top = src->top;
		ssize_t		n;

		n = layer_peek(top, err);
		if (n < 0 && top->kind == LAYER_GUNZIP && top->failure != GZIP_OK)
		{
			/*
			 * Damaged gzip: opening succeeds and the first read fails, as
			 * when the damage is further in, so that the error has the
			 * same context wherever the damage is.
			 */
			MemoryContext errcxt = err->cxt;

			trail_error_clear(err);
			err->cxt = errcxt;
			top->npeek = 0;
			top->peekpos = 0;
			return true;
		}
		if (n < 0)
			return false;
		if (n < 2 || (unsigned char) top->peek[0] != 0x1f ||
			(unsigned char) top->peek[1] != 0x8b)
			return true;
		if (src->gzip_layers >= TRAIL_MAX_GZIP_LAYERS)
		{
			trail_error_set(err, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
							"gzip data is nested more than %d levels deep",
							TRAIL_MAX_GZIP_LAYERS);
			return false;
		}
		push_gunzip(src);
		src->gzip_layers++;
	}
}

/*
 * The source's memory context is being reset or deleted (trail_source_close,
 * the end of the file or of the scan, or an ERROR): close the file.  This
 * is the only place that closes it.
 */
static void
source_close_callback(void *arg)
{
	TrailSource *src = (TrailSource *) arg;
	Layer	   *layer;

	for (layer = src->top; layer != NULL; layer = layer->below)
		if (layer->kind == LAYER_GUNZIP)
			give_back_buffers(layer);
	layer = src->file_layer;
	if (layer != NULL && layer->file >= 0)
	{
		File		file = layer->file;

		layer->file = -1;
		FileClose(file);
	}
}

static TrailSource *
source_create(void)
{
	MemoryContext cxt;
	TrailSource *src;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "trail byte source",
								ALLOCSET_DEFAULT_SIZES);
	src = MemoryContextAllocZero(cxt, sizeof(TrailSource));
	src->cxt = cxt;
	src->close_cb.func = source_close_callback;
	src->close_cb.arg = src;
	MemoryContextRegisterResetCallback(cxt, &src->close_cb);
	return src;
}

/*
 * Open a file.  Returns NULL with err filled when it cannot be opened or its
 * first bytes cannot be read.
 */
TrailSource *
trail_source_open_file(const char *path, TrailError *err)
{
	TrailSource *src = source_create();
	MemoryContext old = MemoryContextSwitchTo(src->cxt);
	Layer	   *layer;

	layer = palloc0(sizeof(Layer));
	layer->kind = LAYER_FILE;
	layer->file = PathNameOpenFile(path, O_RDONLY | PG_BINARY);
	if (layer->file < 0)
	{
		err->saved_errno = errno;
		trail_error_set(err, 0, "could not open file");
		MemoryContextSwitchTo(old);
		MemoryContextDelete(src->cxt);
		return NULL;
	}
	src->file_layer = layer;
	src->top = layer;

	if (!sniff_layers(src, err))
	{
		MemoryContextSwitchTo(old);
		trail_source_close(src);
		return NULL;
	}
	MemoryContextSwitchTo(old);
	return src;
}

/*
 * A source over bytes already in memory (trail.parse).  The bytes must stay
 * valid until the source is closed.  Returns NULL with err filled when the
 * bytes are gzip nested too deep.
 */
TrailSource *
trail_source_open_memory(const char *data, size_t len, TrailError *err)
{
	TrailSource *src = source_create();
	MemoryContext old = MemoryContextSwitchTo(src->cxt);
	Layer	   *layer;

	layer = palloc0(sizeof(Layer));
	layer->kind = LAYER_MEMORY;
	layer->file = -1;
	layer->data = data;
	layer->len = len;
	src->top = layer;
	/* reading memory cannot fail, but peeling too many layers can */
	if (!sniff_layers(src, err))
	{
		MemoryContextSwitchTo(old);
		trail_source_close(src);
		return NULL;
	}
	MemoryContextSwitchTo(old);
	return src;
}

/*
 * Read up to len bytes of the decoded stream into buf.  Returns the number
 * of bytes read, 0 at the end, or -1 with err filled.
 */
ssize_t
trail_source_read(TrailSource *src, char *buf, size_t len, TrailError *err)
{
	ssize_t		n;
	MemoryContext old = MemoryContextSwitchTo(src->cxt);

	/* the developer setting makes every read short, to test the callers */
	if (trail_debug_read_size > 0)
		len = Min(len, (size_t) trail_debug_read_size);
	n = layer_read(src->top, buf, len, err);
	MemoryContextSwitchTo(old);
	return n;
}

/*
 * trail_source_read without the copy: *data points to the next bytes of the
 * decoded stream in the source's own buffer, valid until the next call on
 * the source.  Returns their number, 0 at the end, or -1 with err filled.
 * Inflated bytes are handed out where the inflater wrote them; the
 * developer setting trail.debug_read_size makes this a copying read, to
 * keep the short reads it is for.
 */
ssize_t
trail_source_read_view(TrailSource *src, const char **data, TrailError *err)
{
	Layer	   *top = src->top;
	ssize_t		n;
	MemoryContext old;

	if (top->peekpos < top->npeek)
	{
		/* the bytes sniffing read ahead come first */
		*data = top->peek + top->peekpos;
		n = top->npeek - top->peekpos;
		top->peekpos = top->npeek;
		return n;
	}
	if (trail_debug_read_size > 0 || top->kind == LAYER_FILE)
	{
		if (src->viewbuf == NULL)
			src->viewbuf = MemoryContextAlloc(src->cxt, TRAIL_OUTPUT_CHUNK);
		*data = src->viewbuf;
		return trail_source_read(src, src->viewbuf, TRAIL_OUTPUT_CHUNK, err);
	}
	if (top->kind == LAYER_MEMORY)
	{
		*data = top->data + top->pos;
		n = top->len - top->pos;
		top->pos = top->len;
		return n;
	}
	old = MemoryContextSwitchTo(src->cxt);
	n = gunzip_view(top, data, err);
	MemoryContextSwitchTo(old);
	return n;
}

/*
 * The size and modification time of the file a source reads, from the
 * open descriptor (so that they are those of the bytes read, and no path
 * is looked up again).  False for a source over memory, or when fstat
 * fails.
 */
bool
trail_source_file_stat(TrailSource *src, int64 *size, time_t *mtime)
{
	struct stat st;
	int			fd;

	if (src->file_layer == NULL || src->file_layer->file < 0)
		return false;
	fd = FileGetRawDesc(src->file_layer->file);
	if (fd < 0 || fstat(fd, &st) != 0)
		return false;
	*size = st.st_size;
	*mtime = st.st_mtime;
	return true;
}

/*
 * Is the rest of a compressed stream intact?  Reads it to its end (through
 * every gzip layer, so every member's CRC is checked) and returns false with
 * err filled when it is not.  A source that is not compressed has no
 * checksum: true without reading.
 */
bool
trail_source_verify_rest(TrailSource *src, TrailError *err)
{
	size_t		len = 64 * 1024;
	char	   *buf;
	ssize_t		n;

	if (src->gzip_layers == 0)
		return true;
	buf = MemoryContextAlloc(src->cxt, len);
	do
	{
		n = trail_source_read(src, buf, len, err);
	} while (n > 0);
	pfree(buf);
	return n == 0;
}

/*
 * The inflater trail.debug_inflater = 'fast' (the default) uses in this
 * build, with its version.
 */
const char *
trail_source_inflater_name(void)
{
#ifdef TRAIL_HAVE_LIBDEFLATE
#define WHOLE_NAME "libdeflate " LIBDEFLATE_VERSION_STRING " + "
#else
#define WHOLE_NAME ""
#endif
#ifdef TRAIL_HAVE_ISAL
	return WHOLE_NAME "isa-l " CppAsString2(ISAL_MAJOR_VERSION) "."
		CppAsString2(ISAL_MINOR_VERSION) "." CppAsString2(ISAL_PATCH_VERSION);
#else
	return WHOLE_NAME "zlib " ZLIB_VERSION;
#endif
}

/*
 * Close the file and free everything, zlib state included (its memory is
 * the source's; the file is closed by the context's reset callback).
 */
void
trail_source_close(TrailSource *src)
{
	MemoryContextDelete(src->cxt);
}
