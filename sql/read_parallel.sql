-- trail.read() in parallel: its CustomScan shares one list of files among
-- the processes of a Gather, as the foreign table does, and the result
-- equals the serial plan's.  Only a location known at planning (and
-- readable by the user) is walked then to size the scan: that is what a
-- parallel plan needs.
\i test/helpers.sql
\set logs :fixtures '/AWSLogs'
SELECT set_config('regress.logs', :'logs', false) IS NOT NULL AS logs_set;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT event_id, event_time, event_name, user_identity, raw::text AS raw
FROM trail.read(:'logs') WHERE read_only IS NOT TRUE;

-- parallel (the fixtures are small, so make parallelism cheap)
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT * FROM pg_temp.explain(format($$SELECT event_id, event_time, event_name, user_identity, raw::text
  FROM trail.read(%L) WHERE read_only IS NOT TRUE$$, current_setting('regress.logs')));
CREATE TEMP TABLE parallel AS
SELECT event_id, event_time, event_name, user_identity, raw::text AS raw
FROM trail.read(:'logs') WHERE read_only IS NOT TRUE;

SELECT (SELECT count(*) FROM serial) AS serial_rows,
       (SELECT count(*) FROM parallel) AS parallel_rows,
       NOT EXISTS (SELECT * FROM serial EXCEPT ALL SELECT * FROM parallel)
       AND NOT EXISTS (SELECT * FROM parallel EXCEPT ALL SELECT * FROM serial) AS same_rows;

-- every column, the whole row formed in each process
SELECT (SELECT count(*) FROM (SELECT t::text FROM trail.read(:'logs') t
                              EXCEPT ALL SELECT trail.read(:'logs')::text) d) AS parallel_not_serial,
       (SELECT count(*) FROM trail.read(:'logs') t) AS parallel_rows;

-- grouped, with what every process read in EXPLAIN ANALYZE
SELECT event_category, count(*) FROM trail.read(:'logs') GROUP BY 1 ORDER BY 1;
SELECT line FROM pg_temp.explain(format($$SELECT count(*) FROM trail.read(%L)$$,
                                        current_setting('regress.logs')), true) AS line
WHERE line LIKE '%Gather%' OR line LIKE '%Workers Launched%' OR line LIKE '%Custom Scan%'
   OR line LIKE '%Trail Files:%' OR line LIKE '%Trail Records%';
SELECT (SELECT sum(m[1]::int) FROM regexp_matches(line, '(?:leader|worker \d+) (\d+)', 'g') AS m) AS files_read_in_parallel,
       line ~ 'worker 1' AS two_workers
FROM pg_temp.explain(format($$SELECT count(*) FROM trail.read(%L)$$,
                            current_setting('regress.logs')), true) AS line
WHERE line LIKE '%Trail Files Read%';

-- workers prune by the event ranges of the digests the leader's walk read
-- (they do not walk): together the processes read the files a serial scan
-- reads, and find the same rows
SELECT (SELECT sum(m[1]::int) FROM regexp_matches(line, '(?:leader|worker \d+) (\d+)', 'g') AS m) AS files_read_in_parallel
FROM pg_temp.explain(format($$SELECT count(*) FROM trail.read(%L) WHERE event_time >= '2025-03-04 09:18:00+00'$$,
                            current_setting('regress.logs')), true) AS line
WHERE line LIKE '%Trail Files Read%';
SELECT count(*) AS parallel_rows FROM trail.read(:'logs') WHERE event_time >= '2025-03-04 09:18:00+00';
SET max_parallel_workers_per_gather = 0;
SELECT line FROM pg_temp.explain(format($$SELECT count(*) FROM trail.read(%L) WHERE event_time >= '2025-03-04 09:18:00+00'$$,
                                        current_setting('regress.logs'))) AS line
WHERE line LIKE '%Trail Files:%';
SELECT count(*) AS serial_rows FROM trail.read(:'logs') WHERE event_time >= '2025-03-04 09:18:00+00';
SET max_parallel_workers_per_gather = 2;

-- a Limit stops every process early, and the rows are still records
SELECT count(*), count(DISTINCT event_id) FROM (SELECT event_id FROM trail.read(:'logs') LIMIT 5) s;

-- a rescan under Gather prunes with the values of each execution: files
-- by account, records by name
CREATE TEMP TABLE probes (g int, account text, name text);
INSERT INTO probes VALUES (1, '111122223333', 'GetObject'), (2, '444455556666', 'PutItem'),
  (3, '111122223333', 'CreateTags'), (4, '444455556666', 'UpdateFunctionCode20150331v2'),
  (5, '111122223333', 'ConsoleLogin');
SELECT * FROM pg_temp.explain(format($$SELECT g, (SELECT count(*) FROM trail.read(%L)
    WHERE recipient_account_id = (SELECT p.account) AND event_name = (SELECT p.name))
  FROM probes p ORDER BY g$$, current_setting('regress.logs')));
CREATE TEMP TABLE parallel_rescans AS
SELECT g, (SELECT count(*) FROM trail.read(:'logs')
           WHERE recipient_account_id = (SELECT p.account) AND event_name = (SELECT p.name)) AS n
FROM probes p;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_rescans AS
SELECT g, (SELECT count(*) FROM trail.read(:'logs')
           WHERE recipient_account_id = (SELECT p.account) AND event_name = (SELECT p.name)) AS n
FROM probes p;
SET max_parallel_workers_per_gather = 2;
SELECT s.g, s.n AS serial, p.n AS parallel
FROM serial_rescans s JOIN parallel_rescans p USING (g) ORDER BY g;

-- no parallel plan where the location is not known at planning (an
-- expression computed when the scan starts, a LATERAL argument), nor for a
-- user who may not read server files (planning does not walk for them; the
-- scan refuses them as before)
SELECT line FROM pg_temp.explain($$SELECT count(*) FROM trail.read(current_setting('regress.logs'))$$) AS line
WHERE line LIKE '%Gather%' OR line LIKE '%Custom Scan%';
SELECT line FROM pg_temp.explain($$SELECT count(*) FROM probes p, trail.read(current_setting('regress.logs') || left(p.name, 0))$$) AS line
WHERE line LIKE '%Gather%' OR line LIKE '%Custom Scan%';
SELECT count(*) FROM trail.read(current_setting('regress.logs'));
CREATE ROLE regress_read_parallel;
GRANT EXECUTE ON FUNCTION trail.read(text, boolean, text) TO regress_read_parallel;
SET ROLE regress_read_parallel;
SELECT pg_temp.try(format('SELECT count(*) FROM trail.read(%L)', current_setting('regress.logs')));
RESET ROLE;
REVOKE EXECUTE ON FUNCTION trail.read(text, boolean, text) FROM regress_read_parallel;
DROP ROLE regress_read_parallel;

RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
