-- Cursors: files opened by a later FETCH belong to the scan, not to the
-- subtransaction that happened to be running (a ROLLBACK TO SAVEPOINT or a
-- PL/pgSQL EXCEPTION block must not close them), and holdable cursors
-- outlive their transaction.  shapes/ holds 16 files of 3 records each, so
-- FETCHes of a few rows open new files as they go.
\i test/helpers.sql

CREATE SERVER cursors_srv FOREIGN DATA WRAPPER trail_fdw;
SELECT pg_temp.run(format(
  'CREATE FOREIGN TABLE pg_temp.shapes_ft (source_file text, record_index integer, event_name text) SERVER cursors_srv OPTIONS (location %L)',
  pg_temp.f('shapes')));
CREATE VIEW pg_temp.shapes_rows AS
  SELECT replace(source_file, current_setting('regress.fixtures') || '/shapes/', '') AS file,
         record_index, event_name
  FROM pg_temp.shapes_ft;
CREATE VIEW pg_temp.shapes_read AS
  SELECT replace(source_file, current_setting('regress.fixtures') || '/shapes/', '') AS file,
         record_index, event_name
  FROM trail.read(current_setting('regress.fixtures') || '/shapes');
SELECT count(*) FROM pg_temp.shapes_rows;

-- the rest of a cursor: how many rows, from how many files, and the last one
CREATE FUNCTION pg_temp.rest(c refcursor) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n int := 0;
    files text[] := '{}';
    last text := '';
BEGIN
    LOOP
        FETCH c INTO r;
        EXIT WHEN NOT FOUND;
        n := n + 1;
        IF NOT r.file = ANY (files) THEN files := files || r.file; END IF;
        last := format('%s #%s %s', r.file, r.record_index, r.event_name);
    END LOOP;
    RETURN format('%s rows from %s files, the last %s', n, cardinality(files), last);
END
$$;

-- FETCH, SAVEPOINT, FETCH (opens the next files), ROLLBACK TO, a table
-- created in between (it takes file descriptors), FETCH on to the end
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM pg_temp.shapes_rows;
FETCH 2 FROM c;
SAVEPOINT s;
FETCH 5 FROM c;
ROLLBACK TO SAVEPOINT s;
CREATE TABLE cursors_between (x int);
INSERT INTO cursors_between SELECT generate_series(1, 1000);
FETCH 4 FROM c;
SAVEPOINT s2;
FETCH 3 FROM c;
RELEASE SAVEPOINT s2;
SAVEPOINT s3;
FETCH 3 FROM c;
ROLLBACK TO SAVEPOINT s3;
SELECT pg_temp.rest('c');
COMMIT;
SELECT count(*) FROM cursors_between;
DROP TABLE cursors_between;

-- the same through trail.read
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM pg_temp.shapes_read;
FETCH 2 FROM c;
SAVEPOINT s;
FETCH 5 FROM c;
ROLLBACK TO SAVEPOINT s;
CREATE TABLE cursors_between (x int);
FETCH 4 FROM c;
SELECT pg_temp.rest('c');
COMMIT;
DROP TABLE cursors_between;

-- PL/pgSQL: every FETCH inside an EXCEPTION block that raises and catches,
-- so each file is opened in a subtransaction that is then rolled back
CREATE FUNCTION pg_temp.fetch_in_blocks(query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    c refcursor;
    r record;
    n int := 0;
    caught int := 0;
    names text := '';
BEGIN
    OPEN c FOR EXECUTE query;
    LOOP
        BEGIN
            FETCH c INTO r;
            EXIT WHEN NOT FOUND;
            n := n + 1;
            names := names || left(r.event_name, 1);
            CREATE TEMP TABLE cursors_in_block (x int);
            RAISE EXCEPTION 'undo this block';
        EXCEPTION WHEN raise_exception THEN
            caught := caught + 1;
        END;
    END LOOP;
    CLOSE c;
    RETURN format('%s rows, %s blocks rolled back, initials %s', n, caught, names);
END
$$;
SELECT pg_temp.fetch_in_blocks('SELECT * FROM pg_temp.shapes_rows');
SELECT pg_temp.fetch_in_blocks('SELECT * FROM pg_temp.shapes_read');

-- a holdable cursor: FETCH, COMMIT, FETCH on after the transaction ended
BEGIN;
DECLARE h CURSOR WITH HOLD FOR SELECT * FROM pg_temp.shapes_rows;
FETCH 4 FROM h;
COMMIT;
FETCH 2 FROM h;
SELECT pg_temp.rest('h');
CLOSE h;
BEGIN;
DECLARE h CURSOR WITH HOLD FOR SELECT * FROM pg_temp.shapes_read;
FETCH 1 FROM h;
COMMIT;
SELECT pg_temp.rest('h');
CLOSE h;

-- a cursor over a file abandoned half-way, in an aborted transaction
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM pg_temp.shapes_rows;
FETCH 4 FROM c;
SELECT 1 / 0;
ROLLBACK;
SELECT count(*) FROM pg_temp.shapes_rows;

DROP SERVER cursors_srv CASCADE;
