/* trail--1.0--1.1.sql: from 1.0 to 1.1 (CREATE EXTENSION trail runs
 * trail--1.0.sql and then this file, so a new database and an updated one
 * hold the same objects) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION trail UPDATE TO '1.1'" to load this file. \quit

-- The store: trail.create_store, trail.sync
--
-- A store is a table of trail.event columns, range-partitioned by day on
-- event_time, kept up to date from a tree of log files by trail.sync.  The
-- manifest (trail.synced_file) records every file loaded into a store, in
-- the same transaction as the file's rows: that is what makes a sync
-- exactly-once across crashes and restarts.  Both tables are extension
-- configuration tables, so pg_dump keeps their rows.

CREATE TABLE @extschema@.store (
    store regclass PRIMARY KEY,
    horizon timestamptz,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.store IS
'The stores made by trail.create_store; horizon: events before it were dropped by trail.drop_partitions and are not loaded again';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.store', '');
REVOKE ALL ON TABLE @extschema@.store FROM PUBLIC;

CREATE TABLE @extschema@.synced_file (
    store regclass NOT NULL REFERENCES @extschema@.store ON DELETE CASCADE,
    path text NOT NULL,
    size_bytes bigint NOT NULL,
    delivered_at timestamptz,
    records bigint NOT NULL,
    events bigint NOT NULL,
    first_event timestamptz,
    last_event timestamptz,
    status text NOT NULL CHECK (status IN ('loaded', 'skipped')),
    error text,
    loaded_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (store, path),
    CHECK ((status = 'skipped') = (error IS NOT NULL))
);
COMMENT ON TABLE @extschema@.synced_file IS
'The manifest: every file trail.sync loaded into a store, written in the same transaction as its rows';
COMMENT ON COLUMN @extschema@.synced_file.records IS
'records the reader returned from the file';
COMMENT ON COLUMN @extschema@.synced_file.events IS
'rows stored; records - events are events already in the store (duplicates) or older than the store''s horizon';
COMMENT ON COLUMN @extschema@.synced_file.status IS
'loaded, or skipped: with on_error ''skip'' the reader skipped bad records or an unreadable rest of the file (error says the first problem); retried by trail.sync(..., retry_skipped => true)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.synced_file', '');
REVOKE ALL ON TABLE @extschema@.synced_file FROM PUBLIC;

-- What trail.sync hands from one step of a batch to the next (internal).
CREATE TYPE @extschema@.sync_batch AS (
    path text[],
    size_bytes bigint[],
    delivered_at timestamptz[],
    records bigint[],
    first_event timestamptz[],
    last_event timestamptz[],
    null_record integer[],
    days date[],
    new_partitions integer
);
COMMENT ON TYPE @extschema@.sync_batch IS
'Files of one batch of trail.sync and what its first pass found in them (internal)';

-- the store's columns that are columns of trail.event, in the table's order
CREATE FUNCTION @extschema@.store_columns(store regclass)
RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_agg(a.attname::text ORDER BY a.attnum)
    FROM pg_attribute a
    WHERE a.attrelid = store AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname IN (SELECT e.attname FROM pg_attribute e
                        WHERE e.attrelid = '@extschema@.event'::regclass
                          AND e.attnum > 0 AND NOT e.attisdropped)
$$;
COMMENT ON FUNCTION @extschema@.store_columns(regclass) IS
'The columns of a store that trail.sync fills: those named as columns of trail.event (internal)';

CREATE FUNCTION @extschema@.create_store(name text, columns text[] DEFAULT NULL)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[] := parse_ident(name);
    nsp text;
    rel text;
    bad text;
    defs text;
    result regclass;
BEGIN
    IF cardinality(parts) = 1 THEN
        nsp := current_schema();
        rel := parts[1];
        IF nsp IS NULL THEN
            RAISE EXCEPTION 'no schema has been selected to create the store "%" in', name
                USING ERRCODE = 'invalid_schema_name',
                      HINT = 'Qualify the name with a schema.';
        END IF;
    ELSIF cardinality(parts) = 2 THEN
        nsp := parts[1];
        rel := parts[2];
    ELSE
        RAISE EXCEPTION 'improper store name "%"', name
            USING ERRCODE = 'invalid_name',
                  HINT = 'Give a table name, optionally qualified with its schema.';
    END IF;

    SELECT c INTO bad
    FROM unnest(columns) AS c
    WHERE c NOT IN (SELECT attname FROM pg_attribute
                    WHERE attrelid = '@extschema@.event'::regclass
                      AND attnum > 0 AND NOT attisdropped)
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'trail.event has no column "%"', bad
            USING ERRCODE = 'undefined_column';
    END IF;
    IF columns IS NOT NULL AND NOT columns @> ARRAY['event_time', 'source_file'] THEN
        RAISE EXCEPTION 'a store needs the columns event_time and source_file'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The store is partitioned by event_time, and source_file names the file each row came from, for reloads.';
    END IF;

    -- the columns in trail.event's order, with its types
    SELECT string_agg(format('%I %s%s', attname, format_type(atttypid, atttypmod),
                             CASE WHEN attname = 'event_time' THEN ' NOT NULL' ELSE '' END),
                      E',\n    ' ORDER BY attnum)
    INTO defs
    FROM pg_attribute
    WHERE attrelid = '@extschema@.event'::regclass AND attnum > 0 AND NOT attisdropped
      AND (columns IS NULL OR attname = ANY (columns));

    EXECUTE format(E'CREATE TABLE %I.%I (\n    %s\n) PARTITION BY RANGE (event_time)',
                   nsp, rel, defs);
    result := format('%I.%I', nsp, rel)::regclass;
    -- Daily partitions cover a day each, so a BRIN summary costs nearly
    -- nothing to keep and narrows time ranges inside a day; the unique index
    -- is what keeps one row per event (see trail.sync).
    EXECUTE format('CREATE INDEX ON %s USING brin (event_time)', result);
    IF columns IS NULL OR 'event_id' = ANY (columns) THEN
        EXECUTE format('CREATE UNIQUE INDEX ON %s (event_id, event_time)', result);
    END IF;
    EXECUTE format('COMMENT ON TABLE %s IS %L', result,
                   'CloudTrail events kept by trail.sync (a trail store), partitioned by day of event_time (UTC)');
    INSERT INTO @extschema@.store (store) VALUES (result);
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.create_store(text, text[]) IS
'Create a store: a table of trail.event columns (all, or those named), partitioned by day of event_time, for trail.sync to fill';

-- The lock that lets one trail.sync at a time work on a store: a session
-- advisory lock (its first key is "trls" in ASCII, the second the store's
-- OID), since a sync commits as it goes and must keep it across commits.
CREATE FUNCTION @extschema@.sync_unlock(store regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- session locks stack: let go of every level this session holds
    WHILE EXISTS (SELECT FROM pg_locks l
                  WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()
                    AND l.classid = 1953655923 AND l.objid = store::oid AND l.objsubid = 2)
    LOOP
        PERFORM pg_advisory_unlock(1953655923, store::oid::bigint::bit(32)::integer);
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_unlock(regclass) IS
'Release the lock trail.sync holds on a store (internal)';

-- Check the arguments, take the store's lock, and list the files to load.
CREATE FUNCTION @extschema@.sync_begin(store regclass, location text,
                                       batch_size integer, on_error text,
                                       reload_changed boolean, retry_skipped boolean,
                                       wait boolean)
RETURNS @extschema@.sync_batch
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k2 integer := store::oid::bigint::bit(32)::integer;
    holder integer;
    horizon_ timestamptz;
    work @extschema@.sync_batch;
    n_changed bigint;
    changed_list text;
BEGIN
    IF store IS NULL OR location IS NULL THEN
        RAISE EXCEPTION 'the store and the location of trail.sync must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF on_error IS NULL OR on_error NOT IN ('stop', 'skip') THEN
        RAISE EXCEPTION 'invalid on_error value "%"', on_error
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid values are "stop" and "skip".';
    END IF;
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.horizon INTO horizon_ FROM @extschema@.store s WHERE s.store = sync_begin.store;
    IF NOT FOUND THEN
        RAISE EXCEPTION '"%" is not a trail store', store
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Create one with trail.create_store.';
    END IF;

    IF wait THEN
        PERFORM pg_advisory_lock(1953655923, k2);
    ELSIF NOT pg_try_advisory_lock(1953655923, k2) THEN
        SELECT l.pid INTO holder FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.classid = 1953655923
          AND l.objid = store::oid AND l.objsubid = 2 AND l.granted
        LIMIT 1;
        RAISE EXCEPTION 'trail.sync is already running on "%"', store
            USING ERRCODE = 'lock_not_available',
                  DETAIL = format('Process %s is syncing this store.', coalesce(holder::text, 'unknown')),
                  HINT = 'Let it finish; CALL trail.sync(..., wait => true) waits for it instead.';
    END IF;

    BEGIN
        -- Only new files and those whose manifest row differs go further:
        -- with nothing new, this is the walk and one hash join.
        WITH f AS (
            SELECT f.path, f.size_bytes, f.delivered_at, m.size_bytes AS old_size,
                   m.path IS NULL
                   OR (retry_skipped AND m.status = 'skipped')
                   OR (reload_changed AND m.size_bytes <> f.size_bytes) AS todo
            FROM @extschema@.files(location) f
            LEFT JOIN @extschema@.synced_file m
                   ON m.store = sync_begin.store AND m.path = f.path
            -- the log files of the CloudTrail layout: the reader refuses a
            -- file named on its own that holds no events, and a download in
            -- progress has another name (aws s3 sync: "<name>.json.gz.<random>")
            WHERE f.kind IN ('CloudTrail', 'CloudTrail-Insight', 'CloudTrail-NetworkActivity')
              AND f.path LIKE '%.json.gz'
              -- files delivered before the horizon hold only dropped events
              AND (horizon_ IS NULL OR f.delivered_at >= horizon_)
              AND (m.path IS NULL OR m.size_bytes <> f.size_bytes
                   OR (retry_skipped AND m.status = 'skipped'))
        )
        SELECT array_agg(path ORDER BY delivered_at, path) FILTER (WHERE todo),
               array_agg(size_bytes ORDER BY delivered_at, path) FILTER (WHERE todo),
               array_agg(delivered_at ORDER BY delivered_at, path) FILTER (WHERE todo),
               count(*) FILTER (WHERE NOT todo),
               (SELECT string_agg(format('"%s" (%s bytes, %s when loaded)', c.path, c.size_bytes, c.old_size),
                                  ', ')
                FROM (SELECT * FROM f WHERE NOT todo ORDER BY path LIMIT 5) c)
        INTO work.path, work.size_bytes, work.delivered_at, n_changed, changed_list
        FROM f;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.sync_unlock(store);
        RAISE;
    END;

    IF n_changed > 0 THEN
        RAISE WARNING '% already loaded into "%" changed size since: not reloaded',
            CASE WHEN n_changed = 1 THEN '1 file' ELSE n_changed || ' files' END, store
            USING DETAIL = 'CloudTrail never rewrites a log file. Changed: ' || changed_list
                           || CASE WHEN n_changed > 5 THEN format(' and %s more.', n_changed - 5) ELSE '.' END,
                  HINT = 'CALL trail.sync(..., reload_changed => true) deletes their rows and loads them again.';
    END IF;
    RETURN work;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_begin(regclass, text, integer, text, boolean, boolean, boolean) IS
'First step of trail.sync: check the arguments, lock the store, list the files to load (internal)';

-- First pass over a batch: what each file holds (records, time range), and
-- the daily partitions its events need, created here so that they are
-- committed before the load (creating a partition locks the whole store).
-- Building event_time alone costs little beside inflating the files.
CREATE FUNCTION @extschema@.sync_prepare(store regclass, batch @extschema@.sync_batch,
                                         on_error text)
RETURNS @extschema@.sync_batch
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day date;
    nsp name;
    rel name;
    part text;
    scan text := $q$
        WITH s AS (
            SELECT f.ord, count(r.record_index) AS records,
                   min(r.event_time) AS first_event, max(r.event_time) AS last_event,
                   min(r.record_index) FILTER (WHERE r.event_time IS NULL) AS null_record,
                   array_agg(DISTINCT (r.event_time AT TIME ZONE 'UTC')::date)
                       FILTER (WHERE r.event_time IS NOT NULL) AS days
            FROM unnest($1::text[]) WITH ORDINALITY AS f(path, ord)
            LEFT JOIN LATERAL @extschema@.read(f.path, false, $2) AS r ON true
            GROUP BY f.ord)
        SELECT array_agg(records ORDER BY ord), array_agg(first_event ORDER BY ord),
               array_agg(last_event ORDER BY ord), array_agg(null_record ORDER BY ord),
               (SELECT array_agg(DISTINCT d ORDER BY d) FROM s, unnest(s.days) AS d)
        FROM s$q$;
    level text;
BEGIN
    IF on_error = 'stop' THEN
        EXECUTE scan INTO batch.records, batch.first_event, batch.last_event, batch.null_record, batch.days
            USING batch.path, 'stop';
    ELSE
        BEGIN
            EXECUTE scan INTO batch.records, batch.first_event, batch.last_event, batch.null_record, batch.days
                USING batch.path, 'stop';
        EXCEPTION WHEN data_exception OR data_corrupted OR undefined_file OR io_error
                       OR program_limit_exceeded THEN
            -- The load reports what it skips, file by file; the same
            -- warnings from this pass would only repeat them.
            level := current_setting('client_min_messages');
            PERFORM set_config('client_min_messages', 'error', true);
            EXECUTE scan INTO batch.records, batch.first_event, batch.last_event, batch.null_record, batch.days
                USING batch.path, 'skip';
            PERFORM set_config('client_min_messages', level, true);
        END;
    END IF;

    IF on_error = 'stop' THEN
        FOR i IN 1 .. cardinality(batch.path) LOOP
            IF batch.null_record[i] IS NOT NULL THEN
                RAISE EXCEPTION 'CloudTrail file "%", record %, has no eventTime', batch.path[i], batch.null_record[i]
                    USING ERRCODE = 'null_value_not_allowed',
                          DETAIL = 'A store is partitioned by event_time.',
                          HINT = 'With on_error => ''skip'', trail.sync loads the rest of the file and records it as skipped.';
            END IF;
        END LOOP;
    END IF;

    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = store;
    batch.new_partitions := 0;
    FOREACH day IN ARRAY coalesce(batch.days, '{}') LOOP
        part := left(rel, 54) || '_' || to_char(day, 'YYYYMMDD');
        CONTINUE WHEN EXISTS (SELECT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                              WHERE i.inhparent = store AND c.relname = part);
        -- Rows stay whole up to 8 kB: an event is ~3 kB with raw, and
        -- compressing and moving out of line its json values (the default
        -- above 2 kB) made loading 3-4 times slower for no saving in size.
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L) WITH (toast_tuple_target = 8160)',
                       nsp, part, store,
                       (day::timestamp AT TIME ZONE 'UTC'),
                       ((day + 1)::timestamp AT TIME ZONE 'UTC'));
        batch.new_partitions := batch.new_partitions + 1;
    END LOOP;
    RETURN batch;
EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM @extschema@.sync_unlock(store);
    RAISE;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_prepare(regclass, @extschema@.sync_batch, text) IS
'Step of trail.sync: count the records of a batch of files, find their days, create the partitions they need (internal)';

-- Load a batch: its rows and its manifest rows in one statement, so they
-- commit together.  Returns the rows stored and the files skipped.
CREATE FUNCTION @extschema@.sync_load(store regclass, batch @extschema@.sync_batch,
                                      on_error text, OUT events bigint, OUT skipped integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cols text := (SELECT string_agg(format('%I', c), ', ')
                  FROM unnest(@extschema@.store_columns(store)) AS c);
    horizon_ timestamptz := (SELECT s.horizon FROM @extschema@.store s WHERE s.store = sync_load.store);
    load text;
    lo timestamptz;
    hi timestamptz;
    ok boolean[];
    err text;
    ctx text;
BEGIN
    -- Files already in the manifest are reloads: their old rows go first.
    SELECT min(m.first_event), max(m.last_event) INTO lo, hi
    FROM @extschema@.synced_file m WHERE m.store = sync_load.store AND m.path = ANY (batch.path);
    IF lo IS NOT NULL THEN
        EXECUTE format('DELETE FROM %s WHERE source_file = ANY ($1) AND event_time BETWEEN $2 AND $3', store)
            USING batch.path, lo, hi;
    END IF;
    DELETE FROM @extschema@.synced_file m WHERE m.store = sync_load.store AND m.path = ANY (batch.path);

    -- $1 paths, $2 on_error, $3 horizon; then the manifest's columns.
    -- One event is stored once: a repeated (event_id, event_time) is not
    -- inserted again (ON CONFLICT DO NOTHING on the store's unique index).
    load := format($q$
        WITH ins AS (
            INSERT INTO %1$s (%2$s)
            SELECT %3$s
            FROM unnest($1::text[]) AS f(path),
                 LATERAL @extschema@.read(f.path, false, $2) AS r
            WHERE r.event_time IS NOT NULL AND ($3::timestamptz IS NULL OR r.event_time >= $3)
            ON CONFLICT DO NOTHING
            RETURNING source_file
        ), n AS (
            SELECT source_file, count(*) AS events FROM ins GROUP BY 1
        )
        INSERT INTO @extschema@.synced_file
            (store, path, size_bytes, delivered_at, records, events, first_event, last_event, status, error)
        SELECT $4, b.path, b.size_bytes, b.delivered_at, b.records, coalesce(n.events, 0),
               b.first_event, b.last_event, CASE WHEN $10 IS NULL THEN 'loaded' ELSE 'skipped' END, $10
        FROM unnest($1::text[], $5::bigint[], $6::timestamptz[], $7::bigint[],
                    $8::timestamptz[], $9::timestamptz[])
             AS b(path, size_bytes, delivered_at, records, first_event, last_event)
        LEFT JOIN n ON n.source_file = b.path$q$,
        store, cols, (SELECT string_agg('r.' || format('%I', c), ', ')
                      FROM unnest(@extschema@.store_columns(store)) AS c));

    skipped := 0;
    IF on_error = 'stop' THEN
        EXECUTE load USING batch.path, 'stop', horizon_, store, batch.size_bytes, batch.delivered_at,
                           batch.records, batch.first_event, batch.last_event, NULL::text;
    ELSE
        -- The whole batch as one statement; when a file in it is bad, file
        -- by file, so that only the bad files are recorded as skipped.
        BEGIN
            IF EXISTS (SELECT FROM unnest(batch.null_record) AS x WHERE x IS NOT NULL) THEN
                RAISE EXCEPTION 'record without eventTime' USING ERRCODE = 'null_value_not_allowed';
            END IF;
            EXECUTE load USING batch.path, 'stop', horizon_, store, batch.size_bytes, batch.delivered_at,
                               batch.records, batch.first_event, batch.last_event, NULL::text;
        EXCEPTION WHEN data_exception OR data_corrupted OR undefined_file OR io_error
                       OR program_limit_exceeded THEN
            FOR i IN 1 .. cardinality(batch.path) LOOP
                err := NULL;
                BEGIN
                    IF batch.null_record[i] IS NOT NULL THEN
                        RAISE EXCEPTION 'record % has no eventTime', batch.null_record[i]
                            USING ERRCODE = 'null_value_not_allowed';
                    END IF;
                    EXECUTE load USING ARRAY[batch.path[i]], 'stop', horizon_, store,
                                       ARRAY[batch.size_bytes[i]], ARRAY[batch.delivered_at[i]],
                                       ARRAY[batch.records[i]], ARRAY[batch.first_event[i]],
                                       ARRAY[batch.last_event[i]], NULL::text;
                EXCEPTION WHEN data_exception OR data_corrupted OR undefined_file OR io_error
                               OR program_limit_exceeded THEN
                    GET STACKED DIAGNOSTICS err = MESSAGE_TEXT, ctx = PG_EXCEPTION_CONTEXT;
                    -- the reader's context line names the file and the record
                    ctx := split_part(ctx, E'\n', 1);
                    IF ctx LIKE 'CloudTrail file %' THEN
                        err := err || ' (' || ctx || ')';
                    END IF;
                END;
                IF err IS NOT NULL THEN
                    -- what the reader can read of it, recorded as skipped
                    BEGIN
                        EXECUTE load USING ARRAY[batch.path[i]], 'skip', horizon_, store,
                                           ARRAY[batch.size_bytes[i]], ARRAY[batch.delivered_at[i]],
                                           ARRAY[batch.records[i]], ARRAY[batch.first_event[i]],
                                           ARRAY[batch.last_event[i]], err;
                    EXCEPTION WHEN data_exception OR data_corrupted OR undefined_file OR io_error
                                   OR program_limit_exceeded THEN
                        INSERT INTO @extschema@.synced_file
                            (store, path, size_bytes, delivered_at, records, events, status, error)
                        VALUES (store, batch.path[i], batch.size_bytes[i], batch.delivered_at[i],
                                coalesce(batch.records[i], 0), 0, 'skipped', err);
                    END;
                    skipped := skipped + 1;
                END IF;
            END LOOP;
        END;
    END IF;
    SELECT coalesce(sum(m.events), 0) INTO events
    FROM @extschema@.synced_file m WHERE m.store = sync_load.store AND m.path = ANY (batch.path);
EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM @extschema@.sync_unlock(store);
    RAISE;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_load(regclass, @extschema@.sync_batch, text) IS
'Step of trail.sync: insert the events of a batch of files and their manifest rows, in one transaction (internal)';

CREATE PROCEDURE @extschema@.sync(store regclass, location text,
                                  batch_size integer DEFAULT 1000,
                                  on_error text DEFAULT 'stop',
                                  reload_changed boolean DEFAULT false,
                                  retry_skipped boolean DEFAULT false,
                                  wait boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    work @extschema@.sync_batch;
    batch @extschema@.sync_batch;
    res record;
    n integer;
    nbatches integer;
    b integer := 0;
    i integer := 1;
    j integer;
    t0 timestamptz := clock_timestamp();
    tb timestamptz;
    events bigint := 0;
    skipped integer := 0;
BEGIN
    -- Fails at once, before the lock is taken, when called inside a
    -- transaction block: a sync commits after every batch.
    COMMIT;
    work := @extschema@.sync_begin(store, location, batch_size, on_error,
                                   reload_changed, retry_skipped, wait);
    n := coalesce(cardinality(work.path), 0);
    IF n = 0 THEN
        PERFORM @extschema@.sync_unlock(store);
        RAISE NOTICE 'trail.sync: nothing new for "%" under %', store, location;
        RETURN;
    END IF;
    nbatches := (n + batch_size - 1) / batch_size;

    WHILE i <= n LOOP
        b := b + 1;
        j := least(i + batch_size - 1, n);
        tb := clock_timestamp();
        batch := ROW(work.path[i:j], work.size_bytes[i:j], work.delivered_at[i:j],
                     NULL, NULL, NULL, NULL, NULL, 0)::@extschema@.sync_batch;
        batch := @extschema@.sync_prepare(store, batch, on_error);
        IF batch.new_partitions > 0 THEN
            COMMIT;
        END IF;
        res := @extschema@.sync_load(store, batch, on_error);
        COMMIT;
        events := events + res.events;
        skipped := skipped + res.skipped;
        IF nbatches > 1 THEN
            RAISE NOTICE 'trail.sync: batch % of %: % files, % events in % s',
                b, nbatches, j - i + 1, res.events,
                round(extract(epoch FROM clock_timestamp() - tb)::numeric, 1);
        END IF;
        i := j + 1;
    END LOOP;

    PERFORM @extschema@.sync_unlock(store);
    RAISE NOTICE 'trail.sync: loaded % files (% events, % skipped) into "%" in % s',
        n, events, skipped, store,
        round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1);
END
$$;
COMMENT ON PROCEDURE @extschema@.sync(regclass, text, integer, text, boolean, boolean, boolean) IS
'Load into a store the files under a location that its manifest does not hold, committing after every batch of files';

CREATE FUNCTION @extschema@.drop_partitions(store regclass, older_than date)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    horizon_ timestamptz := older_than::timestamp AT TIME ZONE 'UTC';
    p record;
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.store s WHERE s.store = drop_partitions.store) THEN
        RAISE EXCEPTION '"%" is not a trail store', store
            USING ERRCODE = 'wrong_object_type';
    END IF;
    IF NOT pg_try_advisory_xact_lock(1953655923, store::oid::bigint::bit(32)::integer) THEN
        RAISE EXCEPTION 'trail.sync is running on "%"', store
            USING ERRCODE = 'lock_not_available',
                  HINT = 'Drop partitions when it has finished.';
    END IF;

    FOR p IN
        SELECT c.oid::regclass AS part, c.oid::regclass::text AS name
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = store
          AND (substring(pg_get_expr(c.relpartbound, c.oid) FROM $r$ TO \('([^']+)'\)$r$))::timestamptz
              <= horizon_
        ORDER BY 1
    LOOP
        EXECUTE format('DROP TABLE %s', p.part);
        RETURN NEXT p.name;
    END LOOP;

    UPDATE @extschema@.store s SET horizon = greatest(s.horizon, horizon_)
    WHERE s.store = drop_partitions.store;
    -- a file delivered before the horizon held only events before it; later
    -- files stay in the manifest, or the next sync would load them again
    DELETE FROM @extschema@.synced_file m
    WHERE m.store = drop_partitions.store AND m.delivered_at < horizon_;
END
$$;
COMMENT ON FUNCTION @extschema@.drop_partitions(regclass, date) IS
'Retention: drop the partitions of a store that hold only events before a date (UTC), and the manifest rows of the files delivered before it; trail.sync then loads no event before that date';

-- A store that is dropped (DROP TABLE, DROP SCHEMA ... CASCADE) leaves the
-- registry with its manifest.  SECURITY DEFINER because whoever drops a
-- store may not write trail.store; it deletes only rows of relations that
-- this very command dropped.
CREATE FUNCTION @extschema@.store_dropped()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM @extschema@.store s
    WHERE s.store::oid IN (SELECT d.objid FROM pg_event_trigger_dropped_objects() d
                           WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0);
END
$$;
COMMENT ON FUNCTION @extschema@.store_dropped() IS
'Event trigger: forget the stores that a DROP removes, with their manifest (internal)';
REVOKE ALL ON FUNCTION @extschema@.store_dropped() FROM PUBLIC;
CREATE EVENT TRIGGER trail_store_dropped ON sql_drop
    EXECUTE FUNCTION @extschema@.store_dropped();
COMMENT ON EVENT TRIGGER trail_store_dropped IS
'Forget the trail stores that a DROP removes, with their manifest';

-- Syncing reads server files: the procedure and its steps are for roles
-- granted them (trail.read and trail.files check the file privilege too).
REVOKE ALL ON FUNCTION @extschema@.create_store(text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.store_columns(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sync_unlock(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sync_begin(regclass, text, integer, text, boolean, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sync_prepare(regclass, @extschema@.sync_batch, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sync_load(regclass, @extschema@.sync_batch, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.sync(regclass, text, integer, text, boolean, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.drop_partitions(regclass, date) FROM PUBLIC;
