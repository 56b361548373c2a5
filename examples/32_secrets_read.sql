-- Secrets and parameters read, by principal.
-- Source: Incident response: credential access.
-- columns: principal, event_name, reads, distinct_items
SELECT coalesce(user_arn, invoked_by) AS principal, event_name,
       count(*) AS reads,
       count(DISTINCT coalesce(request_parameters->>'secretId', request_parameters->>'name', request_parameters->>'names')) AS distinct_items
FROM events
WHERE (event_source = 'secretsmanager.amazonaws.com' AND event_name IN ('GetSecretValue', 'BatchGetSecretValue'))
   OR (event_source = 'ssm.amazonaws.com' AND event_name IN ('GetParameter', 'GetParameters', 'GetParametersByPath'))
GROUP BY 1, 2
ORDER BY reads DESC;
