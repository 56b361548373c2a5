-- Source addresses seen in the last day of the data that were not seen before it.
-- Source: Incident response: first-seen addresses.
-- columns: source_ip, calls, principals
WITH last AS (SELECT max(event_time) AS t FROM events)
SELECT e.source_ip, count(*) AS calls, string_agg(DISTINCT coalesce(e.user_arn, e.user_type), ', ') AS principals
FROM events e, last
WHERE e.event_time > last.t - interval '1 day' AND e.source_ip IS NOT NULL
  AND NOT EXISTS (SELECT FROM events p WHERE p.source_ip = e.source_ip AND p.event_time <= last.t - interval '1 day')
GROUP BY e.source_ip
ORDER BY calls DESC;
