-- What each console session did after signing in (calls from the same user and address within 12 hours).
-- Source: Incident response: session reconstruction.
-- columns: signed_in, user_name, source_ip_address, calls, writes
SELECT l.event_time AS signed_in, l.user_name, l.source_ip_address, count(a.*) AS calls,
       count(a.*) FILTER (WHERE NOT a.read_only) AS writes
FROM events l
LEFT JOIN events a ON a.user_arn = l.user_arn AND a.source_ip_address = l.source_ip_address
                  AND a.event_time > l.event_time AND a.event_time < l.event_time + interval '12 hours'
                  AND a.event_name <> 'ConsoleLogin'
WHERE l.event_name = 'ConsoleLogin' AND l.response_elements->>'ConsoleLogin' = 'Success'
GROUP BY 1, 2, 3
ORDER BY 1;
