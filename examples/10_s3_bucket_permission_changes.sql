-- Changes to bucket policies, ACLs and public access blocks.
-- Source: Athena: 'S3 bucket policy changes'; CIS 4.8.
-- columns: event_time, who, event_name, bucket, error_code
SELECT event_time, coalesce(user_arn, invoked_by) AS who, event_name, request_parameters->>'bucketName' AS bucket, error_code
FROM events
WHERE event_source = 's3.amazonaws.com'
  AND event_name IN ('PutBucketPolicy', 'DeleteBucketPolicy', 'PutBucketAcl', 'PutBucketPublicAccessBlock',
                     'DeleteBucketPublicAccessBlock', 'PutBucketCors', 'PutBucketReplication')
ORDER BY event_time;
