-- demo/report.sql: a short security report over a tree of CloudTrail logs,
-- ending with the detections of trail.rules that fire on it.
--
--   psql -v logs=/path/to/AWSLogs -f demo/report.sql
--
-- (scripts/demo runs it over the bundled sample in demo/AWSLogs.)  The path
-- is opened by the database server, so it must be a path on the server's
-- machine that the server's operating-system user can read.

\set ON_ERROR_STOP on
\set QUIET on
\pset null '-'
SET TimeZone = 'UTC';

\echo
\echo '== 1. Log files, by kind, account and region'
SELECT kind,
       account_id,
       region,
       count(*)                        AS files,
       pg_size_pretty(sum(size_bytes)) AS size,
       min(delivered_at)::date         AS first_delivery,
       max(delivered_at)::date         AS last_delivery
  FROM trail.files(:'logs')
 GROUP BY kind, account_id, region
 ORDER BY kind, account_id, region;

-- Read every event once; the sections below query this table.  Who acted:
-- "account" (the actor's account) and "principal", the actor column (the
-- role for assumed roles, the user, the service, ...) shortened, when it
-- is an ARN, to its resource type and name (trail.arn): role/Admin,
-- user/alice, root.
CREATE TEMP TABLE ev AS
SELECT e.*,
       coalesce(e.actor_account, e.recipient_account_id) AS account,
       coalesce(CASE WHEN (a).resource_type IS NULL THEN (a).resource_id
                     ELSE (a).resource_type || '/' || regexp_replace((a).resource_id, '^.*/', '') END,
                e.actor,
                '(unknown)') AS principal
  FROM trail.read(:'logs') AS e,
       LATERAL (SELECT trail.arn(e.actor, lenient => true) AS a) arn;

\echo '== Events, in all and by account, region and category'
SELECT count(*)                      AS events,
       count(DISTINCT source_file)   AS files,
       min(event_time)::timestamp(0) AS first_event,
       max(event_time)::timestamp(0) AS last_event
  FROM ev;

SELECT recipient_account_id AS account,
       aws_region           AS region,
       event_category       AS category,
       count(*)             AS events
  FROM ev
 GROUP BY recipient_account_id, aws_region, event_category
 ORDER BY account, region, category;

\echo
\echo '== 2. Write events by principal (top 15), with their most common calls'
WITH calls AS (
    SELECT account, principal, event_name, count(*) AS n
      FROM ev
     WHERE read_only IS FALSE
       AND event_type IS DISTINCT FROM 'AwsConsoleSignIn'  -- see section 3
     GROUP BY account, principal, event_name
), ranked AS (
    SELECT *,
           row_number() OVER w AS rank,
           sum(n) OVER (PARTITION BY account, principal) AS writes
      FROM calls
    WINDOW w AS (PARTITION BY account, principal ORDER BY n DESC, event_name)
)
SELECT account,
       principal,
       writes,
       string_agg(event_name || ' ' || n, ', ' ORDER BY rank)
           FILTER (WHERE rank <= 3) AS top_calls
  FROM ranked
 GROUP BY account, principal, writes
 ORDER BY writes DESC, account, principal
 LIMIT 15;

\echo
\echo '== 3. Console sign-ins'
SELECT event_time::timestamp(0)                          AS "time (UTC)",
       account,
       coalesce(user_name, principal)                    AS "user",
       source_ip_address                                 AS source_ip,
       coalesce(response_elements->>'ConsoleLogin', '?') AS result,
       additional_event_data->>'MFAUsed'                 AS mfa_used,
       error_message
  FROM ev
 WHERE event_name = 'ConsoleLogin'
 ORDER BY event_time;

\echo
\echo '== 4. S3 data events by bucket'
WITH s3 AS (
    SELECT request_parameters->>'bucketName' AS bucket, *
      FROM ev
     WHERE event_source = 's3.amazonaws.com' AND event_category = 'Data'
), calls AS (
    SELECT bucket, event_name, count(*) AS n,
           row_number() OVER (PARTITION BY bucket ORDER BY count(*) DESC, event_name) AS rank
      FROM s3
     GROUP BY bucket, event_name
)
SELECT bucket,
       count(*) FILTER (WHERE read_only)              AS reads,
       count(*) FILTER (WHERE NOT read_only)          AS writes,
       count(DISTINCT principal)                      AS principals,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS errors,
       (SELECT string_agg(event_name || ' ' || n, ', ' ORDER BY rank)
          FROM calls AS c
         WHERE c.bucket = s3.bucket AND rank <= 3)    AS top_calls
  FROM s3
 GROUP BY bucket
 ORDER BY count(*) DESC, bucket;

\echo
\echo '== 5. Errors by principal (top 20)'
SELECT account,
       principal,
       error_code,
       count(*) AS events,
       string_agg(DISTINCT event_name, ', ' ORDER BY event_name) AS calls
  FROM ev
 WHERE error_code IS NOT NULL
 GROUP BY account, principal, error_code
 ORDER BY events DESC, account, principal, error_code
 LIMIT 20;

\echo
\echo '== 6. Detections (trail.rules; see README "Detections")'
-- The views go beside the table of events read above: detections (every
-- per-event rule, one pass over the events) and detection_bursts.
SET client_min_messages = warning;   -- over a temporary table the views are temporary too
SELECT count(*) AS detection_views FROM trail.create_detections('ev') \gset
RESET client_min_messages;
SELECT d.event_time::timestamp(0)                 AS "time (UTC)",
       d.severity,
       d.rule,
       d.recipient_account_id                     AS account,
       coalesce(CASE WHEN (a).resource_type IS NULL THEN (a).resource_id
                     ELSE (a).resource_type || '/' || regexp_replace((a).resource_id, '^.*/', '') END,
                d.actor,
                '-') AS actor,
       d.summary
  FROM (SELECT rule, severity, event_time, actor, recipient_account_id, summary FROM detections
        UNION ALL
        SELECT rule, severity, event_time, actor, recipient_account_id, summary FROM detection_bursts) AS d,
       LATERAL (SELECT trail.arn(d.actor, lenient => true) AS a) arn
 ORDER BY d.event_time, d.rule;

\echo
\echo '== 7. Detections by ATT&CK tactic'
SELECT r.tactic, d.severity, count(*) AS hits, string_agg(DISTINCT d.rule, ', ' ORDER BY d.rule) AS rules
  FROM detections d JOIN trail.rules r ON r.name = d.rule
 GROUP BY r.tactic, d.severity
 ORDER BY array_position(ARRAY['critical', 'high', 'medium', 'low', 'info'], d.severity), hits DESC;
