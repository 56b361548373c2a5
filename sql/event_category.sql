-- event_category: read from eventCategory, or derived for records older
-- than eventVersion 1.07.
\i test/helpers.sql

SELECT record_index, event_version, event_source, event_name, event_category,
       management_event
FROM trail.read(pg_temp.f('records/old-versions.json')) ORDER BY record_index;

SELECT record_index, event_name, management_event, event_category
FROM trail.read(pg_temp.f('records/v106-managementevent.json')) ORDER BY record_index;

SELECT record_index, event_type, insight_details IS NOT NULL AS has_insight,
       event_category
FROM trail.read(pg_temp.f('records/no-category-network.json')) ORDER BY record_index;

SELECT record_index, event_time, event_category, shared_event_id,
       insight_details->>'state' AS state,
       insight_details #> '{insightContext,statistics,baseline,average}' AS baseline
FROM trail.read(pg_temp.f('records/insights.json')) ORDER BY record_index;

SELECT record_index, event_name, event_category, error_code, vpc_endpoint_id,
       user_type, read_only
FROM trail.read(pg_temp.f('records/network-activity.json')) ORDER BY record_index;

-- never NULL for an event
SELECT count(*) FILTER (WHERE event_category IS NULL) AS null_categories
FROM (SELECT event_category FROM trail.read(pg_temp.f('records'))
      UNION ALL SELECT event_category FROM trail.read(pg_temp.f('edge'))) t;

-- an unknown label is an error, not a guess
SELECT pg_temp.try($$SELECT event_category FROM trail.read(pg_temp.f('bad/unknown-category.json'))$$);

-- the enum
SELECT enum_range(NULL::trail.event_category);
