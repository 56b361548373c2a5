-- trail_fdw: IMPORT FOREIGN SCHEMA, columns in any subset, order and type,
-- the field option, skip mode, ANALYZE, and a join with an inventory.
\i test/helpers.sql

CREATE SERVER regress_ct FOREIGN DATA WRAPPER trail_fdw;
CREATE SCHEMA audit;

-- IMPORT FOREIGN SCHEMA makes "events" with every column of trail.event
SELECT pg_temp.run(format('IMPORT FOREIGN SCHEMA trail FROM SERVER regress_ct INTO audit OPTIONS (location %L)',
              pg_temp.f('AWSLogs')));
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'audit.events'::regclass AND attnum > 0
EXCEPT
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'trail.event'::regclass AND attnum > 0;
SELECT count(*) AS columns FROM pg_attribute WHERE attrelid = 'audit.events'::regclass AND attnum > 0;
-- LIMIT TO / EXCEPT
CREATE SCHEMA audit2;
IMPORT FOREIGN SCHEMA trail EXCEPT (events) FROM SERVER regress_ct INTO audit2 OPTIONS (location '/tmp');
IMPORT FOREIGN SCHEMA trail LIMIT TO (other) FROM SERVER regress_ct INTO audit2 OPTIONS (location '/tmp');
SELECT count(*) FROM pg_class WHERE relnamespace = 'audit2'::regnamespace;
IMPORT FOREIGN SCHEMA public FROM SERVER regress_ct INTO audit2 OPTIONS (location '/tmp');
IMPORT FOREIGN SCHEMA trail FROM SERVER regress_ct INTO audit2;
DROP SCHEMA audit2;

-- the same rows as trail.read()
SELECT (SELECT count(*) FROM audit.events) AS fdw,
       (SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs'))) AS srf;
SELECT bool_and(f.event_id = r.event_id AND f.event_time = r.event_time
                AND f.user_identity IS NOT DISTINCT FROM r.user_identity
                AND f.raw::text = r.raw::text) AS same_rows
FROM audit.events f
JOIN trail.read(pg_temp.f('AWSLogs')) r
  ON f.source_file = r.source_file AND f.record_index = r.record_index;

-- a table of a few columns, in another order and other types, and fields
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE audit.s3 (
    bucket text OPTIONS (field 'requestParameters.bucketName'),
    object_key text OPTIONS (field 'requestParameters.key'),
    first_arn text OPTIONS (field 'resources[0].ARN'),
    bytes_out bigint OPTIONS (field 'additionalEventData.bytesTransferredOut'),
    tls jsonb OPTIONS (field 'tlsDetails'),
    event_name varchar(40),
    read_only text,
    event_time timestamp,
    event_category text
) SERVER regress_ct OPTIONS (location %L)$$, pg_temp.f('AWSLogs')));
SELECT bucket, object_key, first_arn, bytes_out, event_name, read_only, event_category
FROM audit.s3 WHERE bucket IS NOT NULL ORDER BY event_time, event_name;
SELECT count(*) FILTER (WHERE tls IS NOT NULL) AS with_tls, count(*) FROM audit.s3;

-- a declared type that does not fit a value is an error naming the record
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE audit.narrow (event_name varchar(5))
  SERVER regress_ct OPTIONS (location %L)$$, pg_temp.f('AWSLogs')));
SELECT pg_temp.try('SELECT * FROM audit.narrow');

-- on_error 'skip' as a table option
\set VERBOSITY terse
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE audit.mixed (event_id uuid, source_file text)
  SERVER regress_ct OPTIONS (location %L, on_error 'skip')$$, pg_temp.f('bad/mixed')));
SELECT count(*) FROM audit.mixed;
\set VERBOSITY default
-- and 'stop', the default
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE audit.mixed_stop (event_id uuid)
  SERVER regress_ct OPTIONS (location %L)$$, pg_temp.f('bad/mixed')));
SELECT pg_temp.try('SELECT * FROM audit.mixed_stop');

-- a single file as location; a location that does not exist
SELECT pg_temp.run(format($$CREATE FOREIGN TABLE audit.one (event_name text)
  SERVER regress_ct OPTIONS (location %L)$$, pg_temp.f('shapes/records.json.gz')));
SELECT event_name FROM audit.one;
CREATE FOREIGN TABLE audit.nowhere (event_name text) SERVER regress_ct
  OPTIONS (location '/nonexistent/AWSLogs');
SELECT pg_temp.try('SELECT * FROM audit.nowhere');

-- joined with an inventory of accounts, as analysts do
CREATE TABLE accounts (account_id text PRIMARY KEY, owner text);
INSERT INTO accounts VALUES ('111122223333', 'platform'), ('444455556666', 'payments');
SELECT a.owner, e.event_category, count(*)
FROM audit.events e JOIN accounts a ON a.account_id = e.recipient_account_id
GROUP BY 1, 2 ORDER BY 1, 2;

-- ANALYZE samples rows and stores the size
ANALYZE audit.events;
SELECT reltuples, relpages > 0 AS has_pages FROM pg_class WHERE oid = 'audit.events'::regclass;
SELECT attname, null_frac FROM pg_stats
WHERE schemaname = 'audit' AND tablename = 'events' AND attname IN ('event_name', 'error_code')
ORDER BY 1;

-- rescans (a correlated subquery reads the table again for each row), with
-- a pruning value that changes from one scan to the next
SELECT g AS record_index,
       (SELECT count(*) FROM audit.events e WHERE e.record_index = g) AS events,
       (SELECT count(*) FROM audit.events e
        WHERE e.event_time >= '2025-03-04'::timestamptz + (g - 1) * interval '1 day'
          AND e.event_time < '2025-03-04'::timestamptz + g * interval '1 day') AS that_day
FROM generate_series(1, 4) g;

DROP TABLE accounts;
DROP SCHEMA audit CASCADE;
DROP SERVER regress_ct;
