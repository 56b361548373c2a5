-- Everything the root user did.
-- Source: Athena: 'root account activity'; CIS 1.7.
-- columns: event_time, event_source, event_name, source_ip_address, user_agent, error_code
SELECT event_time, event_source, event_name, source_ip_address, user_agent, error_code
FROM events
WHERE user_type = 'Root' AND invoked_by IS NULL
ORDER BY event_time;
