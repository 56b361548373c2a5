-- Bursts: failed sign-ins, access denied, discovery, deletions.
-- Source: Triage.
-- columns: rule, severity, actor, started_at, ended_at, peak, summary
SELECT rule, severity, actor, started_at, ended_at, peak, summary
FROM detection_bursts
ORDER BY started_at;
