-- Errors per day and code.
-- Source: Athena: 'errors by type'.
-- columns: day, error_code, errors
SELECT event_time::date AS day, error_code, count(*) AS errors
FROM events
WHERE error_code IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, errors DESC;
