-- The edge cases of the format reference, section 5.
\i test/helpers.sql

-- times: Z, +00:00, offsets, fractions, epoch numbers; creationDate basic form
SELECT record_index, raw->'eventTime' AS written, event_time, session_created_at
FROM trail.read(pg_temp.f('edge/time-formats.json')) ORDER BY record_index;

-- booleans: JSON booleans and the strings "true"/"false" in any case
SELECT record_index, raw->'readOnly' AS written, read_only, mfa_authenticated,
       management_event
FROM trail.read(pg_temp.f('edge/booleans.json')) ORDER BY record_index;

-- unicode: raw UTF-8, escapes and surrogate pairs decode to the same text
SELECT record_index, user_name, user_arn, user_agent,
       request_parameters->>'key' AS key, error_message
FROM trail.read(pg_temp.f('edge/unicode.json')) ORDER BY record_index;
SELECT request_parameters #>> '{filterSet,items,0,valueSet,items,0,value}' AS value
FROM trail.read(pg_temp.f('edge/unicode.json')) WHERE record_index = 3;

-- \u0000 and lone surrogates: U+FFFD in text and jsonb, a NOTICE says so,
-- and raw keeps the original
SELECT record_index, event_name, user_agent,
       request_parameters #>> '{filterSet,items,0,valueSet,items,0,value}' AS filter,
       response_elements->>'note' AS note
FROM trail.read(pg_temp.f('edge/nul-and-surrogates.json')) ORDER BY record_index;
SELECT record_index, strpos(raw::text, '\u0000') > 0 AS raw_keeps_nul_escape
FROM trail.read(pg_temp.f('edge/nul-and-surrogates.json')) WHERE record_index = 1;

-- numbers: exactly what jsonb's own input makes of them, to the byte
-- (integers up to 18 characters are made from an int64, longer ones and
-- the rest by numeric_in: both sides of that line are here)
SELECT request_parameters = (raw->'requestParameters')::text::jsonb AS same_as_jsonb_input,
       request_parameters::text = (raw->'requestParameters')::text::jsonb::text AS same_text,
       pg_column_size(request_parameters) = pg_column_size((raw->'requestParameters')::text::jsonb) AS same_size,
       request_parameters->'ints' AS ints,
       request_parameters->'float_int' AS float_int,
       request_parameters->'exp' AS exp,
       request_parameters->'big' AS big,
       request_parameters->'negzero' AS negzero,
       length(request_parameters->>'huge') AS huge_digits,
       raw->'requestParameters'->'exp' AS raw_exp
FROM trail.read(pg_temp.f('edge/numbers.json'));

-- duplicate keys: the last one wins, as in jsonb and json ->>
SELECT record_index, event_name, raw->>'eventName' AS json_says, request_parameters
FROM trail.read(pg_temp.f('edge/duplicate-keys.json')) ORDER BY record_index;

-- JSON null is SQL NULL, like a missing field
SELECT record_index, event_version, event_time, event_name, user_identity,
       user_type, request_parameters, read_only, event_id, event_category
FROM trail.read(pg_temp.f('edge/null-fields.json')) ORDER BY record_index;
SELECT count(*) AS columns_all_null
FROM trail.read(pg_temp.f('edge/null-fields.json')) t,
     jsonb_each(to_jsonb(t) - 'event_version' - 'event_time' - 'event_category'
                - 'source_file' - 'record_index' - 'raw') c
WHERE t.record_index = 1 AND c.value <> 'null';

-- addresses: text as written, inet when it is an address
SELECT record_index, source_ip_address, source_ip
FROM trail.read(pg_temp.f('edge/addresses.json')) ORDER BY record_index;

-- ids: uuid when a UUID, NULL otherwise; requestID stays text
SELECT record_index, raw->>'eventID' AS written, event_id, shared_event_id, request_id
FROM trail.read(pg_temp.f('edge/ids.json')) ORDER BY record_index;
-- the bare 32-digit form, and near misses of the dashed one
SELECT record_index, raw->>'eventID' AS written, event_id
FROM trail.parse('{"Records":[
  {"eventTime":"2025-03-04T09:15:02Z","eventID":"5f0c8e2a1b3d4c5e8f70a1b2c3d4e5f6"},
  {"eventTime":"2025-03-04T09:15:02Z","eventID":"5f0c8e2a-1b3d-4c5e-8f70-a1b2c3d4e5fg"},
  {"eventTime":"2025-03-04T09:15:02Z","eventID":"5f0c8e2a1-b3d-4c5e-8f70-a1b2c3d4e5f6"},
  {"eventTime":"2025-03-04T09:15:02Z","eventID":"5f0c8e2a-1b3d-4c5e-8f70-a1b2c3d4e5f"},
  {"eventTime":"2025-03-04T09:15:02Z","eventID":"5f0c8e2a1b3d4c5e8f70a1b2c3d4e5f "}]}')
ORDER BY record_index;

-- empty Records: zero rows, no error; a document without Records ({}) holds
-- no events, which is an error for a file named on its own (no_events.sql)
SELECT count(*) FROM trail.read(pg_temp.f('edge/empty-records.json'));
SELECT pg_temp.try($$SELECT count(*) FROM trail.read(pg_temp.f('edge/missing-records.json'))$$);

-- insignificant whitespace everywhere
SELECT record_index, event_name, read_only, event_id
FROM trail.read(pg_temp.f('edge/whitespace.json')) ORDER BY record_index;

-- a 400 kB record, and the record after it
SELECT record_index, event_name, length(raw::text) AS raw_length,
       jsonb_array_length(request_parameters->'statements') AS statements,
       request_parameters->'statements'->-1->>'sid' AS last_sid
FROM trail.read(pg_temp.f('edge/big-record.json.gz')) ORDER BY record_index;

-- 200 nested arrays
SELECT event_name, jsonb_typeof(request_parameters->'nested') AS nested
FROM trail.read(pg_temp.f('edge/deep-nesting.json'));

-- unknown fields anywhere are ignored; Records need not come first
SELECT record_index, event_name, event_category
FROM trail.read(pg_temp.f('edge/unknown-fields.json')) ORDER BY record_index;

-- a record larger than trail.max_record_size is refused with a hint
SET trail.max_record_size = '256kB';
SELECT pg_temp.try($$SELECT FROM trail.read(pg_temp.f('edge/big-record.json.gz'))$$);
RESET trail.max_record_size;
