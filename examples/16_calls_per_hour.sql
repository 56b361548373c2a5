-- Calls per hour, reads and writes: the shape of a day.
-- Source: Athena: 'events over time'.
-- columns: hour, events, reads, writes, errors
SELECT date_trunc('hour', event_time) AS hour, count(*) AS events,
       count(*) FILTER (WHERE read_only) AS reads, count(*) FILTER (WHERE NOT read_only) AS writes,
       count(*) FILTER (WHERE error_code IS NOT NULL) AS errors
FROM events
GROUP BY 1 ORDER BY 1;
