/*-------------------------------------------------------------------------
 *
 * digest.c
 *	  CloudTrail digest files (reference section 3): reading one into a
 *	  TrailDigest, the exact data-signing string, and the walk that checks
 *	  a whole tree: log hashes, the chain of digests, their signatures.
 *
 * Tampering is never an error here: it is a status in a TrailVerifyRow.
 * A digest that cannot be read is a row with status "unreadable".
 *
 * Files are matched by their S3 key relative to the AWSLogs/ root (what a
 * digest lists), so a synced copy under any local directory verifies.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <sys/stat.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define DIGEST_MAX_SIZE (64 * 1024 * 1024)

/* ----------------------------------------------------------------
 * Small helpers
 * ----------------------------------------------------------------
 */

/* decode exactly outlen bytes of hex; false when hex is not that */
bool
trail_hex_decode(const char *hex, unsigned char *out, int outlen)
{
	int			i;

	if (hex == NULL || strlen(hex) != (size_t) outlen * 2)
		return false;
	for (i = 0; i < outlen; i++)
	{
		int			hi = trail_hex_digit(hex[2 * i]);
		int			lo = trail_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char) (hi << 4 | lo);
	}
	return true;
}

/* lower-case hex, as AWS writes it; out needs 2 * len + 1 bytes */
void
trail_hex_encode(const unsigned char *in, int len, char *out)
{
	static const char hexd[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < len; i++)
	{
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/*
 * The S3 key of a path: from its "AWSLogs/" component on, or the path
 * itself when it has none.
 */
const char *
trail_s3_key_of(const char *path)
{
	const char *p = path;
	const char *key = path;

	/* the last one, as s3_layout.c reads paths */
	while ((p = strstr(p, "AWSLogs/")) != NULL)
	{
		if (p == path || p[-1] == '/')
			key = p;
		p++;
	}
	return key;
}

/* ----------------------------------------------------------------
 * Reading a digest
 * ----------------------------------------------------------------
 */

static const TrailDocNode *
member(const TrailDocNode *obj, const char *key, const char *what,
	   TrailError *err)
{
	bool		duplicate;
	const TrailDocNode *v = trail_doc_member(obj, key, &duplicate);

	if (duplicate)
	{
		trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
						"%s has the key \"%s\" more than once", what, key);
		return NULL;
	}
	return v;
}

/*
 * A string member, inside the document; NULL when absent or JSON null
 * (allowed only when nullable), with err filled when required and missing
 * or of another type.
 */
static const char *
string_member_nocopy(const TrailDocNode *obj, const char *key, const char *what,
					 bool nullable, TrailError *err)
{
	const TrailDocNode *v = member(obj, key, what, err);

	if (err->sqlerrcode != 0)
		return NULL;
	if (v == NULL)
	{
		trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
						"%s has no \"%s\" key", what, key);
		return NULL;
	}
	if (trail_doc_type(v) == TRAIL_JSON_NULL && nullable)
		return NULL;
	if (trail_doc_type(v) != TRAIL_JSON_STRING)
	{
		trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
						"%s has \"%s\" of type %s, expected a string%s",
						what, key, trail_json_type_name(trail_doc_type(v)),
						nullable ? " or null" : "");
		return NULL;
	}
	return trail_doc_string(v);
}

/* the same, copied (the document is freed after parsing) */
static char *
string_member(const TrailDocNode *obj, const char *key, const char *what,
			  bool nullable, TrailError *err)
{
	const char *s = string_member_nocopy(obj, key, what, nullable, err);

	return s ? pstrdup(s) : NULL;
}

static bool
time_member(const TrailDocNode *obj, const char *key, const char *what,
			char **text, TimestampTz *result, bool nullable, bool *isnull,
			TrailError *err)
{
	const char *s = string_member_nocopy(obj, key, what, nullable, err);

	if (err->sqlerrcode != 0)
		return false;
	if (isnull)
		*isnull = (s == NULL);
	if (s == NULL)
		return true;
	if (!trail_parse_timestamp(s, strlen(s), result))
	{
		trail_error_set(err, ERRCODE_INVALID_DATETIME_FORMAT,
						"%s has \"%s\" that is not a time: \"%s\"", what, key, s);
		return false;
	}
	if (text)
		*text = pstrdup(s);
	return true;
}

static bool
hash_member(const TrailDocNode *obj, const char *key, const char *what,
			unsigned char *out, bool nullable, bool *isnull, TrailError *err)
{
	const char *s = string_member_nocopy(obj, key, what, nullable, err);

	if (err->sqlerrcode != 0)
		return false;
	*isnull = (s == NULL);
	if (s == NULL)
		return true;
	if (!trail_hex_decode(s, out, TRAIL_SHA256_LEN))
	{
		trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
						"%s has \"%s\" that is not a SHA-256 in hex: \"%s\"",
						what, key, s);
		return false;
	}
	return true;
}

/*
 * Parse the inflated bytes of a digest.  Checks the keys that section 3.5
 * requires and the shape of logFiles; does not hash (the caller does, over
 * the same bytes).
 */
bool
trail_digest_parse(const char *data, size_t len, TrailDigest *d,
				   TrailError *err)
{
	TrailDoc   *doc = trail_doc_parse(data, len, err);
	const TrailDocNode *root;
	const TrailDocNode *logs;
	const TrailDocNode *entry;
	bool		isnull;
	char	   *alg;
	int			n;

	if (doc == NULL)
		return false;
	root = trail_doc_root(doc);
	memset(d, 0, offsetof(TrailDigest, hash));
	if (trail_doc_type(root) != TRAIL_JSON_OBJECT)
	{
		trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
						"digest is a JSON %s, not an object",
						trail_json_type_name(trail_doc_type(root)));
		goto fail;
	}

	d->fingerprint = string_member(root, "digestPublicKeyFingerprint", "digest", false, err);
	if (err->sqlerrcode)
		goto fail;
	d->bucket = string_member(root, "digestS3Bucket", "digest", false, err);
	if (err->sqlerrcode)
		goto fail;
	d->object = string_member(root, "digestS3Object", "digest", false, err);
	if (err->sqlerrcode)
		goto fail;
	/* the key must be present; null starts a chain */
	d->prev_signature = string_member(root, "previousDigestSignature", "digest", true, err);
	if (err->sqlerrcode)
		goto fail;
	if (!time_member(root, "digestEndTime", "digest", &d->end_time_text,
					 &d->end_time, false, NULL, err) ||
		!time_member(root, "digestStartTime", "digest", &d->start_time_text,
					 &d->start_time, false, NULL, err))
		goto fail;

	alg = string_member(root, "digestSignatureAlgorithm", "digest", true, err);
	trail_error_clear(err);		/* optional: checked only when present */
	if (alg != NULL && strcmp(alg, "SHA256withRSA") != 0)
	{
		trail_error_set(err, ERRCODE_FEATURE_NOT_SUPPORTED,
						"digest is signed with \"%s\", not SHA256withRSA", alg);
		goto fail;
	}
	d->account_id = string_member(root, "awsAccountId", "digest", true, err);
	trail_error_clear(err);

	d->prev_bucket = string_member(root, "previousDigestS3Bucket", "digest", true, err);
	trail_error_clear(err);
	d->prev_object = string_member(root, "previousDigestS3Object", "digest", true, err);
	trail_error_clear(err);
	if (d->prev_object != NULL)
	{
		if (!hash_member(root, "previousDigestHashValue", "digest",
						 d->prev_hash, false, &isnull, err))
			goto fail;
		d->has_prev_hash = true;
		if (d->prev_signature == NULL)
		{
			trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
							"digest names a previous digest but its \"previousDigestSignature\" is null");
			goto fail;
		}
	}

	logs = member(root, "logFiles", "digest", err);
	if (err->sqlerrcode)
		goto fail;
	if (trail_doc_type(logs) != TRAIL_JSON_ARRAY)
	{
		trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
						logs == NULL ? "digest has no \"logFiles\" key" :
						"digest has \"logFiles\" that is not an array");
		goto fail;
	}
	n = 0;
	for (entry = trail_doc_next(logs, NULL); entry; entry = trail_doc_next(logs, entry))
		n++;
	d->logs = palloc0(sizeof(TrailDigestLog) * Max(n, 1));
	for (entry = trail_doc_next(logs, NULL); entry; entry = trail_doc_next(logs, entry))
	{
		TrailDigestLog *l = &d->logs[d->nlogs];
		char		what[64];
		bool		n1,
					n2;

		snprintf(what, sizeof(what), "logFiles entry %d", d->nlogs + 1);
		if (trail_doc_type(entry) != TRAIL_JSON_OBJECT)
		{
			trail_error_set(err, ERRCODE_INVALID_PARAMETER_VALUE,
							"%s is not an object", what);
			goto fail;
		}
		l->bucket = string_member(entry, "s3Bucket", what, false, err);
		if (err->sqlerrcode)
			goto fail;
		l->object = string_member(entry, "s3Object", what, false, err);
		if (err->sqlerrcode)
			goto fail;
		if (!hash_member(entry, "hashValue", what, l->hash, false, &isnull, err))
			goto fail;
		if (!time_member(entry, "oldestEventTime", what, NULL, &l->oldest,
						 true, &n1, err) ||
			!time_member(entry, "newestEventTime", what, NULL, &l->newest,
						 true, &n2, err))
			trail_error_clear(err); /* the range is a hint, not a proof */
		else
			l->has_event_times = !n1 && !n2;
		d->nlogs++;
	}
	trail_doc_free(doc);
	return true;

fail:
	trail_doc_free(doc);
	return false;
}

/* a file's size and modification time, from the descriptor it was read by */
typedef struct FileStat
{
	bool		known;
	int64		size;
	TimestampTz mtime;
} FileStat;

/*
 * Hash a file's inflated bytes (through the byte source: gzip members
 * and all, as trail.read sees them), in the buffer the inflater wrote
 * them to.  h is reused between files.  If keep is given, the bytes are
 * also kept there (digests).  fst, if given, gets the size and
 * modification time of the file opened: those of the bytes hashed.
 */
static bool
hash_file(const char *path, TrailSha256 *h, unsigned char out[TRAIL_SHA256_LEN],
		  StringInfo keep, FileStat *fst, TrailError *err)
{
	TrailSource *src = trail_source_open_file(path, err);
	const char *data;
	ssize_t		n;

	if (fst != NULL)
		fst->known = false;
	if (src == NULL)
		return false;
	if (fst != NULL)
	{
		time_t		mtime;

		fst->known = trail_source_file_stat(src, &fst->size, &mtime);
		if (fst->known)
			fst->mtime = time_t_to_timestamptz(mtime);
	}
	trail_sha256_reset(h);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		n = trail_source_read_view(src, &data, err);
		if (n < 0)
		{
			trail_source_close(src);
			return false;
		}
		if (n == 0)
			break;
		trail_sha256_update(h, data, n);
		if (keep != NULL)
		{
			if (keep->len + n > DIGEST_MAX_SIZE)
			{
				trail_error_set(err, ERRCODE_PROGRAM_LIMIT_EXCEEDED,
								"digest is larger than %d MB when inflated",
								DIGEST_MAX_SIZE / (1024 * 1024));
				trail_source_close(src);
				return false;
			}
			appendBinaryStringInfo(keep, data, n);
		}
	}
	trail_source_close(src);
	trail_sha256_final(h, out);
	return true;
}

/* Read, hash and parse a digest file; h is reused, fst as for hash_file */
static bool
digest_read(const char *path, TrailSha256 *h, TrailDigest *d, FileStat *fst,
			TrailError *err)
{
	StringInfoData data;
	unsigned char hash[TRAIL_SHA256_LEN];

	initStringInfo(&data);
	if (!hash_file(path, h, hash, &data, fst, err))
		return false;
	if (!trail_digest_parse(data.data, data.len, d, err))
		return false;
	memcpy(d->hash, hash, TRAIL_SHA256_LEN);
	pfree(data.data);
	return true;
}

bool
trail_digest_read(const char *path, TrailDigest *d, TrailError *err)
{
	return digest_read(path, trail_sha256_create(), d, NULL, err);
}

/*
 * The data-signing string of section 3.3, exactly:
 * digestEndTime LF bucket "/" object LF hex(SHA-256) LF previous signature
 * or "null"; no trailing newline.
 */
char *
trail_digest_signing_string(const TrailDigest *d)
{
	char		hex[2 * TRAIL_SHA256_LEN + 1];

	trail_hex_encode(d->hash, TRAIL_SHA256_LEN, hex);
	return psprintf("%s\n%s/%s\n%s\n%s", d->end_time_text, d->bucket,
					d->object, hex,
					d->prev_signature ? d->prev_signature : "null");
}

/* ----------------------------------------------------------------
 * The walk: every log file and digest under a location
 * ----------------------------------------------------------------
 */

typedef struct DiskFile
{
	TrailFile  *file;
	const char *key;			/* S3 key relative to the AWSLogs/ root */
	int			listed_by;		/* index of the digest that lists it, or -1 */
	int			listed_entry;	/* its entry in that digest */
} DiskFile;

typedef struct DigestNode
{
	DiskFile   *df;
	bool		readable;
	char	   *unreadable_detail;
	FileStat	fst;			/* of the file read */
	TrailDigest d;
	int			successor;		/* digest naming this one as previous, or -1 */
	int			by_stated;		/* linked under its stated key (misplaced) */
	const char *status;
	char	   *detail;
} DigestNode;

typedef struct Walk
{
	const TrailVerifyRequest *req;
	DiskFile   *logs;
	int			nlogs;
	DiskFile  **logs_by_key;
	DigestNode *digests;
	int			ndigests;
	DigestNode **digests_by_key;
	List	   *rows;
	TrailSha256 *h;
} Walk;

static int
cmp_key(const void *a, const void *b)
{
	return strcmp((*(DiskFile *const *) a)->key, (*(DiskFile *const *) b)->key);
}

static int
cmp_digest_key(const void *a, const void *b)
{
	return strcmp((*(DigestNode *const *) a)->df->key,
				  (*(DigestNode *const *) b)->df->key);
}

static DiskFile *
find_log(Walk *w, const char *key)
{
	int			lo = 0,
				hi = w->nlogs - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(key, w->logs_by_key[mid]->key);

		if (c == 0)
			return w->logs_by_key[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
find_digest(Walk *w, const char *key)
{
	int			lo = 0,
				hi = w->ndigests - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(key, w->digests_by_key[mid]->df->key);

		if (c == 0)
			return w->digests_by_key[mid] - w->digests;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

static bool
in_window(const TrailVerifyRequest *req, bool has_time, TimestampTz t)
{
	if (!has_time)
		return !req->has_since && !req->has_until;
	if (req->has_since && t < req->since)
		return false;
	if (req->has_until && t > req->until)
		return false;
	return true;
}

static char *
error_text(const TrailError *err)
{
	if (err->saved_errno != 0)
		return psprintf("%s: %s.", err->message, strerror(err->saved_errno));
	if (err->detail)
		return psprintf("%s. %s", err->message, err->detail);
	return psprintf("%s.", err->message);
}

/* the path a missing file would have: the finder's AWSLogs/ root + key */
static char *
sibling_path(const char *found_path, const char *found_key, const char *key)
{
	int			prefix = found_key - found_path;

	return psprintf("%.*s%s", prefix, found_path, key);
}

/*
 * The chain a digest belongs to: its folder (account, region) and its
 * name up to the time (account, region, trail, home region).
 */
static int
chain_prefix_len(const char *key)
{
	const char *slash = strrchr(key, '/');
	const char *us = strrchr(key, '_');

	if (us == NULL || (slash != NULL && us < slash))
		return strlen(key);
	return us - key;
}

static bool
same_chain(const char *a, const char *b)
{
	const char *fa = strrchr(a, '/');
	const char *fb = strrchr(b, '/');
	int			da,
				db,
				la,
				lb;

	if (fa == NULL || fb == NULL)
		return false;
	/* the region folder: everything before "/YYYY/MM/DD/<name>" */
	da = (fa - a) - 11;
	db = (fb - b) - 11;
	if (da < 0 || da != db || strncmp(a, b, da) != 0)
		return false;
	/* the name up to its time: account, region, trail, home region */
	la = chain_prefix_len(a) - (fa - a);
	lb = chain_prefix_len(b) - (fb - b);
	return la == lb && strncmp(fa, fb, la) == 0;
}

/*
 * A row about path.  path and layout are not copied: they must live as
 * long as the rows (the walk's files do; a missing file's are allocated
 * for it).
 */
static TrailVerifyRow *
new_row(Walk *w, bool is_digest, const char *path, const TrailLayout *layout)
{
	TrailVerifyRow *r = palloc0(sizeof(TrailVerifyRow));

	r->is_digest = is_digest;
	r->path = path;
	if (layout != NULL && layout->kind != TRAIL_KIND_NONE)
	{
		r->account_id = layout->account_id;
		r->region = layout->region;
		r->has_delivered_at = layout->has_delivered_at;
		r->delivered_at = layout->delivered_at;
	}
	w->rows = lappend(w->rows, r);
	return r;
}

/*
 * The size and modification time a verdict keeps: those of the file as it
 * was read when it was (fst), else from its path.
 */
static void
stat_row(TrailVerifyRow *r, const FileStat *fst)
{
	struct stat st;

	if (fst != NULL && fst->known)
	{
		r->on_disk = true;
		r->size = fst->size;
		r->mtime = fst->mtime;
	}
	else if (stat(r->path, &st) == 0)
	{
		r->on_disk = true;
		r->size = st.st_size;
		r->mtime = time_t_to_timestamptz(st.st_mtime);
	}
}

static const TrailPublicKey *
find_key(const TrailVerifyRequest *req, const char *fingerprint,
		 const char *region, bool *other_region)
{
	ListCell   *lc;

	*other_region = false;
	foreach(lc, req->keys)
	{
		TrailPublicKey *k = lfirst(lc);

		if (pg_strcasecmp(k->fingerprint, fingerprint) != 0)
			continue;
		if (region[0] != '\0' && strcmp(k->region, region) != 0)
		{
			*other_region = true;
			continue;
		}
		return k;
	}
	return NULL;
}

static const char *
given_signature(const TrailVerifyRequest *req, const char *key)
{
	ListCell   *lc;

	foreach(lc, req->signatures)
	{
		TrailGivenSignature *g = lfirst(lc);

		if (strcmp(trail_s3_key_of(g->key), key) == 0)
			return g->hex;
	}
	return NULL;
}

/*
 * Check a readable digest's signature; returns NULL when it verifies, or
 * the status with *detail.
 */
static const char *
check_signature(Walk *w, DigestNode *n, const char *sig_hex,
				const char *sig_source, char **detail)
{
	const TrailVerifyRequest *req = w->req;
	const TrailPublicKey *key;
	bool		other_region;
	unsigned char *sig;
	int			siglen;
	char	   *msg;
	bool		bad_key;

	key = find_key(req, n->d.fingerprint, n->df->file->layout.region,
				   &other_region);
	if (key == NULL)
	{
		*detail = psprintf("Its public key %s is not in trail.public_key%s.",
						   n->d.fingerprint,
						   other_region ? " for this region" : "");
		return "unverified";
	}
	if (n->d.end_time < key->valid_from || n->d.end_time > key->valid_to)
	{
		*detail = psprintf("It is signed with key %s, valid from %s to %s, not at its end time %s.",
						   key->fingerprint,
						   timestamptz_to_str(key->valid_from),
						   timestamptz_to_str(key->valid_to),
						   n->d.end_time_text);
		return "signature_invalid";
	}
	siglen = strlen(sig_hex) / 2;
	sig = palloc(Max(siglen, 1));
	if (siglen == 0 || !trail_hex_decode(sig_hex, sig, siglen))
	{
		*detail = psprintf("The signature %s is not hex.", sig_source);
		return "signature_invalid";
	}
	msg = trail_digest_signing_string(&n->d);
	if (!trail_rsa_sha256_verify(key->der, key->derlen, msg, strlen(msg),
								 sig, siglen, &bad_key))
	{
		if (bad_key)
			*detail = psprintf("Public key %s in trail.public_key is not an RSA key.",
							   key->fingerprint);
		else
			*detail = psprintf("The signature %s does not verify with key %s.",
							   sig_source, key->fingerprint);
		return "signature_invalid";
	}
	return NULL;
}

/* the newest digest of the same chain that ends before n, or -1 */
static int
older_in_chain(Walk *w, int i)
{
	DigestNode *n = &w->digests[i];
	int			best = -1;
	int			j;

	for (j = 0; j < w->ndigests; j++)
	{
		DigestNode *o = &w->digests[j];

		if (j == i || !o->df->file->layout.has_delivered_at ||
			o->df->file->layout.delivered_at >= n->df->file->layout.delivered_at)
			continue;
		if (!same_chain(o->df->key, n->df->key))
			continue;
		if (best < 0 || o->df->file->layout.delivered_at >
			w->digests[best].df->file->layout.delivered_at)
			best = j;
	}
	return best;
}

/* whether a digest of the same chain ends after n */
static bool
newer_in_chain(Walk *w, int i)
{
	DigestNode *n = &w->digests[i];
	int			j;

	for (j = 0; j < w->ndigests; j++)
	{
		DigestNode *o = &w->digests[j];

		if (j != i && o->df->file->layout.has_delivered_at &&
			o->df->file->layout.delivered_at > n->df->file->layout.delivered_at &&
			same_chain(o->df->key, n->df->key))
			return true;
	}
	return false;
}

static void
judge_digest(Walk *w, int i)
{
	DigestNode *n = &w->digests[i];
	const char *status = NULL;
	char	   *detail = NULL;
	const char *sig_hex = NULL;
	const char *sig_source = NULL;

	if (!n->readable)
	{
		n->status = "unreadable";
		n->detail = n->unreadable_detail;
		return;
	}
	if (strcmp(trail_s3_key_of(n->d.object), n->df->key) != 0)
	{
		n->status = "misplaced";
		n->detail = psprintf("It says it was written to %s/%s.",
							 n->d.bucket, n->d.object);
		return;
	}
	if (n->successor >= 0)
	{
		DigestNode *s = &w->digests[n->successor];

		if (memcmp(s->d.prev_hash, n->d.hash, TRAIL_SHA256_LEN) != 0)
		{
			char		hex[2 * TRAIL_SHA256_LEN + 1];

			trail_hex_encode(n->d.hash, TRAIL_SHA256_LEN, hex);
			n->status = "modified";
			n->detail = psprintf("Its SHA-256 is %s, not the previousDigestHashValue in %s.",
								 hex, s->df->key);
			return;
		}
		sig_hex = s->d.prev_signature;
		sig_source = psprintf("in %s", s->df->key);
	}
	else
	{
		sig_hex = given_signature(w->req, n->df->key);
		sig_source = "given in signatures";
	}
	if (sig_hex == NULL)
	{
		n->status = "unverified";
		if (newer_in_chain(w, i))
			n->detail = pstrdup("No digest here names it as its previous digest (the next one is missing or unreadable), and signatures does not give its signature.");
		else
			n->detail = pstrdup("It is the newest digest of its chain here, and signatures does not give its signature.");
		return;
	}
	status = check_signature(w, n, sig_hex, sig_source, &detail);
	if (status != NULL)
	{
		n->status = status;
		n->detail = detail;
		return;
	}
	if (n->d.prev_object == NULL)
	{
		int			o = older_in_chain(w, i);

		if (o >= 0)
		{
			DigestNode *on = &w->digests[o];
			Interval   *gap;
			TimestampTz from = on->readable ? on->d.end_time :
				on->df->file->layout.delivered_at;

			gap = DatumGetIntervalP(DirectFunctionCall2(timestamp_mi,
														TimestampTzGetDatum(n->d.start_time),
														TimestampTzGetDatum(from)));
			n->status = "chain_restarted";
			n->detail = psprintf("It starts a new chain: no digest covers %s to %s (%s) since %s.",
								 pstrdup(timestamptz_to_str(from)),
								 pstrdup(timestamptz_to_str(n->d.start_time)),
								 DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(gap))),
								 on->df->key);
			return;
		}
	}
	n->status = "valid";
	n->detail = NULL;
}

List *
trail_verify_walk(const TrailVerifyRequest *req)
{
	Walk		w = {0};
	bool		is_directory;
	TrailReport *report = trail_report_create(TRAIL_ON_ERROR_STOP);
	List	   *files;
	ListCell   *lc;
	int			listed_kinds = 0;
	int			i,
				j;

	w.req = req;
	w.h = trail_sha256_create();
	files = trail_scan_walk(req->location, TRAIL_WALK_RECURSIVE, &is_directory,
					   report);
	i = 0;
	foreach(lc, files)
		i += ((TrailFile *) lfirst(lc))->layout.kind == TRAIL_KIND_DIGEST;
	w.logs = palloc0(sizeof(DiskFile) * Max(list_length(files) - i, 1));
	w.digests = palloc0(sizeof(DigestNode) * Max(i, 1));
	foreach(lc, files)
	{
		TrailFile  *f = lfirst(lc);
		DiskFile   *df;

		switch (f->layout.kind)
		{
			case TRAIL_KIND_DIGEST:
				w.digests[w.ndigests].df = palloc0(sizeof(DiskFile));
				df = w.digests[w.ndigests].df;
				w.digests[w.ndigests].successor = -1;
				w.digests[w.ndigests].by_stated = -1;
				w.ndigests++;
				break;
			case TRAIL_KIND_CLOUDTRAIL:
			case TRAIL_KIND_INSIGHT:
			case TRAIL_KIND_NETWORK_ACTIVITY:
			case TRAIL_KIND_AGGREGATED:
				df = &w.logs[w.nlogs++];
				break;
			default:
				continue;
		}
		df->file = f;
		df->key = trail_s3_key_of(f->path);
		df->listed_by = -1;
	}
	w.logs_by_key = palloc(sizeof(DiskFile *) * Max(w.nlogs, 1));
	for (i = 0; i < w.nlogs; i++)
		w.logs_by_key[i] = &w.logs[i];
	qsort(w.logs_by_key, w.nlogs, sizeof(DiskFile *), cmp_key);
	w.digests_by_key = palloc(sizeof(DigestNode *) * Max(w.ndigests, 1));
	for (i = 0; i < w.ndigests; i++)
		w.digests_by_key[i] = &w.digests[i];
	qsort(w.digests_by_key, w.ndigests, sizeof(DigestNode *), cmp_digest_key);

	/*
	 * Read the digests that can matter to the window: every digest ending
	 * after since (a digest ending later may list files delivered in it,
	 * and vouches for its predecessor).
	 */
	for (i = 0; i < w.ndigests; i++)
	{
		DigestNode *n = &w.digests[i];
		const TrailLayout *lay = &n->df->file->layout;
		TrailError	err = {0};

		CHECK_FOR_INTERRUPTS();
		err.offset = -1;
		if (req->has_since && lay->has_delivered_at && lay->delivered_at < req->since)
			continue;
		n->readable = digest_read(n->df->file->path, w.h, &n->d, &n->fst, &err);
		if (!n->readable)
			n->unreadable_detail = error_text(&err);
	}

	/* link each digest to its predecessor */
	for (i = 0; i < w.ndigests; i++)
	{
		DigestNode *n = &w.digests[i];
		const char *pkey;
		int			p;

		if (!n->readable || n->d.prev_object == NULL)
			continue;
		pkey = trail_s3_key_of(n->d.prev_object);
		p = find_digest(&w, pkey);
		if (p < 0)
		{
			/* a copy found elsewhere that says it was written there */
			for (j = 0; j < w.ndigests; j++)
				if (w.digests[j].readable &&
					strcmp(trail_s3_key_of(w.digests[j].d.object), pkey) == 0)
				{
					p = j;
					break;
				}
		}
		if (p >= 0)
		{
			if (w.digests[p].successor < 0)
				w.digests[p].successor = i;
			continue;
		}
		/* not on disk: missing, when it falls in the window */
		{
			TrailLayout *lay = palloc(sizeof(TrailLayout));
			TrailVerifyRow *r;
			char	   *path = sibling_path(n->df->file->path, n->df->key, pkey);

			trail_layout_parse(path, lay);
			if (req->has_since && lay->has_delivered_at && lay->delivered_at < req->since)
				continue;
			r = new_row(&w, true, path, lay);
			r->status = "missing";
			r->detail = psprintf("%s names it as its previous digest; it is not on disk.",
								 n->df->key);
			r->digest_path = n->df->file->path;
		}
	}

	/* each digest's verdict */
	for (i = 0; i < w.ndigests; i++)
	{
		DigestNode *n = &w.digests[i];
		const TrailLayout *lay = &n->df->file->layout;
		TrailVerifyRow *r;

		if (req->has_since && lay->has_delivered_at && lay->delivered_at < req->since)
			continue;
		CHECK_FOR_INTERRUPTS();
		judge_digest(&w, i);
		/* a digest is in the window when its period overlaps it */
		if (req->has_until && n->readable && n->d.start_time > req->until)
			continue;
		if (req->has_until && !n->readable && lay->has_delivered_at &&
			lay->delivered_at > req->until)
			continue;
		r = new_row(&w, true, n->df->file->path, lay);
		r->status = n->status;
		r->detail = n->detail;
		if (n->successor >= 0)
			r->digest_path = w.digests[n->successor].df->file->path;
		r->vouched = strcmp(n->status, "valid") == 0 ||
			strcmp(n->status, "chain_restarted") == 0;
		stat_row(r, &n->fst);
	}

	/* the log files the digests list */
	for (i = 0; i < w.ndigests; i++)
	{
		DigestNode *n = &w.digests[i];

		if (!n->readable)
			continue;
		for (j = 0; j < n->d.nlogs; j++)
		{
			const char *lkey = trail_s3_key_of(n->d.logs[j].object);
			DiskFile   *df = find_log(&w, lkey);

			if (df != NULL)
			{
				if (df->listed_by < 0)
				{
					df->listed_by = i;
					df->listed_entry = j;
				}
				continue;
			}
			{
				char	   *path = sibling_path(n->df->file->path, n->df->key, lkey);
				TrailLayout *lay = palloc(sizeof(TrailLayout));
				TrailVerifyRow *r;

				trail_layout_parse(path, lay);
				if (!in_window(req, lay->has_delivered_at, lay->delivered_at))
					continue;
				r = new_row(&w, false, path, lay);
				r->status = "missing";
				r->detail = psprintf("%s lists it; it is not on disk.", n->df->key);
				r->digest_path = n->df->file->path;
			}
		}
	}

	/*
	 * Which kinds of log file the digests here list: whether CloudTrail's
	 * digests cover Insights, network activity or aggregated files is not
	 * documented, so a file of a kind no digest lists is not called
	 * unlisted (an accusation) but not covered.
	 */
	for (i = 0; i < w.nlogs; i++)
		if (w.logs[i].listed_by >= 0)
			listed_kinds |= 1 << w.logs[i].file->layout.kind;

	/* every log file on disk in the window */
	for (i = 0; i < w.nlogs; i++)
	{
		DiskFile   *df = &w.logs[i];
		const TrailLayout *lay = &df->file->layout;
		TrailVerifyRow *r;

		if (!in_window(req, lay->has_delivered_at, lay->delivered_at))
			continue;
		CHECK_FOR_INTERRUPTS();
		r = new_row(&w, false, df->file->path, lay);
		if (df->listed_by >= 0)
		{
			DigestNode *n = &w.digests[df->listed_by];
			TrailDigestLog *l = &n->d.logs[df->listed_entry];
			unsigned char hash[TRAIL_SHA256_LEN];
			TrailError	err = {0};
			FileStat	fst;
			bool		hashed;

			err.offset = -1;
			r->digest_path = n->df->file->path;
			hashed = hash_file(df->file->path, w.h, hash, NULL, &fst, &err);
			stat_row(r, &fst);
			if (!hashed)
			{
				r->status = "modified";
				r->detail = psprintf("It cannot be read: %s", error_text(&err));
			}
			else if (memcmp(hash, l->hash, TRAIL_SHA256_LEN) != 0)
			{
				char		hex[2 * TRAIL_SHA256_LEN + 1];

				trail_hex_encode(hash, TRAIL_SHA256_LEN, hex);
				r->status = "modified";
				r->detail = psprintf("Its SHA-256 is %s, not the hashValue its digest lists.",
									 hex);
			}
			else
			{
				r->status = "valid";
				r->vouched = strcmp(n->status, "valid") == 0 ||
					strcmp(n->status, "chain_restarted") == 0;
				if (!r->vouched)
					r->detail = psprintf("Its hash matches, but its digest is %s.",
										 n->status);
			}
			continue;
		}
		/* not listed: inside a period some digest of its region covers? */
		stat_row(r, NULL);
		r->status = "not_covered";
		if (lay->has_delivered_at && (lay->kind == TRAIL_KIND_CLOUDTRAIL ||
									  (listed_kinds & (1 << lay->kind))))
		{
			for (j = 0; j < w.ndigests; j++)
			{
				DigestNode *n = &w.digests[j];
				const TrailLayout *dl = &n->df->file->layout;

				if (!n->readable || strcmp(dl->account_id, lay->account_id) != 0 ||
					strcmp(dl->region, lay->region) != 0)
					continue;
				/* names keep the minute: allow for the seconds cut off */
				if (lay->delivered_at >= n->d.start_time - 60 * USECS_PER_SEC &&
					lay->delivered_at <= n->d.end_time)
				{
					r->status = "unlisted";
					r->detail = psprintf("It was delivered inside the period of %s, which does not list it.",
										 n->df->key);
					r->digest_path = n->df->file->path;
					break;
				}
			}
		}
		if (strcmp(r->status, "not_covered") == 0)
		{
			if (lay->kind != TRAIL_KIND_CLOUDTRAIL && !(listed_kinds & (1 << lay->kind)))
				r->detail = psprintf("No digest here lists %s files.",
									 trail_kind_name(lay->kind));
			else
				r->detail = "No digest here covers its delivery time.";
		}
	}
	trail_report_finish(report);
	return w.rows;
}

/* ----------------------------------------------------------------
 * Digests as a time index: the event range of every file they list
 * ----------------------------------------------------------------
 */

/* one parsed digest, kept for the life of the backend (digests do not change) */
typedef struct CachedDigest
{
	const char *path;
	uint32		hash;
	char		status;
	int64		size;
	time_t		mtime;
	int			nlogs;
	char	  **keys;			/* S3 keys of the listed files */
	TimestampTz *oldest;
	TimestampTz *newest;
} CachedDigest;

#define SH_PREFIX digestcache
#define SH_ELEMENT_TYPE CachedDigest
#define SH_KEY_TYPE const char *
#define SH_KEY path
#define SH_HASH_KEY(tb, key) hash_bytes((const unsigned char *) (key), strlen(key))
#define SH_EQUAL(tb, a, b) (strcmp(a, b) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) a->hash
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* the S3 key of a listed file -> its event range, for the last index */
typedef struct RangeEntry
{
	const char *key;
	uint32		hash;
	char		status;
	TimestampTz oldest;
	TimestampTz newest;
} RangeEntry;

#define SH_PREFIX rangemap
#define SH_ELEMENT_TYPE RangeEntry
#define SH_KEY_TYPE const char *
#define SH_KEY key
#define SH_HASH_KEY(tb, key) hash_bytes((const unsigned char *) (key), strlen(key))
#define SH_EQUAL(tb, a, b) (strcmp(a, b) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) a->hash
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static MemoryContext digest_cache_cxt = NULL;
static digestcache_hash *digest_cache = NULL;
static MemoryContext range_cxt = NULL;
static rangemap_hash *ranges = NULL;

/* a digest's listed files and ranges, parsed once per size and mtime */
static CachedDigest *
cached_digest(const char *path)
{
	struct stat st;
	CachedDigest *c;
	bool		found;

	if (stat(path, &st) != 0)
		return NULL;
	c = digestcache_insert(digest_cache, path, &found);
	if (!found)
		c->path = MemoryContextStrdup(digest_cache_cxt, path);
	if (!found || c->size != st.st_size || c->mtime != st.st_mtime)
	{
		MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext,
												  "trail digest read",
												  ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(tmp);
		TrailDigest d;
		TrailError	err = {0};
		int			i;

		err.offset = -1;
		c->size = st.st_size;
		c->mtime = st.st_mtime;
		c->nlogs = 0;
		if (trail_digest_read(path, &d, &err))
		{
			MemoryContextSwitchTo(digest_cache_cxt);
			c->keys = palloc(sizeof(char *) * Max(d.nlogs, 1));
			c->oldest = palloc(sizeof(TimestampTz) * Max(d.nlogs, 1));
			c->newest = palloc(sizeof(TimestampTz) * Max(d.nlogs, 1));
			for (i = 0; i < d.nlogs; i++)
			{
				/* a range that is not a range is no index */
				if (!d.logs[i].has_event_times ||
					d.logs[i].oldest > d.logs[i].newest)
					continue;
				c->keys[c->nlogs] = pstrdup(trail_s3_key_of(d.logs[i].object));
				c->oldest[c->nlogs] = d.logs[i].oldest;
				c->newest[c->nlogs] = d.logs[i].newest;
				c->nlogs++;
			}
		}
		MemoryContextSwitchTo(old);
		MemoryContextDelete(tmp);
	}
	return c;
}

static int
cmp_path(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * The files that the digests among files list, that are under location,
 * and that test wants (the walk did not find them), as new TrailFiles.
 * A listed file that is not on disk is simply not there.
 */
static List *
listed_files(List *files, const char *location, TrailListedTestFn test,
			 void *arg)
{
	List	   *paths = NIL;
	List	   *added = NIL;
	int			loclen = strlen(location);
	const char *prev = NULL;
	ListCell   *lc;

	while (loclen > 1 && location[loclen - 1] == '/')
		loclen--;
	foreach(lc, files)
	{
		TrailFile  *f = (TrailFile *) lfirst(lc);
		CachedDigest *c;
		const char *key;
		int			prefix;
		int			i;

		if (f->layout.kind != TRAIL_KIND_DIGEST)
			continue;
		c = digestcache_lookup(digest_cache, f->path);
		key = trail_s3_key_of(f->path);
		if (c == NULL || key == f->path)
			continue;
		/* the listed files are in the same tree as the digest */
		prefix = key - f->path;
		for (i = 0; i < c->nlogs; i++)
		{
			char	   *path = psprintf("%.*s%s", prefix, f->path, c->keys[i]);
			TrailLayout layout;

			CHECK_FOR_INTERRUPTS();
			/* under location ("/" holds every absolute path) */
			if (strncmp(path, location, loclen) != 0 ||
				(path[loclen] != '/' && !(loclen == 1 && location[0] == '/')) ||
				!trail_layout_parse(path, &layout))
			{
				pfree(path);
				continue;
			}
			trail_digest_event_range(path, &layout);
			if (test(arg, path, &layout))
				paths = lappend(paths, path);
			else
				pfree(path);
		}
	}

	list_sort(paths, cmp_path);
	foreach(lc, paths)
	{
		const char *path = (const char *) lfirst(lc);
		struct stat st;
		TrailFile  *f;

		/* a file two digests list is added once */
		if (prev != NULL && strcmp(prev, path) == 0)
			continue;
		prev = path;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		f = palloc(sizeof(TrailFile));
		f->path = (char *) path;
		f->size = (int64) st.st_size;
		trail_layout_parse(path, &f->layout);
		added = lappend(added, f);
	}
	list_free(paths);
	return added;
}

/*
 * Give the log files in files that digests list (digests among files) the
 * event range their digest says, and return the list, without the files a
 * directory scan does not read when event_files_only.  Digests that
 * cannot be read are passed over: the files they list keep the delivery
 * heuristic.  The ranges are also kept, by S3 key, for
 * trail_digest_event_range (a parallel worker's files come as paths).
 *
 * When the walk skipped folders (test is not NULL), the files that the
 * digests list under location and that test wants are added at the end
 * (*nadded says how many): a file delivered days after its events lies in
 * a folder a walk for those events skips, and its digest still finds it.
 */
List *
trail_digest_index(List *files, bool event_files_only, const char *location,
				   TrailListedTestFn test, void *arg, int *nadded)
{
	List	   *kept = NIL;
	ListCell   *lc;

	*nadded = 0;
	if (digest_cache_cxt == NULL)
	{
		digest_cache_cxt = AllocSetContextCreate(TopMemoryContext,
												 "trail digest cache",
												 ALLOCSET_DEFAULT_SIZES);
		digest_cache = digestcache_create(digest_cache_cxt, 256, NULL);
		range_cxt = AllocSetContextCreate(TopMemoryContext,
										  "trail digest ranges",
										  ALLOCSET_DEFAULT_SIZES);
		ranges = rangemap_create(range_cxt, 1024, NULL);
	}

	foreach(lc, files)
	{
		TrailFile  *f = (TrailFile *) lfirst(lc);
		CachedDigest *c;
		int			i;

		if (f->layout.kind != TRAIL_KIND_DIGEST)
			continue;
		CHECK_FOR_INTERRUPTS();
		c = cached_digest(f->path);
		for (i = 0; c != NULL && i < c->nlogs; i++)
		{
			bool		found;
			RangeEntry *r = rangemap_insert(ranges, c->keys[i], &found);

			if (!found)
			{
				r->key = c->keys[i];
				r->oldest = c->oldest[i];
				r->newest = c->newest[i];
			}
		}
	}

	if (test != NULL)
	{
		List	   *added = listed_files(files, location, test, arg);

		*nadded = list_length(added);
		files = list_concat(files, added);
	}

	foreach(lc, files)
	{
		TrailFile  *f = (TrailFile *) lfirst(lc);

		if (f->layout.kind != TRAIL_KIND_NONE &&
			f->layout.kind != TRAIL_KIND_DIGEST)
			trail_digest_event_range(f->path, &f->layout);
		if (!event_files_only || trail_walk_wants(&f->layout))
			kept = lappend(kept, f);
	}
	return kept;
}

/* the event range a digest indexed so far lists for the file at path */
void
trail_digest_event_range(const char *path, TrailLayout *layout)
{
	RangeEntry *r;

	layout->has_event_range = false;
	if (ranges == NULL)
		return;
	r = rangemap_lookup(ranges, trail_s3_key_of(path));
	if (r == NULL)
		return;
	layout->has_event_range = true;
	layout->oldest_event = r->oldest;
	layout->newest_event = r->newest;
}
