-- Failed console sign-ins per source address and user: password guessing.
-- Source: Incident response: brute force.
-- columns: source_ip_address, failures, users, first_seen, last_seen
SELECT source_ip_address, count(*) AS failures, count(DISTINCT user_name) AS users,
       min(event_time) AS first_seen, max(event_time) AS last_seen
FROM events
WHERE event_name = 'ConsoleLogin' AND response_elements->>'ConsoleLogin' = 'Failure'
GROUP BY source_ip_address
ORDER BY failures DESC;
