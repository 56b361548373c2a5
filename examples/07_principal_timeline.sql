-- A principal's calls hour by hour (the most active IAM user here).
-- Source: Incident response: scoping a compromised user.
-- columns: hour, calls, apis
WITH u AS (
    SELECT user_arn FROM events WHERE user_type = 'IAMUser'
    GROUP BY 1 ORDER BY count(*) DESC LIMIT 1
)
SELECT date_trunc('hour', e.event_time) AS hour, count(*) AS calls,
       string_agg(DISTINCT e.event_name, ', ' ORDER BY e.event_name) AS apis
FROM events e JOIN u USING (user_arn)
GROUP BY 1 ORDER BY 1;
