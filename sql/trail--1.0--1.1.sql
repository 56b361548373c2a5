/* trail--1.0--1.1.sql: from 1.0 to 1.1 (CREATE EXTENSION trail runs
 * trail--1.0.sql and then this file, so a new database and an updated one
 * hold the same objects) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION trail UPDATE TO '1.1'" to load this file. \quit

-- Sharding over postgres_fdw
--
-- A coordinator's table of events, partitioned by LIST
-- (recipient_account_id), whose partitions are postgres_fdw foreign tables:
-- one per node, each over the node's own table of events (a trail_fdw
-- foreign table, or any table or view with the columns of trail.event).
-- These functions only write DDL.  postgres_fdw is looked up when they
-- run, so CREATE EXTENSION trail does not need it.

-- The foreign partitions of a sharded table, their servers and accounts.
CREATE FUNCTION @extschema@.shards(events regclass,
                                   OUT partition regclass,
                                   OUT server name,
                                   OUT accounts text[],
                                   OUT remote_table text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass, s.srvname,
           -- FOR VALUES IN ('1111', '2222'): NULL for the DEFAULT partition
           CASE WHEN pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT' THEN
               ARRAY(SELECT replace(m[1], '''''', '''')
                     FROM regexp_matches(pg_get_expr(c.relpartbound, c.oid),
                                         $r$'((?:[^']|'')*)'|NULL$r$, 'g') m)
           END,
           format('%I.%I',
                  coalesce((SELECT substr(o, 13) FROM unnest(ft.ftoptions) o
                            WHERE o LIKE 'schema\_name=%'), n.nspname),
                  coalesce((SELECT substr(o, 12) FROM unnest(ft.ftoptions) o
                            WHERE o LIKE 'table\_name=%'), c.relname))
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
    JOIN pg_foreign_server s ON s.oid = ft.ftserver
    WHERE i.inhparent = events
    ORDER BY s.srvname
$$;
COMMENT ON FUNCTION @extschema@.shards(regclass) IS
'The foreign partitions of a sharded table of events: server, accounts (NULL for the DEFAULT partition) and the table on the node';

-- One node more: a foreign partition of a table made by
-- trail.create_sharded_table, for a postgres_fdw server.
CREATE FUNCTION @extschema@.add_shard(events regclass,
                                      server name,
                                      accounts text[],
                                      remote_table text DEFAULT NULL,
                                      fetch_size integer DEFAULT 10000)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp name;
    rel name;
    remote text[];
    part text;
    bound text;
    wrapper name;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = events;

    -- partitioned by LIST on recipient_account_id alone
    IF NOT EXISTS (SELECT FROM pg_partitioned_table p
                   JOIN pg_attribute a ON a.attrelid = p.partrelid
                                      AND a.attnum = p.partattrs[0]
                   WHERE p.partrelid = events AND p.partstrat = 'l'
                     AND p.partnatts = 1
                     AND a.attname = 'recipient_account_id') THEN
        RAISE EXCEPTION '"%" is not a sharded table of events', events
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Create it with trail.create_sharded_table, which partitions it by LIST (recipient_account_id).';
    END IF;

    SELECT w.fdwname INTO wrapper
    FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
    WHERE s.srvname = server;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'server "%" does not exist', server
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create a postgres_fdw server for the node first: CREATE SERVER name FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host ..., dbname ...), and a user mapping for it.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_foreign_server s
                   JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
                   JOIN pg_proc h ON h.oid = w.fdwhandler
                   WHERE s.srvname = server
                     AND h.proname = 'postgres_fdw_handler') THEN
        RAISE EXCEPTION 'server "%" is not a postgres_fdw server', server
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = format('Its foreign data wrapper is "%s".', wrapper),
                  HINT = 'A shard is a node reached through postgres_fdw.';
    END IF;

    -- the table on the node: by default the same name as on the coordinator
    remote := CASE WHEN remote_table IS NULL THEN ARRAY[nsp, rel]
                   ELSE parse_ident(remote_table) END;
    IF cardinality(remote) <> 2 THEN
        RAISE EXCEPTION 'remote table "%" must be schema-qualified', remote_table
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name the table on the node as schema.table, for example audit.events.';
    END IF;

    IF EXISTS (SELECT FROM @extschema@.shards(events) s
               WHERE s.server = add_shard.server
                 AND s.remote_table = format('%I.%I', remote[1], remote[2])) THEN
        RAISE EXCEPTION 'a partition of "%" already reads table %.% on server "%"',
                        events, remote[1], remote[2], server
            USING ERRCODE = 'duplicate_object',
                  DETAIL = 'A partition reads the whole table on its node, so a second one over the same table would return its rows twice.',
                  HINT = 'To change the accounts of a node, drop its partition and add it again with the new list.';
    END IF;

    IF accounts IS NULL THEN
        bound := 'DEFAULT';
    ELSE
        IF cardinality(accounts) = 0 OR array_position(accounts, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'the accounts of server "%" must be a non-empty list of account IDs', server
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass NULL to make the node the DEFAULT partition, which takes the accounts no other node lists.';
        END IF;
        SELECT 'FOR VALUES IN (' || string_agg(quote_literal(a), ', ') || ')'
        INTO bound FROM unnest(accounts) a;
    END IF;

    IF fetch_size IS NULL OR fetch_size < 1 THEN
        RAISE EXCEPTION 'fetch_size must be a positive number of rows'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- postgres_fdw sends quals on trail's types (event_category = 'Data')
    -- only to servers that list the extension
    IF NOT EXISTS (SELECT FROM pg_foreign_server s, unnest(s.srvoptions) o
                   WHERE s.srvname = server AND o LIKE 'extensions=%'
                     AND 'trail' = ANY (SELECT btrim(e)
                                        FROM regexp_split_to_table(substr(o, 12), ',') e)) THEN
        RAISE NOTICE 'server "%" does not list the extension trail in its option "extensions"', server
            USING DETAIL = 'postgres_fdw then checks quals on trail''s types, such as event_category = ''Data'', on the coordinator, on every event the node sends.',
                  HINT = format('Add it: ALTER SERVER %I OPTIONS (ADD extensions %L).', server, 'trail');
    END IF;

    -- <table>_<server>, or <table>_<server>_<schema>_<table> for a second
    -- table of the same node
    part := left(rel || '_' || server, 63);
    IF to_regclass(format('%I.%I', nsp, part)) IS NOT NULL THEN
        part := left(rel || '_' || server || '_' || remote[1] || '_' || remote[2], 63);
    END IF;
    part := format('%I.%I', nsp, part);
    -- async_capable: the nodes of one query scan at once (an Async Append);
    -- fetch_size: the rows of a query that does not aggregate come in large
    -- batches
    EXECUTE format('CREATE FOREIGN TABLE %s PARTITION OF %s %s SERVER %I '
                   'OPTIONS (schema_name %L, table_name %L, async_capable %L, fetch_size %L)',
                   part, events, bound, server, remote[1], remote[2], 'true',
                   fetch_size::text);
    EXECUTE format('COMMENT ON FOREIGN TABLE %s IS %L', part,
                   format('Events of %s on node %s (table %s there)',
                          CASE WHEN accounts IS NULL THEN 'the accounts no other node lists'
                               ELSE 'accounts ' || array_to_string(accounts, ', ') END,
                          server, format('%I.%I', remote[1], remote[2])));
    RETURN part::regclass;
END
$$;
COMMENT ON FUNCTION @extschema@.add_shard(regclass, name, text[], text, integer) IS
'Add a node to a sharded table of events: a postgres_fdw foreign partition for the given accounts (NULL: the DEFAULT partition)';

CREATE FUNCTION @extschema@.create_sharded_table(events text,
                                                 shards jsonb,
                                                 default_shard name DEFAULT NULL,
                                                 remote_table text DEFAULT NULL,
                                                 fetch_size integer DEFAULT 10000)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    qualified text[];
    tab regclass;
    shard record;
    dup text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') THEN
        RAISE EXCEPTION 'extension "postgres_fdw" is not installed'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'A sharded table reaches its nodes through postgres_fdw: CREATE EXTENSION postgres_fdw, then a server and a user mapping for each node.';
    END IF;

    qualified := parse_ident(events);
    IF cardinality(qualified) <> 2 THEN
        RAISE EXCEPTION 'table name "%" must be schema-qualified', events
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF shards IS NULL OR jsonb_typeof(shards) <> 'object' OR shards = '{}' THEN
        RAISE EXCEPTION 'shards must be a JSON object mapping each server to its accounts'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example {"node1": ["111122223333", "444455556666"], "node2": ["777788889999"]}.';
    END IF;
    FOR shard IN SELECT key, value FROM jsonb_each(shards) LOOP
        IF jsonb_typeof(shard.value) <> 'array' OR shard.value = '[]'
           OR EXISTS (SELECT FROM jsonb_array_elements(shard.value) a
                      WHERE jsonb_typeof(a) <> 'string') THEN
            RAISE EXCEPTION 'the accounts of server "%" must be a non-empty JSON array of strings', shard.key
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('It is %s.', shard.value),
                      HINT = 'Write account IDs as strings ("011122223333"), so that leading zeros stay.';
        END IF;
    END LOOP;
    SELECT a INTO dup
    FROM jsonb_each(shards) s, jsonb_array_elements_text(s.value) a
    GROUP BY a HAVING count(*) > 1 ORDER BY a LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'account "%" is given to more than one server', dup
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Each account belongs to one node.';
    END IF;
    IF default_shard IS NOT NULL AND shards ? default_shard THEN
        RAISE EXCEPTION 'server "%" cannot be both the default shard and list accounts', default_shard
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The DEFAULT partition takes every account that no other partition lists.';
    END IF;

    EXECUTE format('CREATE TABLE %I.%I (LIKE @extschema@.event) PARTITION BY LIST (recipient_account_id)',
                   qualified[1], qualified[2]);
    tab := format('%I.%I', qualified[1], qualified[2])::regclass;
    EXECUTE format('COMMENT ON TABLE %s IS %L', tab,
                   'CloudTrail events sharded by account over postgres_fdw (see trail.shards)');

    FOR shard IN SELECT key, value FROM jsonb_each(shards) ORDER BY key LOOP
        PERFORM @extschema@.add_shard(tab, shard.key,
                                      ARRAY(SELECT jsonb_array_elements_text(shard.value)),
                                      remote_table, fetch_size);
    END LOOP;
    IF default_shard IS NOT NULL THEN
        PERFORM @extschema@.add_shard(tab, default_shard, NULL, remote_table, fetch_size);
    END IF;

    IF NOT current_setting('enable_partitionwise_aggregate')::boolean THEN
        RAISE NOTICE 'enable_partitionwise_aggregate is off'
            USING DETAIL = 'Without it, an aggregate over the sharded table fetches the events from the nodes instead of their aggregates.',
                  HINT = format('Turn it on for the database: ALTER DATABASE %I SET enable_partitionwise_aggregate = on.',
                                current_database());
    END IF;
    RETURN tab;
END
$$;
COMMENT ON FUNCTION @extschema@.create_sharded_table(text, jsonb, name, text, integer) IS
'Create a table of events partitioned by LIST (recipient_account_id) whose partitions are postgres_fdw foreign tables on the nodes of a shard map';

-- Rows that break the shard map: a node's table is read whole (a foreign
-- partition's bound is not a filter), so rows of an account its partition
-- does not list, or without recipient_account_id, appear in full scans but
-- not in queries that PostgreSQL prunes by account.
CREATE FUNCTION @extschema@.check_shards(events regclass)
RETURNS TABLE(partition regclass, server name,
              recipient_account_id text, records bigint)
LANGUAGE plpgsql
-- the scan of a partition must not be excluded by its own bound
SET constraint_exclusion = partition
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    r record;
    others text[];
    query text;
BEGIN
    FOR s IN SELECT * FROM @extschema@.shards(events) LOOP
        -- a listed partition: rows of other accounts, or of none; the
        -- DEFAULT partition: rows of accounts another partition lists
        IF s.accounts IS NOT NULL THEN
            others := s.accounts;
            query := 'SELECT recipient_account_id, count(*) AS n FROM %s '
                     'WHERE recipient_account_id IS NULL OR recipient_account_id <> ALL ($1) '
                     'GROUP BY recipient_account_id ORDER BY recipient_account_id';
        ELSE
            SELECT coalesce(array_agg(a), '{}') INTO others
            FROM @extschema@.shards(events) o, unnest(o.accounts) a;
            query := 'SELECT recipient_account_id, count(*) AS n FROM %s '
                     'WHERE recipient_account_id = ANY ($1) '
                     'GROUP BY recipient_account_id ORDER BY recipient_account_id';
        END IF;
        -- the query names no object of the coordinator, so that the node
        -- runs all of it
        FOR r IN EXECUTE format(query, s.partition) USING others LOOP
            partition := s.partition;
            server := s.server;
            recipient_account_id := r.recipient_account_id;
            records := r.n;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.check_shards(regclass) IS
'Rows on each node of a sharded table of events that its partition does not list (another account, or no recipient_account_id): reads every node''s table whole';
