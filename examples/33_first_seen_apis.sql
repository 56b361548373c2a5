-- APIs called in the last day of the data that no one called before.
-- Source: Incident response: new behaviour.
-- columns: event_source, event_name, first
WITH last AS (SELECT max(event_time) AS t FROM events),
seen AS (SELECT event_source, event_name, min(event_time) AS first FROM events GROUP BY 1, 2)
SELECT s.event_source, s.event_name, s.first
FROM seen s, last
WHERE s.first > last.t - interval '1 day'
ORDER BY s.first;
