-- trail.files(): what the S3 key layout says about each file.
\i test/helpers.sql

SELECT replace(path, current_setting('regress.fixtures'), '<fixtures>') AS path,
       kind, organization_id, account_id, region, delivered_at, size_bytes > 0 AS has_bytes
FROM trail.files(pg_temp.f('AWSLogs'))
ORDER BY path;

-- not recursive: only the files directly in the directory
SELECT replace(path, current_setting('regress.fixtures'), '<fixtures>') AS path, kind
FROM trail.files(pg_temp.f('AWSLogs'), recursive => false);

-- a single file
SELECT kind, account_id, region, delivered_at, size_bytes
FROM trail.files(pg_temp.f('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/04/111122223333_CloudTrail-Digest_us-east-1_management-trail_us-east-1_20250304T101500Z.json.gz'));

-- paths outside the layout have no kind
SELECT count(*) AS files, count(kind) AS in_layout FROM trail.files(pg_temp.f('shapes'));

-- a summary an analyst would run first
SELECT kind, account_id, region, count(*) AS files,
       min(delivered_at)::date AS first_day, max(delivered_at)::date AS last_day
FROM trail.files(pg_temp.f('AWSLogs'))
WHERE kind IS NOT NULL
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
