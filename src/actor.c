/*-------------------------------------------------------------------------
 *
 * actor.c
 *	  Who acted: one stable identity from userIdentity, whatever its type.
 *
 * The rules, by userIdentity.type (reference §1.4):
 *
 *	  AssumedRole         the role: sessionContext.sessionIssuer.arn, or the
 *	                      role ARN made from arn:…:sts::A:assumed-role/R/S;
 *	                      session_name is S
 *	  IAMUser, Root,      arn (or one made from accountId and userName)
 *	  FederatedUser, Role
 *	  AWSService          invokedBy (the service)
 *	  AWSAccount          principalId (the other account's principal)
 *	  SAMLUser,           identityProvider/userName
 *	  WebIdentityUser
 *	  IdentityCenterUser  (and any type with onBehalfOf) the Identity Center
 *	                      user: onBehalfOf.identityStoreArn/user/userId
 *	  anything else       arn, principalId, userName, accountId, invokedBy
 *
 * and whichever rule finds nothing falls back to the last list, so the actor
 * is NULL only when userIdentity says nothing at all.  Members that are not
 * strings are passed over (their own columns report them).
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

/* the unescaped text of a string member, or NULL when absent or empty */
static char *
member_text(const TrailMemberIndex *index, const char *key)
{
	TrailSlice	v;
	int			len;
	int			replaced;
	char	   *s;

	if (index == NULL)
		return NULL;
	v = trail_json_get(index, key);
	if (v.type != TRAIL_JSON_STRING || v.len <= 2)
		return NULL;
	/* most strings have no escape: copy them as they are */
	if (memchr(v.ptr + 1, '\\', v.len - 2) == NULL)
		return pnstrdup(v.ptr + 1, v.len - 2);
	s = trail_json_unescape(v, &len, &replaced);
	return len > 0 ? s : NULL;
}

static char *
first_of(char *a, char *b, char *c, char *d, char *e)
{
	return a ? a : b ? b : c ? c : d ? d : e;
}

/*
 * Fill *actor from the member indexes of userIdentity and the objects in it
 * (NULL when absent: all NULLs when userIdentity is).  The decoder made
 * them, shared with userIdentity's other columns.  The strings are UTF-8,
 * palloc'd in the current memory context.
 */
void
trail_actor_derive(const TrailActorInput *in, TrailActor *actor)
{
	const TrailMemberIndex *index = in->identity;
	const TrailMemberIndex *issuer = NULL;
	const TrailMemberIndex *behalf = in->on_behalf_of;
	char	   *type;
	char	   *arn;
	char	   *principal;
	char	   *user;
	char	   *account;
	char	   *invoked;

	memset(actor, 0, sizeof(TrailActor));
	if (index == NULL)
		return;

	type = member_text(index, "type");
	arn = member_text(index, "arn");
	principal = member_text(index, "principalId");
	user = member_text(index, "userName");
	account = member_text(index, "accountId");
	invoked = member_text(index, "invokedBy");
	/* the session's issuer only where the rule looks into it */
	if (type != NULL && strcmp(type, "AssumedRole") == 0)
		issuer = in->session_issuer;

	actor->actor_account = account;

	if (behalf != NULL && member_text(behalf, "userId") != NULL)
	{
		char	   *store = member_text(behalf, "identityStoreArn");
		char	   *id = member_text(behalf, "userId");

		actor->actor = store ? psprintf("%s/user/%s", store, id) : id;
		actor->actor_type = "IdentityCenterUser";
	}
	else if (type != NULL && strcmp(type, "AssumedRole") == 0)
	{
		char	   *role = member_text(issuer, "arn");
		TrailArn	a;

		actor->actor_type = "Role";
		if (issuer != NULL && member_text(issuer, "accountId") != NULL)
			actor->actor_account = member_text(issuer, "accountId");
		if (arn != NULL && trail_arn_parse(arn, strlen(arn), &a) &&
			a.resource_type_len == 12 &&
			memcmp(a.resource_type, "assumed-role", 12) == 0)
		{
			const char *slash = memchr(a.resource_id, '/', a.resource_id_len);

			if (slash != NULL)
			{
				int			rolelen = slash - a.resource_id;

				actor->session_name = pnstrdup(slash + 1,
											   a.resource_id_len - rolelen - 1);
				if (role == NULL)
					role = psprintf("arn:%.*s:iam::%.*s:role/%.*s",
									a.partition_len, a.partition,
									a.account_len, a.account,
									rolelen, a.resource_id);
			}
		}
		if (actor->session_name == NULL && principal != NULL &&
			strchr(principal, ':') != NULL)
			actor->session_name = pstrdup(strchr(principal, ':') + 1);
		actor->actor = role;
	}
	else if (type != NULL &&
			 (strcmp(type, "IAMUser") == 0 || strcmp(type, "Root") == 0 ||
			  strcmp(type, "FederatedUser") == 0 || strcmp(type, "Role") == 0))
	{
		actor->actor_type = type;
		actor->actor = arn;
		if (arn == NULL && account != NULL)
		{
			if (strcmp(type, "Root") == 0)
				actor->actor = psprintf("arn:aws:iam::%s:root", account);
			else if (strcmp(type, "IAMUser") == 0 && user != NULL)
				actor->actor = psprintf("arn:aws:iam::%s:user/%s", account, user);
		}
	}
	else if (type != NULL && strcmp(type, "AWSService") == 0)
	{
		actor->actor_type = type;
		actor->actor = invoked;
	}
	else if (type != NULL && strcmp(type, "AWSAccount") == 0)
	{
		actor->actor_type = type;
		actor->actor = principal ? principal : account;
	}
	else if (type != NULL &&
			 (strcmp(type, "SAMLUser") == 0 || strcmp(type, "WebIdentityUser") == 0))
	{
		char	   *provider = member_text(index, "identityProvider");
		char	   *who = user ? user : principal;

		actor->actor_type = type;
		if (provider != NULL && who != NULL)
			actor->actor = psprintf("%s/%s", provider, who);
		else
			actor->actor = who;
	}
	else
		actor->actor_type = type;

	if (actor->actor == NULL)
		actor->actor = first_of(arn, principal, user, account, invoked);
	if (actor->actor == NULL)
		actor->actor_type = NULL;
	else if (actor->actor_type == NULL)
		actor->actor_type = "Unknown";

	/* the account of an ARN-shaped actor when userIdentity gave none */
	if (actor->actor_account == NULL && actor->actor != NULL)
	{
		TrailArn	a;

		if (trail_arn_parse(actor->actor, strlen(actor->actor), &a) &&
			a.account_len > 0)
			actor->actor_account = pnstrdup(a.account, a.account_len);
	}
}
