-- trail.read() and trail.parse() build only the columns a query uses and
-- prune by its quals: in FROM they run as a CustomScan (src/read_scan.c)
-- whose plan carries both.
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

-- the whole row in FROM is the CustomScan's too: it is the row a plain
-- function call gives, for every record of the fixtures and the corpus
-- sample, in a target list, a qual, a join and a LATERAL call
SET client_min_messages = warning;
SELECT loc,
       (SELECT count(*) FROM (
          SELECT t::text FROM trail.read(pg_temp.f(loc)) t
          EXCEPT ALL SELECT r::text FROM (SELECT trail.read(pg_temp.f(loc)) r) s) d) AS missing,
       (SELECT count(*) FROM (
          SELECT r::text FROM (SELECT trail.read(pg_temp.f(loc)) r) s
          EXCEPT ALL SELECT t::text FROM trail.read(pg_temp.f(loc)) t) d) AS extra,
       (SELECT count(*) FROM trail.read(pg_temp.f(loc)) t) AS rows
FROM (VALUES ('AWSLogs'), ('records'), ('shapes'), ('edge')) v(loc)
ORDER BY loc;
RESET client_min_messages;
SELECT count(*) AS named_rows, count(DISTINCT row_to_json(t)::text) AS distinct_json
FROM trail.read(pg_temp.f('shapes/records.json')) t
WHERE t IS DISTINCT FROM NULL AND (t).event_name IS NOT NULL;
SELECT t.event_name, (t).record_index = t.record_index AS same_row
FROM trail.read(pg_temp.f('shapes/records.json')) t
ORDER BY t.record_index LIMIT 3;
SELECT count(*) AS joined
FROM trail.read(pg_temp.f('shapes/records.json')) a
JOIN trail.read(pg_temp.f('shapes/records.json')) b ON a::text = b::text;
SELECT d.n, (p).event_name, (p).request_parameters
FROM (VALUES (1, '{"eventVersion":"1.08","eventName":"A","requestParameters":{"k":1}}'),
             (2, '{"eventVersion":"1.08","eventName":"B"}')) d(n, doc),
     LATERAL trail.parse(d.doc) p
ORDER BY d.n;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT d.n, p FROM (VALUES (1, '{}'), (2, '[]')) d(n, doc), LATERAL trail.parse(d.doc) p;
-- WITH ORDINALITY is left to a FunctionScan
EXPLAIN (VERBOSE, COSTS OFF)
SELECT t FROM trail.read('/nonexistent') WITH ORDINALITY t;

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

-- trail.read and trail.parse in FROM are a CustomScan: no tuplestore, the
-- columns and quals in its own plan data, any number of quals
SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs'))
WHERE event_name <> ALL (ARRAY(SELECT 'x' || g FROM generate_series(1, 200) g))
  AND (SELECT bool_and(true) FROM generate_series(1, 3)) AND true AND event_time > '2000-01-01'
  AND event_time > '2000-01-02' AND event_time > '2000-01-03' AND event_time > '2000-01-04'
  AND event_time > '2000-01-05' AND event_time > '2000-01-06' AND event_time > '2000-01-07';
SELECT pg_temp.run(format($$CREATE TEMP VIEW many_quals AS SELECT count(*) FROM trail.read(%L) WHERE %s$$,
    pg_temp.f('AWSLogs'),
    (SELECT string_agg(format('event_name <> %L', 'x' || g), ' AND ') FROM generate_series(1, 120) g)));
SELECT * FROM many_quals;
-- a correlated call per outer row is a rescan: each gets its own values
SELECT g, (SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs'))
           WHERE event_name = (ARRAY['GetObject', 'PutObject', 'CreateTags', 'Decrypt', 'ConsoleLogin'])[g])
FROM generate_series(1, 5) g ORDER BY g;
-- LATERAL over documents in a table: one scan per document
CREATE TEMP TABLE docs (id int, doc text);
INSERT INTO docs VALUES
  (1, '{"Records":[{"eventVersion":"1.08","eventName":"A","eventTime":"2025-03-04T00:00:00Z"}]}'),
  (2, '{"Records":[{"eventVersion":"1.08","eventName":"B","eventTime":"2025-03-04T00:00:00Z"},{"eventVersion":"1.08","eventName":"C","eventTime":"2025-03-04T00:00:00Z"}]}'),
  (3, NULL);
SELECT * FROM pg_temp.explain($$SELECT d.id, p.event_name FROM docs d, LATERAL trail.parse(d.doc) p$$);
SELECT d.id, p.event_name FROM docs d, LATERAL trail.parse(d.doc) p ORDER BY 1, 2;
SELECT d.id, p.event_name FROM docs d LEFT JOIN LATERAL trail.parse(d.doc) p ON p.event_name <> 'B' ORDER BY 1, 2;
-- a cursor that goes back and forth
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT record_index, event_name FROM trail.parse((SELECT doc FROM docs WHERE id = 2));
FETCH 1 FROM c;
FETCH ALL FROM c;
FETCH FIRST FROM c;
COMMIT;
-- EXPLAIN ANALYZE counts what the scan did
SELECT * FROM pg_temp.explain($$SELECT event_name FROM trail.read(pg_temp.f('AWSLogs')) WHERE event_name = 'PutObject'$$, true);
