-- Successful deletions per service and principal.
-- Source: Incident response: impact.
-- columns: service, who, deletions, apis
SELECT split_part(event_source, '.', 1) AS service, coalesce(user_arn, invoked_by) AS who, count(*) AS deletions,
       string_agg(DISTINCT event_name, ', ' ORDER BY event_name) AS apis
FROM events
WHERE event_name ~ '^(Delete|Terminate|Remove)' AND error_code IS NULL
GROUP BY 1, 2
ORDER BY deletions DESC;
