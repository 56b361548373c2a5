-- Who assumed which role, how often, from where.
-- Source: Athena: 'AssumeRole'; incident response: lateral movement.
-- columns: role, by_whom, times, addresses, denied
SELECT request_parameters->>'roleArn' AS role, coalesce(user_arn, invoked_by, user_type) AS by_whom,
       count(*) AS times, count(DISTINCT source_ip_address) AS addresses,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS denied
FROM events
WHERE event_source = 'sts.amazonaws.com' AND event_name LIKE 'AssumeRole%'
GROUP BY 1, 2
ORDER BY times DESC
LIMIT 50;
