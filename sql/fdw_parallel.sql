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
WHERE line LIKE '%Trail Files:%' OR line LIKE '%Trail Records%';

-- a pruned parallel scan
SELECT count(*) FROM audit.events WHERE event_time >= '2025-03-04 23:00';

-- workers prune by the event ranges of the digests the leader's walk read
-- (they do not walk): together the processes read the files a serial scan
-- reads, and find the same rows.  The file delivered at 09:20 holds events
-- up to 09:17:48, its digest says: its delivery time alone would keep it.
SELECT (SELECT sum(m[1]::int) FROM regexp_matches(line, '(?:leader|worker \d+) (\d+)', 'g') AS m) AS files_read_in_parallel,
       line ~ 'worker 1' AS two_workers
FROM pg_temp.explain($$SELECT count(*) FROM audit.events WHERE event_time >= '2025-03-04 09:18:00+00'$$, true) AS line
WHERE line LIKE '%Trail Files Read%';
SELECT line FROM pg_temp.explain($$SELECT count(*) FROM audit.events WHERE event_time >= '2025-03-04 09:18:00+00'$$) AS line
WHERE line LIKE '%Gather%' OR line LIKE '%Trail Files:%' OR line LIKE '%Trail Time Pruning%';
SELECT count(*) AS parallel_rows FROM audit.events WHERE event_time >= '2025-03-04 09:18:00+00';
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS serial_rows FROM audit.events WHERE event_time >= '2025-03-04 09:18:00+00';
SET max_parallel_workers_per_gather = 2;

-- a rescan under Gather prunes with the values of each execution: files
-- by account, records by name (a stale file list once gave 1,0,1,0,0)
CREATE TEMP TABLE probes (g int, account text, name text);
INSERT INTO probes VALUES (1, '111122223333', 'GetObject'), (2, '444455556666', 'PutItem'),
  (3, '111122223333', 'CreateTags'), (4, '444455556666', 'UpdateFunctionCode20150331v2'),
  (5, '111122223333', 'ConsoleLogin');
SELECT * FROM pg_temp.explain($$SELECT g, (SELECT count(*) FROM audit.events
    WHERE recipient_account_id = (SELECT p.account) AND event_name = (SELECT p.name))
  FROM probes p ORDER BY g$$);
CREATE TEMP TABLE parallel_rescans AS
SELECT g, (SELECT count(*) FROM audit.events
           WHERE recipient_account_id = (SELECT p.account) AND event_name = (SELECT p.name)) AS n
FROM probes p;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_rescans AS
SELECT g, (SELECT count(*) FROM audit.events
           WHERE recipient_account_id = (SELECT p.account) AND event_name = (SELECT p.name)) AS n
FROM probes p;
SET max_parallel_workers_per_gather = 2;
SELECT s.g, s.n AS serial, p.n AS parallel
FROM serial_rescans s JOIN parallel_rescans p USING (g) ORDER BY g;
-- the issue's own example
SELECT g, (SELECT count(*) FROM audit.events
           WHERE event_name = (SELECT (ARRAY['GetObject', 'PutObject', 'CreateTags', 'Decrypt', 'ConsoleLogin'])[g]))
FROM generate_series(1, 5) g ORDER BY g;

RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP SCHEMA audit CASCADE;
DROP SERVER regress_ct;
