-- The resources each principal changed (trail.resources).
-- Source: Incident response: blast radius.
-- columns: principal, resource_type, resource_id, changes
SELECT coalesce(e.user_arn, e.invoked_by) AS principal, r.resource_type, r.resource_id, count(*) AS changes
FROM events e
CROSS JOIN LATERAL trail.resources(e.event_source, e.event_name, e.request_parameters, e.response_elements,
                                   e.resources, e.recipient_account_id, e.user_identity) r
WHERE e.read_only IS FALSE AND e.error_code IS NULL AND r.role IN ('target', 'created')
GROUP BY 1, 2, 3
ORDER BY changes DESC, principal
LIMIT 50;
