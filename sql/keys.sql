-- keys: every lookup matches keys by their unescaped text ("event\u004eame"
-- is eventName), the last of duplicate keys winning; and a table may ask
-- for any number of keys, of any length.
\i test/helpers.sql

-- the columns agree with raw->>'key' (PostgreSQL's own reading)
SELECT record_index, event_time, event_name, raw->>'eventName' AS raw_name,
       read_only, error_code, event_category, user_arn,
       session_issuer_user_name, mfa_authenticated, session_created_at
FROM trail.read(pg_temp.f('edge/escaped-keys.json')) ORDER BY record_index;

SELECT record_index, request_parameters,
       request_parameters = (raw->'requestParameters')::jsonb AS same_as_jsonb,
       user_identity = (raw->'userIdentity')::jsonb AS same_identity
FROM trail.read(pg_temp.f('edge/escaped-keys.json')) ORDER BY record_index;

-- a record filter reads the same keys: a query with a qual and the same
-- query behind OFFSET 0 (no pushdown) find the same rows
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE event_name = 'B';
SELECT record_index FROM (SELECT * FROM trail.read(pg_temp.f('edge/escaped-keys.json')) OFFSET 0) s
WHERE event_name = 'B';
SELECT count(*) FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE event_name = 'A';
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE event_name = 'GetObject';
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE read_only ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE NOT read_only ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE error_code = 'AccessDenied';
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE event_category = 'Data' ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE event_category = 'Management' ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE event_time = '2025-03-04 10:00:00+00';
SELECT record_index FROM trail.read(pg_temp.f('edge/escaped-keys.json'))
WHERE event_time >= '2025-03-04 10:30:00+00';

-- the same through trail.parse and the foreign table, with field columns
SELECT record_index, event_name, read_only
FROM trail.parse(pg_read_file(pg_temp.f('edge/escaped-keys.json')))
WHERE event_name = 'B';

CREATE SERVER keys_srv FOREIGN DATA WRAPPER trail_fdw;
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE keys_t (
    record_index integer, event_name text, read_only boolean,
    bucket text OPTIONS (field 'requestParameters.bucketName'),
    kkey text OPTIONS (field 'requestParameters.kéy'),
    name_field text OPTIONS (field 'eventName'),
    issuer text OPTIONS (field 'userIdentity.sessionContext.sessionIssuer.userName'))
  SERVER keys_srv OPTIONS (location %L)$$, pg_temp.f('edge/escaped-keys.json')));
SELECT * FROM keys_t ORDER BY record_index;
SELECT record_index FROM keys_t WHERE event_name = 'B';
SELECT record_index FROM keys_t WHERE name_field = 'B';

-- many keys: 60 field columns with 50-byte first keys, a 100-byte key, and
-- every column of trail.event besides
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE many_t (%s,
    long_inner text OPTIONS (field '%s.inner'),
    long_json jsonb OPTIONS (field '%s'))
  SERVER keys_srv OPTIONS (location %L)$$,
  (SELECT string_agg(format('f%s text OPTIONS (field %L)', i,
                            rpad('k' || lpad(i::text, 2, '0'), 50, 'x')), ', ')
   FROM generate_series(0, 59) i),
  repeat('L', 100), repeat('L', 100), pg_temp.f('edge/many-keys.json')));
SELECT count(*) AS columns FROM pg_attribute
WHERE attrelid = 'many_t'::regclass AND attnum > 0;
SELECT f0, f1, f17, f58, f59, long_inner, long_json FROM many_t;
SELECT bool_and(m.v = format('v%s', lpad(m.i::text, 2, '0'))) AS all_right, count(*)
FROM (SELECT (row_to_json(t)->>('f' || i)) AS v, i
      FROM many_t t, generate_series(0, 59) i
      WHERE t.f0 IS NOT NULL) m;
-- the same with the canonical columns too (more than 40 top-level keys)
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE many_all (%s, %s)
  SERVER keys_srv OPTIONS (location %L)$$,
  (SELECT string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum)
   FROM pg_attribute WHERE attrelid = 'trail.event'::regclass AND attnum > 0),
  (SELECT string_agg(format('f%s text OPTIONS (field %L)', i,
                            rpad('k' || lpad(i::text, 2, '0'), 50, 'x')), ', ')
   FROM generate_series(0, 59) i),
  pg_temp.f('edge/many-keys.json')));
SELECT record_index, event_name, event_category, f0, f59 FROM many_all ORDER BY 1;

DROP SERVER keys_srv CASCADE;

-- the document's own keys too: "Recor\u0064s" is Records, and the other
-- shapes' keys likewise
SELECT event_name FROM trail.parse('{"Recor\u0064s":[{"eventVersion":"1.11","eventTime":"2025-03-04T09:15:02Z","eventName":"X"}]}');
SELECT event_name FROM trail.parse('{"Events":[{"Cloud\u0054railEvent":"{\"eventVersion\":\"1.11\",\"eventTime\":\"2025-03-04T09:15:02Z\",\"eventName\":\"Y\"}"}]}');
SELECT event_name FROM trail.parse('{"detail-type":"AWS API Call via CloudTrail","det\u0061il":{"eventVersion":"1.11","eventTime":"2025-03-04T09:15:02Z","eventName":"Z"}}');
