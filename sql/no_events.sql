-- Files that hold no CloudTrail events: an error when named on their own
-- (or given to trail.parse), passed over in a directory.  A trail file with
-- no events ({"Records":[]}) and an empty array of records give zero rows.
\i test/helpers.sql

SELECT name, pg_temp.try(format('SELECT t FROM trail.read(%L) t', pg_temp.f('noevents/' || name)))
FROM unnest(ARRAY[
  'object.json', 'empty-object.json', 'numbers.json', 'objects.ndjson',
  'records-string.json', 'eventbridge-other.ndjson', 'empty-array.json',
  'empty-records.json', 'trail.json']) AS name
ORDER BY name;

-- the same documents through trail.parse, text and bytea
SELECT doc, pg_temp.try(format('SELECT t FROM trail.parse(%L::text) t', doc)) AS as_text,
       pg_temp.try(format('SELECT t FROM trail.parse(%L::bytea) t', convert_to(doc, 'UTF8'))) AS as_bytea
FROM unnest(ARRAY[
  '{"foo":1}', '{}', '[1,2,3]', E'{"a":1}\n{"b":2}\n', '{"Records":"nope"}',
  '[{"foo":1}]', '[[]]', '[]', '{"Records":[]}', ' ']) AS doc;

-- and through a foreign table over one file
CREATE SERVER noevents_srv FOREIGN DATA WRAPPER trail_fdw;
SELECT pg_temp.run(format(
  'CREATE FOREIGN TABLE pg_temp.one_other (event_name text) SERVER noevents_srv OPTIONS (location %L)',
  pg_temp.f('noevents/records-string.json')));
SELECT pg_temp.try('SELECT * FROM pg_temp.one_other');

-- with on_error 'skip' the file is counted as unreadable, not silently empty
-- (terse: the WARNING's detail holds the fixture path)
\set VERBOSITY terse
SELECT count(*) FROM trail.read(pg_temp.f('noevents/numbers.json'), on_error => 'skip');
\set VERBOSITY default

-- in a directory they are passed over: only trail.json's record
SELECT record_index, event_name, replace(source_file, current_setting('regress.fixtures'), '<fixtures>') AS source_file
FROM trail.read(pg_temp.f('noevents'));

DROP SERVER noevents_srv CASCADE;
