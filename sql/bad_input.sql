-- Bad input: each gets an error with a SQLSTATE that names the file, the
-- record and, for JSON errors, the byte offset.
\i test/helpers.sql

SELECT name, pg_temp.try(format('SELECT t FROM trail.read(%L) t', pg_temp.f('bad/' || name)))
FROM unnest(ARRAY[
  'truncated.json.gz', 'corrupt.json.gz', 'bad-crc.json.gz',
  'trailing-garbage.json.gz', 'invalid-json.json', 'unterminated.json',
  'not-object.json', 'wrong-type.json', 'bad-time.json',
  'unknown-category.json', 'invalid-utf8.json', 'control-char.json',
  'not-events.txt', 'empty.json', 'digest.json.gz']) AS name
ORDER BY name;

-- the rows before a bad record are never silently returned with 'stop'
SELECT pg_temp.try($$SELECT count(*) FROM trail.read(pg_temp.f('bad/truncated.json.gz'))$$);

-- wrong types, one record at a time
SELECT pg_temp.try($$SELECT read_only FROM trail.read(pg_temp.f('bad/wrong-type.json'))$$);
SELECT pg_temp.try($$SELECT user_type FROM trail.read(pg_temp.f('bad/wrong-type.json'))$$);
SELECT pg_temp.try($$SELECT event_time FROM trail.parse('{"eventVersion":"1.0","eventTime":"2025-02-30T00:00:00Z"}')$$);
SELECT pg_temp.try($$SELECT event_time FROM trail.parse('{"eventVersion":"1.0","eventTime":true}')$$);

-- the record with a wrong type in a column the query does not ask for is read
SELECT record_index, event_id FROM trail.read(pg_temp.f('bad/wrong-type.json')) ORDER BY 1;

-- JSON errors are errors even when no column is asked for
SELECT pg_temp.try($$SELECT count(*) FROM trail.read(pg_temp.f('bad/invalid-json.json'))$$);
SELECT pg_temp.try($$SELECT count(*) FROM trail.read(pg_temp.f('bad/not-object.json'))$$);

-- missing files, directories that are not files, bad arguments
SELECT pg_temp.try($$SELECT * FROM trail.read(pg_temp.f('no/such/file.json'))$$);
SELECT pg_temp.try($$SELECT * FROM trail.read('/dev/null')$$);
SELECT pg_temp.try($$SELECT * FROM trail.read(pg_temp.f('shapes'), on_error => 'ignore')$$);

-- parse() reports the same errors, without a file name
SELECT pg_temp.try($$SELECT * FROM trail.parse('{"Records":[{"eventVersion":"1.0"},{"eventVersion":tru}]}')$$);
SELECT pg_temp.try($$SELECT * FROM trail.parse('not json at all')$$);
SELECT pg_temp.try($$SELECT * FROM trail.parse(''::text)$$);
SELECT pg_temp.try($$SELECT * FROM trail.parse('\x1f8b0800'::bytea)$$);
-- a string-embedded record that is not JSON
SELECT pg_temp.try($$SELECT * FROM trail.parse('{"Events":[{"EventId":"x","CloudTrailEvent":"{not json"}]}')$$);
-- a CloudWatch Logs DATA_MESSAGE with a non-JSON message
SELECT pg_temp.try($$SELECT * FROM trail.parse('{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","message":"hello"}]}')$$);
-- nesting deeper than 1000 levels
SELECT pg_temp.try(format('SELECT * FROM trail.parse(%L)',
    '{"eventVersion":"1.0","requestParameters":' || repeat('[', 1001) || repeat(']', 1001) || '}'));
-- a number jsonb cannot hold
SELECT pg_temp.try($$SELECT request_parameters FROM trail.parse('{"eventVersion":"1.0","requestParameters":{"n":1e999999}}')$$);
SELECT event_version FROM trail.parse('{"eventVersion":"1.0","requestParameters":{"n":1e999999}}');
