/*-------------------------------------------------------------------------
 *
 * columns.c
 *	  The columns of trail.event: their names, the CloudTrail field each
 *	  comes from and how its value is made.  The order is the order of the
 *	  composite type: sql/trail--1.0.sql, then the columns the upgrade
 *	  scripts add at the end; callers match columns by name, so a column
 *	  list in another order (a foreign table) works too.
 *
 *-------------------------------------------------------------------------
 */
#include "trail.h"

#define COL(name, field, conv, ...) \
	{name, field, conv, (sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), {__VA_ARGS__}}
#define META(name, conv) {name, NULL, conv, 0, {NULL}}

const TrailColumn trail_columns[TRAIL_NCOLUMNS] = {
	COL("event_time", "eventTime", TRAIL_CONV_TIMESTAMPTZ, "eventTime"),
	COL("event_version", "eventVersion", TRAIL_CONV_TEXT, "eventVersion"),
	COL("event_source", "eventSource", TRAIL_CONV_TEXT, "eventSource"),
	COL("event_name", "eventName", TRAIL_CONV_TEXT, "eventName"),
	COL("aws_region", "awsRegion", TRAIL_CONV_TEXT, "awsRegion"),
	COL("event_category", "eventCategory", TRAIL_CONV_CATEGORY, "eventCategory"),
	COL("event_type", "eventType", TRAIL_CONV_TEXT, "eventType"),
	COL("read_only", "readOnly", TRAIL_CONV_BOOL, "readOnly"),
	COL("management_event", "managementEvent", TRAIL_CONV_BOOL, "managementEvent"),
	COL("source_ip_address", "sourceIPAddress", TRAIL_CONV_TEXT, "sourceIPAddress"),
	COL("source_ip", "sourceIPAddress", TRAIL_CONV_INET, "sourceIPAddress"),
	COL("user_agent", "userAgent", TRAIL_CONV_TEXT, "userAgent"),
	COL("error_code", "errorCode", TRAIL_CONV_TEXT, "errorCode"),
	COL("error_message", "errorMessage", TRAIL_CONV_TEXT, "errorMessage"),
	COL("request_id", "requestID", TRAIL_CONV_TEXT, "requestID"),
	COL("event_id", "eventID", TRAIL_CONV_UUID, "eventID"),
	COL("shared_event_id", "sharedEventID", TRAIL_CONV_UUID, "sharedEventID"),
	COL("api_version", "apiVersion", TRAIL_CONV_TEXT, "apiVersion"),
	COL("recipient_account_id", "recipientAccountId", TRAIL_CONV_TEXT, "recipientAccountId"),
	COL("vpc_endpoint_id", "vpcEndpointId", TRAIL_CONV_TEXT, "vpcEndpointId"),
	COL("vpc_endpoint_account_id", "vpcEndpointAccountId", TRAIL_CONV_TEXT, "vpcEndpointAccountId"),
	COL("user_identity", "userIdentity", TRAIL_CONV_JSONB, "userIdentity"),
	COL("user_type", "userIdentity.type", TRAIL_CONV_TEXT, "userIdentity", "type"),
	COL("principal_id", "userIdentity.principalId", TRAIL_CONV_TEXT, "userIdentity", "principalId"),
	COL("user_arn", "userIdentity.arn", TRAIL_CONV_TEXT, "userIdentity", "arn"),
	COL("account_id", "userIdentity.accountId", TRAIL_CONV_TEXT, "userIdentity", "accountId"),
	COL("access_key_id", "userIdentity.accessKeyId", TRAIL_CONV_TEXT, "userIdentity", "accessKeyId"),
	COL("user_name", "userIdentity.userName", TRAIL_CONV_TEXT, "userIdentity", "userName"),
	COL("invoked_by", "userIdentity.invokedBy", TRAIL_CONV_TEXT, "userIdentity", "invokedBy"),
	COL("session_issuer_type", "userIdentity.sessionContext.sessionIssuer.type", TRAIL_CONV_TEXT,
		"userIdentity", "sessionContext", "sessionIssuer", "type"),
	COL("session_issuer_arn", "userIdentity.sessionContext.sessionIssuer.arn", TRAIL_CONV_TEXT,
		"userIdentity", "sessionContext", "sessionIssuer", "arn"),
	COL("session_issuer_user_name", "userIdentity.sessionContext.sessionIssuer.userName", TRAIL_CONV_TEXT,
		"userIdentity", "sessionContext", "sessionIssuer", "userName"),
	COL("mfa_authenticated", "userIdentity.sessionContext.attributes.mfaAuthenticated", TRAIL_CONV_BOOL,
		"userIdentity", "sessionContext", "attributes", "mfaAuthenticated"),
	COL("session_created_at", "userIdentity.sessionContext.attributes.creationDate", TRAIL_CONV_TIMESTAMPTZ,
		"userIdentity", "sessionContext", "attributes", "creationDate"),
	COL("request_parameters", "requestParameters", TRAIL_CONV_JSONB, "requestParameters"),
	COL("response_elements", "responseElements", TRAIL_CONV_JSONB, "responseElements"),
	COL("additional_event_data", "additionalEventData", TRAIL_CONV_JSONB, "additionalEventData"),
	COL("service_event_details", "serviceEventDetails", TRAIL_CONV_JSONB, "serviceEventDetails"),
	COL("resources", "resources", TRAIL_CONV_JSONB, "resources"),
	COL("tls_details", "tlsDetails", TRAIL_CONV_JSONB, "tlsDetails"),
	COL("addendum", "addendum", TRAIL_CONV_JSONB, "addendum"),
	COL("edge_device_details", "edgeDeviceDetails", TRAIL_CONV_JSONB, "edgeDeviceDetails"),
	COL("insight_details", "insightDetails", TRAIL_CONV_JSONB, "insightDetails"),
	COL("session_credential_from_console", "sessionCredentialFromConsole", TRAIL_CONV_BOOL,
		"sessionCredentialFromConsole"),
	META("source_file", TRAIL_CONV_SOURCE_FILE),
	META("record_index", TRAIL_CONV_RECORD_INDEX),
	META("raw", TRAIL_CONV_RAW),
	/* added in 1.1 */
	COL("actor", "userIdentity", TRAIL_CONV_ACTOR, "userIdentity"),
	COL("actor_type", "userIdentity", TRAIL_CONV_ACTOR_TYPE, "userIdentity"),
	COL("actor_account", "userIdentity", TRAIL_CONV_ACTOR_ACCOUNT, "userIdentity"),
	COL("session_name", "userIdentity", TRAIL_CONV_SESSION_NAME, "userIdentity"),
	COL("source_identity", "userIdentity.sessionContext.sourceIdentity", TRAIL_CONV_TEXT,
		"userIdentity", "sessionContext", "sourceIdentity"),
	COL("on_behalf_of", "userIdentity.onBehalfOf", TRAIL_CONV_JSONB, "userIdentity", "onBehalfOf"),
	COL("in_scope_of", "userIdentity.inScopeOf", TRAIL_CONV_JSONB, "userIdentity", "inScopeOf"),
	COL("identity_provider", "userIdentity.identityProvider", TRAIL_CONV_TEXT,
		"userIdentity", "identityProvider"),
	COL("event_context", "eventContext", TRAIL_CONV_JSONB, "eventContext"),
};

/*
 * The column id for a column name, or -1.
 */
int
trail_column_by_name(const char *name)
{
	int			i;

	for (i = 0; i < TRAIL_NCOLUMNS; i++)
	{
		if (strcmp(trail_columns[i].name, name) == 0)
			return i;
	}
	return -1;
}
