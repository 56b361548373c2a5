-- Included by every regression test (\i): where the fixtures are, and a
-- helper that runs a query and reports its error with the fixture path
-- replaced by <fixtures>, so that expected output does not depend on where
-- the tests run.
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixtures :abs_srcdir '/test/fixtures'
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SELECT set_config('regress.fixtures', :'fixtures', false) IS NOT NULL AS fixtures_set;

-- try(query): 'ok, N rows' or 'SQLSTATE: message / detail / hint / context'
CREATE FUNCTION pg_temp.try(query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
    r record;
    st text; msg text; det text; hnt text; ctx text;
    result text;
BEGIN
    FOR r IN EXECUTE query LOOP
        n := n + 1;
    END LOOP;
    RETURN format('ok, %s rows', n);
EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT,
        ctx = PG_EXCEPTION_CONTEXT;
    result := st || ': ' || msg;
    IF det <> '' THEN result := result || E'\n  detail: ' || det; END IF;
    IF hnt <> '' THEN result := result || E'\n  hint: ' || hnt; END IF;
    -- our context line comes first; the PL/pgSQL lines after it vary
    ctx := split_part(ctx, E'\n', 1);
    IF ctx <> '' AND ctx NOT LIKE 'PL/pgSQL%' AND ctx NOT LIKE 'SQL statement%' THEN
        result := result || E'\n  context: ' || ctx;
    END IF;
    RETURN replace(result, current_setting('regress.fixtures'), '<fixtures>');
END
$$;

-- f(name): the absolute path of a fixture
CREATE FUNCTION pg_temp.f(name text) RETURNS text
LANGUAGE sql AS $$ SELECT current_setting('regress.fixtures') || '/' || name $$;

-- explain(query [, analyze]): EXPLAIN's lines, with the fixture path
-- replaced (with analyze, without timings)
CREATE FUNCTION pg_temp.explain(query text, with_analyze boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    line text;
    options text := CASE WHEN with_analyze
                         THEN 'ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF'
                         ELSE 'COSTS OFF' END;
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (%s) %s', options, query) LOOP
        RETURN NEXT replace(line, current_setting('regress.fixtures'), '<fixtures>');
    END LOOP;
END
$$;

-- run(command): execute a statement built with f(), without echoing the
-- absolute path that \gexec would
CREATE FUNCTION pg_temp.run(command text) RETURNS void
LANGUAGE plpgsql AS $$ BEGIN EXECUTE command; END $$;
