-- trail.read() and trail.parse() joined to another table: a join clause
-- pruning understands gives a parameterized scan, so a nested loop over a
-- few days or accounts opens only the files of each outer row.  The join
-- clause stays the scan's Filter; the answers equal those of the same query
-- without pruning (OFFSET 0 keeps the clauses out of the scan).
\i test/helpers.sql
-- one scan per outer row (Memoize would cache the scans of repeated values)
SET enable_memoize = off;

CREATE TEMP TABLE days (d date);
INSERT INTO days VALUES ('2025-03-04'), ('2025-03-05'), ('2025-03-06');
CREATE TEMP TABLE accts (a text, team text);
INSERT INTO accts VALUES ('444455556666', 'data'), ('999999999999', 'none'), (NULL, 'unknown');
CREATE TEMP TABLE windows (lo timestamptz, hi timestamptz);
INSERT INTO windows VALUES
  ('2025-03-01 00:00', '2025-03-10 00:00'),
  ('2025-03-04 23:00', '2025-03-05 00:00'),
  ('2025-03-05 00:00', NULL),
  (NULL, '2025-03-05 00:00'),
  ('2025-03-04 09:00', '2025-03-04 09:30');
ANALYZE days;
ANALYZE accts;
ANALYZE windows;

-- a nested loop over days: each loop reads the files of its day (EXPLAIN
-- ANALYZE shows those of the last loop, as for the foreign table)
SELECT * FROM pg_temp.explain(format($$SELECT d, count(*)
  FROM days JOIN trail.read(%L) e ON e.event_time >= days.d AND e.event_time < days.d + 1
  GROUP BY d$$, pg_temp.f('AWSLogs')));
SELECT * FROM pg_temp.explain(format($$SELECT d, count(*)
  FROM days JOIN trail.read(%L) e ON e.event_time >= days.d AND e.event_time < days.d + 1
  GROUP BY d$$, pg_temp.f('AWSLogs')), true);
SELECT d, count(*) FROM days JOIN trail.read(pg_temp.f('AWSLogs')) e
  ON e.event_time >= days.d AND e.event_time < days.d + 1
GROUP BY d ORDER BY d;
SELECT d, count(*) FROM days JOIN (SELECT * FROM trail.read(pg_temp.f('AWSLogs')) OFFSET 0) e
  ON e.event_time >= days.d AND e.event_time < days.d + 1
GROUP BY d ORDER BY d;
-- the days as event_time::date
SELECT * FROM pg_temp.explain(format($$SELECT d, count(*)
  FROM days JOIN trail.read(%L) e ON e.event_time::date = days.d GROUP BY d$$,
  pg_temp.f('AWSLogs')), true);
SELECT (SELECT array_agg(d || ' ' || event_id ORDER BY d, event_id)
        FROM days JOIN trail.read(pg_temp.f('AWSLogs')) e ON e.event_time::date = days.d) =
       (SELECT array_agg(d || ' ' || event_id ORDER BY d, event_id)
        FROM days JOIN (SELECT * FROM trail.read(pg_temp.f('AWSLogs')) OFFSET 0) e
          ON e.event_time::date = days.d) AS same;

-- accounts from a table: each loop reads its account's folder; a NULL
-- account reads nothing
SELECT * FROM pg_temp.explain(format($$SELECT accts.team, e.event_name
  FROM accts JOIN trail.read(%L) e ON e.recipient_account_id = accts.a$$,
  pg_temp.f('AWSLogs')), true);
SELECT accts.team, e.event_name FROM accts JOIN trail.read(pg_temp.f('AWSLogs')) e
  ON e.recipient_account_id = accts.a ORDER BY 1, 2;
SELECT accts.team, e.event_name FROM accts JOIN (SELECT * FROM trail.read(pg_temp.f('AWSLogs')) OFFSET 0) e
  ON e.recipient_account_id = accts.a ORDER BY 1, 2;

-- windows of timestamptz, some with a NULL end, in a LEFT JOIN: each loop
-- prunes with its own values (EXPLAIN shows the files of the last one), and
-- the rows without a match are kept
SELECT * FROM pg_temp.explain(format($$SELECT w.lo, w.hi, count(e.event_id)
  FROM windows w LEFT JOIN trail.read(%L) e ON e.event_time >= w.lo AND e.event_time < w.hi
  GROUP BY 1, 2$$, pg_temp.f('AWSLogs')), true);
SELECT w.lo, w.hi, count(e.event_id)
FROM windows w LEFT JOIN trail.read(pg_temp.f('AWSLogs')) e
  ON e.event_time >= w.lo AND e.event_time < w.hi
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT w.lo, w.hi, count(e.event_id)
FROM windows w LEFT JOIN (SELECT * FROM trail.read(pg_temp.f('AWSLogs')) OFFSET 0) e
  ON e.event_time >= w.lo AND e.event_time < w.hi
GROUP BY 1, 2 ORDER BY 1, 2;
-- LEFT JOIN LATERAL with the window in the subquery, timestamps without
-- a time zone on the other side
SELECT w.lo, count(e.event_id)
FROM windows w LEFT JOIN LATERAL (
  SELECT * FROM trail.read(pg_temp.f('AWSLogs')) r
  WHERE r.event_time >= w.lo::timestamp AND r.event_time < w.hi::timestamp) e ON true
GROUP BY 1 ORDER BY 1;
SELECT w.lo, count(e.event_id)
FROM windows w LEFT JOIN LATERAL (
  SELECT * FROM (SELECT * FROM trail.read(pg_temp.f('AWSLogs')) OFFSET 0) r
  WHERE r.event_time >= w.lo::timestamp AND r.event_time < w.hi::timestamp) e ON true
GROUP BY 1 ORDER BY 1;

-- a LATERAL argument and a join clause on the same outer row
CREATE TEMP TABLE dirs (dir text, lo date);
INSERT INTO dirs VALUES (pg_temp.f('AWSLogs'), '2025-03-05'),
                        (pg_temp.f('AWSLogs/111122223333'), '2025-03-04');
ANALYZE dirs;
SELECT * FROM pg_temp.explain($$SELECT d.lo, count(*)
  FROM dirs d, LATERAL trail.read(d.dir) r
  WHERE r.event_time >= d.lo AND r.event_time < d.lo + 1 GROUP BY 1$$, true);
SELECT d.lo, count(*) FROM dirs d, LATERAL trail.read(d.dir) r
WHERE r.event_time >= d.lo AND r.event_time < d.lo + 1 GROUP BY 1 ORDER BY 1;
SELECT d.lo, count(*) FROM dirs d, LATERAL (SELECT * FROM trail.read(d.dir) OFFSET 0) r
WHERE r.event_time >= d.lo AND r.event_time < d.lo + 1 GROUP BY 1 ORDER BY 1;

-- a clause that only tests records saves decoding, not reading: one outer
-- row makes a nested loop worth it, many rows a hash join over one read
CREATE TEMP TABLE one_name (name text);
INSERT INTO one_name VALUES ('GetObject');
CREATE TEMP TABLE names AS SELECT 'Name' || g AS name FROM generate_series(1, 1000) g;
INSERT INTO names VALUES ('GetObject'), ('PutObject');
ANALYZE one_name;
ANALYZE names;
SELECT * FROM pg_temp.explain(format($$SELECT e.event_id
  FROM one_name n JOIN trail.read(%L) e ON e.event_name = n.name$$, pg_temp.f('AWSLogs')));
SELECT * FROM pg_temp.explain(format($$SELECT e.event_id
  FROM names n JOIN trail.read(%L) e ON e.event_name = n.name$$, pg_temp.f('AWSLogs')));
SELECT (SELECT count(*) FROM one_name n JOIN trail.read(pg_temp.f('AWSLogs')) e ON e.event_name = n.name) AS one,
       (SELECT count(*) FROM names n JOIN trail.read(pg_temp.f('AWSLogs')) e ON e.event_name = n.name) AS many;

-- in parallel (the tables are small, so make parallelism cheap; temporary
-- tables are not scanned in parallel): trail.parse runs in the workers, under
-- the Gather, with the name to look for from the same row ...
CREATE TABLE read_params_docs (id int, doc text, name text);
INSERT INTO read_params_docs
SELECT g, '{"Records":[{"eventVersion":"1.08","eventName":"A","eventTime":"2025-03-04T00:00:00Z"},'
          '{"eventVersion":"1.08","eventName":"B","eventTime":"2025-03-04T00:01:00Z"}]}',
       CASE g % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' END
FROM generate_series(1, 300) g;
CREATE TABLE read_params_days AS
SELECT DATE '2025-03-03' + g % 4 AS d FROM generate_series(1, 2000) g;
ANALYZE read_params_docs;
ANALYZE read_params_days;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT * FROM pg_temp.explain($$SELECT p.event_name, count(*)
  FROM read_params_docs d, LATERAL trail.parse(d.doc) p WHERE p.event_name = d.name GROUP BY 1$$);
SELECT p.event_name, count(*) FROM read_params_docs d, LATERAL trail.parse(d.doc) p
WHERE p.event_name = d.name GROUP BY 1 ORDER BY 1;
SELECT p.event_name, count(*) FROM read_params_docs d, LATERAL (SELECT * FROM trail.parse(d.doc) OFFSET 0) p
WHERE p.event_name = d.name GROUP BY 1 ORDER BY 1;
-- ... and trail.read too: with parallelism free, one parallel scan of all
-- the files, kept for the join, costs less than one pruned scan per day
-- (read_parallel has the parallel scan; the nested loop is above)
RESET enable_memoize;
SELECT * FROM pg_temp.explain(format($$SELECT d, count(*)
  FROM read_params_days m JOIN trail.read(%L) e ON e.event_time >= m.d AND e.event_time < m.d + 1
  GROUP BY d$$, pg_temp.f('AWSLogs')));
SELECT d, count(*) FROM read_params_days m JOIN trail.read(pg_temp.f('AWSLogs')) e
  ON e.event_time >= m.d AND e.event_time < m.d + 1
GROUP BY d ORDER BY d;
SELECT d, count(*) FROM read_params_days m JOIN (SELECT * FROM trail.read(pg_temp.f('AWSLogs')) OFFSET 0) e
  ON e.event_time >= m.d AND e.event_time < m.d + 1
GROUP BY d ORDER BY d;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE read_params_docs, read_params_days;
