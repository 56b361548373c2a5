-- trail_fdw in parallel: the processes share one list of files and each
-- takes the next unread file; the result equals the serial plan's.
\i test/helpers.sql

CREATE SERVER regress_ct FOREIGN DATA WRAPPER trail_fdw;
CREATE SCHEMA audit;
SELECT pg_temp.run(format('IMPORT FOREIGN SCHEMA trail FROM SERVER regress_ct INTO audit OPTIONS (location %L)',
                          pg_temp.f('AWSLogs')));

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT event_id, event_time, event_name, user_identity, raw::text AS raw
FROM audit.events WHERE read_only IS NOT TRUE;

-- parallel (the fixtures are small, so make parallelism cheap)
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT * FROM pg_temp.explain($$SELECT event_id, event_time, event_name, user_identity, raw::text
  FROM audit.events WHERE read_only IS NOT TRUE$$);
CREATE TEMP TABLE parallel AS
SELECT event_id, event_time, event_name, user_identity, raw::text AS raw
FROM audit.events WHERE read_only IS NOT TRUE;

SELECT (SELECT count(*) FROM serial) AS serial_rows,
       (SELECT count(*) FROM parallel) AS parallel_rows,
       NOT EXISTS (SELECT * FROM serial EXCEPT ALL SELECT * FROM parallel)
       AND NOT EXISTS (SELECT * FROM parallel EXCEPT ALL SELECT * FROM serial) AS same_rows;

-- grouped, with the counts of every process in EXPLAIN ANALYZE
SELECT * FROM pg_temp.explain($$SELECT event_category, count(*) FROM audit.events GROUP BY 1$$);
SELECT event_category, count(*) FROM audit.events GROUP BY 1 ORDER BY 1;
SELECT line FROM pg_temp.explain($$SELECT count(*) FROM audit.events$$, true) AS line
WHERE line LIKE '%Trail Files%' OR line LIKE '%Trail Records%';

-- a pruned parallel scan
SELECT count(*) FROM audit.events WHERE event_time >= '2025-03-04 23:00';

RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP SCHEMA audit CASCADE;
DROP SERVER regress_ct;
