-- Changes to CloudTrail itself, Config, GuardDuty and flow logs.
-- Source: CIS 4.5, 4.9; incident response: defense evasion.
-- columns: event_time, who, event_source, event_name, error_code
SELECT event_time, coalesce(user_arn, invoked_by) AS who, event_source, event_name, error_code
FROM events
WHERE (event_source = 'cloudtrail.amazonaws.com' AND read_only IS FALSE)
   OR (event_source IN ('config.amazonaws.com', 'guardduty.amazonaws.com') AND event_name ~ '^(Stop|Delete|Update|Disable)')
   OR event_name = 'DeleteFlowLogs'
ORDER BY event_time;
