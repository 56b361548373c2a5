-- trail_fdw pruning: files by the S3 key layout, records by their bytes.
-- Pruning never changes a result; EXPLAIN shows how many files are read.
\i test/helpers.sql

CREATE SERVER regress_ct FOREIGN DATA WRAPPER trail_fdw;
CREATE SCHEMA audit;
SELECT pg_temp.run(format('IMPORT FOREIGN SCHEMA trail FROM SERVER regress_ct INTO audit OPTIONS (location %L)',
                          pg_temp.f('AWSLogs')));
-- the same table without pruning by time, to compare results
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE audit.events_all (
    event_time timestamptz, event_name text, recipient_account_id text,
    aws_region text, event_category trail.event_category, read_only boolean,
    event_id uuid) SERVER regress_ct OPTIONS (location %L, max_delivery_delay '10000 days')$$,
    pg_temp.f('AWSLogs')));

-- no quals: every event file (the digest and the dotfile are not read;
-- README.txt is opened and passed over)
SELECT * FROM pg_temp.explain('SELECT * FROM audit.events');

-- by time: a file is read if it can hold events of the window, given
-- that files arrive up to max_delivery_delay (6 hours by default) late
SELECT * FROM pg_temp.explain($$SELECT event_name FROM audit.events
  WHERE event_time >= '2025-03-05' AND event_time < '2025-03-06'$$);
-- the late record of 2025-03-04 23:58, delivered in a file dated the
-- next day, is found by a query on 2025-03-04
SELECT event_time, event_name FROM audit.events
WHERE event_time >= '2025-03-04 23:00' AND event_time < '2025-03-05'
ORDER BY 1;
SELECT * FROM pg_temp.explain($$SELECT event_name FROM audit.events
  WHERE event_time >= '2025-03-04 23:00' AND event_time < '2025-03-05'$$);
-- and pruning does not change results
SELECT (SELECT array_agg(event_id ORDER BY event_id) FROM audit.events
        WHERE event_time BETWEEN '2025-03-04 09:00' AND '2025-03-04 09:30') =
       (SELECT array_agg(event_id ORDER BY event_id) FROM audit.events_all
        WHERE event_time BETWEEN '2025-03-04 09:00' AND '2025-03-04 09:30') AS same;
-- the constant may come first
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events WHERE '2025-03-05' < event_time$$);
-- an impossible window reads nothing
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events
  WHERE event_time > '2025-03-05' AND event_time < '2025-03-04'$$);
SELECT count(*) FROM audit.events WHERE event_time = NULL::timestamptz;

-- stable expressions are computed when the scan starts: now() is long
-- after these files
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events WHERE event_time > now() - interval '1 day'$$);
SELECT count(*) FROM audit.events WHERE event_time > now() - interval '1 day';
-- parameters
PREPARE q(timestamptz) AS SELECT count(*) FROM audit.events WHERE event_time >= $1;
EXECUTE q('2025-03-05');
EXECUTE q('2025-01-01');
SELECT * FROM pg_temp.explain($$EXECUTE q('2025-03-05')$$);
DEALLOCATE q;
-- a value from a subquery (an init plan) prunes at run time; plain EXPLAIN
-- cannot know it
SELECT * FROM pg_temp.explain($$SELECT count(*) FROM audit.events
  WHERE event_time >= (SELECT max(event_time) FROM audit.events_all)$$);
SELECT * FROM pg_temp.explain($$SELECT count(*) FROM audit.events
  WHERE event_time >= (SELECT max(event_time) FROM audit.events_all)$$, true);

-- by account and region, = and IN
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events WHERE recipient_account_id = '444455556666'$$);
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events WHERE aws_region IN ('eu-west-1', 'us-west-2')$$);
SELECT recipient_account_id, aws_region, count(*) FROM audit.events
WHERE aws_region IN ('eu-west-1', 'us-west-2') GROUP BY 1, 2 ORDER BY 1, 2;

-- by category: which folders to read
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events WHERE event_category = 'Insight'$$);
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events WHERE event_category IN ('Management', 'NetworkActivity')$$);
SELECT event_category, count(*) FROM audit.events
WHERE event_category IN ('Management', 'NetworkActivity') GROUP BY 1 ORDER BY 1;

-- records: event_name, event_source, error_code, read_only and
-- event_category are tested on the bytes; EXPLAIN ANALYZE counts them
SELECT * FROM pg_temp.explain($$SELECT event_name FROM audit.events
  WHERE event_name IN ('ConsoleLogin', 'GetObject')$$, true);
SELECT * FROM pg_temp.explain($$SELECT event_name FROM audit.events WHERE NOT read_only$$, true);
SELECT * FROM pg_temp.explain($$SELECT event_name FROM audit.events WHERE read_only$$, true);
SELECT * FROM pg_temp.explain($$SELECT event_name FROM audit.events
  WHERE event_source = 's3.amazonaws.com' AND error_code IS NULL$$, true);
SELECT * FROM pg_temp.explain($$SELECT event_name FROM audit.events WHERE error_code = 'AccessDenied'$$, true);
-- every test gives the same answer as the unpruned table
SELECT (SELECT count(*) FROM audit.events WHERE read_only IS FALSE) =
       (SELECT count(*) FROM audit.events_all WHERE read_only IS FALSE) AS write_same,
       (SELECT count(*) FROM audit.events WHERE event_category = 'Data') =
       (SELECT count(*) FROM audit.events_all WHERE event_category = 'Data') AS data_same,
       (SELECT count(*) FROM audit.events WHERE event_name = 'ConsoleLogin') =
       (SELECT count(*) FROM audit.events_all WHERE event_name = 'ConsoleLogin') AS name_same;

-- the filters BI tools and people write prune too: dates, date_trunc,
-- cross-type comparisons, OR of equalities, LIKE 'prefix%'
CREATE TEMP TABLE bi (n int, qual text);
INSERT INTO bi VALUES
  (1, $$event_time::date = '2025-03-05'$$),
  (2, $$event_time::date BETWEEN '2025-03-04' AND '2025-03-04'$$),
  (3, $$event_time::date > '2025-03-04'$$),
  (4, $$date_trunc('day', event_time) = '2025-03-05'$$),
  (5, $$date_trunc('hour', event_time) >= '2025-03-04 23:00' AND date_trunc('hour', event_time) < '2025-03-05'$$),
  (6, $$event_time >= date '2025-03-05'$$),
  (7, $$event_time < '2025-03-04 09:15'::timestamp$$),
  (8, $$'2025-03-05'::date <= event_time$$),
  (9, $$event_name = 'ConsoleLogin' OR event_name = 'GetObject'$$),
  (10, $$event_name LIKE 'Create%'$$),
  (11, $$event_source LIKE 's3.%' AND event_name LIKE '%Object'$$),
  (12, $$event_name LIKE 'Get\_%'$$),
  (13, $$recipient_account_id = '444455556666' OR recipient_account_id = '000000000000'$$);
SELECT b.n, e.line
FROM bi b, LATERAL pg_temp.explain('SELECT 1 FROM audit.events WHERE ' || b.qual) e(line)
WHERE e.line ~ 'Trail (Files|File Pruning|Record Filter)'
ORDER BY b.n, e.line;
-- and never change a result
CREATE FUNCTION pg_temp.count_where(tab text, qual text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE %s', tab, qual) INTO n;
    RETURN n;
END $$;
SELECT n, pg_temp.count_where('audit.events', qual) AS pruned,
       pg_temp.count_where('(SELECT * FROM audit.events OFFSET 0) s', qual) AS unpruned
FROM bi ORDER BY n;
-- in another time zone, a date is another day
SET TimeZone = 'Asia/Tokyo';
SELECT pg_temp.count_where('audit.events', $$event_time::date = '2025-03-05'$$) AS tokyo_pruned,
       pg_temp.count_where('(SELECT * FROM audit.events OFFSET 0) s', $$event_time::date = '2025-03-05'$$) AS tokyo_unpruned;
SET TimeZone = 'UTC';

-- a join prunes per outer row (a parameterized path): a nested loop over
-- accounts or days from another table opens only their files
CREATE TEMP TABLE accts (a text, team text);
INSERT INTO accts VALUES ('444455556666', 'data'), ('999999999999', 'none');
CREATE TEMP TABLE days (d date);
INSERT INTO days VALUES ('2025-03-05'), ('2025-03-06');
ANALYZE accts;
ANALYZE days;
SELECT * FROM pg_temp.explain($$SELECT accts.team, e.event_name
  FROM accts JOIN audit.events e ON e.recipient_account_id = accts.a$$, true);
SELECT accts.team, e.event_name FROM accts JOIN audit.events e ON e.recipient_account_id = accts.a
ORDER BY 1, 2;
SELECT * FROM pg_temp.explain($$SELECT d, count(*)
  FROM days JOIN audit.events e ON e.event_time >= days.d AND e.event_time < days.d + 1 GROUP BY d$$, true);
SELECT d, count(*) FROM days JOIN audit.events e ON e.event_time >= days.d AND e.event_time < days.d + 1
GROUP BY d ORDER BY d;
-- the same without pushdown
SELECT d, count(*) FROM days JOIN (SELECT * FROM audit.events OFFSET 0) e
  ON e.event_time >= days.d AND e.event_time < days.d + 1
GROUP BY d ORDER BY d;
-- an equality on an expression of the row (event_time::date = d) too
SELECT * FROM pg_temp.explain($$SELECT d, count(*)
  FROM days JOIN audit.events e ON e.event_time::date = days.d GROUP BY d$$, true);
SELECT d, count(*) FROM days JOIN audit.events e ON e.event_time::date = days.d
GROUP BY d ORDER BY d;
SELECT d, count(*) FROM days JOIN (SELECT * FROM audit.events OFFSET 0) e
  ON e.event_time::date = days.d
GROUP BY d ORDER BY d;

-- quals it does not understand are left to the executor
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events WHERE lower(event_name) = 'getobject'$$);
SELECT * FROM pg_temp.explain($$SELECT 1 FROM audit.events WHERE event_name ILIKE 'get%'$$);

DROP SCHEMA audit CASCADE;
DROP SERVER regress_ct;
