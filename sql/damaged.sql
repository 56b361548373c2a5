-- Damage that only the gzip CRC or a careful reader catches: an error, and
-- the error names the real problem.
\i test/helpers.sql

SELECT name, pg_temp.try(format('SELECT t FROM trail.read(%L) t', pg_temp.f('damaged/' || name)))
FROM unnest(ARRAY[
  'crc-literal.json.gz', 'control-char-before-records.json',
  'bad-utf8-after-records.json', 'lookup-bad-utf8-key.json',
  'lookup-control-char-string.json', 'nested-5.json.gz']) AS name
ORDER BY name;

-- the same through trail.parse (the gzip checked in memory too)
SELECT pg_temp.try(format('SELECT t FROM trail.parse(pg_read_binary_file(%L)) t',
                          pg_temp.f('damaged/crc-literal.json.gz')));

SELECT pg_temp.try(format('SELECT t FROM trail.parse(pg_read_binary_file(%L)) t',
                          pg_temp.f('damaged/nested-5.json.gz')));

-- that small member inflates in one go, so the CRC is checked before any
-- JSON is read; with short reads (as for a member larger than the 1 MB
-- window) the changed byte is met first, as a JSON error at record 2, and
-- the rest of the member is read to find the real problem
SET trail.debug_read_size = 64;
SELECT pg_temp.try(format('SELECT t FROM trail.read(%L) t', pg_temp.f('damaged/crc-literal.json.gz')));
SELECT pg_temp.try(format('SELECT t FROM trail.parse(pg_read_binary_file(%L)) t',
                          pg_temp.f('damaged/crc-literal.json.gz')));
RESET trail.debug_read_size;

-- in a directory with on_error 'skip', the corrupt gzip is one unreadable
-- file, and the other files' problems are counted too
\set VERBOSITY terse
SELECT count(*) FROM trail.read(pg_temp.f('damaged'), on_error => 'skip');
\set VERBOSITY default

-- values that are not records before the first record are bad records
-- (each with its ordinal), not passed over
SELECT pg_temp.try($$SELECT * FROM trail.parse(E'{"a":1}\n{"b":2}\n{"eventVersion":"1.0","eventName":"Late"}')$$);
SELECT pg_temp.try($$SELECT * FROM trail.parse('[1,{"eventVersion":"1.0"}]')$$);
\set VERBOSITY terse
SELECT record_index, event_name FROM trail.read(pg_temp.f('damaged/objects-then-records.ndjson'), on_error => 'skip');
\set VERBOSITY default

-- developer settings: reads of 1 and 2 bytes split the byte order mark of
-- records-bom.json, which must still be found
SET trail.debug_read_size = 1;
SELECT count(*) FROM trail.read(pg_temp.f('shapes/records-bom.json'));
SET trail.debug_read_size = 2;
SELECT count(*) FROM trail.read(pg_temp.f('shapes/records-bom.json'));
SET trail.debug_inflate_chunk = 1;
SELECT count(*), min(event_name) FROM trail.read(pg_temp.f('shapes/records-double.json.gz'));
RESET trail.debug_read_size;
RESET trail.debug_inflate_chunk;
-- they are hidden, and only superusers may set them
SELECT count(*) FROM pg_settings WHERE name LIKE 'trail.debug%';
SHOW trail.debug_read_size;
CREATE ROLE regress_trail_debug;
SET ROLE regress_trail_debug;
SET trail.debug_read_size = 5;
RESET ROLE;
DROP ROLE regress_trail_debug;
