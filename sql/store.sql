-- The store: trail.create_store, trail.sync, trail.drop_partitions.
-- The test writes its own tree of log files under the data directory
-- (store_tree/, a relative location, as trail.read's paths are), so that it
-- can add and change files between syncs.
\i test/helpers.sql
SET client_min_messages = warning;

-- sh(command): run a shell command in the data directory (after reading
-- what COPY writes to it, so that COPY never writes to a closed pipe)
CREATE FUNCTION pg_temp.sh(command text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', 'cat >/dev/null; ' || command);
END
$$;
-- ev(time, n [, name [, read_only]]): a record whose eventID ends in n
CREATE FUNCTION pg_temp.ev(t text, n integer, name text DEFAULT 'DescribeInstances',
                           ro boolean DEFAULT true) RETURNS text
LANGUAGE sql AS $$
    SELECT format('{"eventVersion":"1.09","eventTime":"%s","eventSource":"ec2.amazonaws.com",'
                  '"eventName":"%s","awsRegion":"us-east-1","eventID":"00000000-0000-4000-8000-%s",'
                  '"readOnly":%s,"eventCategory":"Management","recipientAccountId":"111122223333",'
                  '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}}',
                  t, name, lpad(n::text, 12, '0'), ro::text)
$$;
-- log(delivery, tag, records...): a gzip log file delivered at YYYYMMDDTHHMM
CREATE FUNCTION pg_temp.log(delivery text, tag text, VARIADIC recs text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    dir text := format('store_tree/AWSLogs/111122223333/CloudTrail/us-east-1/%s/%s/%s',
                       substr(delivery, 1, 4), substr(delivery, 5, 2), substr(delivery, 7, 2));
BEGIN
    EXECUTE format('COPY (SELECT %L) TO PROGRAM %L',
                   '{"Records":[' || array_to_string(recs, ',') || ']}',
                   format('mkdir -p %s && gzip -n > %s/111122223333_CloudTrail_us-east-1_%sZ_%s.json.gz',
                          dir, dir, delivery, tag));
END
$$;
SELECT pg_temp.sh('rm -rf store_tree');
CREATE SCHEMA st;

-- a store: every column of trail.event, partitioned by day
SELECT trail.create_store('st.events');
SELECT count(*) AS columns FROM pg_attribute
WHERE attrelid = 'st.events'::regclass AND attnum > 0 AND NOT attisdropped;
SELECT pg_get_partkeydef('st.events'::regclass);
SELECT indexdef FROM pg_indexes WHERE schemaname = 'st' AND tablename = 'events' ORDER BY 1;
SELECT store FROM trail.store;
-- the manifest, without the directories and the load time
CREATE VIEW pg_temp.manifest AS
SELECT regexp_replace(path, '^.*/111122223333_CloudTrail_us-east-1_', '') AS file,
       records, events, first_event, last_event, status, error
FROM trail.synced_file WHERE store = 'st.events'::regclass ORDER BY delivered_at, path;
-- rows per partition
CREATE VIEW pg_temp.parts AS
SELECT c.relname AS partition, (SELECT count(*) FROM st.events e WHERE e.tableoid = c.oid) AS events
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'st.events'::regclass ORDER BY 1;

-- a subset of columns; it must keep event_time and source_file
SELECT trail.create_store('st.slim', ARRAY['event_time', 'event_name', 'user_arn', 'source_file']);
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'st.slim'::regclass AND attnum > 0 ORDER BY attnum;
SELECT pg_temp.try($$SELECT trail.create_store('st.bad', ARRAY['event_time', 'event_nme', 'source_file'])$$);
SELECT pg_temp.try($$SELECT trail.create_store('st.bad', ARRAY['event_time', 'event_name'])$$);
SELECT pg_temp.try($$SELECT trail.create_store('st.events')$$);
SELECT pg_temp.try($$SELECT trail.create_store('a.b.c')$$);

-- the first sync loads what is there
SELECT pg_temp.log('20250304T0915', 'a1', pg_temp.ev('2025-03-04T09:08:00Z', 1), pg_temp.ev('2025-03-04T09:09:00Z', 2, 'RunInstances', false));
SELECT pg_temp.log('20250304T0920', 'a2', pg_temp.ev('2025-03-04T09:14:00Z', 3));
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT * FROM pg_temp.manifest;
SELECT * FROM pg_temp.parts;
SELECT event_time, event_name, read_only, event_id, source_file, record_index FROM st.events ORDER BY event_time;

-- nothing new: nothing loaded twice (nor a download in progress, which
-- does not end in .json.gz)
SELECT pg_temp.sh('echo partial > store_tree/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/04/111122223333_CloudTrail_us-east-1_20250304T0930Z_x.json.gz.5a9bC3e1');
SET client_min_messages = notice;
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SET client_min_messages = warning;
SELECT count(*) FROM st.events;

-- a new file: only it is read
SELECT pg_temp.log('20250304T0925', 'a3', pg_temp.ev('2025-03-04T09:21:00Z', 4));
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT * FROM pg_temp.manifest;

-- a file that changed size since it was loaded is reported, not reloaded
SELECT pg_temp.log('20250304T0915', 'a1', pg_temp.ev('2025-03-04T09:08:00Z', 1), pg_temp.ev('2025-03-04T09:09:00Z', 2, 'RunInstances', false), pg_temp.ev('2025-03-04T09:10:00Z', 5));
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT count(*) FROM st.events;
-- reload_changed => true deletes its rows and loads it again
CALL trail.sync('st.events', 'store_tree/AWSLogs', reload_changed => true);
SELECT * FROM pg_temp.manifest;
SELECT event_id, count(*) FROM st.events GROUP BY 1 ORDER BY 1;

-- Duplicates: CloudTrail may deliver an event twice.  The store keeps one
-- row per (event_id, event_time), from the first file that delivered it;
-- records - events in the manifest counts the repeats.  A repeat inside
-- one batch (here: in the same file) is dropped the same way.
SELECT pg_temp.log('20250304T0930', 'dup', pg_temp.ev('2025-03-04T09:14:00Z', 3), pg_temp.ev('2025-03-04T09:26:00Z', 6), pg_temp.ev('2025-03-04T09:26:00Z', 6));
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT * FROM pg_temp.manifest WHERE file LIKE '%dup%';
SELECT event_id, source_file ~ 'a2' AS from_first_file, count(*) OVER (PARTITION BY event_id) AS copies
FROM st.events WHERE event_id IN ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000006') ORDER BY 1;

-- a daily report as a materialized view over the store
CREATE MATERIALIZED VIEW st.daily AS
SELECT date_trunc('day', event_time) AS day, event_name, count(*) AS events
FROM st.events GROUP BY 1, 2;

-- Late files: delivered days after their events; the rows land in their
-- days' partitions, which are created as needed (no DEFAULT partition).
SELECT pg_temp.log('20250308T1200', 'late', pg_temp.ev('2025-03-04T23:59:59Z', 7, 'StopInstances', false), pg_temp.ev('2025-03-06T10:00:00Z', 8), pg_temp.ev('2025-03-08T11:55:00Z', 9));
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT * FROM pg_temp.parts;
SELECT * FROM pg_temp.manifest WHERE file LIKE '%late%';
REFRESH MATERIALIZED VIEW st.daily;
SELECT * FROM st.daily ORDER BY 1, 2;

-- Bad input.  on_error 'stop' (the default): the batch is not loaded (the
-- error's CONTEXT names the file and the record; not shown here, as the
-- PL/pgSQL lines of trail.sync's steps follow it).
\set SHOW_CONTEXT never
SELECT pg_temp.log('20250309T0100', 'bad',
    pg_temp.ev('2025-03-09T00:55:00Z', 10),
    replace(pg_temp.ev('2025-03-09T00:56:00Z', 11), '"eventName":"DescribeInstances"', '"eventName":17'));
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT count(*) FROM st.events;
SELECT count(*) FROM pg_temp.manifest;
-- a record without eventTime has no partition: it is refused before loading
SELECT pg_temp.sh('mv store_tree/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/09/111122223333_CloudTrail_us-east-1_20250309T0100Z_bad.json.gz store_tree/bad.json.gz');
SELECT pg_temp.log('20250309T0105', 'notime', pg_temp.ev('2025-03-09T01:00:00Z', 12),
    '{"eventVersion":"1.09","eventName":"NoTime","eventID":"00000000-0000-4000-8000-000000000013"}');
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT pg_temp.sh('mv store_tree/bad.json.gz store_tree/AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/09/111122223333_CloudTrail_us-east-1_20250309T0100Z_bad.json.gz');
SELECT count(*) FROM pg_temp.manifest;
\set SHOW_CONTEXT errors
-- on_error 'skip': what can be read is loaded, and the file is recorded as
-- skipped, with the first problem
CALL trail.sync('st.events', 'store_tree/AWSLogs', on_error => 'skip');
SELECT * FROM pg_temp.manifest WHERE status = 'skipped';
SELECT event_id FROM st.events WHERE event_time >= '2025-03-09' ORDER BY 1;
-- skipped files are left alone by later syncs, and retried on request
-- (here after the files were fixed)
SELECT pg_temp.log('20250309T0100', 'bad', pg_temp.ev('2025-03-09T00:55:00Z', 10), pg_temp.ev('2025-03-09T00:56:00Z', 11));
CALL trail.sync('st.events', 'store_tree/AWSLogs', on_error => 'skip');
SELECT count(*) FROM pg_temp.manifest WHERE status = 'skipped';
CALL trail.sync('st.events', 'store_tree/AWSLogs', retry_skipped => true, on_error => 'skip');
SELECT file, records, events, status FROM pg_temp.manifest WHERE file ~ 'bad|notime';
SELECT event_id FROM st.events WHERE event_time >= '2025-03-09' ORDER BY 1;

-- batches: every batch commits with its manifest rows
SELECT pg_temp.log('20250310T0005', 'b1', pg_temp.ev('2025-03-10T00:01:00Z', 20));
SELECT pg_temp.log('20250310T0010', 'b2', pg_temp.ev('2025-03-10T00:06:00Z', 21));
SELECT pg_temp.log('20250310T0015', 'b3', pg_temp.ev('2025-03-10T00:11:00Z', 22));
CALL trail.sync('st.events', 'store_tree/AWSLogs', batch_size => 2);
SELECT count(*) AS files, sum(events) AS events, count(DISTINCT xmin::text) AS transactions
FROM trail.synced_file WHERE path ~ '20250310';

-- the standard views work on a store
SELECT * FROM trail.create_views('st.events');
SELECT event_name, count(*) FROM st.write_events GROUP BY 1 ORDER BY 1;

-- a store of a few columns syncs the same way
CALL trail.sync('st.slim', 'store_tree/AWSLogs', on_error => 'skip');
SELECT count(*), count(DISTINCT source_file) FROM st.slim;

-- Retention: drop the days before 2025-03-06 and the manifest rows of the
-- files delivered before then; the next sync loads none of them again
-- (nor the late file's events from before that date).
SELECT * FROM trail.drop_partitions('st.events', '2025-03-06');
SELECT * FROM pg_temp.parts;
SELECT store, horizon FROM trail.store ORDER BY 1;
SELECT file FROM pg_temp.manifest;
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT * FROM pg_temp.parts;
SELECT * FROM trail.drop_partitions('st.events', '2025-03-01');

-- wrong calls
\set SHOW_CONTEXT never
CALL trail.sync('st.daily', 'store_tree/AWSLogs');
CALL trail.sync('st.events', 'store_tree/AWSLogs', on_error => 'ignore');
CALL trail.sync('st.events', 'store_tree/AWSLogs', batch_size => 0);
CALL trail.sync('st.events', NULL);
SELECT pg_temp.try($$SELECT trail.drop_partitions('st.daily', '2025-03-01')$$);
-- a sync commits as it goes: not inside a transaction block
BEGIN;
CALL trail.sync('st.events', 'store_tree/AWSLogs');
ROLLBACK;

-- not for PUBLIC: syncing reads server files
CREATE ROLE regress_store_nobody;
GRANT USAGE ON SCHEMA st TO regress_store_nobody;
SET ROLE regress_store_nobody;
CALL trail.sync('st.events', 'store_tree/AWSLogs');
SELECT pg_temp.try($$SELECT trail.create_store('public.mine')$$);
RESET ROLE;
REVOKE USAGE ON SCHEMA st FROM regress_store_nobody;
DROP ROLE regress_store_nobody;
\set SHOW_CONTEXT errors

DROP SCHEMA st CASCADE;
SELECT store FROM trail.store;
SELECT pg_temp.sh('rm -rf store_tree');
