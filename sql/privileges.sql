-- Reading server files is a privilege: EXECUTE is revoked from PUBLIC,
-- and the C code checks for pg_read_server_files as well.
\i test/helpers.sql

CREATE ROLE regress_trail_nobody;
CREATE ROLE regress_trail_granted;
CREATE ROLE regress_trail_reader IN ROLE pg_read_server_files;

-- the functions that take a path are not executable by PUBLIC
SELECT p.oid::regprocedure AS function,
       has_function_privilege('regress_trail_nobody', p.oid, 'EXECUTE') AS public_can_execute
FROM pg_proc p WHERE p.pronamespace = 'trail'::regnamespace
ORDER BY p.oid::regprocedure::text;

SET ROLE regress_trail_nobody;
SELECT pg_temp.try($$SELECT * FROM trail.read(pg_temp.f('shapes/records.json'))$$);
SELECT pg_temp.try($$SELECT * FROM trail.files(pg_temp.f('shapes'))$$);
-- parse() reads no file, so anyone may use it
SELECT event_name FROM trail.parse('{"Records":[{"eventVersion":"1.11","eventName":"Anyone"}]}');
RESET ROLE;

-- a careless GRANT does not open the server's files: the C check remains
GRANT EXECUTE ON FUNCTION trail.read(text, boolean, text) TO regress_trail_granted;
GRANT EXECUTE ON FUNCTION trail.files(text, boolean) TO regress_trail_granted;
SET ROLE regress_trail_granted;
SELECT pg_temp.try($$SELECT * FROM trail.read(pg_temp.f('shapes/records.json'))$$);
SELECT pg_temp.try($$SELECT * FROM trail.files(pg_temp.f('shapes'))$$);
RESET ROLE;

-- members of pg_read_server_files who are granted EXECUTE may read
GRANT EXECUTE ON FUNCTION trail.read(text, boolean, text) TO regress_trail_reader;
SET ROLE regress_trail_reader;
SELECT count(*) FROM trail.read(pg_temp.f('shapes/records.json'));
RESET ROLE;

REVOKE ALL ON FUNCTION trail.read(text, boolean, text) FROM regress_trail_granted, regress_trail_reader;
REVOKE ALL ON FUNCTION trail.files(text, boolean) FROM regress_trail_granted;
DROP ROLE regress_trail_nobody;
DROP ROLE regress_trail_granted;
DROP ROLE regress_trail_reader;
