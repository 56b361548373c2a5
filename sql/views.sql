-- trail.create_views(): the standard views beside a table of events.
\i test/helpers.sql

CREATE SERVER regress_ct FOREIGN DATA WRAPPER trail_fdw;
CREATE SCHEMA audit;
SELECT pg_temp.run(format('IMPORT FOREIGN SCHEMA trail FROM SERVER regress_ct INTO audit OPTIONS (location %L)',
                          pg_temp.f('AWSLogs')));

SELECT * FROM trail.create_views('audit.events');

-- plain views a user can read
SELECT c.relname, regexp_replace(pg_get_viewdef(c.oid), '^.*(WHERE.*)$', '\1', 's') AS condition
FROM pg_class c WHERE c.relnamespace = 'audit'::regnamespace AND c.relkind = 'v'
ORDER BY 1;
SELECT obj_description('audit.write_events'::regclass, 'pg_class');

SELECT 'management_events' AS view, count(*) FROM audit.management_events
UNION ALL SELECT 'data_events', count(*) FROM audit.data_events
UNION ALL SELECT 'insight_events', count(*) FROM audit.insight_events
UNION ALL SELECT 'network_activity_events', count(*) FROM audit.network_activity_events
UNION ALL SELECT 'read_events', count(*) FROM audit.read_events
UNION ALL SELECT 'write_events', count(*) FROM audit.write_events
UNION ALL SELECT 'events', count(*) FROM audit.events;
-- records without readOnly are in neither read_events nor write_events
SELECT event_category, count(*) FROM audit.events WHERE read_only IS NULL GROUP BY 1 ORDER BY 1;

-- the views keep the pruning of the table under them
SELECT * FROM pg_temp.explain($$SELECT user_arn, event_name FROM audit.write_events
  WHERE event_time >= '2025-03-05'$$);
SELECT user_arn, event_name, count(*) FROM audit.write_events GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2;

-- a second call fails on the existing views
SELECT pg_temp.try($$SELECT trail.create_views('audit.events')$$);
-- any table with the columns works, a foreign table or not
CREATE TABLE audit.copy AS SELECT * FROM audit.events;
CREATE SCHEMA other;
ALTER TABLE audit.copy SET SCHEMA other;
SELECT * FROM trail.create_views('other.copy');
SELECT count(*) FROM other.data_events;

DROP SCHEMA other CASCADE;
DROP SCHEMA audit CASCADE;
DROP SERVER regress_ct;
