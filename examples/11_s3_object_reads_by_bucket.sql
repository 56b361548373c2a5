-- Who read objects from which bucket, and how much (S3 data events).
-- Source: Athena: 'S3 data events'.
-- columns: bucket, reader, reads, bytes_out
SELECT request_parameters->>'bucketName' AS bucket, coalesce(user_arn, invoked_by, principal_id) AS reader,
       count(*) AS reads,
       pg_size_pretty(sum((additional_event_data->>'bytesTransferredOut')::numeric)) AS bytes_out
FROM events
WHERE event_source = 's3.amazonaws.com' AND event_name = 'GetObject'
GROUP BY 1, 2
ORDER BY reads DESC
LIMIT 50;
