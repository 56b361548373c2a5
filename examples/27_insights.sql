-- CloudTrail Insights: unusual call and error rates as AWS saw them.
-- Source: Athena: 'Insights events'.
-- columns: started_at, ended_at, insight_type, event_source, event_name, error_code, baseline_average, insight_average, insight_duration_minutes, top_principal
SELECT started_at, ended_at, insight_type, event_source, event_name, error_code,
       baseline_average, insight_average, insight_duration_minutes, top_principals->0->>'value' AS top_principal
FROM insights
ORDER BY started_at;
