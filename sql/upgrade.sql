-- ALTER EXTENSION trail UPDATE from 1.0, with objects that depend on the
-- extension's types and functions: a foreign table, a view over it, a view
-- over trail.read.  A new database gets the same objects (CREATE EXTENSION
-- runs the 1.0 script and the upgrade scripts).
\i test/helpers.sql

-- what a new database holds, to compare the updated one with
CREATE TEMP TABLE fresh AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'trail');
SELECT extversion FROM pg_extension WHERE extname = 'trail';
-- 1.2: trail.sync's files-manifest join is never a nested loop
CREATE TEMP VIEW sync_settings AS
SELECT proconfig FROM pg_proc
WHERE oid = to_regprocedure('trail.sync_begin(regclass,text,integer,text,boolean,boolean,boolean)');
SELECT * FROM sync_settings;
-- 1.3: trail.read is parallel safe (its CustomScan is parallel-aware)
CREATE TEMP VIEW read_parallel AS
SELECT proparallel FROM pg_proc
WHERE oid = to_regprocedure('trail.read(text,boolean,text)');
SELECT * FROM read_parallel;

DROP EXTENSION trail CASCADE;
CREATE EXTENSION trail VERSION '1.0';
CREATE SERVER regress_up FOREIGN DATA WRAPPER trail_fdw;
CREATE SCHEMA up;
SELECT pg_temp.run(format('IMPORT FOREIGN SCHEMA trail FROM SERVER regress_up INTO up OPTIONS (location %L)',
                          pg_temp.f('AWSLogs')));
SELECT count(*) FROM trail.create_views('up.events');
SELECT pg_temp.run(format('CREATE VIEW up.read_view AS SELECT event_name, event_time FROM trail.read(%L)',
                          pg_temp.f('AWSLogs')));
CREATE VIEW up.writes_by_name AS
SELECT event_name, count(*) AS n FROM up.write_events GROUP BY 1;
SELECT * FROM up.writes_by_name ORDER BY 1;
-- a whole row of 1.0's trail.event, formed by the CustomScan, is the row a
-- plain call gives
SELECT pg_temp.run(format('CREATE VIEW up.read_rows AS SELECT t FROM trail.read(%L) t',
                          pg_temp.f('AWSLogs')));
SELECT count(*) AS rows, count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM (SELECT trail.read(pg_temp.f('AWSLogs')) r) s WHERE s.r::text = v.t::text)) AS unmatched
FROM up.read_rows v;

SELECT * FROM read_parallel;
ALTER EXTENSION trail UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'trail';
SELECT * FROM sync_settings;
SELECT * FROM read_parallel;

-- the dependent objects still work
SELECT * FROM up.writes_by_name ORDER BY 1;
SELECT count(*) FROM up.read_view;
SELECT count(*) AS rows, count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM (SELECT trail.read(pg_temp.f('AWSLogs')) r) s WHERE s.r::text = v.t::text)) AS unmatched
FROM up.read_rows v;

-- and the updated extension holds what a new one does
SELECT object AS only_in_new FROM fresh
EXCEPT
SELECT pg_describe_object(classid, objid, objsubid)
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'trail')
ORDER BY 1;
SELECT pg_describe_object(classid, objid, objsubid) AS only_in_updated
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'trail')
EXCEPT
SELECT object FROM fresh
ORDER BY 1;

DROP SCHEMA up CASCADE;
DROP SERVER regress_up;

-- from 1.1, the version before
DROP EXTENSION trail CASCADE;
CREATE EXTENSION trail VERSION '1.1';
SELECT * FROM sync_settings;
ALTER EXTENSION trail UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'trail';
SELECT * FROM sync_settings;
