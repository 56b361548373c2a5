-- How many times each detection fired, with its severity and ATT&CK technique.
-- Source: Report: the detections.
-- columns: rule, severity, technique, tactic, hits, first, last
SELECT d.rule, d.severity, d.technique, r.tactic, count(*) AS hits, min(d.event_time) AS first, max(d.event_time) AS last
FROM detections d JOIN trail.rules r ON r.name = d.rule
GROUP BY d.rule, d.severity, d.technique, r.tactic
ORDER BY array_position(ARRAY['critical', 'high', 'medium', 'low', 'info'], d.severity), hits DESC;
