/*-------------------------------------------------------------------------
 *
 * trail.h
 *	  The map of trail: types shared between modules and the prototypes of
 *	  every cross-file function, grouped by the file that defines them.
 *
 * Data flows one way:
 *
 *	  error.c         (below everything) TrailError, the soft error that the
 *	                  layers above fill and return; it calls nobody
 *	  file_walk.c     location -> list of files (s3_layout.c reads what
 *	                  each path says; a folder test may rule out whole
 *	                  directories), and a list of the problems met
 *	  byte_source.c   file or memory -> bytes (the only user of zlib and ISA-L)
 *	  json_scan.c     bytes -> validated JSON values and member indexes
 *	  record_stream.c bytes -> records (the document shapes CloudTrail
 *	                  events come in)
 *	  decode.c        record -> column values (convert.c does the scalar
 *	                  conversions, jsonb_build.c the jsonb values,
 *	                  columns.c knows the columns, actor.c derives who
 *	                  acted from userIdentity; arn.c takes ARNs apart)
 *	  scan.c          drives the above for a whole scan, with the error
 *	                  policy; scan_files.c finds the files one execution
 *	                  of a scan reads, parallel_files.c shares them out
 *	                  among the processes of a parallel scan
 *	  front ends      read_scan.c (trail.read/trail.parse in FROM, a
 *	                  CustomScan), functions.c (the SQL functions when
 *	                  called otherwise, trail.files), the FDW (trail_fdw.h)
 *
 * Beside the flow: pruning.c turns a query's quals into tests on files and
 * records, for the FDW and for the CustomScan.
 *
 * Log file validation: digest.c reads CloudTrail digests (cjson_doc.c,
 * the only user of cJSON, parses them; crypto.c, the only user of
 * OpenSSL, hashes and checks signatures), walks a tree's chain of
 * digests and indexes the event ranges they list for time pruning;
 * verify.c is its SQL front end and keeps the verdicts.
 *
 * Errors found while reading are "soft": the reading layers fill a
 * TrailError (error.c, below everything) and return it, and scan.c decides
 * whether to raise or to skip.  file_walk.c returns its problems as a list.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TRAIL_H
#define TRAIL_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "bytes.h"

/* ----------------------------------------------------------------
 * error.c: soft errors.  The reading layers (byte_source.c,
 * record_stream.c, file_walk.c, decode.c) never ereport for bad input:
 * they fill a TrailError and return it; scan.c (the policy) raises it or
 * counts it.  error.c is at the bottom of the flow and calls nobody.
 * ----------------------------------------------------------------
 */
typedef struct TrailError
{
	int			sqlerrcode;		/* 0 when no error, or a file error */
	int			saved_errno;	/* for file errors: errno to report with %m */
	char	   *message;		/* primary message */
	char	   *detail;			/* optional detail */
	char	   *hint;			/* optional hint */
	int64		offset;			/* byte offset in the inflated stream, or -1 */
	MemoryContext cxt;			/* where the texts go; NULL: the current one */
} TrailError;

extern void trail_error_set(TrailError *err, int sqlerrcode, const char *fmt,...) pg_attribute_printf(3, 4);
extern void trail_error_detail(TrailError *err, const char *fmt,...) pg_attribute_printf(2, 3);
extern void trail_error_hint(TrailError *err, const char *fmt,...) pg_attribute_printf(2, 3);
extern void trail_error_clear(TrailError *err);
extern void trail_error_init(TrailError *err, MemoryContext cxt);

/* ----------------------------------------------------------------
 * byte_source.c: a file or a memory buffer as a stream of bytes,
 * inflating gzip (concatenated members, gzip inside gzip) on the way.
 * ----------------------------------------------------------------
 */
typedef struct TrailSource TrailSource;

extern TrailSource *trail_source_open_file(const char *path, TrailError *err);
extern TrailSource *trail_source_open_memory(const char *data, size_t len,
											 TrailError *err);
extern ssize_t trail_source_read(TrailSource *src, char *buf, size_t len,
								 TrailError *err);
extern ssize_t trail_source_read_view(TrailSource *src, const char **data,
									  TrailError *err);
extern bool trail_source_file_stat(TrailSource *src, int64 *size,
								   time_t *mtime);
extern bool trail_source_verify_rest(TrailSource *src, TrailError *err);
extern void trail_source_close(TrailSource *src);
extern const char *trail_source_inflater_name(void);

/* ----------------------------------------------------------------
 * json_scan.c: a validating JSON scanner over a byte range
 * ----------------------------------------------------------------
 */
typedef enum TrailJsonType
{
	TRAIL_JSON_NONE = 0,		/* absent */
	TRAIL_JSON_OBJECT,
	TRAIL_JSON_ARRAY,
	TRAIL_JSON_STRING,
	TRAIL_JSON_NUMBER,
	TRAIL_JSON_TRUE,
	TRAIL_JSON_FALSE,
	TRAIL_JSON_NULL
} TrailJsonType;

/* A JSON value as the bytes it was written with (strings keep quotes). */
typedef struct TrailSlice
{
	const char *ptr;
	int			len;
	TrailJsonType type;
} TrailSlice;

/*
 * One member of an object: its key (without quotes, still escaped) and
 * value.  Keys are matched by their unescaped text (trail_json_key_equals);
 * key_escaped says whether the bytes differ from the text.
 */
typedef struct TrailMember
{
	const char *key;
	int			keylen;
	bool		key_escaped;	/* the key holds a backslash escape */
	TrailSlice	value;
} TrailMember;

typedef struct TrailMemberIndex
{
	TrailMember *members;
	int			nmembers;
	int			maxmembers;
} TrailMemberIndex;

/* What the scanner noticed inside a value (TrailScan.flags) */
#define TRAIL_JSON_ESC_NUL			0x0001	/* a \u0000 escape */
#define TRAIL_JSON_ESC_SURROGATE	0x0002	/* a \uD800-\uDFFF escape */
#define TRAIL_JSON_BAD_UTF8			0x0004	/* bytes that are not UTF-8 */
#define TRAIL_JSON_CONTROL_CHAR		0x0008	/* raw control character in a string */
#define TRAIL_JSON_HUGE_NUMBER		0x0010	/* a number jsonb cannot hold */
#define TRAIL_JSON_NON_ASCII		0x0020	/* non-ASCII text: a byte >= 0x80
											 * or a \u escape of one */

/* flags that make a value unusable, as opposed to needing care */
#define TRAIL_JSON_INVALID_FLAGS \
	(TRAIL_JSON_BAD_UTF8 | TRAIL_JSON_CONTROL_CHAR)

typedef enum TrailScanStatus
{
	TRAIL_SCAN_DONE,			/* a complete value; see end */
	TRAIL_SCAN_MORE,			/* ran out of bytes: call again with more */
	TRAIL_SCAN_WRAPPER,			/* stopped at a Records-like array member */
	TRAIL_SCAN_BAD				/* syntax error; see error, error_at */
} TrailScanStatus;

typedef struct TrailScan
{
	/* input options */
	TrailMemberIndex *index;	/* collect depth-1 members here, or NULL */
	bool		stop_at_wrapper;	/* stop at "Records"/"Events"/"logEvents": [ */
	bool		at_eof;			/* no more bytes will come */

	/* results */
	const char *end;			/* DONE: first byte after the value;
								 * WRAPPER: the '[' of the array */
	int			flags;			/* TRAIL_JSON_* */
	const char *flag_at;		/* where the first invalid flag was raised */
	const char *error;			/* BAD: static message */
	const char *error_at;		/* BAD: where */
	TrailJsonType type;			/* type of the scanned value */
	const char *wrapper_key;	/* WRAPPER: the key (points into input) */
	int			wrapper_keylen;
} TrailScan;

#define TRAIL_JSON_MAX_DEPTH 1000

/*
 * The value of a hexadecimal digit, or -1.  A table, not comparisons: the
 * digits of an eventID are letters or not at random, and branches on them
 * were mispredicted half the time (json_scan.c holds it).
 */
extern const int8 trail_hex_values[256];

static inline int
trail_hex_digit(char c)
{
	return trail_hex_values[(unsigned char) c];
}

extern TrailScanStatus trail_json_scan(const char *p, const char *end,
									   TrailScan *scan);
extern const char *trail_json_skip_ws(const char *p, const char *end);
extern bool trail_json_members(TrailSlice obj, TrailMemberIndex *index);
extern TrailSlice trail_json_get(const TrailMemberIndex *index, const char *key);
extern bool trail_json_key_equals(const TrailMember *m, const char *key, int keylen);
extern const char *trail_json_key_text(const TrailMember *m, char *buf, int *len);
extern TrailSlice trail_json_element(TrailSlice array, int n);
/*
 * A 64-byte block's mask of the bytes a string search stops at: kept over
 * one walk so that its many short strings share loads (the scan's own, and
 * the caller's of trail_json_string_end)
 */
typedef struct TrailStringBlock
{
	const char *base;			/* NULL, or 64 bytes from here are in mask */
	uint64		mask;			/* bit i: base[i] is a stop */
} TrailStringBlock;

extern const char *trail_json_string_end(const char *p, const char *end,
										 bool *escaped, TrailStringBlock *blk);
extern char *trail_json_unescape(TrailSlice str, int *len, int *replaced);
extern char *trail_json_sanitize(TrailSlice value, int *replaced);
extern const char *trail_json_type_name(TrailJsonType type);

/* ----------------------------------------------------------------
 * jsonb_build.c: a validated JSON value -> jsonb, without re-lexing
 * ----------------------------------------------------------------
 */
extern bool trail_jsonb_from_slice(TrailSlice value, bool convert_encoding,
								   int *replaced, Datum *result,
								   TrailError *err);

/* ----------------------------------------------------------------
 * record_stream.c: the records inside a byte stream
 * ----------------------------------------------------------------
 */
typedef struct TrailRecordStream TrailRecordStream;

typedef struct TrailRecord
{
	const char *data;			/* the record object's bytes */
	int			len;
	int64		ordinal;		/* 1-based position in the file */
	int64		offset;			/* byte offset in the inflated stream */
	int			flags;			/* TRAIL_JSON_* seen inside it */
	int64		flag_offset;	/* where the first invalid flag was raised */
	TrailMemberIndex *members;	/* its top-level members */
} TrailRecord;

typedef enum TrailNext
{
	TRAIL_NEXT_RECORD,			/* *rec holds a record */
	TRAIL_NEXT_BAD_RECORD,		/* one record is bad; the stream goes on */
	TRAIL_NEXT_BAD_FILE,		/* the rest of the stream is unreadable */
	TRAIL_NEXT_END				/* no more records */
} TrailNext;

/* What a finished stream turned out to hold */
typedef enum TrailContent
{
	TRAIL_CONTENT_UNKNOWN = 0,	/* nothing read yet */
	TRAIL_CONTENT_EVENTS,		/* CloudTrail events (maybe zero of them) */
	TRAIL_CONTENT_DIGEST,		/* a CloudTrail digest file */
	TRAIL_CONTENT_OTHER_JSON,	/* JSON, but no CloudTrail events */
	TRAIL_CONTENT_NOT_JSON,		/* not JSON at all */
	TRAIL_CONTENT_EMPTY			/* no bytes */
} TrailContent;

extern TrailRecordStream *trail_stream_begin(TrailSource *src);
extern TrailNext trail_stream_next(TrailRecordStream *rs, TrailRecord *rec,
								   TrailError *err);
extern TrailContent trail_stream_content(TrailRecordStream *rs);
extern const char *trail_stream_content_detail(TrailRecordStream *rs);

/* ----------------------------------------------------------------
 * columns.c: the columns of trail.event
 * ----------------------------------------------------------------
 */
typedef enum TrailColumnId
{
	TRAIL_COL_EVENT_TIME = 0,
	TRAIL_COL_EVENT_VERSION,
	TRAIL_COL_EVENT_SOURCE,
	TRAIL_COL_EVENT_NAME,
	TRAIL_COL_AWS_REGION,
	TRAIL_COL_EVENT_CATEGORY,
	TRAIL_COL_EVENT_TYPE,
	TRAIL_COL_READ_ONLY,
	TRAIL_COL_MANAGEMENT_EVENT,
	TRAIL_COL_SOURCE_IP_ADDRESS,
	TRAIL_COL_SOURCE_IP,
	TRAIL_COL_USER_AGENT,
	TRAIL_COL_ERROR_CODE,
	TRAIL_COL_ERROR_MESSAGE,
	TRAIL_COL_REQUEST_ID,
	TRAIL_COL_EVENT_ID,
	TRAIL_COL_SHARED_EVENT_ID,
	TRAIL_COL_API_VERSION,
	TRAIL_COL_RECIPIENT_ACCOUNT_ID,
	TRAIL_COL_VPC_ENDPOINT_ID,
	TRAIL_COL_VPC_ENDPOINT_ACCOUNT_ID,
	TRAIL_COL_USER_IDENTITY,
	TRAIL_COL_USER_TYPE,
	TRAIL_COL_PRINCIPAL_ID,
	TRAIL_COL_USER_ARN,
	TRAIL_COL_ACCOUNT_ID,
	TRAIL_COL_ACCESS_KEY_ID,
	TRAIL_COL_USER_NAME,
	TRAIL_COL_INVOKED_BY,
	TRAIL_COL_SESSION_ISSUER_TYPE,
	TRAIL_COL_SESSION_ISSUER_ARN,
	TRAIL_COL_SESSION_ISSUER_USER_NAME,
	TRAIL_COL_MFA_AUTHENTICATED,
	TRAIL_COL_SESSION_CREATED_AT,
	TRAIL_COL_REQUEST_PARAMETERS,
	TRAIL_COL_RESPONSE_ELEMENTS,
	TRAIL_COL_ADDITIONAL_EVENT_DATA,
	TRAIL_COL_SERVICE_EVENT_DETAILS,
	TRAIL_COL_RESOURCES,
	TRAIL_COL_TLS_DETAILS,
	TRAIL_COL_ADDENDUM,
	TRAIL_COL_EDGE_DEVICE_DETAILS,
	TRAIL_COL_INSIGHT_DETAILS,
	TRAIL_COL_SESSION_CREDENTIAL_FROM_CONSOLE,
	TRAIL_COL_SOURCE_FILE,
	TRAIL_COL_RECORD_INDEX,
	TRAIL_COL_RAW,
	/* added in 1.1 */
	TRAIL_COL_ACTOR,
	TRAIL_COL_ACTOR_TYPE,
	TRAIL_COL_ACTOR_ACCOUNT,
	TRAIL_COL_SESSION_NAME,
	TRAIL_COL_SOURCE_IDENTITY,
	TRAIL_COL_ON_BEHALF_OF,
	TRAIL_COL_IN_SCOPE_OF,
	TRAIL_COL_IDENTITY_PROVIDER,
	TRAIL_COL_EVENT_CONTEXT,
	TRAIL_NCOLUMNS
} TrailColumnId;

/* How a column's value is made */
typedef enum TrailConversion
{
	TRAIL_CONV_TEXT,			/* JSON string -> text */
	TRAIL_CONV_BOOL,			/* JSON boolean or "true"/"false" */
	TRAIL_CONV_TIMESTAMPTZ,		/* ISO 8601 string or epoch number */
	TRAIL_CONV_UUID,			/* string -> uuid, NULL when not a UUID */
	TRAIL_CONV_INET,			/* string -> inet, NULL when not an address */
	TRAIL_CONV_JSONB,			/* any JSON value -> jsonb */
	TRAIL_CONV_CATEGORY,		/* eventCategory, derived when absent */
	TRAIL_CONV_SOURCE_FILE,
	TRAIL_CONV_RECORD_INDEX,
	TRAIL_CONV_RAW,				/* the record's bytes as json */
	TRAIL_CONV_ACTOR,			/* from userIdentity, see actor.c */
	TRAIL_CONV_ACTOR_TYPE,
	TRAIL_CONV_ACTOR_ACCOUNT,
	TRAIL_CONV_SESSION_NAME
} TrailConversion;

#define TRAIL_MAX_PATH 4

typedef struct TrailColumn
{
	const char *name;			/* column name in trail.event */
	const char *field;			/* CloudTrail field path, for messages */
	TrailConversion conversion;
	int			depth;			/* number of keys in path */
	const char *path[TRAIL_MAX_PATH];
} TrailColumn;

/* trail.event of extension version 1.0 had the columns up to raw */
#define TRAIL_NCOLUMNS_1_0 (TRAIL_COL_RAW + 1)

extern const TrailColumn trail_columns[TRAIL_NCOLUMNS];
extern int	trail_column_by_name(const char *name);

/* ----------------------------------------------------------------
 * convert.c: scalar conversions from JSON text
 * ----------------------------------------------------------------
 */
extern bool trail_parse_timestamp(const char *s, int len, TimestampTz *result);
extern bool trail_parse_epoch(const char *s, int len, TimestampTz *result);
extern bool trail_parse_uuid(const char *s, int len, unsigned char *result);
extern Datum trail_make_inet(const char *s, int len, bool *isnull);
extern int	trail_parse_bool_text(const char *s, int len);
extern char *trail_utf8_to_server(const char *s, int len, int *outlen,
								  int *bad_at);
extern void trail_error_untranslatable(TrailError *err, const char *s, int len);

/* ----------------------------------------------------------------
 * decode.c: record -> values of trail.event columns
 * ----------------------------------------------------------------
 */
typedef struct TrailDecoder TrailDecoder;

/* One value the decoder makes per record: a column, or a field path */
#define TRAIL_OUTPUT_NONE	(-1)	/* always NULL (not needed) */
#define TRAIL_OUTPUT_FIELD	(-2)	/* the value at field */

typedef struct TrailOutput
{
	int			column;			/* TrailColumnId or TRAIL_OUTPUT_* */
	const char *field;			/* TRAIL_OUTPUT_FIELD: the path */
	Oid			typid;			/* the type wanted */
	int32		typmod;
} TrailOutput;

extern TrailDecoder *trail_decoder_create(int noutputs, const TrailOutput *outputs);
extern bool trail_decode(TrailDecoder *dec, const TrailRecord *rec,
						 const char *source_file, Datum *values, bool *isnull,
						 TrailError *err);
extern int64 trail_decoder_replaced(TrailDecoder *dec);
extern Oid	trail_column_type(int column);
extern Oid	trail_category_type(void);
extern bool trail_parse_field_path(const char *path, int *nsteps, void **steps);
extern int	trail_record_category(const TrailMemberIndex *members, TrailError *err);
extern const char *trail_category_label(int category);

/* ----------------------------------------------------------------
 * arn.c: Amazon Resource Names taken apart
 * ----------------------------------------------------------------
 */
typedef struct TrailArn
{
	/* each part points into the parsed text; NULL or length 0 when empty */
	const char *partition;
	int			partition_len;
	const char *service;
	int			service_len;
	const char *region;
	int			region_len;
	const char *account;
	int			account_len;
	const char *resource_type;
	int			resource_type_len;
	const char *resource_id;
	int			resource_id_len;
} TrailArn;

extern bool trail_arn_parse(const char *s, int len, TrailArn *arn);

/* ----------------------------------------------------------------
 * actor.c: who acted, from userIdentity
 * ----------------------------------------------------------------
 */
typedef struct TrailActor
{
	char	   *actor;			/* the stable identity that acted */
	char	   *actor_type;		/* what actor is: Role, IAMUser, ... */
	char	   *actor_account;	/* the account it belongs to */
	char	   *session_name;	/* assumed roles: the session's name */
} TrailActor;

/* userIdentity and the objects in it that the rules read, NULL when absent */
typedef struct TrailActorInput
{
	const TrailMemberIndex *identity;	/* userIdentity */
	const TrailMemberIndex *session_issuer; /* sessionContext.sessionIssuer */
	const TrailMemberIndex *on_behalf_of;	/* onBehalfOf */
} TrailActorInput;

extern void trail_actor_derive(const TrailActorInput *in, TrailActor *actor);

/* ----------------------------------------------------------------
 * s3_layout.c: what a path tells in the CloudTrail S3 key layout
 * ----------------------------------------------------------------
 */
typedef enum TrailFileKind
{
	TRAIL_KIND_NONE = 0,		/* not in the layout */
	TRAIL_KIND_CLOUDTRAIL,
	TRAIL_KIND_INSIGHT,
	TRAIL_KIND_NETWORK_ACTIVITY,
	TRAIL_KIND_DIGEST,
	TRAIL_KIND_AGGREGATED
} TrailFileKind;

typedef struct TrailLayout
{
	TrailFileKind kind;
	char		organization_id[40];
	char		account_id[16];
	char		region[40];
	bool		has_delivered_at;
	TimestampTz delivered_at;
	/* filled by trail_digest_index, not from the path: */
	bool		has_event_range;	/* a digest lists the file */
	TimestampTz oldest_event;	/* its oldestEventTime */
	TimestampTz newest_event;	/* its newestEventTime */
} TrailLayout;

/*
 * What a directory's path says: a prefix of the layout,
 * AWSLogs/[o-org/]<account>/<Folder>/<region>/YYYY/MM/DD.
 */
typedef struct TrailFolder
{
	int			depth;			/* 0: AWSLogs/ or o-org/, 1: account ... 6: day */
	char		account_id[16];
	TrailFileKind kind;
	char		region[40];
	bool		has_time;		/* a year, month or day folder: */
	TimestampTz start;			/* its first instant (UTC) */
	TimestampTz end;			/* the first instant after it */
} TrailFolder;

extern bool trail_layout_parse(const char *path, TrailLayout *layout);
extern bool trail_folder_parse(const char *dirpath, TrailFolder *folder);
extern const char *trail_kind_name(TrailFileKind kind);

/* ----------------------------------------------------------------
 * file_walk.c: the files under a location
 * ----------------------------------------------------------------
 */
typedef struct TrailFile
{
	char	   *path;
	int64		size;			/* -1 when not asked for */
	TrailLayout layout;			/* what the path says */
} TrailFile;

/*
 * A problem the walk met: the location itself (fatal: there is nothing to
 * scan, whatever on_error says), or a directory or entry below it.  path is
 * NULL when the message names its object itself.
 */
typedef struct TrailWalkProblem
{
	char	   *path;
	bool		fatal;
	TrailError	err;
} TrailWalkProblem;

#define TRAIL_WALK_RECURSIVE	0x01	/* walk subdirectories */
#define TRAIL_WALK_EVENT_FILES	0x02	/* only files a directory scan reads */
#define TRAIL_WALK_SIZES		0x04	/* stat every file for its size */

/* the walk a scan of location (recursive or not) makes: its event files */
static inline int
trail_scan_walk_flags(bool recursive)
{
	return (recursive ? TRAIL_WALK_RECURSIVE : 0) | TRAIL_WALK_EVENT_FILES;
}

/* may files below this folder be wanted?  false: the walk does not open it */
typedef bool (*TrailFolderTestFn) (void *arg, const TrailFolder *folder);

/* what a walk did, for EXPLAIN */
typedef struct TrailWalkStats
{
	int			folders_walked;	/* directories listed */
	int			folders_kept;	/* of them: listings kept from before */
	int			folders_skipped;	/* directories the folder test ruled out */
	int			late_files;		/* files added from digests (trail_digest_index) */
} TrailWalkStats;

extern List *trail_walk(const char *location, int flags, bool *is_directory,
						List **problems);
extern List *trail_walk_folders(const char *location, int flags,
								TrailFolderTestFn test, void *arg,
								TrailWalkStats *stats, bool *is_directory,
								List **problems);
extern bool trail_walk_wants(const TrailLayout *layout);

/* ----------------------------------------------------------------
 * scan.c: one scan over files or a memory buffer
 * ----------------------------------------------------------------
 */
typedef struct TrailReport TrailReport;

typedef enum TrailOnError
{
	TRAIL_ON_ERROR_STOP,
	TRAIL_ON_ERROR_SKIP
} TrailOnError;

extern TrailOnError trail_on_error_from_string(const char *value);
extern TrailReport *trail_report_create(TrailOnError mode);
extern void trail_report_problem(TrailReport *report, const char *file,
								 int64 ordinal, bool whole_file,
								 TrailError *err);
extern void trail_report_walk_problems(TrailReport *report, List *problems);
extern List *trail_scan_walk(const char *location, int flags,
							 bool *is_directory, TrailReport *report);
extern void trail_report_finish(TrailReport *report);
extern int64 trail_report_count(TrailReport *report);

typedef struct TrailScanState TrailScanState;

/* where a scan takes its next file from, when not from a list */
typedef const char *(*TrailNextFileFn) (void *arg);

/* a test on a record before it is decoded: false passes it over */
typedef bool (*TrailRecordFilterFn) (void *arg, const char *path,
									 const TrailRecord *rec);

typedef struct TrailScanCounts
{
	int64		files_read;
	int64		files_passed_over;
	int64		records_read;
	int64		records_filtered;
	int64		records_returned;
	int64		records_skipped;
	int64		files_skipped;
} TrailScanCounts;

extern TrailScanState *trail_scan_begin(TrailReport *report, int noutputs,
										const TrailOutput *outputs);
extern void trail_scan_set_files(TrailScanState *st, List *files,
								 bool single_file);
extern void trail_scan_set_file_source(TrailScanState *st,
									   TrailNextFileFn next, void *arg,
									   bool single_file);
extern void trail_scan_set_memory(TrailScanState *st, const char *data,
								  size_t len);
extern void trail_scan_set_filter(TrailScanState *st,
								  TrailRecordFilterFn filter, void *arg);
extern bool trail_scan_next(TrailScanState *st, Datum *values, bool *isnull);
extern void trail_scan_counts(TrailScanState *st, TrailScanCounts *counts);
extern void trail_scan_counts_add(TrailScanCounts *to,
								  const TrailScanCounts *from);
extern char *trail_scan_counts_text(const TrailScanCounts *counts);
extern void trail_scan_end(TrailScanState *st);

/* ----------------------------------------------------------------
 * scan_files.c: the files one execution of a scan reads
 * ----------------------------------------------------------------
 */
struct TrailPrune;

extern List *trail_walk_cached(const char *location, int flags,
							   struct TrailPrune *folders, bool *is_directory,
							   TrailReport *report, TrailWalkStats *stats);
extern List *trail_scan_files(const char *location, int walk_flags,
							  struct TrailPrune *folders,
							  struct TrailPrune *prune, TrailReport *report,
							  bool *single_file, int *nfound,
							  TrailWalkStats *stats);
extern char *trail_walk_stats_text(const TrailWalkStats *stats);

/* records per byte of file, before ANALYZE has measured it */
#define TRAIL_GZIP_BYTES_PER_RECORD 150.0
#define TRAIL_PLAIN_BYTES_PER_RECORD 1500.0

/* decoding a record costs about this many cpu_tuple_costs */
#define TRAIL_DECODE_COST_FACTOR 10.0

extern bool trail_estimate_location(const char *location, int flags,
									struct TrailPrune *prune,
									double *bytes, double *records,
									double *all_bytes, double *all_records);

/* ----------------------------------------------------------------
 * parallel_files.c: the file list of a parallel scan, in shared memory
 * ----------------------------------------------------------------
 */
typedef struct TrailSharedFiles TrailSharedFiles;

/* what a parallel scan's leader learns of its workers, for EXPLAIN ANALYZE */
typedef struct TrailParallelReport
{
	TrailScanCounts workers;	/* what the workers read, summed */
	int			nparticipants;	/* of the last parallel execution */
	uint64	   *files_taken;	/* files each process read: workers, then
								 * the leader; NULL before any */
} TrailParallelReport;

extern Size trail_shared_files_size(List *files, int nworkers);
extern void trail_shared_files_init(TrailSharedFiles *shared, List *files,
									bool single_file, int nworkers);
extern void trail_shared_files_rewind(TrailSharedFiles *shared);
extern bool trail_shared_files_single_file(const TrailSharedFiles *shared);
extern const char *trail_shared_files_next(TrailSharedFiles *shared,
										   struct TrailPrune *prune);
extern void trail_shared_files_shutdown(TrailSharedFiles *shared,
										const TrailScanCounts *finished,
										TrailScanState *scan,
										TrailParallelReport *report,
										MemoryContext cxt);
extern char *trail_parallel_report_text(const TrailParallelReport *report);
extern double trail_parallel_divisor(int workers);

/* ----------------------------------------------------------------
 * pruning.c: quals -> which files to open and which records to decode
 * ----------------------------------------------------------------
 */
typedef struct TrailPrune TrailPrune;

typedef enum TrailPruneMode
{
	TRAIL_PRUNE_PLAN,			/* constants only, for estimates */
	TRAIL_PRUNE_EXPLAIN,		/* no executor parameters */
	TRAIL_PRUNE_EXEC
} TrailPruneMode;

struct RelOptInfo;
struct ExprContext;

extern List *trail_prune_classify(struct RelOptInfo *baserel,
								  const int *attr_columns, List **exprs);
extern List *trail_prune_classify_clauses(List *rinfos, Index relid,
										  const int *attr_columns,
										  List **exprs, bool allow_outer);
struct PlannerInfo;
extern List *trail_prune_join_outers(struct PlannerInfo *root,
									 struct RelOptInfo *rel,
									 const int *attr_columns, List *choices);
extern TrailPrune *trail_prune_begin(List *filters, List *values,
									 struct ExprContext *econtext,
									 int64 max_delivery_delay,
									 bool folder_pruning,
									 TrailPruneMode mode);
extern bool trail_prune_keep_file(TrailPrune *prune, const TrailLayout *layout);
extern bool trail_prune_keep_folder(void *arg, const TrailFolder *folder);
extern bool trail_prune_wants_listed(void *arg, const char *path,
									 const TrailLayout *layout);
extern bool trail_prune_wants_digests(TrailPrune *prune);
extern char *trail_prune_folder_key(TrailPrune *prune);
extern List *trail_prune_files(TrailPrune *prune, List *files);
extern bool trail_prune_has_record_tests(TrailPrune *prune);
extern bool trail_prune_record(void *arg, const TrailRecord *rec);
extern bool trail_prune_wants_filter(TrailPrune *prune);
extern bool trail_prune_filter(void *arg, const char *path,
							   const TrailRecord *rec);
extern char *trail_prune_describe(List *filters, bool file_level,
								  bool folder_pruning);
extern char *trail_prune_describe_time(TrailPrune *prune);

/* ----------------------------------------------------------------
 * functions.c: SQL-callable functions and the privilege check
 * ----------------------------------------------------------------
 */
extern bool trail_may_read_files(void);
extern void trail_check_file_access(void);

/* ----------------------------------------------------------------
 * read_scan.c: trail.read() and trail.parse() in FROM, as a CustomScan
 * ----------------------------------------------------------------
 */
extern void trail_read_scan_init(void);

/* ----------------------------------------------------------------
 * cjson_doc.c: small whole JSON documents as trees (the only user of cJSON)
 * ----------------------------------------------------------------
 */
typedef struct TrailDoc TrailDoc;
typedef struct TrailDocNode TrailDocNode;	/* opaque: a value in a TrailDoc */

extern TrailDoc *trail_doc_parse(const char *data, size_t len, TrailError *err);
extern void trail_doc_free(TrailDoc *doc);
extern const TrailDocNode *trail_doc_root(const TrailDoc *doc);
extern TrailJsonType trail_doc_type(const TrailDocNode *node);
extern const TrailDocNode *trail_doc_member(const TrailDocNode *obj,
											const char *key, bool *duplicate);
extern const TrailDocNode *trail_doc_next(const TrailDocNode *parent,
										  const TrailDocNode *prev);
extern const char *trail_doc_string(const TrailDocNode *node);
extern bool trail_doc_number(const TrailDocNode *node, double *value);

/* ----------------------------------------------------------------
 * crypto.c: SHA-256, RSA signatures, DER keys (the only user of OpenSSL)
 * ----------------------------------------------------------------
 */
#define TRAIL_SHA256_LEN 32

typedef struct TrailSha256 TrailSha256;

extern TrailSha256 *trail_sha256_create(void);
extern void trail_sha256_reset(TrailSha256 *h);
extern void trail_sha256_update(TrailSha256 *h, const void *data, size_t len);
extern void trail_sha256_final(TrailSha256 *h, unsigned char out[TRAIL_SHA256_LEN]);
extern void trail_md5_hex(const void *data, size_t len, char out[33]);
extern bool trail_public_key_check(const unsigned char *der, size_t len, int *bits);
extern bool trail_rsa_sha256_verify(const unsigned char *der, size_t derlen,
									const char *msg, size_t msglen,
									const unsigned char *sig, size_t siglen,
									bool *bad_key);

/* ----------------------------------------------------------------
 * digest.c: digest files, the data-signing string, the chain walk
 * ----------------------------------------------------------------
 */
typedef struct TrailDigestLog
{
	char	   *bucket;
	char	   *object;			/* S3 key as the digest gives it */
	unsigned char hash[TRAIL_SHA256_LEN];	/* of the inflated bytes */
	bool		has_event_times;
	TimestampTz oldest;			/* oldestEventTime */
	TimestampTz newest;			/* newestEventTime */
} TrailDigestLog;

typedef struct TrailDigest
{
	char	   *account_id;
	char	   *start_time_text;
	char	   *end_time_text;	/* digestEndTime as written: it is signed */
	TimestampTz start_time;
	TimestampTz end_time;
	char	   *bucket;			/* digestS3Bucket */
	char	   *object;			/* digestS3Object */
	char	   *fingerprint;	/* digestPublicKeyFingerprint */
	char	   *prev_bucket;	/* NULL in a digest that starts a chain */
	char	   *prev_object;
	bool		has_prev_hash;
	unsigned char prev_hash[TRAIL_SHA256_LEN];
	char	   *prev_signature; /* hex as written, or NULL */
	int			nlogs;
	TrailDigestLog *logs;
	unsigned char hash[TRAIL_SHA256_LEN];	/* of this digest's inflated bytes */
} TrailDigest;

/* a row of trail.public_key */
typedef struct TrailPublicKey
{
	char	   *fingerprint;
	char	   *region;
	TimestampTz valid_from;
	TimestampTz valid_to;
	unsigned char *der;
	int			derlen;
} TrailPublicKey;

/* a signature given for a digest no successor vouches for */
typedef struct TrailGivenSignature
{
	char	   *key;			/* S3 key, AWSLogs/... */
	char	   *hex;
} TrailGivenSignature;

typedef struct TrailVerifyRequest
{
	const char *location;
	bool		has_since;
	TimestampTz since;
	bool		has_until;
	TimestampTz until;
	List	   *keys;			/* of TrailPublicKey */
	List	   *signatures;		/* of TrailGivenSignature */
} TrailVerifyRequest;

/* one result of a verification */
typedef struct TrailVerifyRow
{
	bool		is_digest;
	const char *path;
	const char *account_id;
	const char *region;
	bool		has_delivered_at;
	TimestampTz delivered_at;
	const char *status;
	const char *detail;
	const char *digest_path;	/* the digest that vouches for it, or NULL */
	bool		on_disk;
	int64		size;
	TimestampTz mtime;
	bool		vouched;		/* valid, and listed by a verified digest */
} TrailVerifyRow;

extern bool trail_digest_read(const char *path, TrailDigest *digest,
							  TrailError *err);
extern bool trail_digest_parse(const char *data, size_t len,
							   TrailDigest *digest, TrailError *err);
extern char *trail_digest_signing_string(const TrailDigest *digest);
extern bool trail_hex_decode(const char *hex, unsigned char *out, int outlen);
extern void trail_hex_encode(const unsigned char *in, int len, char *out);
extern const char *trail_s3_key_of(const char *path);
extern List *trail_verify_walk(const TrailVerifyRequest *req);
/* a file a digest lists, with its event range: should the walk add it? */
typedef bool (*TrailListedTestFn) (void *arg, const char *path,
								   const TrailLayout *layout);

extern List *trail_digest_index(List *files, bool event_files_only,
								const char *location, TrailListedTestFn test,
								void *arg, int *nadded);
extern void trail_digest_event_range(const char *path, TrailLayout *layout);

/* ----------------------------------------------------------------
 * verify.c: the SQL front end of validation, and the verdicts
 * ----------------------------------------------------------------
 */
typedef struct TrailVerifiedCounts
{
	int			no_verdict;		/* never verified */
	int			not_valid;		/* its verdict is not valid */
	int			changed;		/* size or mtime changed since */
} TrailVerifiedCounts;

extern List *trail_keep_verified(List *paths, TrailVerifiedCounts *counts);
extern char *trail_describe_verified(const TrailVerifiedCounts *counts);

/* ----------------------------------------------------------------
 * trail.c: settings
 * ----------------------------------------------------------------
 */
extern int	trail_max_record_size;
extern bool trail_folder_pruning;
extern int	trail_listing_cache_size;	/* file_walk.c */
extern int	trail_debug_read_size;
extern int	trail_debug_inflate_chunk;

/*
 * trail.debug_inflater: the build's fast libraries (libdeflate for whole
 * members, ISA-L streaming), ISA-L streaming only, or zlib
 */
typedef enum TrailInflater
{
	TRAIL_INFLATER_FAST,
	TRAIL_INFLATER_STREAMING,
	TRAIL_INFLATER_ZLIB
} TrailInflater;

extern int	trail_debug_inflater;

extern bool trail_parse_delay(const char *text, int64 *usecs);
extern int64 trail_max_delivery_delay_usecs(void);
extern int64 trail_digest_lookahead_usecs(void);

#endif							/* TRAIL_H */
