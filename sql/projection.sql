-- trail.read() and trail.parse() build only the columns a query uses: the
-- planner passes their numbers as a hidden last argument.
\i test/helpers.sql

-- count(*) needs no column
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM trail.read('/nonexistent');
-- a target list and a qual
EXPLAIN (VERBOSE, COSTS OFF)
SELECT event_name FROM trail.read('/nonexistent') WHERE read_only = false;
-- the whole row: no list, every column
EXPLAIN (VERBOSE, COSTS OFF)
SELECT t FROM trail.read('/nonexistent') t;
-- a join: the columns the join and the output use
EXPLAIN (VERBOSE, COSTS OFF)
SELECT p.event_name FROM trail.parse('{}') p JOIN pg_class c ON c.relname = p.user_name;

-- columns that are not asked for are not built, so a bad value in them
-- does not matter ...
SELECT count(*) FROM trail.read(pg_temp.f('bad/wrong-type.json'));
-- ... except eventTime and eventCategory, which every record is checked
-- for, so that a count and a breakdown by time or category agree
SELECT pg_temp.try($$SELECT record_index FROM trail.read(pg_temp.f('bad/bad-time.json'))$$);
SELECT pg_temp.try($$SELECT count(*) FROM trail.read(pg_temp.f('bad/unknown-category.json'))$$);
\set VERBOSITY terse
SELECT count(*) FROM trail.read(pg_temp.f('bad/bad-time.json'), on_error => 'skip');
\set VERBOSITY default
-- ... and the columns that are built are the same as in a full row
SELECT bool_and(a.event_name = (b.t).event_name AND a.user_arn IS NOT DISTINCT FROM (b.t).user_arn
                AND a.request_parameters IS NOT DISTINCT FROM (b.t).request_parameters) AS same
FROM (SELECT record_index, event_name, user_arn, request_parameters
      FROM trail.read(pg_temp.f('shapes/records.json'))) a
JOIN (SELECT t FROM trail.read(pg_temp.f('shapes/records.json')) t) b
  ON a.record_index = (b.t).record_index;

-- in a SELECT list the function builds every column
SELECT (trail.parse('{"eventVersion":"1.0","eventName":"X"}')).event_name;

-- the quals reach the function too: files and records are skipped as in the
-- foreign table (the quals stay in the plan as its Filter)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT event_name FROM trail.read('/nonexistent')
WHERE event_time >= now() - interval '1 day' AND event_name IN ('A', 'B') AND read_only;
-- pruning never changes a result ...
SELECT (SELECT array_agg(event_id ORDER BY event_id) FROM trail.read(pg_temp.f('AWSLogs'))
        WHERE event_time >= '2025-03-04 23:00' AND event_time < '2025-03-05') =
       (SELECT array_agg(event_id ORDER BY event_id)
        FROM (SELECT event_id, event_time FROM trail.read(pg_temp.f('AWSLogs')) OFFSET 0) t
        WHERE event_time >= '2025-03-04 23:00' AND event_time < '2025-03-05') AS same_late,
       (SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs')) WHERE recipient_account_id = '444455556666') AS one_account,
       (SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs')) WHERE event_category IN ('Insight', 'NetworkActivity')) AS two_categories,
       (SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs')) WHERE NOT read_only) AS writes;
-- ... unless an event came later than trail.max_delivery_delay after it
-- happened: the late record (23:58, in a file delivered at 00:05) is not
-- found when files may be no later than their events at all
SET trail.max_delivery_delay = 0;
SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs'))
WHERE event_time >= '2025-03-04 23:00' AND event_time < '2025-03-05';
RESET trail.max_delivery_delay;
SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs'))
WHERE event_time >= '2025-03-04 23:00' AND event_time < '2025-03-05';
-- a qual that can never be true reads nothing
SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs')) WHERE event_time > '2025-03-05' AND event_time < '2025-03-04';
-- parse() tests records the same way
SELECT event_name FROM trail.parse(pg_read_file(pg_temp.f('shapes/records.ndjson'))) WHERE read_only;
