-- Actors with the most distinct detections: where to look first.
-- Source: Triage.
-- columns: actor, rules, hits, which
SELECT actor, count(DISTINCT rule) AS rules, count(*) AS hits,
       string_agg(DISTINCT rule, ', ' ORDER BY rule) AS which
FROM detections
GROUP BY actor
ORDER BY rules DESC, hits DESC
LIMIT 20;
