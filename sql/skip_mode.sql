-- on_error => 'skip': bad records and bad files are passed over, counted,
-- and reported in one WARNING at the end.  (VERBOSITY terse keeps the
-- fixture paths of the WARNING's detail out of the expected output; the
-- TAP test t/002_skip_report.pl checks the detail.)
\i test/helpers.sql
\set VERBOSITY terse

-- a file with bad records: the good ones come through
SELECT record_index, event_id FROM trail.read(pg_temp.f('bad/wrong-type.json'), on_error => 'skip')
WHERE user_type IS NOT DISTINCT FROM user_type AND read_only IS NOT DISTINCT FROM read_only
  AND event_name IS NOT DISTINCT FROM event_name
ORDER BY 1;
SELECT record_index, event_time FROM trail.read(pg_temp.f('bad/bad-time.json'), on_error => 'skip') ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('bad/not-object.json'), on_error => 'skip') ORDER BY 1;
SELECT record_index, event_category FROM trail.read(pg_temp.f('bad/unknown-category.json'), on_error => 'skip') ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('bad/invalid-utf8.json'), on_error => 'skip') ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('bad/control-char.json'), on_error => 'skip') ORDER BY 1;

-- a file whose rest cannot be read: the records before the problem come
-- through, the file counts as unreadable
SELECT record_index FROM trail.read(pg_temp.f('bad/invalid-json.json'), on_error => 'skip') ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('bad/truncated.json.gz'), on_error => 'skip') ORDER BY 1;
SELECT record_index FROM trail.read(pg_temp.f('bad/corrupt.json.gz'), on_error => 'skip') ORDER BY 1;

-- a directory of good and bad files
SELECT replace(source_file, current_setting('regress.fixtures'), '<fixtures>') AS file,
       count(*)
FROM trail.read(pg_temp.f('bad/mixed'), on_error => 'skip')
GROUP BY 1 ORDER BY 1;
-- the same with 'stop' stops at the first bad file
SELECT pg_temp.try($$SELECT t FROM trail.read(pg_temp.f('bad/mixed')) t$$);

-- the whole bad/ directory: files that hold no events are passed over,
-- not counted as bad
SELECT count(*) FROM trail.read(pg_temp.f('bad'), on_error => 'skip');

-- nothing to report: no WARNING
SELECT count(*) FROM trail.read(pg_temp.f('shapes'), on_error => 'skip');
