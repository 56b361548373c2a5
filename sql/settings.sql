-- The settings: trail.max_delivery_delay takes an interval, as the table
-- option does, and never falls back silently; trail.max_record_size is a
-- guard that only superusers (or roles granted SET on it) may raise;
-- trail.folder_pruning turns pruning by folder off.
\i test/helpers.sql

-- set before the library is loaded (a new session), a bad value is kept
-- and refused when a query needs it, instead of a silent 6 hours
SET trail.max_delivery_delay = 'soon';
SET trail.digest_lookahead = 'later';
SELECT pg_temp.try($$SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs')) WHERE event_time > '2025-03-04'$$);
SET trail.max_delivery_delay = '6 hours';
SELECT pg_temp.try($$SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs')) WHERE event_time > '2025-03-04'$$);
SET trail.digest_lookahead = '7 days';
-- set again, it works
SET trail.max_delivery_delay = '3 days';
SHOW trail.max_delivery_delay;
-- and once loaded, a bad value is refused at once
SET trail.max_delivery_delay = 'soon';
SET trail.max_delivery_delay = '-1 hour';
SHOW trail.max_delivery_delay;

-- in a new session, an interval set before the library loads is used
\c
\set ECHO none
\i test/helpers.sql
\set ECHO all
SET trail.max_delivery_delay = '3 days';
SELECT pg_temp.run(format($$CREATE TEMP VIEW day_before AS SELECT count(*) FROM trail.read(%L)
  WHERE event_time >= '2025-03-03' AND event_time < '2025-03-03 01:00'$$, pg_temp.f('AWSLogs')));
-- files delivered up to three days after the window are read
SELECT line FROM pg_temp.explain('SELECT * FROM day_before') AS line WHERE line LIKE '%Trail Files%';
SET trail.max_delivery_delay = '6 hours';
SELECT line FROM pg_temp.explain('SELECT * FROM day_before') AS line WHERE line LIKE '%Trail Files%';
-- any interval syntax: units, ISO 8601, a number of seconds
SET trail.max_delivery_delay = 'P1DT2H';
SHOW trail.max_delivery_delay;
SET trail.max_delivery_delay = '90 minutes';
SET trail.max_delivery_delay = 0;
RESET trail.max_delivery_delay;
SHOW trail.max_delivery_delay;
-- trail.digest_lookahead takes an interval too, and refuses the rest
SHOW trail.digest_lookahead;
SET trail.digest_lookahead = '30 days';
SHOW trail.digest_lookahead;
SET trail.digest_lookahead = 'later';
SET trail.digest_lookahead = '-1 day';
RESET trail.digest_lookahead;
-- the table option takes the same syntax
CREATE SERVER regress_ct FOREIGN DATA WRAPPER trail_fdw;
SELECT pg_temp.run(format('CREATE FOREIGN TABLE t30 (event_name text) SERVER regress_ct OPTIONS (location %L, max_delivery_delay %L)',
                          pg_temp.f('AWSLogs'), '30 days'));
\set VERBOSITY terse
SELECT pg_temp.run(format('CREATE FOREIGN TABLE tbad (event_name text) SERVER regress_ct OPTIONS (location %L, max_delivery_delay %L)',
                          pg_temp.f('AWSLogs'), 'soon'));
\set VERBOSITY default

-- trail.max_record_size: only superusers raise it ...
CREATE ROLE regress_trail_user;
SET ROLE regress_trail_user;
SET trail.max_record_size = '1GB';
SET trail.max_record_size = '1MB';
RESET ROLE;
-- ... or roles granted SET on it
GRANT SET ON PARAMETER trail.max_record_size TO regress_trail_user;
SET ROLE regress_trail_user;
SET trail.max_record_size = '1MB';
SHOW trail.max_record_size;
RESET trail.max_record_size;
RESET ROLE;
REVOKE SET ON PARAMETER trail.max_record_size FROM regress_trail_user;
-- set by a user before the library is loaded, it does not take
\c
SET ROLE regress_trail_user;
SET trail.max_record_size = '1GB';
SELECT count(*) FROM trail.parse('{"eventVersion":"1.08","eventName":"X"}');
SHOW trail.max_record_size;
RESET ROLE;
DROP ROLE regress_trail_user;

-- trail.folder_pruning: EXPLAIN says what pruning trusts
\set ECHO none
\i test/helpers.sql
\set ECHO all
SELECT pg_temp.run(format($$CREATE TEMP VIEW one_account AS SELECT count(*) FROM trail.read(%L)
  WHERE recipient_account_id = '444455556666'$$, pg_temp.f('AWSLogs')));
SELECT line FROM pg_temp.explain('SELECT * FROM one_account') AS line WHERE line LIKE '%Trail File%';
SET trail.folder_pruning = off;
SELECT line FROM pg_temp.explain('SELECT * FROM one_account') AS line WHERE line LIKE '%Trail File%';
SELECT * FROM one_account;
RESET trail.folder_pruning;
SELECT * FROM one_account;

DROP SERVER regress_ct CASCADE;
