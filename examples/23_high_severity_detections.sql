-- High and critical detections, newest first.
-- Source: Triage.
-- columns: event_time, severity, rule, actor, recipient_account_id, aws_region, summary
SELECT event_time, severity, rule, actor, recipient_account_id, aws_region, summary
FROM detections
WHERE severity IN ('high', 'critical')
ORDER BY event_time DESC;
