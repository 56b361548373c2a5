-- KMS keys disabled, scheduled for deletion or given a new policy.
-- Source: CIS 4.7.
-- columns: event_time, who, event_name, key_id, pending_days, error_code
SELECT event_time, coalesce(user_arn, invoked_by) AS who, event_name, request_parameters->>'keyId' AS key_id,
       request_parameters->>'pendingWindowInDays' AS pending_days, error_code
FROM events
WHERE event_source = 'kms.amazonaws.com'
  AND event_name IN ('DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'PutKeyPolicy', 'CreateGrant', 'ImportKeyMaterial')
ORDER BY event_time;
