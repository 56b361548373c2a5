/* trail--1.0.sql: query AWS CloudTrail log files with SQL */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION trail" to load this file. \quit

-- Everyone may use the types and trail.parse(); the functions that read
-- server files are revoked from PUBLIC below.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

CREATE TYPE @extschema@.event_category AS ENUM (
    'Management', 'Data', 'Insight', 'NetworkActivity'
);
COMMENT ON TYPE @extschema@.event_category IS
'CloudTrail event category: eventCategory, or derived from the record when absent (records before eventVersion 1.07)';

CREATE TYPE @extschema@.event AS (
    event_time timestamptz,
    event_version text,
    event_source text,
    event_name text,
    aws_region text,
    event_category @extschema@.event_category,
    event_type text,
    read_only boolean,
    management_event boolean,
    source_ip_address text,
    source_ip inet,
    user_agent text,
    error_code text,
    error_message text,
    request_id text,
    event_id uuid,
    shared_event_id uuid,
    api_version text,
    recipient_account_id text,
    vpc_endpoint_id text,
    vpc_endpoint_account_id text,
    user_identity jsonb,
    user_type text,
    principal_id text,
    user_arn text,
    account_id text,
    access_key_id text,
    user_name text,
    invoked_by text,
    session_issuer_type text,
    session_issuer_arn text,
    session_issuer_user_name text,
    mfa_authenticated boolean,
    session_created_at timestamptz,
    request_parameters jsonb,
    response_elements jsonb,
    additional_event_data jsonb,
    service_event_details jsonb,
    resources jsonb,
    tls_details jsonb,
    addendum jsonb,
    edge_device_details jsonb,
    insight_details jsonb,
    session_credential_from_console boolean,
    source_file text,
    record_index integer,
    raw json
);
COMMENT ON TYPE @extschema@.event IS
'One CloudTrail event as a row with typed columns';

-- Planner support for the readers: lets the planner tell them which
-- columns a query uses (see src/projection.c).
CREATE FUNCTION @extschema@.reader_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'trail_reader_support'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.reader_support(internal) IS
'Planner support for trail.read and trail.parse (internal)';

CREATE FUNCTION @extschema@.read(location text,
                                 recursive boolean DEFAULT true,
                                 on_error text DEFAULT 'stop')
RETURNS SETOF @extschema@.event
AS 'MODULE_PATHNAME', 'trail_read'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED ROWS 10000
SUPPORT @extschema@.reader_support;
COMMENT ON FUNCTION @extschema@.read(text, boolean, text) IS
'The CloudTrail events in a file or a directory tree on the server';
REVOKE ALL ON FUNCTION @extschema@.read(text, boolean, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.parse(document text)
RETURNS SETOF @extschema@.event
AS 'MODULE_PATHNAME', 'trail_parse_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE ROWS 100
SUPPORT @extschema@.reader_support;
COMMENT ON FUNCTION @extschema@.parse(text) IS
'The CloudTrail events in a document (any shape trail.read accepts)';

CREATE FUNCTION @extschema@.parse(document bytea)
RETURNS SETOF @extschema@.event
AS 'MODULE_PATHNAME', 'trail_parse_bytea'
LANGUAGE C STRICT STABLE PARALLEL SAFE ROWS 100
SUPPORT @extschema@.reader_support;
COMMENT ON FUNCTION @extschema@.parse(bytea) IS
'The CloudTrail events in a document, which may be gzip-compressed';

CREATE FUNCTION @extschema@.files(location text,
                                  recursive boolean DEFAULT true,
                                  OUT path text,
                                  OUT kind text,
                                  OUT organization_id text,
                                  OUT account_id text,
                                  OUT region text,
                                  OUT delivered_at timestamptz,
                                  OUT size_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'trail_files'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION @extschema@.files(text, boolean) IS
'The files under a location and what the CloudTrail S3 key layout says about each';
REVOKE ALL ON FUNCTION @extschema@.files(text, boolean) FROM PUBLIC;

-- The foreign data wrapper

CREATE FUNCTION @extschema@.fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME', 'trail_fdw_handler'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.fdw_handler() IS
'Handler of the foreign data wrapper trail_fdw';

CREATE FUNCTION @extschema@.fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME', 'trail_fdw_validator'
LANGUAGE C STRICT;
COMMENT ON FUNCTION @extschema@.fdw_validator(text[], oid) IS
'Validator of the options of trail_fdw objects';

CREATE FOREIGN DATA WRAPPER trail_fdw
  HANDLER @extschema@.fdw_handler
  VALIDATOR @extschema@.fdw_validator;
COMMENT ON FOREIGN DATA WRAPPER trail_fdw IS
'Foreign tables over CloudTrail log files on the server';

-- The standard views over a table of events (a trail_fdw foreign table,
-- or any table or view with the columns they use).
CREATE FUNCTION @extschema@.create_views(events regclass)
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp name;
    rel name;
    v record;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = events;

    FOR v IN
        SELECT * FROM (VALUES
            ('management_events', $q$event_category = 'Management'$q$,
             'Management events: operations on resources (control plane)'),
            ('data_events', $q$event_category = 'Data'$q$,
             'Data events: operations on or in a resource (data plane), such as S3 object reads and writes'),
            ('insight_events', $q$event_category = 'Insight'$q$,
             'CloudTrail Insights events: unusual API call or error rates'),
            ('network_activity_events', $q$event_category = 'NetworkActivity'$q$,
             'Network activity events: calls through VPC endpoints'),
            ('read_events', $q$read_only IS TRUE$q$,
             'Events of read-only calls (readOnly true); events without readOnly are in neither read_events nor write_events'),
            ('write_events', $q$read_only IS FALSE$q$,
             'Events of calls that may change something (readOnly false); events without readOnly are in neither read_events nor write_events')
        ) AS t(name, cond, note)
    LOOP
        EXECUTE format('CREATE VIEW %I.%I AS SELECT * FROM %I.%I WHERE %s',
                       nsp, v.name, nsp, rel, v.cond);
        EXECUTE format('COMMENT ON VIEW %I.%I IS %L', nsp, v.name, v.note);
        RETURN NEXT format('%I.%I', nsp, v.name)::regclass;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.create_views(regclass) IS
'Create the standard views (management, data, insight, network activity, read and write events) beside a table of events';
