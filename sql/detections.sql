-- Detections: the rule catalogue (trail.rules), the views that
-- trail.create_detections makes of it, typed Insights, and
-- trail.rate_anomalies.  Real attacks are in t/012_detections.pl (the
-- Stratus Red Team corpus); here every rule is held to its own composed
-- example.
\i test/helpers.sql

-- ---------------------------------------------------------------------
-- The catalogue
SELECT kind, count(*) AS rules FROM trail.rules GROUP BY kind ORDER BY kind;
SELECT tactic, count(*) AS rules,
       count(*) FILTER (WHERE severity IN ('high', 'critical')) AS high_or_critical
FROM trail.rules GROUP BY tactic ORDER BY tactic;
-- every builtin rule has a technique and an example
SELECT name FROM trail.rules
WHERE builtin AND (technique IS NULL OR example IS NULL)
ORDER BY name;
-- the rules that correspond to no public rule we could cite (trail's own)
SELECT name FROM trail.rules WHERE builtin AND cardinality(refs) = 0 ORDER BY name;
-- references name a public catalogue
SELECT DISTINCT split_part(ref, ':', 1) AS catalogue
FROM trail.rules, unnest(refs) AS ref ORDER BY 1;
-- local rules survive pg_dump; the shipped ones come with the extension
SELECT c.relname, x.cfg
FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(oid, cfg)
JOIN pg_class c ON c.oid = x.oid
WHERE e.extname = 'trail' AND c.relname = 'rules';

-- a rule is checked when it is written
SELECT pg_temp.try($$INSERT INTO trail.rules (name, title, severity, tactic, description, condition, summary)
                    VALUES ('typo', 't', 'low', 'discovery', 'd', 'event_nme = ''X''', 'event_name') RETURNING name$$);
SELECT pg_temp.try($$INSERT INTO trail.rules (name, title, severity, tactic, description, condition, summary)
                    VALUES ('not_boolean', 't', 'low', 'discovery', 'd', 'request_parameters', 'event_name') RETURNING name$$);
SELECT pg_temp.try($$INSERT INTO trail.rules (name, title, severity, tactic, description, condition, summary)
                    VALUES ('two', 't', 'low', 'discovery', 'd', 'true); DROP TABLE trail.rules; SELECT (true', 'event_name') RETURNING name$$);
SELECT pg_temp.try($$INSERT INTO trail.rules (name, title, severity, tactic, description, condition, summary, burst_window, burst_threshold)
                    VALUES ('bad_burst', 't', 'low', 'discovery', 'd', 'true', 'event_name', '1 minute', 5) RETURNING name$$);
SELECT pg_temp.try($$INSERT INTO trail.rules (name, title, severity, tactic, description, condition, summary)
                    VALUES ('Bad Name', 't', 'low', 'discovery', 'd', 'true', 'event_name') RETURNING name$$);

-- ---------------------------------------------------------------------
-- Every rule fires on its example.  A burst rule's example is repeated
-- burst_threshold times, ten seconds apart (closer for large thresholds), with the counted value made
-- different in each copy for rules that count distinct values.
CREATE SCHEMA ex;
CREATE TABLE ex.events AS
SELECT r.name AS example_of, e.*
FROM trail.rules r
CROSS JOIN LATERAL generate_series(1, coalesce(r.burst_threshold, 1)) AS g
CROSS JOIN LATERAL (
    SELECT jsonb_build_object(
               'eventVersion', '1.09',
               'eventTime', to_char(timestamptz '2025-03-04 10:00:00+00'
                                    + g * least(interval '10 seconds', r.burst_window / (2 * r.burst_threshold)),
                                    'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'eventID', md5(r.name || g)::uuid,
               'awsRegion', 'us-east-1',
               'recipientAccountId', '111122223333',
               'eventType', 'AwsApiCall',
               'sourceIPAddress', '198.51.100.1',
               'userAgent', 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
               'userIdentity', jsonb_build_object('type', 'IAMUser', 'userName', 'alice',
                                                  'arn', 'arn:aws:iam::111122223333:user/alice',
                                                  'accountId', '111122223333', 'principalId', 'AIDAEXAMPLE'))
           || r.example AS rec
) base
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN r.burst_distinct IS NULL OR g = 1 THEN base.rec
        WHEN r.burst_distinct LIKE '%event_name%' THEN jsonb_set(base.rec, '{eventName}', to_jsonb((base.rec->>'eventName') || g))
        WHEN r.burst_distinct = 'aws_region' THEN jsonb_set(base.rec, '{awsRegion}', to_jsonb('region-' || g))
        ELSE jsonb_set(base.rec, ARRAY['requestParameters', (SELECT k FROM jsonb_object_keys(base.rec->'requestParameters') k
                                                             WHERE k IN ('secretId', 'name', 'roleArn') LIMIT 1)],
                       to_jsonb((SELECT v FROM jsonb_each_text(base.rec->'requestParameters') AS x(k, v)
                                 WHERE k IN ('secretId', 'name', 'roleArn') LIMIT 1) || g))
        END AS rec
) varied
CROSS JOIN LATERAL trail.parse(varied.rec::text) e;

SELECT count(*) AS example_events FROM ex.events;
SELECT count(*) AS views FROM trail.create_detections('ex.events');

CREATE TEMP TABLE fired AS
SELECT x.example_of, d.rule, d.summary
FROM (SELECT rule, summary, event_id FROM ex.detections
      UNION ALL
      SELECT rule, summary, event_id FROM ex.detection_bursts) d
JOIN ex.events x USING (event_id);

-- rules that do not fire on their own example (none)
SELECT name FROM trail.rules r
WHERE NOT EXISTS (SELECT FROM fired f WHERE f.example_of = r.name AND f.rule = r.name)
ORDER BY name;
-- what each rule says about its example
SELECT DISTINCT ON (rule) rule, summary FROM fired WHERE example_of = rule ORDER BY rule, summary;
-- examples that fire other rules too: overlapping rules, by design
SELECT example_of, string_agg(DISTINCT rule, ', ' ORDER BY rule) AS also_fires
FROM fired WHERE example_of <> rule
GROUP BY example_of ORDER BY example_of;

-- the per-rule views agree with the union
SELECT count(*) AS detect_views_disagreeing
FROM trail.rules r
WHERE r.kind = 'event'
  AND (SELECT count(*) FROM fired f WHERE f.rule = r.name) <>
      (SELECT count(*) FROM ex.detections d WHERE d.rule = r.name);
SELECT rule, severity, technique, event_time, actor, summary FROM ex.detect_cloudtrail_logging_stopped;
SELECT rule, event_time, started_at, ended_at, peak, summary FROM ex.detect_console_login_failure_burst;

-- a failed call still matches, and says so
INSERT INTO ex.events (example_of, event_time, event_source, event_name, error_code, request_parameters, event_id, user_arn, actor)
VALUES ('failed', '2025-03-04 11:00:00+00', 'cloudtrail.amazonaws.com', 'DeleteTrail', 'AccessDenied',
        '{"name": "main"}', '00000000-0000-4000-8000-000000000001', 'arn:aws:iam::111122223333:user/mallory',
        'arn:aws:iam::111122223333:user/mallory');
SELECT rule, actor, summary FROM ex.detections WHERE event_id = '00000000-0000-4000-8000-000000000001';

-- trail.detect: both kinds in a time window (the burst is only counted
-- within it: cut it short and it no longer fires)
SELECT rule, peak, started_at, ended_at FROM trail.detect('ex.events', '2025-03-04 10:00', '2025-03-04 10:30')
WHERE rule = 'console_login_failure_burst';
SELECT count(*) FROM trail.detect('ex.events', '2025-03-04 10:00:25', '2025-03-04 10:30')
WHERE rule = 'console_login_failure_burst';
SELECT pg_temp.try($$SELECT * FROM trail.detect('ex.events', NULL)$$);

-- a table with an actor column (trail.event from 1.1 on): detections use it
CREATE SCHEMA act;
CREATE TABLE act.events AS SELECT * FROM ex.events WHERE example_of = 'cloudtrail_logging_stopped';
UPDATE act.events SET actor = 'role/' || coalesce(user_name, '?');
SELECT count(*) > 0 FROM trail.create_detections('act.events');
SELECT rule, actor FROM act.detections;

-- a new local rule is in the views once create_detections runs again
INSERT INTO trail.rules (name, title, severity, technique, tactic, description, condition, summary, refs)
VALUES ('local_tag_change', 'Tags changed', 'info', 'T1578', 'defense-evasion', 'Tags changed on anything.',
        $$event_name IN ('CreateTags', 'DeleteTags')$$, $$event_name || ' by ' || coalesce(user_name, '?')$$, '{}');
SELECT count(*) > 0 FROM trail.create_detections('act.events');
SELECT viewname FROM pg_views WHERE schemaname = 'act' AND viewname = 'detect_local_tag_change';
DELETE FROM trail.rules WHERE name = 'local_tag_change';

-- ---------------------------------------------------------------------
-- Over the foreign table: one scan for every rule, and event_time still
-- prunes files
CREATE SERVER regress_det FOREIGN DATA WRAPPER trail_fdw;
CREATE SCHEMA fdw;
SELECT pg_temp.run(format('IMPORT FOREIGN SCHEMA trail FROM SERVER regress_det INTO fdw OPTIONS (location %L)',
                          pg_temp.f('AWSLogs')));
SELECT count(*) > 100 FROM trail.create_detections('fdw.events');
SELECT line FROM pg_temp.explain($$SELECT * FROM fdw.detections WHERE event_time >= '2025-03-05'$$) AS line
WHERE line ~ '(Foreign Scan|Trail File Pruning|Trail Files)';
SELECT count(*) AS foreign_scans
FROM pg_temp.explain($$SELECT * FROM fdw.detections WHERE event_time >= '2025-03-05'$$) AS line
WHERE line ~ 'Foreign Scan';
SELECT rule, event_time, actor, summary FROM fdw.detections ORDER BY event_time, rule;

-- ---------------------------------------------------------------------
-- Insights: the fixtures' Start/End pair, and composed ones (an error
-- rate insight still under way, from the reference's example)
SELECT shared_event_id, state, insight_type, event_source, event_name, error_code,
       started_at, ended_at, baseline_average, start_average, insight_average,
       insight_duration_minutes, baseline_duration_minutes,
       top_principals, top_user_agents, top_error_codes
FROM fdw.insights;
CREATE SCHEMA ins;
CREATE TABLE ins.events AS SELECT * FROM trail.parse($j${"Records": [
 {"eventVersion":"1.09","eventTime":"2025-03-04T10:07:00Z","awsRegion":"eu-west-1","eventID":"5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
  "eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"11112222-3333-4444-5555-666677778888",
  "insightDetails":{"state":"Start","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue",
   "insightType":"ApiErrorRateInsight","errorCode":"AccessDeniedException","sourceEventCategory":"Management",
   "insightContext":{"statistics":{"baseline":{"average":4.96032E-4},"insight":{"average":3.4},"insightDuration":2,"baselineDuration":10080},
    "attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:sts::111122223333:assumed-role/ci-deployer","average":3.4}],"baseline":[]},
     {"attribute":"userAgent","insight":[{"value":"Boto3/1.34.51","average":3.4}],"baseline":[{"value":"Boto3/1.34.51","average":4.96032E-4}]},
     {"attribute":"errorCode","insight":[{"value":"AccessDeniedException","average":3.4}],"baseline":[{"value":"AccessDeniedException","average":4.96032E-4}]}]}},
  "eventCategory":"Insight"},
 {"eventVersion":"1.09","eventTime":"2025-03-04T11:00:00Z","awsRegion":"eu-west-1","eventID":"6e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
  "eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"21112222-3333-4444-5555-666677778888",
  "insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"TerminateInstances","insightType":"ApiCallRateInsight",
   "insightContext":{"statistics":{"baseline":{"average":0.01},"insight":{"average":12}},
    "attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:b","average":2},{"value":"arn:a","average":10}],"baseline":[{"value":"arn:a","average":0.01}]}]}},
  "eventCategory":"Insight"},
 {"eventVersion":"1.09","eventTime":"2025-03-04T11:20:00Z","awsRegion":"eu-west-1","eventID":"7e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
  "eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"21112222-3333-4444-5555-666677778888",
  "insightDetails":{"state":"End","eventSource":"ec2.amazonaws.com","eventName":"TerminateInstances","insightType":"ApiCallRateInsight",
   "insightContext":{"statistics":{"baseline":{"average":0.01},"insight":{"average":7.5},"insightDuration":20,"baselineDuration":10181},
    "attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:a","average":6},{"value":"arn:b","average":1.5}],"baseline":[{"value":"arn:a","average":0.01}]}]}},
  "eventCategory":"Insight"}
]}$j$);
SELECT count(*) > 0 FROM trail.create_detections('ins.events');
SELECT shared_event_id, state, insight_type, event_source, event_name, error_code, started_at, ended_at,
       baseline_average, start_average, insight_average, insight_duration_minutes, baseline_duration_minutes,
       top_principals, baseline_principals, top_error_codes, start_event_id, end_event_id
FROM ins.insights ORDER BY started_at;

-- ---------------------------------------------------------------------
-- Local rate anomalies.  Eight days of ordinary activity (CreateTags a few
-- times an hour from two roles, an occasional AccessDenied), then a
-- planted burst of CreateTags and one of AccessDenied errors.
CREATE SCHEMA ra;
CREATE TABLE ra.events AS SELECT * FROM trail.parse('{"Records":[]}');
INSERT INTO ra.events (event_time, event_source, event_name, event_category, read_only, user_arn, user_agent, error_code, event_id)
SELECT timestamptz '2025-03-01 00:00+00' + i * interval '7 minutes' + (i % 3) * interval '13 seconds',
       'ec2.amazonaws.com', 'CreateTags', 'Management', false,
       CASE i % 2 WHEN 0 THEN 'arn:aws:sts::111122223333:assumed-role/ci/build' ELSE 'arn:aws:sts::111122223333:assumed-role/asg/x' END,
       'aws-sdk-go/1.50', NULL, md5('bg' || i)::uuid
FROM generate_series(0, 8 * 24 * 60 / 7) AS i;
INSERT INTO ra.events (event_time, event_source, event_name, event_category, read_only, user_arn, user_agent, error_code, event_id)
SELECT timestamptz '2025-03-01 00:00+00' + i * interval '97 minutes',
       's3.amazonaws.com', 'ListBuckets', 'Management', true,
       'arn:aws:sts::111122223333:assumed-role/ci/build', 'aws-sdk-go/1.50', 'AccessDenied', md5('bge' || i)::uuid
FROM generate_series(0, 8 * 24 * 60 / 97) AS i;
CREATE TABLE ra.planted AS
SELECT timestamptz '2025-03-08 10:00+00' + i * interval '6 seconds' AS event_time,
       'ec2.amazonaws.com'::text AS event_source, 'CreateTags'::text AS event_name, false AS read_only, NULL::text AS error_code,
       CASE WHEN i % 5 = 0 THEN 'arn:aws:iam::111122223333:user/svc-backup' ELSE 'arn:aws:iam::111122223333:user/mallory' END AS user_arn,
       md5('burst' || i)::uuid AS event_id
FROM generate_series(0, 49) AS i          -- 10:00:00 to 10:04:54, 10 a minute
UNION ALL
SELECT timestamptz '2025-03-08 12:30+00' + i * interval '5 seconds', 's3.amazonaws.com', 'ListBuckets', true, 'AccessDenied',
       'arn:aws:iam::111122223333:user/mallory', md5('denied' || i)::uuid
FROM generate_series(0, 35) AS i;        -- 12:30:00 to 12:32:55, 12 a minute
INSERT INTO ra.events (event_time, event_source, event_name, event_category, read_only, user_arn, user_agent, error_code, event_id)
SELECT event_time, event_source, event_name, 'Management', read_only, user_arn, 'aws-cli/1.18.69', error_code, event_id FROM ra.planted;
-- (rows made by hand: the actor is their caller's ARN)
UPDATE ra.events SET actor = user_arn;

SELECT event_source, event_name, kind, error_code, started_at, ended_at, duration_minutes,
       round(baseline_average::numeric, 4) AS baseline_average, round(baseline_stddev::numeric, 4) AS baseline_stddev,
       round(insight_average::numeric, 2) AS insight_average, peak, round(z_score::numeric, 1) AS z_score,
       top_principals, top_user_agents, top_error_codes
FROM trail.rate_anomalies('ra.events', since => '2025-03-08', until => '2025-03-09');
-- the thresholds are tunable: a minimum of 11 a minute misses the CreateTags burst
SELECT event_name, kind, started_at, ended_at
FROM trail.rate_anomalies('ra.events', since => '2025-03-08', until => '2025-03-09', min_count => 11);
-- without the planted bursts there is nothing unusual
DELETE FROM ra.events WHERE event_id IN (SELECT event_id FROM ra.planted);
SELECT count(*) AS anomalies FROM trail.rate_anomalies('ra.events', since => '2025-03-08', until => '2025-03-09');
SELECT pg_temp.try($$SELECT * FROM trail.rate_anomalies('ra.events', since => '2025-03-09', until => '2025-03-08')$$);
SELECT pg_temp.try($$SELECT * FROM trail.rate_anomalies('ra.events', since => '2025-03-08', min_count => 0)$$);

SET client_min_messages = warning;
DROP SCHEMA ex, act, fdw, ins, ra CASCADE;
RESET client_min_messages;
DROP SERVER regress_det;
