-- Access-denied errors per principal and API: stolen keys probing, or a broken policy.
-- Source: Athena: 'failed API calls due to unauthorized access'.
-- columns: principal, event_source, event_name, error_code, errors
SELECT coalesce(user_arn, principal_id) AS principal, event_source, event_name, error_code, count(*) AS errors
FROM events
WHERE error_code ~* '(AccessDenied|Unauthorized|Forbidden)'
GROUP BY 1, 2, 3, 4
ORDER BY errors DESC, principal
LIMIT 50;
