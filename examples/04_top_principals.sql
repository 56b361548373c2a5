-- The principals that made the most calls, with their share of errors.
-- Source: Athena: 'top users'.
-- columns: principal, calls, writes, error_pct
SELECT coalesce(user_arn, invoked_by, user_type) AS principal, count(*) AS calls,
       count(*) FILTER (WHERE NOT read_only) AS writes,
       round(100.0 * count(*) FILTER (WHERE error_code IS NOT NULL) / count(*), 1) AS error_pct
FROM events
GROUP BY 1
ORDER BY calls DESC
LIMIT 20;
