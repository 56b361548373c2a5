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
SELECT record_index FROM trail.read(pg_temp.f('bad/bad-time.json')) ORDER BY 1;
-- ... and the columns that are built are the same as in a full row
SELECT bool_and(a.event_name = (b.t).event_name AND a.user_arn IS NOT DISTINCT FROM (b.t).user_arn
                AND a.request_parameters IS NOT DISTINCT FROM (b.t).request_parameters) AS same
FROM (SELECT record_index, event_name, user_arn, request_parameters
      FROM trail.read(pg_temp.f('shapes/records.json'))) a
JOIN (SELECT t FROM trail.read(pg_temp.f('shapes/records.json')) t) b
  ON a.record_index = (b.t).record_index;

-- in a SELECT list the function builds every column
SELECT (trail.parse('{"eventVersion":"1.0","eventName":"X"}')).event_name;
