-- Every IAM write: users, keys, policies, roles.
-- Source: Athena: 'IAM policy changes'; CIS 4.4.
-- columns: event_time, who, event_name, target, error_code
SELECT event_time, coalesce(user_arn, invoked_by) AS who, event_name,
       coalesce(request_parameters->>'userName', request_parameters->>'roleName', request_parameters->>'groupName',
                request_parameters->>'policyArn', request_parameters->>'policyName') AS target,
       error_code
FROM events
WHERE event_source = 'iam.amazonaws.com' AND read_only IS FALSE
ORDER BY event_time;
