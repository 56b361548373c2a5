-- Each high-severity detection with the five calls its actor made before it.
-- Source: Incident response: what led up to it.
-- columns: rule, detected_at, event_time, event_name, error_code
SELECT d.rule, d.event_time AS detected_at, b.event_time, b.event_name, b.error_code
FROM detections d
CROSS JOIN LATERAL (
    SELECT e.event_time, e.event_name, e.error_code FROM events e
    WHERE e.user_arn = d.actor AND e.event_time <= d.event_time
    ORDER BY e.event_time DESC LIMIT 5) b
WHERE d.severity IN ('high', 'critical')
ORDER BY d.event_time, b.event_time;
