-- Calls through VPC endpoints, and network-activity events, per endpoint.
-- Source: Data perimeter reviews.
-- columns: vpc_endpoint_id, event_category, event_source, events, denied
SELECT vpc_endpoint_id, event_category, event_source, count(*) AS events,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS denied
FROM events
WHERE vpc_endpoint_id IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY events DESC;
