-- Who and what: ARNs taken apart, the resources an event names, and
-- temporary credentials back to the call that issued them.
\i test/helpers.sql

-- every form of ARN
SELECT a AS arn_text, (trail.arn(a)).*
FROM (VALUES
    ('arn:aws:sts::111122223333:assumed-role/Admin/alice'),
    ('arn:aws:iam::111122223333:user/division/bob'),
    ('arn:aws:iam::111122223333:root'),
    ('arn:aws:s3:::example-bucket'),
    ('arn:aws:s3:::example-bucket/2025/03/report.csv'),
    ('arn:aws:s3:us-east-1:111122223333:accesspoint/ap1'),
    ('arn:aws:lambda:eu-west-1:111122223333:function:resize:prod'),
    ('arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/resize:*'),
    ('arn:aws:ec2:us-east-1:111122223333:instance/i-0abc123def4567890'),
    ('arn:aws:sns:us-east-1:111122223333:alerts'),
    ('arn:aws:rds:us-east-1:111122223333:db:orders'),
    ('arn:aws:dynamodb:us-east-1:111122223333:table/Orders/stream/2025-03-04T00:00:00.000'),
    ('arn:aws-cn:ec2:cn-north-1:111122223333:vpc/vpc-01234567'),
    ('arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/0d6c5b4a-3e2f-4a1b-9c8d-7e6f5a4b3c2d'),
    ('arn:aws:iam::aws:policy/AdministratorAccess')
) v(a);
-- text that is not an ARN: an error, or NULL when lenient
SELECT pg_temp.try($$SELECT trail.arn('arn:aws:s3')$$);
SELECT pg_temp.try($$SELECT trail.arn('i-0abc123def4567890')$$);
SELECT pg_temp.try($$SELECT trail.arn('arn::ec2:us-east-1:1:instance/i-1')$$);
SELECT trail.arn('not an arn', lenient => true) IS NULL AS lenient_null;
SELECT trail.arn(NULL) IS NULL AS null_in_null_out;

-- the resources of composed events, service by service
CREATE TEMP TABLE calls (n int, source text, name text, req jsonb, resp jsonb, res jsonb);
INSERT INTO calls VALUES
 (1, 'ec2.amazonaws.com', 'RunInstances',
  '{"instancesSet":{"items":[{"imageId":"ami-0123456789abcdef0","minCount":1}]},"subnetId":"subnet-0a1b2c3d","keyName":"ops-key",
    "networkInterfaceSet":{"items":[{"groupSet":{"items":[{"groupId":"sg-0a1b2c3d4e5f60718"}]}}]}}',
  '{"instancesSet":{"items":[{"instanceId":"i-0abc123def4567890","vpcId":"vpc-01234567","networkInterfaceSet":{"items":[{"networkInterfaceId":"eni-0123456789abcdef0"}]}}]}}', NULL),
 (2, 'ec2.amazonaws.com', 'ModifyInstanceAttribute', '{"instanceId":"i-0abc123def4567890","userData":"<sensitiveDataRemoved>"}', '{"_return":true}', NULL),
 (3, 'ec2.amazonaws.com', 'CreateSnapshot', '{"volumeId":"vol-0123456789abcdef0"}', '{"snapshotId":"snap-0123456789abcdef0","volumeId":"vol-0123456789abcdef0"}', NULL),
 (4, 'ec2.amazonaws.com', 'DeleteFlowLogs', '{"DeleteFlowLogsRequest":{"FlowLogId":{"tag":1,"content":"fl-0123456789abcdef0"}}}', NULL, NULL),
 (5, 'iam.amazonaws.com', 'CreateAccessKey', '{"userName":"backup"}', '{"accessKey":{"accessKeyId":"AKIAEXAMPLEKEY000001","userName":"backup","status":"Active"}}', NULL),
 (6, 'iam.amazonaws.com', 'AttachRolePolicy', '{"roleName":"app","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}', NULL, NULL),
 (7, 'iam.amazonaws.com', 'AddUserToGroup', '{"groupName":"admins","userName":"mallory"}', NULL, NULL),
 (8, 'iam.amazonaws.com', 'AddRoleToInstanceProfile', '{"instanceProfileName":"web","roleName":"web-role"}', NULL, NULL),
 (9, 's3.amazonaws.com', 'PutBucketPolicy', '{"bucketName":"example-reports","policy":"{}"}', NULL, NULL),
 (10, 's3.amazonaws.com', 'GetObject', '{"bucketName":"example-reports","key":"2025/q1.csv"}', NULL,
  '[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::example-reports/2025/q1.csv"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::example-reports"}]'),
 (11, 'kms.amazonaws.com', 'ScheduleKeyDeletion', '{"keyId":"0d6c5b4a-3e2f-4a1b-9c8d-7e6f5a4b3c2d","pendingWindowInDays":7}', NULL, NULL),
 (12, 'lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', '{"functionName":"resize"}', '{"functionName":"resize","role":"arn:aws:iam::111122223333:role/service-role/resize-role"}', NULL),
 (13, 'sts.amazonaws.com', 'AssumeRole', '{"roleArn":"arn:aws:iam::111122223333:role/Admin","roleSessionName":"alice"}',
  '{"credentials":{"accessKeyId":"ASIAEXAMPLEKEY000002","expiration":"Mar 4, 2025, 10:12:40 AM"},"assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice"}}', NULL),
 (14, 'cloudtrail.amazonaws.com', 'StopLogging', '{"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/management-trail"}', NULL, NULL),
 (15, 'secretsmanager.amazonaws.com', 'GetSecretValue', '{"secretId":"prod/db-password"}', NULL, NULL),
 (16, 'ssm.amazonaws.com', 'GetParameters', '{"names":["/prod/db/url","/prod/db/user"],"withDecryption":true}', NULL, NULL),
 (17, 'rds.amazonaws.com', 'ModifyDBSnapshotAttribute', '{"dBSnapshotIdentifier":"orders-2025-03-04","attributeName":"restore","valuesToAdd":["all"]}', NULL, NULL),
 (18, 'dynamodb.amazonaws.com', 'DeleteTable', '{"tableName":"Orders"}', NULL, NULL),
 (19, 'eks.amazonaws.com', 'DeleteCluster', '{"name":"prod"}', NULL, NULL),
 (20, 'ecs.amazonaws.com', 'DeleteCluster', '{"cluster":"batch"}', NULL, NULL),
 (21, 'organizations.amazonaws.com', 'RemoveAccountFromOrganization', '{"accountId":"444455556666"}', NULL, NULL),
 (22, 'organizations.amazonaws.com', 'LeaveOrganization', NULL, NULL, NULL),
 (23, 'iam.amazonaws.com', 'ChangePassword', NULL, NULL, NULL),
 (24, 'ec2.amazonaws.com', 'CreateTags', '{"resourcesSet":{"items":[{"resourceId":"i-0abc123def4567890"},{"resourceId":"sg-0a1b2c3d"},{"resourceId":"zzz-1"}]},"tagSet":{"items":[{"key":"team","value":"data"}]}}', NULL, NULL);
SELECT c.n, c.name, r.*
FROM calls c, trail.resources(c.source, c.name, c.req, c.resp, c.res, '111122223333',
                              '{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/carol","userName":"carol"}') r
ORDER BY c.n, r.resource_type, r.resource_id;

-- a row of events works too (here trail.event rows from trail.parse)
SELECT p.event_name, r.resource_type, r.resource_id, r.role
FROM trail.parse(pg_read_file(pg_temp.f('shapes/records.json'))) p,
     trail.resources(p) r
ORDER BY 1, 2, 3;

-- the mapping is data: a rule added locally is used at once
INSERT INTO trail.resource_key (event_source, event_name, key, resource_type)
VALUES ('example.amazonaws.com', NULL, 'widgetId', 'Example::Widget');
SELECT * FROM trail.resources('example.amazonaws.com', 'DeleteWidget', '{"widgetId":"w-1"}', NULL);
DELETE FROM trail.resource_key WHERE NOT builtin;

-- a temporary key back to the AssumeRole that issued it
CREATE TEMP TABLE events AS
SELECT * FROM trail.parse($${"Records":[
 {"eventVersion":"1.08","eventTime":"2025-03-04T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
  "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},
  "sourceIPAddress":"198.51.100.7","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Admin","roleSessionName":"alice-admin"},
  "responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLEKEY000002","expiration":"Mar 4, 2025, 10:00:00 AM"},
    "assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE:alice-admin","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice-admin"}},
  "eventID":"0d6c5b4a-3e2f-4a1b-9c8d-7e6f5a4b3c2d","recipientAccountId":"111122223333","readOnly":true,"eventCategory":"Management"},
 {"eventVersion":"1.08","eventTime":"2025-03-04T09:05:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser",
  "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice-admin","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEKEY000002",
    "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"}}},
  "requestParameters":{"userName":"backdoor"},"eventID":"a3b2c1d0-e9f8-4a7b-8c6d-5e4f3a2b1c0d","recipientAccountId":"111122223333","readOnly":false,"eventCategory":"Management"}
]}$$);
SELECT trail.create_credentials_view('pg_temp.events');
SELECT e.event_name, c.access_key_id, c.issued_by_call, c.requested_by, c.role_arn, c.session_name, c.source_ip_address
FROM pg_temp.events e JOIN pg_temp.issued_credentials c ON c.access_key_id = e.access_key_id
ORDER BY e.event_time;
