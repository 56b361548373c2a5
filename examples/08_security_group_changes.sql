-- Changes to security groups.
-- Source: Athena: 'security group changes'; CIS 4.10.
-- columns: event_time, who, event_name, group_id, cidr, from_port, error_code
SELECT event_time, coalesce(user_arn, invoked_by) AS who, event_name,
       coalesce(request_parameters->>'groupId', request_parameters->>'groupName') AS group_id,
       request_parameters->>'cidrIp' AS cidr, request_parameters->>'fromPort' AS from_port, error_code
FROM events
WHERE event_source = 'ec2.amazonaws.com'
  AND event_name IN ('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress',
                     'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules')
ORDER BY event_time;
