-- Every input shape the reader accepts gives the same three rows (A, B, C).
\i test/helpers.sql

CREATE TEMP TABLE shapes(name text);
INSERT INTO shapes VALUES
  ('records.json'), ('records.json.gz'), ('records-pretty.json'),
  ('records-multimember.json.gz'), ('records-double.json.gz'),
  ('records-bom.json'), ('records.ndjson'), ('records-crlf.ndjson'),
  ('records-array.json'), ('records-concatenated.json'),
  ('records-concatenated.json.gz'), ('eventbridge.ndjson'),
  ('cwl-subscription.json.gz'), ('lookup-events.json'),
  ('lookup-events.ndjson'), ('console-event-history.json');

-- the rows, less what depends on the file: its name and the raw formatting
CREATE FUNCTION pg_temp.digest(path text) RETURNS text
LANGUAGE sql AS $$
  SELECT md5(string_agg((to_jsonb(t) - 'source_file' - 'raw')::text, '|'
                        ORDER BY record_index))
  FROM trail.read(path) t
$$;

SELECT s.name,
       (SELECT count(*) FROM trail.read(pg_temp.f('shapes/' || s.name))) AS rows,
       pg_temp.digest(pg_temp.f('shapes/' || s.name)) =
       pg_temp.digest(pg_temp.f('shapes/records.json')) AS same_rows
FROM shapes s ORDER BY s.name;

-- the reference rows themselves
SELECT record_index, event_name, event_time, event_category, read_only
FROM trail.read(pg_temp.f('shapes/records.json')) ORDER BY record_index;

-- raw is the record's bytes as they are in the file
SELECT record_index, length(raw::text),
       strpos(pg_read_file(pg_temp.f('shapes/records.json')), raw::text) > 0 AS in_file
FROM trail.read(pg_temp.f('shapes/records.json')) ORDER BY record_index;
-- in pretty files too, whitespace and all
SELECT record_index,
       strpos(pg_read_file(pg_temp.f('shapes/records-pretty.json')), raw::text) > 0 AS in_file
FROM trail.read(pg_temp.f('shapes/records-pretty.json')) ORDER BY record_index;

-- parse(): the same reader on a value in the database
SELECT count(*) FROM trail.parse(pg_read_file(pg_temp.f('shapes/records.ndjson')));
SELECT count(*) FROM trail.parse(pg_read_binary_file(pg_temp.f('shapes/records-double.json.gz')));
SELECT count(*) FROM trail.parse(pg_read_binary_file(pg_temp.f('shapes/cwl-subscription.json.gz')));
SELECT md5(string_agg((to_jsonb(t) - 'source_file' - 'raw')::text, '|' ORDER BY record_index))
       = pg_temp.digest(pg_temp.f('shapes/records.json')) AS parse_equals_read
FROM trail.parse(pg_read_binary_file(pg_temp.f('shapes/lookup-events.json'))) t;
-- parse() has no file
SELECT DISTINCT source_file IS NULL AS no_source_file
FROM trail.parse(pg_read_file(pg_temp.f('shapes/records.json')));
-- a single record, and one EventBridge event, as text
SELECT event_name FROM trail.parse('{"eventVersion":"1.11","eventName":"Solo","eventTime":"2025-01-01T00:00:00Z"}');
SELECT event_name, aws_region
FROM trail.parse('{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{"eventVersion":"1.08","eventName":"CreateUser","awsRegion":"us-east-1"}}');
-- NULL in, nothing out
SELECT count(*) FROM trail.parse(NULL::text);
