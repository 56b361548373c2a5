-- trail.read() over a directory tree laid out as CloudTrail lays it out.
\i test/helpers.sql

-- every event file, in path order; digests, README.txt and dotfiles are
-- passed over without error
SELECT replace(source_file, current_setting('regress.fixtures') || '/AWSLogs/', '') AS file,
       count(*) AS records, min(record_index), max(record_index)
FROM trail.read(pg_temp.f('AWSLogs'))
GROUP BY 1 ORDER BY 1;

SELECT event_category, recipient_account_id, aws_region, count(*)
FROM trail.read(pg_temp.f('AWSLogs'))
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- the record delivered late, into the next day's folder
SELECT event_time, event_name,
       substring(source_file from '(\d{4}/\d{2}/\d{2})/[^/]*$') AS folder
FROM trail.read(pg_temp.f('AWSLogs'))
WHERE event_time::date <> to_date(substring(source_file from '(\d{4}/\d{2}/\d{2})/[^/]*$'), 'YYYY/MM/DD');

-- not recursive: AWSLogs itself holds only README.txt
SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs'), recursive => false);

-- a symbolic link loop is an error that names the directory ...
SELECT pg_temp.try($$SELECT t FROM trail.read(pg_temp.f('loop')) t$$);
-- ... and with 'skip' the rest is read
\set VERBOSITY terse
SELECT event_name FROM trail.read(pg_temp.f('loop'), on_error => 'skip');
\set VERBOSITY default

-- a trailing slash makes no difference
SELECT count(*) FROM trail.read(pg_temp.f('AWSLogs/'));

-- joined with an inventory table, as an analyst would
CREATE TEMP TABLE accounts(account_id text PRIMARY KEY, owner text);
INSERT INTO accounts VALUES ('111122223333', 'platform'), ('444455556666', 'payments');
SELECT a.owner, e.event_category, count(*)
FROM trail.read(pg_temp.f('AWSLogs')) e
JOIN accounts a ON a.account_id = e.recipient_account_id
GROUP BY 1, 2 ORDER BY 1, 2;
