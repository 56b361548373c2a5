/*-------------------------------------------------------------------------
 *
 * cjson_doc.c
 *	  Small whole JSON documents (digests, public key lists) as trees.
 *
 * This is the only file that sees cJSON.  A document lives in a memory
 * context of its own whose reset callback deletes the cJSON tree, so an
 * ERROR anywhere frees it with the context it was made in; cJSON's global
 * allocation hooks are left alone (another library in the backend may use
 * cJSON too).
 *
 * cJSON's limits (reference section 7) are handled here, so that callers
 * can trust what they get:
 *	- a \u0000 escape would silently truncate a string: rejected before
 *	  parsing;
 *	- a duplicate key would make a lookup see the first of two values
 *	  while other validators (Python) see the last: lookups report it;
 *	- lookups are case-sensitive (cJSON_GetObjectItem is not);
 *	- nesting beyond CJSON_NESTING_LIMIT and lone surrogates fail the
 *	  parse, reported as invalid JSON with the byte offset.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#include <cJSON.h>

#include "utils/memutils.h"

struct TrailDoc
{
	MemoryContext cxt;
	cJSON	   *root;
	MemoryContextCallback cb;
};

static void
doc_delete(void *arg)
{
	TrailDoc   *doc = (TrailDoc *) arg;

	if (doc->root != NULL)
		cJSON_Delete(doc->root);
	doc->root = NULL;
}

/*
 * Find a \u0000 escape inside a string; returns its offset or -1.  An
 * escaped backslash followed by "u0000" is text, not an escape.
 */
static int64
find_nul_escape(const char *data, size_t len)
{
	bool		in_string = false;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = data[i];

		if (!in_string)
		{
			if (c == '"')
				in_string = true;
			continue;
		}
		if (c == '"')
			in_string = false;
		else if (c == '\\' && i + 1 < len)
		{
			if (data[i + 1] == 'u' && i + 5 < len &&
				strncmp(data + i + 2, "0000", 4) == 0)
				return (int64) i;
			i++;				/* skip the escaped character */
		}
	}
	return -1;
}

/*
 * Parse a whole document.  Returns NULL with err filled when it is not
 * JSON (or holds what cJSON cannot represent faithfully).
 */
TrailDoc *
trail_doc_parse(const char *data, size_t len, TrailError *err)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "trail JSON document",
											  ALLOCSET_SMALL_SIZES);
	TrailDoc   *doc = MemoryContextAllocZero(cxt, sizeof(TrailDoc));
	const char *end = NULL;
	int64		nul;

	doc->cxt = cxt;
	doc->cb.func = doc_delete;
	doc->cb.arg = doc;
	MemoryContextRegisterResetCallback(cxt, &doc->cb);

	nul = find_nul_escape(data, len);
	if (nul >= 0)
	{
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"JSON document contains a \\u0000 escape");
		err->offset = nul;
		MemoryContextDelete(cxt);
		return NULL;
	}

	doc->root = cJSON_ParseWithLengthOpts(data, len, &end, false);
	if (doc->root == NULL)
	{
		int64		at = (end != NULL && end >= data && end <= data + len) ?
			end - data : -1;

		if (at < 0)
		{
			const char *ep = cJSON_GetErrorPtr();

			if (ep != NULL && ep >= data && ep <= data + len)
				at = ep - data;
		}
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"document is not valid JSON");
		if (at >= 0)
			trail_error_detail(err, "The JSON parser stopped at byte %lld of %zu.",
							   (long long) at, len);
		err->offset = at;
		MemoryContextDelete(cxt);
		return NULL;
	}
	/* only white space may follow the value */
	while (end != NULL && end < data + len &&
		   (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != NULL && end < data + len)
	{
		trail_error_set(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
						"document is not valid JSON");
		trail_error_detail(err, "Bytes follow the JSON value at byte %lld.",
						   (long long) (end - data));
		err->offset = end - data;
		MemoryContextDelete(cxt);
		return NULL;
	}
	return doc;
}

void
trail_doc_free(TrailDoc *doc)
{
	MemoryContextDelete(doc->cxt);
}

const TrailDocNode *
trail_doc_root(const TrailDoc *doc)
{
	return (const TrailDocNode *) doc->root;
}

TrailJsonType
trail_doc_type(const TrailDocNode *node)
{
	const cJSON *n = (const cJSON *) node;

	if (n == NULL)
		return TRAIL_JSON_NONE;
	if (cJSON_IsObject(n))
		return TRAIL_JSON_OBJECT;
	if (cJSON_IsArray(n))
		return TRAIL_JSON_ARRAY;
	if (cJSON_IsString(n))
		return TRAIL_JSON_STRING;
	if (cJSON_IsNumber(n))
		return TRAIL_JSON_NUMBER;
	if (cJSON_IsTrue(n))
		return TRAIL_JSON_TRUE;
	if (cJSON_IsFalse(n))
		return TRAIL_JSON_FALSE;
	if (cJSON_IsNull(n))
		return TRAIL_JSON_NULL;
	return TRAIL_JSON_NONE;
}

/*
 * The member key of an object (case-sensitive), or NULL when absent or
 * when obj is not an object.  *duplicate tells whether key occurs more
 * than once.
 */
const TrailDocNode *
trail_doc_member(const TrailDocNode *obj, const char *key, bool *duplicate)
{
	const cJSON *o = (const cJSON *) obj;
	const cJSON *child;
	const cJSON *found = NULL;

	*duplicate = false;
	if (o == NULL || !cJSON_IsObject(o))
		return NULL;
	for (child = o->child; child != NULL; child = child->next)
	{
		if (child->string != NULL && strcmp(child->string, key) == 0)
		{
			if (found != NULL)
				*duplicate = true;
			else
				found = child;
		}
	}
	return (const TrailDocNode *) found;
}

/* The first element (prev NULL) or the one after prev of an array or object */
const TrailDocNode *
trail_doc_next(const TrailDocNode *parent, const TrailDocNode *prev)
{
	if (prev != NULL)
		return (const TrailDocNode *) ((const cJSON *) prev)->next;
	if (parent == NULL)
		return NULL;
	return (const TrailDocNode *) ((const cJSON *) parent)->child;
}

/* a string's value (NUL-terminated, owned by the document), or NULL */
const char *
trail_doc_string(const TrailDocNode *node)
{
	const cJSON *n = (const cJSON *) node;

	if (n == NULL || !cJSON_IsString(n))
		return NULL;
	return n->valuestring;
}

/* a number's value; false when node is not a number */
bool
trail_doc_number(const TrailDocNode *node, double *value)
{
	const cJSON *n = (const cJSON *) node;

	if (n == NULL || !cJSON_IsNumber(n))
		return false;
	*value = n->valuedouble;
	return true;
}
