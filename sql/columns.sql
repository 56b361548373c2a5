-- Every column of trail.event, on records A, B, C and the 1.11 records.
\i test/helpers.sql
-- (source_file is shown relative to the fixtures; the generated query is
-- not echoed, since it holds the fixtures' absolute path)
\x on
\set ECHO none
SELECT format('SELECT %s, replace(source_file, %L, ''<fixtures>'') AS source_file
               FROM trail.read(%L) ORDER BY record_index',
              string_agg(quote_ident(attname), ', ' ORDER BY attnum),
              current_setting('regress.fixtures'), pg_temp.f('shapes/records.json'))
FROM pg_attribute
WHERE attrelid = 'trail.event'::regclass AND attnum > 0 AND attname <> 'source_file'
\gexec
\set ECHO all
\x off

SELECT record_index, event_name, user_type, principal_id, user_arn, account_id,
       access_key_id, user_name, invoked_by, session_issuer_type,
       session_issuer_arn, session_issuer_user_name, mfa_authenticated,
       session_created_at
FROM trail.read(pg_temp.f('records/new-1.11.json')) ORDER BY record_index;

SELECT record_index, event_name, event_type, source_ip_address, source_ip,
       request_id, event_id, shared_event_id, api_version,
       recipient_account_id, vpc_endpoint_id, vpc_endpoint_account_id,
       session_credential_from_console
FROM trail.read(pg_temp.f('records/new-1.11.json')) ORDER BY record_index;

SELECT record_index, service_event_details, addendum, edge_device_details
FROM trail.read(pg_temp.f('records/new-1.11.json'))
WHERE service_event_details IS NOT NULL OR addendum IS NOT NULL
   OR edge_device_details IS NOT NULL
ORDER BY record_index;

-- every jsonb column equals PostgreSQL's own jsonb input of the field's text
SELECT count(*) AS records,
       bool_and(user_identity IS NOT DISTINCT FROM (raw->'userIdentity')::text::jsonb
                OR raw->>'userIdentity' IS NULL) AS user_identity,
       bool_and(request_parameters IS NOT DISTINCT FROM nullif((raw->'requestParameters')::text, 'null')::jsonb) AS request_parameters,
       bool_and(response_elements IS NOT DISTINCT FROM nullif((raw->'responseElements')::text, 'null')::jsonb) AS response_elements,
       bool_and(additional_event_data IS NOT DISTINCT FROM (raw->'additionalEventData')::text::jsonb) AS additional_event_data,
       bool_and(service_event_details IS NOT DISTINCT FROM (raw->'serviceEventDetails')::text::jsonb) AS service_event_details,
       bool_and(resources IS NOT DISTINCT FROM (raw->'resources')::text::jsonb) AS resources,
       bool_and(tls_details IS NOT DISTINCT FROM (raw->'tlsDetails')::text::jsonb) AS tls_details,
       bool_and(addendum IS NOT DISTINCT FROM (raw->'addendum')::text::jsonb) AS addendum,
       bool_and(edge_device_details IS NOT DISTINCT FROM (raw->'edgeDeviceDetails')::text::jsonb) AS edge_device_details,
       bool_and(insight_details IS NOT DISTINCT FROM (raw->'insightDetails')::text::jsonb) AS insight_details
FROM (SELECT * FROM trail.read(pg_temp.f('shapes/records.json'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('records/new-1.11.json'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('records/insights.json'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('edge/numbers.json'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('edge/unicode.json'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('edge/duplicate-keys.json'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('edge/whitespace.json'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('edge/deep-nesting.json'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('edge/big-record.json.gz'))
      UNION ALL SELECT * FROM trail.read(pg_temp.f('records/old-versions.json'))) t;

-- text columns equal json ->> of the raw record
SELECT bool_and(event_name IS NOT DISTINCT FROM raw->>'eventName'
                AND user_agent IS NOT DISTINCT FROM raw->>'userAgent'
                AND user_arn IS NOT DISTINCT FROM raw->'userIdentity'->>'arn'
                AND request_id IS NOT DISTINCT FROM raw->>'requestID'
                AND error_message IS NOT DISTINCT FROM raw->>'errorMessage') AS text_columns
FROM trail.read(pg_temp.f('shapes/records.json'));

-- account ids are text: leading zeros stay
SELECT recipient_account_id, account_id
FROM trail.read(pg_temp.f('records/new-1.11.json')) WHERE record_index = 1;

-- the column types
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'trail.event'::regclass AND attnum > 0
ORDER BY attnum;
