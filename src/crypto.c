/*-------------------------------------------------------------------------
 *
 * crypto.c
 *	  SHA-256 (streaming), public keys in DER and RSASSA-PKCS1-v1_5 with
 *	  SHA-256, as CloudTrail digests use them.
 *
 * This is the only file that sees OpenSSL.  OpenSSL allocates with
 * malloc, so every object it makes is owned by a memory context reset
 * callback: an ERROR (or the end of the owning context) frees it.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "utils/memutils.h"

struct TrailSha256
{
	EVP_MD_CTX *ctx;
	EVP_MD	   *md;				/* SHA-256, fetched once (OpenSSL 3) */
	MemoryContextCallback cb;
};

static void
sha256_free(void *arg)
{
	TrailSha256 *h = (TrailSha256 *) arg;

	if (h->ctx != NULL)
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	if (h->md != NULL)
		EVP_MD_free(h->md);
#endif
	h->md = NULL;
}

static void
openssl_failed(const char *what)
{
	unsigned long e = ERR_get_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("could not %s", what),
			 reason != NULL ? errdetail("OpenSSL says: %s.", reason) : 0));
}

/*
 * A SHA-256 in progress, freed with the current memory context (it may
 * be reused after trail_sha256_final: begin again with trail_sha256_reset).
 * The algorithm is fetched once, not by every reset: OpenSSL 3 looks an
 * EVP_sha256() up in its provider tables on each init, which over tens of
 * thousands of small files shows.
 */
TrailSha256 *
trail_sha256_create(void)
{
	TrailSha256 *h = palloc0(sizeof(TrailSha256));

	h->cb.func = sha256_free;
	h->cb.arg = h;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &h->cb);
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (h->md == NULL)
		openssl_failed("start a SHA-256 hash");
#endif
	trail_sha256_reset(h);
	return h;
}

void
trail_sha256_reset(TrailSha256 *h)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	if (EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1)
#else
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
#endif
		openssl_failed("start a SHA-256 hash");
}

void
trail_sha256_update(TrailSha256 *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		openssl_failed("compute a SHA-256 hash");
}

void
trail_sha256_final(TrailSha256 *h, unsigned char out[TRAIL_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1 || n != TRAIL_SHA256_LEN)
		openssl_failed("finish a SHA-256 hash");
}

/* MD5 of bytes as lower-case hex (CloudTrail's key fingerprints) */
void
trail_md5_hex(const void *data, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char hexd[] = "0123456789abcdef";
	unsigned int i;

	if (EVP_Digest(data, len, md, &n, EVP_md5(), NULL) != 1 || n != 16)
		openssl_failed("compute an MD5 hash");
	for (i = 0; i < 16; i++)
	{
		out[2 * i] = hexd[md[i] >> 4];
		out[2 * i + 1] = hexd[md[i] & 15];
	}
	out[32] = '\0';
}

/*
 * Decode an RSA public key in DER: PKCS#1 RSAPublicKey (what AWS says
 * ListPublicKeys returns) or X.509 SubjectPublicKeyInfo (what one of its
 * own samples holds).  Returns NULL when the bytes are neither.
 */
static EVP_PKEY *
decode_key(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY   *key;

	key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long) len);
	if (key != NULL && p == der + len)
		return key;
	EVP_PKEY_free(key);
	p = der;
	key = d2i_PUBKEY(NULL, &p, (long) len);
	if (key != NULL && p == der + len && EVP_PKEY_base_id(key) == EVP_PKEY_RSA)
		return key;
	EVP_PKEY_free(key);
	ERR_clear_error();
	return NULL;
}

/*
 * Whether der holds an RSA public key in one of the two forms; *bits gets
 * its size.
 */
bool
trail_public_key_check(const unsigned char *der, size_t len, int *bits)
{
	EVP_PKEY   *key = decode_key(der, len);

	if (key == NULL)
		return false;
	*bits = EVP_PKEY_get_bits(key);
	EVP_PKEY_free(key);
	return true;
}

typedef struct VerifyState
{
	EVP_PKEY   *key;
	EVP_MD_CTX *ctx;
	MemoryContextCallback cb;
} VerifyState;

static void
verify_free(void *arg)
{
	VerifyState *v = (VerifyState *) arg;

	if (v->ctx != NULL)
		EVP_MD_CTX_free(v->ctx);
	if (v->key != NULL)
		EVP_PKEY_free(v->key);
	v->ctx = NULL;
	v->key = NULL;
}

/*
 * RSASSA-PKCS1-v1_5 with SHA-256: does sig sign msg under the key der?
 * A key that cannot be decoded is reported in *bad_key (and false).
 */
bool
trail_rsa_sha256_verify(const unsigned char *der, size_t derlen,
						const char *msg, size_t msglen,
						const unsigned char *sig, size_t siglen,
						bool *bad_key)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "trail signature check",
											  ALLOCSET_SMALL_SIZES);
	VerifyState *v = MemoryContextAllocZero(cxt, sizeof(VerifyState));
	EVP_PKEY_CTX *pctx = NULL;
	int			rc;

	v->cb.func = verify_free;
	v->cb.arg = v;
	MemoryContextRegisterResetCallback(cxt, &v->cb);

	*bad_key = false;
	v->key = decode_key(der, derlen);
	if (v->key == NULL)
	{
		*bad_key = true;
		MemoryContextDelete(cxt);
		return false;
	}
	v->ctx = EVP_MD_CTX_new();
	if (v->ctx == NULL ||
		EVP_DigestVerifyInit(v->ctx, &pctx, EVP_sha256(), NULL, v->key) != 1 ||
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		openssl_failed("set up an RSA signature check");
	rc = EVP_DigestVerify(v->ctx, sig, siglen,
						  (const unsigned char *) msg, msglen);
	/* rc 0 is a bad signature, < 0 a malformed one: both do not verify */
	ERR_clear_error();
	MemoryContextDelete(cxt);
	return rc == 1;
}
