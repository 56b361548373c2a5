-- Unusual call and error rates in the last day of the data, against the days before it (computed locally).
-- Source: CloudTrail Insights without Insights.
-- columns: kind, event_source, event_name, error_code, started_at, ended_at, baseline, during, top_principal
SELECT kind, event_source, event_name, error_code, started_at, ended_at, round(baseline_average::numeric, 3) AS baseline,
       round(insight_average::numeric, 1) AS during, top_principals->0->>'value' AS top_principal
FROM trail.rate_anomalies('events', since => (SELECT max(event_time) FROM events) - interval '1 day',
                          until => (SELECT max(event_time) FROM events) + interval '1 second')
ORDER BY started_at;
