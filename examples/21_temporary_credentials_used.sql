-- Calls made with temporary credentials, joined back to the STS call that issued them.
-- Source: Incident response: which session did it.
-- columns: role_arn, session_name, requested_by, issued_at, event_name, event_time
SELECT c.role_arn, c.session_name, c.requested_by, c.issued_at, e.event_name, e.event_time
FROM events e
JOIN issued_credentials c ON c.access_key_id = e.access_key_id
ORDER BY e.event_time
LIMIT 100;
