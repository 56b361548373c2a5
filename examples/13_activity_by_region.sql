-- Calls per region: activity in a region nobody uses stands out.
-- Source: Incident response: unused regions.
-- columns: aws_region, calls, writes, principals, first_seen
SELECT aws_region, count(*) AS calls, count(*) FILTER (WHERE NOT read_only) AS writes,
       count(DISTINCT coalesce(user_arn, invoked_by)) AS principals, min(event_time) AS first_seen
FROM events
GROUP BY aws_region
ORDER BY calls DESC;
