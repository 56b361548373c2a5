-- trail_fdw's options, their validation and who may set them.
\i test/helpers.sql

CREATE SERVER regress_ct FOREIGN DATA WRAPPER trail_fdw;

-- location is required
CREATE FOREIGN TABLE t_noloc (event_name text) SERVER regress_ct;
-- unknown options get the closest match
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (locaton '/tmp');
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (location '/tmp', recursve 'false');
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (location '/tmp', something 'else');
CREATE FOREIGN TABLE t_bad (event_name text OPTIONS (feild 'x')) SERVER regress_ct
  OPTIONS (location '/tmp');
-- no options on servers, wrappers and user mappings
CREATE SERVER regress_bad FOREIGN DATA WRAPPER trail_fdw OPTIONS (location '/tmp');
-- bad values
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (location '/tmp', recursive 'maybe');
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (location '/tmp', on_error 'ignore');
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (location '/tmp', max_delivery_delay 'soon');
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (location '/tmp', max_delivery_delay '-1 hour');
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (location '');
CREATE FOREIGN TABLE t_bad (event_name text) SERVER regress_ct
  OPTIONS (location '/tmp', location '/etc');
CREATE FOREIGN TABLE t_bad (bucket text OPTIONS (field 'requestParameters..x')) SERVER regress_ct
  OPTIONS (location '/tmp');
CREATE FOREIGN TABLE t_bad (bucket text OPTIONS (field 'resources[x]')) SERVER regress_ct
  OPTIONS (location '/tmp');

-- good ones
CREATE FOREIGN TABLE t_ok (
    event_time timestamptz,
    bucket text OPTIONS (field 'requestParameters.bucketName'),
    first_arn text OPTIONS (field 'resources[0].ARN')
) SERVER regress_ct
  OPTIONS (location '/tmp', recursive 'false', on_error 'skip',
           max_delivery_delay '1 day');
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 't_ok'::regclass;
ALTER FOREIGN TABLE t_ok OPTIONS (SET max_delivery_delay '30 days');

-- a column that is not a trail.event column and has no field option
CREATE FOREIGN TABLE t_unknown (event_name text, colour text) SERVER regress_ct
  OPTIONS (location '/tmp');
SELECT event_name FROM t_unknown;

-- setting location needs pg_read_server_files
CREATE ROLE regress_trail_owner;
GRANT USAGE ON FOREIGN SERVER regress_ct TO regress_trail_owner;
GRANT CREATE ON SCHEMA public TO regress_trail_owner;
SET ROLE regress_trail_owner;
CREATE FOREIGN TABLE t_mine (event_name text) SERVER regress_ct
  OPTIONS (location '/etc');
RESET ROLE;
-- a table someone else made may be read, not re-pointed
GRANT SELECT ON t_ok TO regress_trail_owner;
SET ROLE regress_trail_owner;
ALTER FOREIGN TABLE t_ok OPTIONS (SET location '/etc');
RESET ROLE;
GRANT pg_read_server_files TO regress_trail_owner;
SET ROLE regress_trail_owner;
CREATE FOREIGN TABLE t_mine (event_name text) SERVER regress_ct
  OPTIONS (location '/etc');
DROP FOREIGN TABLE t_mine;
RESET ROLE;

DROP FOREIGN TABLE t_ok, t_unknown;
REVOKE ALL ON SCHEMA public FROM regress_trail_owner;
DROP SERVER regress_ct;
DROP ROLE regress_trail_owner;
