-- What one access key did (here: the most used long-term key; put yours in the CTE).
-- Source: Incident response: a leaked key.
-- columns: event_time, event_source, event_name, aws_region, source_ip_address, error_code
WITH k AS (
    SELECT access_key_id FROM events WHERE access_key_id LIKE 'AKIA%'
    GROUP BY 1 ORDER BY count(*) DESC LIMIT 1
)
SELECT e.event_time, e.event_source, e.event_name, e.aws_region, e.source_ip_address, e.error_code
FROM events e JOIN k USING (access_key_id)
ORDER BY e.event_time;
