/* trail--1.0--1.1.sql: from 1.0 to 1.1 (CREATE EXTENSION trail runs
 * trail--1.0.sql and then this file, so a new database and an updated one
 * hold the same objects) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION trail UPDATE TO '1.1'" to load this file. \quit

-- ----------------------------------------------------------------------
-- The standard views: read_events and write_events test read_only and
-- NOT read_only (the same rows as IS TRUE / IS FALSE), which postgres_fdw
-- sends to the nodes of a sharded trail
-- ----------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.create_views(events regclass)
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp name;
    rel name;
    v record;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = events;

    FOR v IN
        SELECT * FROM (VALUES
            ('management_events', $q$event_category = 'Management'$q$,
             'Management events: operations on resources (control plane)'),
            ('data_events', $q$event_category = 'Data'$q$,
             'Data events: operations on or in a resource (data plane), such as S3 object reads and writes'),
            ('insight_events', $q$event_category = 'Insight'$q$,
             'CloudTrail Insights events: unusual API call or error rates'),
            ('network_activity_events', $q$event_category = 'NetworkActivity'$q$,
             'Network activity events: calls through VPC endpoints'),
            ('read_events', $q$read_only$q$,
             'Events of read-only calls (readOnly true); events without readOnly are in neither read_events nor write_events'),
            ('write_events', $q$NOT read_only$q$,
             'Events of calls that may change something (readOnly false); events without readOnly are in neither read_events nor write_events')
        ) AS t(name, cond, note)
    LOOP
        EXECUTE format('CREATE VIEW %I.%I AS SELECT * FROM %I.%I WHERE %s',
                       nsp, v.name, nsp, rel, v.cond);
        EXECUTE format('COMMENT ON VIEW %I.%I IS %L', nsp, v.name, v.note);
        RETURN NEXT format('%I.%I', nsp, v.name)::regclass;
    END LOOP;
END
$$;


-- ----------------------------------------------------------------------
-- Who acted: new columns at the end of trail.event, and the readers that
-- return them (new C symbols: the 1.0 ones keep returning 1.0's rows)
-- ----------------------------------------------------------------------

ALTER TYPE @extschema@.event
    ADD ATTRIBUTE actor text,
    ADD ATTRIBUTE actor_type text,
    ADD ATTRIBUTE actor_account text,
    ADD ATTRIBUTE session_name text,
    ADD ATTRIBUTE source_identity text,
    ADD ATTRIBUTE on_behalf_of jsonb,
    ADD ATTRIBUTE in_scope_of jsonb,
    ADD ATTRIBUTE identity_provider text,
    ADD ATTRIBUTE event_context jsonb;

CREATE OR REPLACE FUNCTION @extschema@.read(location text,
                                            recursive boolean DEFAULT true,
                                            on_error text DEFAULT 'stop')
RETURNS SETOF @extschema@.event
AS 'MODULE_PATHNAME', 'trail_read_1_1'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED ROWS 10000
SUPPORT @extschema@.reader_support;

CREATE OR REPLACE FUNCTION @extschema@.parse(document text)
RETURNS SETOF @extschema@.event
AS 'MODULE_PATHNAME', 'trail_parse_text_1_1'
LANGUAGE C STRICT STABLE PARALLEL SAFE ROWS 100
SUPPORT @extschema@.reader_support;

CREATE OR REPLACE FUNCTION @extschema@.parse(document bytea)
RETURNS SETOF @extschema@.event
AS 'MODULE_PATHNAME', 'trail_parse_bytea_1_1'
LANGUAGE C STRICT STABLE PARALLEL SAFE ROWS 100
SUPPORT @extschema@.reader_support;

COMMENT ON COLUMN @extschema@.event.actor IS 'who acted, one stable identity whatever the identity type: the role ARN for assumed roles, the user ARN for IAM users, the service for AWS services, the Identity Center user, ...';
COMMENT ON COLUMN @extschema@.event.actor_type IS 'what actor is: Role, IAMUser, Root, AWSService, IdentityCenterUser, ...';
COMMENT ON COLUMN @extschema@.event.actor_account IS 'the account the actor belongs to';
COMMENT ON COLUMN @extschema@.event.session_name IS 'for assumed roles, the session name (alice in assumed-role/Admin/alice)';
COMMENT ON COLUMN @extschema@.event.source_identity IS 'userIdentity.sessionContext.sourceIdentity: kept through role chaining';
COMMENT ON COLUMN @extschema@.event.on_behalf_of IS 'userIdentity.onBehalfOf: the Identity Center user a call was made for';
COMMENT ON COLUMN @extschema@.event.in_scope_of IS 'userIdentity.inScopeOf: the service resource the credentials were issued in scope of';
COMMENT ON COLUMN @extschema@.event.identity_provider IS 'userIdentity.identityProvider: for SAML and web identity users';
COMMENT ON COLUMN @extschema@.event.event_context IS 'eventContext: request and tag context (CloudTrail Lake enriched events)';

-- ----------------------------------------------------------------------
-- Who and what: ARNs taken apart, and the resources an event names
-- ----------------------------------------------------------------------

CREATE TYPE @extschema@.arn AS (
    partition text,
    service text,
    region text,
    account_id text,
    resource_type text,
    resource_id text
);
COMMENT ON TYPE @extschema@.arn IS
'An Amazon Resource Name taken apart: arn:partition:service:region:account-id:resource';

CREATE FUNCTION @extschema@.arn(arn text, lenient boolean DEFAULT false)
RETURNS @extschema@.arn
AS 'MODULE_PATHNAME', 'trail_arn'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.arn(text, boolean) IS
'The parts of an ARN (NULL where it leaves one empty); text that is not an ARN is an error, or NULL when lenient';

-- Which member names, in the requestParameters and responseElements of
-- one service's events, hold the identifier of a resource.  One row per
-- rule: adding an API is one INSERT.  Rows you add yourself (builtin
-- false) are kept by pg_dump.
CREATE TABLE @extschema@.resource_key (
    event_source text NOT NULL,
    event_name text,
    key text NOT NULL,
    resource_type text NOT NULL,
    builtin boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX resource_key_rule
    ON @extschema@.resource_key (event_source, coalesce(event_name, ''), lower(key));
COMMENT ON TABLE @extschema@.resource_key IS
'Where events name resources: a member called key (any letter case, at any depth of requestParameters or responseElements) of an event from event_source (and event_name, or any when NULL) holds the id of a resource_type; the keys @account (the recipient account) and @actor (the caller) name no member';
COMMENT ON COLUMN @extschema@.resource_key.event_source IS 'eventSource, e.g. ec2.amazonaws.com';
COMMENT ON COLUMN @extschema@.resource_key.event_name IS 'eventName, or NULL for every event of the source';
COMMENT ON COLUMN @extschema@.resource_key.key IS 'a member name (compared without letter case), or @account, or @actor';
COMMENT ON COLUMN @extschema@.resource_key.resource_type IS 'CloudFormation-style type, e.g. AWS::EC2::Instance';
COMMENT ON COLUMN @extschema@.resource_key.builtin IS 'shipped with trail (replaced by extension updates); false for rows added locally';

-- How an ARN's service and resource type read as a CloudFormation type,
-- and which part of its id an inventory knows the resource by: all of it,
-- the last segment (IAM names: role/path/name is the role "name") or the
-- first (an assumed role Admin/alice is the role "Admin").
CREATE TABLE @extschema@.arn_type (
    service text NOT NULL,
    arn_resource_type text NOT NULL,
    resource_type text NOT NULL,
    id_part text NOT NULL DEFAULT 'all' CHECK (id_part IN ('all', 'first', 'last')),
    builtin boolean NOT NULL DEFAULT false,
    PRIMARY KEY (service, arn_resource_type)
);
COMMENT ON TABLE @extschema@.arn_type IS
'The CloudFormation-style type of the resources an ARN names, by the ARN''s service and resource type';

-- EC2 ids say what they are by their prefix (i-, sg-, vol-, ...): a rule
-- whose resource_type is 'AWS::EC2::*' (CreateTags' resourceId) takes the
-- type from here.
CREATE TABLE @extschema@.id_prefix (
    prefix text PRIMARY KEY,
    resource_type text NOT NULL,
    builtin boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.id_prefix IS
'The resource type of an EC2 id by its prefix, for rules of trail.resource_key whose type is AWS::EC2::*';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.id_prefix', 'WHERE NOT builtin');
INSERT INTO @extschema@.id_prefix (prefix, resource_type, builtin) VALUES
    ('i-', 'AWS::EC2::Instance', true),
    ('sg-', 'AWS::EC2::SecurityGroup', true),
    ('vol-', 'AWS::EC2::Volume', true),
    ('snap-', 'AWS::EC2::Snapshot', true),
    ('ami-', 'AWS::EC2::Image', true),
    ('vpc-', 'AWS::EC2::VPC', true),
    ('subnet-', 'AWS::EC2::Subnet', true),
    ('eni-', 'AWS::EC2::NetworkInterface', true),
    ('igw-', 'AWS::EC2::InternetGateway', true),
    ('rtb-', 'AWS::EC2::RouteTable', true),
    ('eipalloc-', 'AWS::EC2::EIP', true),
    ('nat-', 'AWS::EC2::NatGateway', true),
    ('lt-', 'AWS::EC2::LaunchTemplate', true),
    ('acl-', 'AWS::EC2::NetworkAcl', true),
    ('vpce-', 'AWS::EC2::VPCEndpoint', true),
    ('tgw-', 'AWS::EC2::TransitGateway', true),
    ('key-', 'AWS::EC2::KeyPair', true),
    ('fl-', 'AWS::EC2::FlowLog', true);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.resource_key', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.arn_type', 'WHERE NOT builtin');

INSERT INTO @extschema@.arn_type (service, arn_resource_type, resource_type, id_part, builtin) VALUES
    ('iam', 'user', 'AWS::IAM::User', 'last', true),
    ('iam', 'role', 'AWS::IAM::Role', 'last', true),
    ('iam', 'group', 'AWS::IAM::Group', 'last', true),
    ('iam', 'policy', 'AWS::IAM::ManagedPolicy', 'all', true),
    ('iam', 'instance-profile', 'AWS::IAM::InstanceProfile', 'last', true),
    ('iam', 'saml-provider', 'AWS::IAM::SAMLProvider', 'all', true),
    ('iam', 'oidc-provider', 'AWS::IAM::OIDCProvider', 'all', true),
    ('iam', 'mfa', 'AWS::IAM::VirtualMFADevice', 'all', true),
    ('sts', 'assumed-role', 'AWS::IAM::Role', 'first', true),
    ('sts', 'federated-user', 'AWS::STS::FederatedUser', 'all', true),
    ('ec2', 'instance', 'AWS::EC2::Instance', 'all', true),
    ('ec2', 'security-group', 'AWS::EC2::SecurityGroup', 'all', true),
    ('ec2', 'volume', 'AWS::EC2::Volume', 'all', true),
    ('ec2', 'snapshot', 'AWS::EC2::Snapshot', 'all', true),
    ('ec2', 'image', 'AWS::EC2::Image', 'all', true),
    ('ec2', 'vpc', 'AWS::EC2::VPC', 'all', true),
    ('ec2', 'subnet', 'AWS::EC2::Subnet', 'all', true),
    ('ec2', 'network-interface', 'AWS::EC2::NetworkInterface', 'all', true),
    ('ec2', 'key-pair', 'AWS::EC2::KeyPair', 'all', true),
    ('ec2', 'launch-template', 'AWS::EC2::LaunchTemplate', 'all', true),
    ('s3', 'bucket', 'AWS::S3::Bucket', 'all', true),
    ('s3', 'object', 'AWS::S3::Object', 'all', true),
    ('s3', 'accesspoint', 'AWS::S3::AccessPoint', 'all', true),
    ('kms', 'key', 'AWS::KMS::Key', 'all', true),
    ('kms', 'alias', 'AWS::KMS::Alias', 'all', true),
    ('lambda', 'function', 'AWS::Lambda::Function', 'all', true),
    ('lambda', 'layer', 'AWS::Lambda::LayerVersion', 'all', true),
    ('cloudtrail', 'trail', 'AWS::CloudTrail::Trail', 'all', true),
    ('secretsmanager', 'secret', 'AWS::SecretsManager::Secret', 'all', true),
    ('ssm', 'parameter', 'AWS::SSM::Parameter', 'all', true),
    ('ssm', 'document', 'AWS::SSM::Document', 'all', true),
    ('ssm', 'session', 'AWS::SSM::Session', 'all', true),
    ('rds', 'db', 'AWS::RDS::DBInstance', 'all', true),
    ('rds', 'cluster', 'AWS::RDS::DBCluster', 'all', true),
    ('rds', 'snapshot', 'AWS::RDS::DBSnapshot', 'all', true),
    ('rds', 'cluster-snapshot', 'AWS::RDS::DBClusterSnapshot', 'all', true),
    ('rds', 'secgrp', 'AWS::RDS::DBSecurityGroup', 'all', true),
    ('dynamodb', 'table', 'AWS::DynamoDB::Table', 'all', true),
    ('eks', 'cluster', 'AWS::EKS::Cluster', 'all', true),
    ('ecs', 'cluster', 'AWS::ECS::Cluster', 'all', true),
    ('ecs', 'task-definition', 'AWS::ECS::TaskDefinition', 'all', true),
    ('ecs', 'service', 'AWS::ECS::Service', 'all', true),
    ('organizations', 'account', 'AWS::Organizations::Account', 'last', true),
    ('logs', 'log-group', 'AWS::Logs::LogGroup', 'all', true),
    ('sns', 'topic', 'AWS::SNS::Topic', 'all', true),
    ('sqs', 'queue', 'AWS::SQS::Queue', 'all', true),
    ('guardduty', 'detector', 'AWS::GuardDuty::Detector', 'all', true),
    ('codebuild', 'project', 'AWS::CodeBuild::Project', 'all', true),
    ('bedrock', 'guardrail', 'AWS::Bedrock::Guardrail', 'all', true),
    ('rolesanywhere', 'trust-anchor', 'AWS::RolesAnywhere::TrustAnchor', 'all', true),
    ('rolesanywhere', 'profile', 'AWS::RolesAnywhere::Profile', 'all', true),
    ('route53resolver', 'resolver-query-log-config', 'AWS::Route53Resolver::ResolverQueryLoggingConfig', 'all', true),
    ('signin', 'session', 'AWS::SignIn::Session', 'all', true);

INSERT INTO @extschema@.resource_key (event_source, event_name, key, resource_type, builtin) VALUES
    -- EC2
    ('ec2.amazonaws.com', NULL, 'instanceId', 'AWS::EC2::Instance', true),
    ('ec2.amazonaws.com', NULL, 'instanceIds', 'AWS::EC2::Instance', true),
    ('ec2.amazonaws.com', NULL, 'groupId', 'AWS::EC2::SecurityGroup', true),
    ('ec2.amazonaws.com', NULL, 'volumeId', 'AWS::EC2::Volume', true),
    ('ec2.amazonaws.com', NULL, 'snapshotId', 'AWS::EC2::Snapshot', true),
    ('ec2.amazonaws.com', NULL, 'imageId', 'AWS::EC2::Image', true),
    ('ec2.amazonaws.com', NULL, 'vpcId', 'AWS::EC2::VPC', true),
    ('ec2.amazonaws.com', NULL, 'subnetId', 'AWS::EC2::Subnet', true),
    ('ec2.amazonaws.com', NULL, 'networkInterfaceId', 'AWS::EC2::NetworkInterface', true),
    ('ec2.amazonaws.com', NULL, 'keyName', 'AWS::EC2::KeyPair', true),
    ('ec2.amazonaws.com', NULL, 'launchTemplateId', 'AWS::EC2::LaunchTemplate', true),
    ('ec2.amazonaws.com', NULL, 'allocationId', 'AWS::EC2::EIP', true),
    ('ec2.amazonaws.com', NULL, 'internetGatewayId', 'AWS::EC2::InternetGateway', true),
    ('ec2.amazonaws.com', NULL, 'routeTableId', 'AWS::EC2::RouteTable', true),
    ('ec2.amazonaws.com', NULL, 'natGatewayId', 'AWS::EC2::NatGateway', true),
    ('ec2.amazonaws.com', NULL, 'flowLogId', 'AWS::EC2::FlowLog', true),
    ('ec2.amazonaws.com', NULL, 'resourceId', 'AWS::EC2::*', true),
    ('ec2.amazonaws.com', NULL, 'trafficMirrorFilterId', 'AWS::EC2::TrafficMirrorFilter', true),
    ('ec2.amazonaws.com', NULL, 'trafficMirrorTargetId', 'AWS::EC2::TrafficMirrorTarget', true),
    ('ec2.amazonaws.com', NULL, 'trafficMirrorSessionId', 'AWS::EC2::TrafficMirrorSession', true),
    ('ec2.amazonaws.com', 'EnableSerialConsoleAccess', '@account', 'AWS::EC2::SerialConsoleAccess', true),
    ('ec2.amazonaws.com', 'DisableSerialConsoleAccess', '@account', 'AWS::EC2::SerialConsoleAccess', true),
    ('ec2.amazonaws.com', 'EnableEbsEncryptionByDefault', '@account', 'AWS::EC2::EBSEncryptionByDefault', true),
    ('ec2.amazonaws.com', 'DisableEbsEncryptionByDefault', '@account', 'AWS::EC2::EBSEncryptionByDefault', true),
    ('ec2-instance-connect.amazonaws.com', NULL, 'instanceId', 'AWS::EC2::Instance', true),
    -- IAM
    ('iam.amazonaws.com', NULL, 'userName', 'AWS::IAM::User', true),
    ('iam.amazonaws.com', NULL, 'roleName', 'AWS::IAM::Role', true),
    ('iam.amazonaws.com', NULL, 'groupName', 'AWS::IAM::Group', true),
    ('iam.amazonaws.com', NULL, 'policyArn', 'AWS::IAM::ManagedPolicy', true),
    ('iam.amazonaws.com', NULL, 'accessKeyId', 'AWS::IAM::AccessKey', true),
    ('iam.amazonaws.com', NULL, 'instanceProfileName', 'AWS::IAM::InstanceProfile', true),
    ('iam.amazonaws.com', NULL, 'sAMLProviderArn', 'AWS::IAM::SAMLProvider', true),
    ('iam.amazonaws.com', NULL, 'serialNumber', 'AWS::IAM::VirtualMFADevice', true),
    ('iam.amazonaws.com', NULL, 'virtualMFADeviceName', 'AWS::IAM::VirtualMFADevice', true),
    ('iam.amazonaws.com', 'CreateSAMLProvider', 'name', 'AWS::IAM::SAMLProvider', true),
    ('iam.amazonaws.com', 'ChangePassword', '@actor', 'AWS::IAM::User', true),
    ('iam.amazonaws.com', 'CreateAccessKey', '@actor', 'AWS::IAM::User', true),
    ('iam.amazonaws.com', 'DeleteAccessKey', '@actor', 'AWS::IAM::User', true),
    ('iam.amazonaws.com', 'UpdateAccessKey', '@actor', 'AWS::IAM::User', true),
    ('iam.amazonaws.com', 'CreateLoginProfile', '@actor', 'AWS::IAM::User', true),
    ('iam.amazonaws.com', 'EnableMFADevice', '@actor', 'AWS::IAM::User', true),
    ('iam.amazonaws.com', 'UpdateAccountPasswordPolicy', '@account', 'AWS::IAM::AccountPasswordPolicy', true),
    ('iam.amazonaws.com', 'DeleteAccountPasswordPolicy', '@account', 'AWS::IAM::AccountPasswordPolicy', true),
    ('signin.amazonaws.com', NULL, '@actor', 'AWS::IAM::User', true),
    ('sso.amazonaws.com', NULL, '@actor', 'AWS::SSO::User', true),
    -- STS: the role assumed, the keys issued
    ('sts.amazonaws.com', NULL, 'roleArn', 'AWS::IAM::Role', true),
    ('sts.amazonaws.com', NULL, 'accessKeyId', 'AWS::IAM::AccessKey', true),
    ('sts.amazonaws.com', NULL, 'principalArn', 'AWS::IAM::SAMLProvider', true),
    ('sts.amazonaws.com', 'GetSessionToken', '@actor', 'AWS::IAM::User', true),
    ('sts.amazonaws.com', 'GetFederationToken', 'name', 'AWS::STS::FederatedUser', true),
    -- S3
    ('s3.amazonaws.com', NULL, 'bucketName', 'AWS::S3::Bucket', true),
    ('s3.amazonaws.com', NULL, 'TargetBucket', 'AWS::S3::Bucket', true),
    ('s3.amazonaws.com', NULL, 'key', 'AWS::S3::Object', true),
    ('s3.amazonaws.com', 'PutAccountPublicAccessBlock', '@account', 'AWS::S3::AccountPublicAccessBlock', true),
    ('s3.amazonaws.com', 'DeleteAccountPublicAccessBlock', '@account', 'AWS::S3::AccountPublicAccessBlock', true),
    -- KMS
    ('kms.amazonaws.com', NULL, 'keyId', 'AWS::KMS::Key', true),
    ('kms.amazonaws.com', NULL, 'aliasName', 'AWS::KMS::Alias', true),
    ('kms.amazonaws.com', NULL, 'targetKeyId', 'AWS::KMS::Key', true),
    -- Lambda
    ('lambda.amazonaws.com', NULL, 'functionName', 'AWS::Lambda::Function', true),
    ('lambda.amazonaws.com', NULL, 'layerName', 'AWS::Lambda::LayerVersion', true),
    -- CloudTrail
    ('cloudtrail.amazonaws.com', NULL, 'name', 'AWS::CloudTrail::Trail', true),
    ('cloudtrail.amazonaws.com', NULL, 'trailName', 'AWS::CloudTrail::Trail', true),
    ('cloudtrail.amazonaws.com', NULL, 'trailARN', 'AWS::CloudTrail::Trail', true),
    ('cloudtrail.amazonaws.com', NULL, 'eventDataStore', 'AWS::CloudTrail::EventDataStore', true),
    -- Secrets Manager, SSM
    ('secretsmanager.amazonaws.com', NULL, 'secretId', 'AWS::SecretsManager::Secret', true),
    ('secretsmanager.amazonaws.com', 'CreateSecret', 'name', 'AWS::SecretsManager::Secret', true),
    ('ssm.amazonaws.com', NULL, 'instanceId', 'AWS::EC2::Instance', true),
    ('ssm.amazonaws.com', NULL, 'instanceIds', 'AWS::EC2::Instance', true),
    ('ssm.amazonaws.com', NULL, 'target', 'AWS::EC2::Instance', true),
    ('ssm.amazonaws.com', NULL, 'sessionId', 'AWS::SSM::Session', true),
    ('ssm.amazonaws.com', NULL, 'documentName', 'AWS::SSM::Document', true),
    ('ssm.amazonaws.com', 'GetParameter', 'name', 'AWS::SSM::Parameter', true),
    ('ssm.amazonaws.com', 'GetParameters', 'names', 'AWS::SSM::Parameter', true),
    ('ssm.amazonaws.com', 'PutParameter', 'name', 'AWS::SSM::Parameter', true),
    ('ssm.amazonaws.com', 'DeleteParameter', 'name', 'AWS::SSM::Parameter', true),
    ('ssm.amazonaws.com', 'DeleteParameters', 'names', 'AWS::SSM::Parameter', true),
    ('ssm.amazonaws.com', 'LabelParameterVersion', 'name', 'AWS::SSM::Parameter', true),
    -- RDS
    ('rds.amazonaws.com', NULL, 'dBInstanceIdentifier', 'AWS::RDS::DBInstance', true),
    ('rds.amazonaws.com', NULL, 'targetDBInstanceIdentifier', 'AWS::RDS::DBInstance', true),
    ('rds.amazonaws.com', NULL, 'dBClusterIdentifier', 'AWS::RDS::DBCluster', true),
    ('rds.amazonaws.com', NULL, 'globalClusterIdentifier', 'AWS::RDS::GlobalCluster', true),
    ('rds.amazonaws.com', NULL, 'dBSnapshotIdentifier', 'AWS::RDS::DBSnapshot', true),
    ('rds.amazonaws.com', NULL, 'sourceDBSnapshotIdentifier', 'AWS::RDS::DBSnapshot', true),
    ('rds.amazonaws.com', NULL, 'targetDBSnapshotIdentifier', 'AWS::RDS::DBSnapshot', true),
    ('rds.amazonaws.com', NULL, 'dBClusterSnapshotIdentifier', 'AWS::RDS::DBClusterSnapshot', true),
    ('rds.amazonaws.com', NULL, 'sourceDBClusterSnapshotIdentifier', 'AWS::RDS::DBClusterSnapshot', true),
    ('rds.amazonaws.com', NULL, 'targetDBClusterSnapshotIdentifier', 'AWS::RDS::DBClusterSnapshot', true),
    ('rds.amazonaws.com', NULL, 'dBSecurityGroupName', 'AWS::RDS::DBSecurityGroup', true),
    ('rds.amazonaws.com', NULL, 'dbiResourceId', 'AWS::RDS::DBInstance', true),
    ('rds.amazonaws.com', NULL, 'dbClusterResourceId', 'AWS::RDS::DBCluster', true),
    ('rds.amazonaws.com', NULL, 'exportTaskIdentifier', 'AWS::RDS::ExportTask', true),
    -- DynamoDB, EKS, ECS
    ('dynamodb.amazonaws.com', NULL, 'tableName', 'AWS::DynamoDB::Table', true),
    ('eks.amazonaws.com', NULL, 'clusterName', 'AWS::EKS::Cluster', true),
    ('eks.amazonaws.com', 'CreateCluster', 'name', 'AWS::EKS::Cluster', true),
    ('eks.amazonaws.com', 'DeleteCluster', 'name', 'AWS::EKS::Cluster', true),
    ('ecs.amazonaws.com', NULL, 'cluster', 'AWS::ECS::Cluster', true),
    ('ecs.amazonaws.com', NULL, 'clusterName', 'AWS::ECS::Cluster', true),
    ('ecs.amazonaws.com', NULL, 'taskDefinition', 'AWS::ECS::TaskDefinition', true),
    -- Organizations and account-wide settings
    ('organizations.amazonaws.com', NULL, 'accountId', 'AWS::Organizations::Account', true),
    ('organizations.amazonaws.com', 'LeaveOrganization', '@account', 'AWS::Organizations::Account', true),
    ('guardduty.amazonaws.com', NULL, 'detectorId', 'AWS::GuardDuty::Detector', true),
    ('config.amazonaws.com', NULL, 'configurationRecorderName', 'AWS::Config::ConfigurationRecorder', true),
    ('config.amazonaws.com', NULL, 'deliveryChannelName', 'AWS::Config::DeliveryChannel', true),
    ('securityhub.amazonaws.com', NULL, 'insightArn', 'AWS::SecurityHub::Insight', true),
    ('securityhub.amazonaws.com', 'DisableSecurityHub', '@account', 'AWS::SecurityHub::Hub', true),
    ('securityhub.amazonaws.com', 'EnableSecurityHub', '@account', 'AWS::SecurityHub::Hub', true),
    ('access-analyzer.amazonaws.com', NULL, 'analyzerName', 'AWS::AccessAnalyzer::Analyzer', true),
    ('macie.amazonaws.com', NULL, '@account', 'AWS::Macie::Session', true),
    ('macie2.amazonaws.com', NULL, '@account', 'AWS::Macie::Session', true),
    ('logs.amazonaws.com', NULL, 'logGroupName', 'AWS::Logs::LogGroup', true),
    ('logs.amazonaws.com', NULL, 'logStreamName', 'AWS::Logs::LogStream', true),
    ('codebuild.amazonaws.com', NULL, 'projectName', 'AWS::CodeBuild::Project', true),
    ('codebuild.amazonaws.com', 'CreateProject', 'name', 'AWS::CodeBuild::Project', true),
    ('codebuild.amazonaws.com', NULL, 'projectArn', 'AWS::CodeBuild::Project', true),
    ('bedrock.amazonaws.com', NULL, 'modelId', 'AWS::Bedrock::FoundationModel', true),
    ('bedrock.amazonaws.com', NULL, 'guardrailIdentifier', 'AWS::Bedrock::Guardrail', true),
    ('bedrock.amazonaws.com', NULL, '@account', 'AWS::Bedrock::ModelInvocationLogging', true),
    ('rolesanywhere.amazonaws.com', NULL, 'trustAnchorId', 'AWS::RolesAnywhere::TrustAnchor', true),
    ('rolesanywhere.amazonaws.com', NULL, 'profileId', 'AWS::RolesAnywhere::Profile', true),
    ('route53resolver.amazonaws.com', NULL, 'resolverQueryLogConfigId', 'AWS::Route53Resolver::ResolverQueryLoggingConfig', true),
    ('wafv2.amazonaws.com', NULL, 'resourceArn', 'AWS::WAFv2::WebACLAssociation', true),
    ('athena.amazonaws.com', NULL, 'workGroup', 'AWS::Athena::WorkGroup', true),
    ('sns.amazonaws.com', NULL, 'topicArn', 'AWS::SNS::Topic', true),
    ('sqs.amazonaws.com', NULL, 'queueUrl', 'AWS::SQS::Queue', true);

-- The resources one event names: from resources[], from the members that
-- trail.resource_key lists, from ARNs in any member, and -- when none of
-- these names anything -- the caller (@actor) or the account (@account)
-- for the APIs whose rules say so.  One row per resource, with the role it
-- plays: target (named in the request), created (in the response of a
-- creating call), issued (credentials STS handed out), response (in another
-- response), listed (resources[]), mentioned (an ARN no rule names),
-- actor, account.
CREATE FUNCTION @extschema@.resources(
    event_source text,
    event_name text,
    request_parameters jsonb,
    response_elements jsonb,
    resources jsonb DEFAULT NULL,
    recipient_account_id text DEFAULT NULL,
    user_identity jsonb DEFAULT NULL,
    OUT resource_type text,
    OUT resource_id text,
    OUT arn text,
    OUT account_id text,
    OUT role text)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
WITH members AS (
    SELECT false AS response, m->>'key' AS key, m->'value' AS value
    FROM jsonb_path_query(CASE WHEN jsonb_typeof($3) IN ('object', 'array') THEN $3 END,
                          'strict $.** ? (@.type() == "object").keyvalue()') m
    UNION ALL
    SELECT true, m->>'key', m->'value'
    FROM jsonb_path_query(CASE WHEN jsonb_typeof($4) IN ('object', 'array') THEN $4 END,
                          'strict $.** ? (@.type() == "object").keyvalue()') m
),
-- a member's strings: itself, its array's elements, EC2's {"content": ...}
strings AS (
    SELECT m.response, m.key, v.s
    FROM members m,
    LATERAL (SELECT m.value #>> '{}' WHERE jsonb_typeof(m.value) = 'string'
             UNION ALL
             SELECT e #>> '{}'
             FROM jsonb_array_elements(CASE jsonb_typeof(m.value) WHEN 'array' THEN m.value END) e
             WHERE jsonb_typeof(e) = 'string'
             UNION ALL
             SELECT m.value->>'content'
             WHERE jsonb_typeof(m.value) = 'object' AND jsonb_typeof(m.value->'content') = 'string') v(s)
    WHERE v.s <> ''
),
found AS (
    -- an S3 object is known by bucket/key
    SELECT k.resource_type,
           CASE WHEN k.resource_type = 'AWS::S3::Object' AND $3->>'bucketName' IS NOT NULL
                THEN ($3->>'bucketName') || '/' || s.s ELSE s.s END AS value,
           CASE WHEN NOT s.response THEN 'target'
                WHEN $1 = 'sts.amazonaws.com' THEN 'issued'
                WHEN $2 ~ '^(Create|Run|Allocate|Copy|Import|Register|Restore|Clone|Duplicate|Issue)' THEN 'created'
                ELSE 'response' END AS role,
           1 AS rank
    FROM strings s
    JOIN @extschema@.resource_key k
      ON k.event_source = $1 AND (k.event_name IS NULL OR k.event_name = $2)
     AND lower(k.key) = lower(s.key)
    UNION ALL
    SELECT r->>'type', r->>'ARN', 'listed', 2
    FROM jsonb_array_elements(CASE jsonb_typeof($5) WHEN 'array' THEN $5 END) r
    WHERE jsonb_typeof(r) = 'object' AND r->>'ARN' IS NOT NULL
    UNION ALL
    SELECT NULL, s.s, 'mentioned', 3
    FROM strings s
    WHERE s.s LIKE 'arn:%'
),
fallback AS (
    SELECT k.resource_type,
           CASE k.key WHEN '@account' THEN $6
                      ELSE coalesce($7->>'arn', $7 #>> '{sessionContext,sessionIssuer,arn}',
                                    $7->>'userName', $7->>'principalId',
                                    $7 #>> '{onBehalfOf,userId}') END AS value,
           CASE k.key WHEN '@account' THEN 'account' ELSE 'actor' END AS role,
           4 AS rank
    FROM @extschema@.resource_key k
    WHERE k.event_source = $1 AND (k.event_name IS NULL OR k.event_name = $2)
      AND k.key IN ('@account', '@actor')
      AND NOT EXISTS (SELECT FROM found)
),
resolved AS (
    SELECT CASE WHEN f.resource_type = 'AWS::EC2::*'
                THEN coalesce((SELECT p.resource_type FROM @extschema@.id_prefix p
                               WHERE f.value LIKE p.prefix || '%'
                               ORDER BY length(p.prefix) DESC LIMIT 1),
                              'AWS::EC2::Resource')
                WHEN f.rank = 4 THEN coalesce(t.resource_type, f.resource_type)
                ELSE coalesce(f.resource_type, t.resource_type) END AS resource_type,
           CASE WHEN (a).resource_id IS NULL THEN f.value
                WHEN t.id_part = 'last' THEN regexp_replace((a).resource_id, '^.*/', '')
                WHEN t.id_part = 'first' THEN split_part((a).resource_id, '/', 1)
                ELSE (a).resource_id END AS resource_id,
           CASE WHEN (a).partition IS NOT NULL THEN f.value END AS arn,
           coalesce((a).account_id, $6) AS account_id,
           f.role,
           f.rank
    FROM (SELECT f.*, CASE WHEN f.value LIKE 'arn:%' THEN @extschema@.arn(f.value, true) END AS a
          FROM (SELECT * FROM found UNION ALL SELECT * FROM fallback) f) f
    LEFT JOIN @extschema@.arn_type t
      ON t.service = (f.a).service AND t.arn_resource_type = coalesce((f.a).resource_type,
            CASE WHEN (f.a).service = 'iam' AND (f.a).resource_id = 'root' THEN 'root' END)
    WHERE f.value IS NOT NULL
)
SELECT DISTINCT ON (resource_type, resource_id)
       resource_type, resource_id, arn, account_id, role
FROM resolved
ORDER BY resource_type, resource_id, rank,
         array_position(ARRAY['target', 'created', 'issued', 'listed', 'response', 'mentioned'], role)
$$;
COMMENT ON FUNCTION @extschema@.resources(text, text, jsonb, jsonb, jsonb, text, jsonb) IS
'The resources an event names (type, id as an inventory knows it, ARN, account, role), by trail.resource_key and trail.arn_type';

-- The same for a row of any table of events (a foreign table, the store,
-- a view): by its columns, or by its raw record when it has only that.
-- The whole row is read, so on a foreign table prefer the column form.
CREATE FUNCTION @extschema@.resources(event anyelement,
    OUT resource_type text,
    OUT resource_id text,
    OUT arn text,
    OUT account_id text,
    OUT role text)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT r.*
FROM (SELECT to_jsonb($1) AS j) e,
LATERAL (SELECT CASE WHEN e.j ? 'event_source' THEN e.j ELSE NULL END AS c,
                e.j->'raw' AS raw) x,
LATERAL @extschema@.resources(
    coalesce(x.c->>'event_source', x.raw->>'eventSource'),
    coalesce(x.c->>'event_name', x.raw->>'eventName'),
    coalesce(x.c->'request_parameters', x.raw->'requestParameters'),
    coalesce(x.c->'response_elements', x.raw->'responseElements'),
    coalesce(x.c->'resources', x.raw->'resources'),
    coalesce(x.c->>'recipient_account_id', x.raw->>'recipientAccountId'),
    coalesce(x.c->'user_identity', x.raw->'userIdentity')) r
$$;
COMMENT ON FUNCTION @extschema@.resources(anyelement) IS
'The resources an event row names (see the column form)';

-- Temporary credentials back to the call that issued them: an access key
-- seen in a later event (access_key_id) joins the STS call that handed it
-- out, and so the role, the session name and who asked for it.
CREATE FUNCTION @extschema@.create_credentials_view(events regclass,
                                                    name text DEFAULT 'issued_credentials')
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp name;
    rel name;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = events;

    EXECUTE format($v$
        CREATE VIEW %I.%I AS
        SELECT e.response_elements #>> '{credentials,accessKeyId}' AS access_key_id,
               e.event_time AS issued_at,
               e.response_elements #>> '{credentials,expiration}' AS expiration,
               e.event_name AS issued_by_call,
               e.event_id AS issuing_event_id,
               e.user_arn AS requested_by,
               e.user_type AS requested_by_type,
               coalesce(e.request_parameters->>'roleArn',
                        e.response_elements #>> '{assumedRoleUser,arn}',
                        e.response_elements #>> '{federatedUser,arn}') AS role_arn,
               coalesce(e.request_parameters->>'roleSessionName',
                        e.request_parameters->>'name') AS session_name,
               coalesce(e.response_elements #>> '{assumedRoleUser,arn}',
                        e.response_elements #>> '{federatedUser,arn}') AS session_arn,
               e.request_parameters->>'sourceIdentity' AS source_identity,
               e.source_ip_address,
               e.recipient_account_id
        FROM %I.%I e
        WHERE e.event_source = 'sts.amazonaws.com'
          AND e.event_name IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity',
                               'GetSessionToken', 'GetFederationToken', 'AssumeRoot')
          AND e.error_code IS NULL
          AND e.response_elements #>> '{credentials,accessKeyId}' IS NOT NULL$v$,
        nsp, name, nsp, rel);
    EXECUTE format('COMMENT ON VIEW %I.%I IS %L', nsp, name,
                   'Temporary credentials and the STS call that issued them: join access_key_id with the events that used them');
    RETURN format('%I.%I', nsp, name)::regclass;
END
$$;
COMMENT ON FUNCTION @extschema@.create_credentials_view(regclass, text) IS
'Create a view of the temporary credentials STS issued (access key, role, session, who asked), beside a table of events';

-- What each column of trail.event means, for \d+ and BI tools
COMMENT ON COLUMN @extschema@.event.event_time IS 'eventTime: when the request completed (UTC)';
COMMENT ON COLUMN @extschema@.event.event_version IS 'eventVersion: the record format version';
COMMENT ON COLUMN @extschema@.event.event_source IS 'eventSource: the service, e.g. ec2.amazonaws.com';
COMMENT ON COLUMN @extschema@.event.event_name IS 'eventName: the API action or console event';
COMMENT ON COLUMN @extschema@.event.aws_region IS 'awsRegion: the region the request went to';
COMMENT ON COLUMN @extschema@.event.event_category IS 'eventCategory, or derived for records before 1.07: Management, Data, Insight or NetworkActivity';
COMMENT ON COLUMN @extschema@.event.event_type IS 'eventType: AwsApiCall, AwsServiceEvent, AwsConsoleSignIn, ...';
COMMENT ON COLUMN @extschema@.event.read_only IS 'readOnly: true for calls that change nothing; NULL when the record does not say';
COMMENT ON COLUMN @extschema@.event.management_event IS 'managementEvent: true for management events, false for data events';
COMMENT ON COLUMN @extschema@.event.source_ip_address IS 'sourceIPAddress as written (an address, or a name such as AWS Internal)';
COMMENT ON COLUMN @extschema@.event.source_ip IS 'sourceIPAddress when it is an IP address, else NULL';
COMMENT ON COLUMN @extschema@.event.user_agent IS 'userAgent: the client that made the call';
COMMENT ON COLUMN @extschema@.event.error_code IS 'errorCode: the service error, NULL when the call succeeded';
COMMENT ON COLUMN @extschema@.event.error_message IS 'errorMessage';
COMMENT ON COLUMN @extschema@.event.request_id IS 'requestID: the service''s request id (not always a UUID)';
COMMENT ON COLUMN @extschema@.event.event_id IS 'eventID: CloudTrail''s id of the event (NULL when not a UUID)';
COMMENT ON COLUMN @extschema@.event.shared_event_id IS 'sharedEventID: the same for the copies of one action delivered to several accounts, and for an Insight''s Start and End';
COMMENT ON COLUMN @extschema@.event.api_version IS 'apiVersion';
COMMENT ON COLUMN @extschema@.event.recipient_account_id IS 'recipientAccountId: the account that received this copy of the event';
COMMENT ON COLUMN @extschema@.event.vpc_endpoint_id IS 'vpcEndpointId: the VPC endpoint the call came through';
COMMENT ON COLUMN @extschema@.event.vpc_endpoint_account_id IS 'vpcEndpointAccountId: the endpoint''s owner';
COMMENT ON COLUMN @extschema@.event.user_identity IS 'userIdentity: who made the call, as recorded';
COMMENT ON COLUMN @extschema@.event.user_type IS 'userIdentity.type: Root, IAMUser, AssumedRole, AWSService, ...';
COMMENT ON COLUMN @extschema@.event.principal_id IS 'userIdentity.principalId';
COMMENT ON COLUMN @extschema@.event.user_arn IS 'userIdentity.arn: the caller''s ARN (for assumed roles, the session''s)';
COMMENT ON COLUMN @extschema@.event.account_id IS 'userIdentity.accountId: the account that owns the caller''s credentials';
COMMENT ON COLUMN @extschema@.event.access_key_id IS 'userIdentity.accessKeyId: AKIA... long-term, ASIA... temporary';
COMMENT ON COLUMN @extschema@.event.user_name IS 'userIdentity.userName';
COMMENT ON COLUMN @extschema@.event.invoked_by IS 'userIdentity.invokedBy: the service that made the call on the caller''s behalf';
COMMENT ON COLUMN @extschema@.event.session_issuer_type IS 'userIdentity.sessionContext.sessionIssuer.type: where temporary credentials came from (Role, IAMUser, Root)';
COMMENT ON COLUMN @extschema@.event.session_issuer_arn IS 'userIdentity.sessionContext.sessionIssuer.arn: for assumed roles, the role';
COMMENT ON COLUMN @extschema@.event.session_issuer_user_name IS 'userIdentity.sessionContext.sessionIssuer.userName';
COMMENT ON COLUMN @extschema@.event.mfa_authenticated IS 'userIdentity.sessionContext.attributes.mfaAuthenticated';
COMMENT ON COLUMN @extschema@.event.session_created_at IS 'userIdentity.sessionContext.attributes.creationDate: when the session''s credentials were issued';
COMMENT ON COLUMN @extschema@.event.request_parameters IS 'requestParameters: the request, as the service logged it';
COMMENT ON COLUMN @extschema@.event.response_elements IS 'responseElements: the response of a call that changes something';
COMMENT ON COLUMN @extschema@.event.additional_event_data IS 'additionalEventData';
COMMENT ON COLUMN @extschema@.event.service_event_details IS 'serviceEventDetails: for AwsServiceEvent records';
COMMENT ON COLUMN @extschema@.event.resources IS 'resources: the resources CloudTrail lists (often absent; see trail.resources())';
COMMENT ON COLUMN @extschema@.event.tls_details IS 'tlsDetails: TLS version, cipher suite, host header';
COMMENT ON COLUMN @extschema@.event.addendum IS 'addendum: why the record came late or was updated';
COMMENT ON COLUMN @extschema@.event.edge_device_details IS 'edgeDeviceDetails';
COMMENT ON COLUMN @extschema@.event.insight_details IS 'insightDetails: for Insights records';
COMMENT ON COLUMN @extschema@.event.session_credential_from_console IS 'sessionCredentialFromConsole: console session credentials used outside the console';
COMMENT ON COLUMN @extschema@.event.source_file IS 'the file the record came from';
COMMENT ON COLUMN @extschema@.event.record_index IS 'the record''s 1-based position in its file';
COMMENT ON COLUMN @extschema@.event.raw IS 'the record exactly as it was written';

-- Sharding over postgres_fdw
--
-- A coordinator's table of events, partitioned by LIST
-- (recipient_account_id), whose partitions are postgres_fdw foreign tables:
-- one per node, each over the node's own table of events (a trail_fdw
-- foreign table, or any table or view with the columns of trail.event).
-- These functions only write DDL.  postgres_fdw is looked up when they
-- run, so CREATE EXTENSION trail does not need it.

-- The foreign partitions of a sharded table, their servers and accounts.
CREATE FUNCTION @extschema@.shards(events regclass,
                                   OUT partition regclass,
                                   OUT server name,
                                   OUT accounts text[],
                                   OUT remote_table text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass, s.srvname,
           -- FOR VALUES IN ('1111', '2222'): NULL for the DEFAULT partition
           CASE WHEN pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT' THEN
               ARRAY(SELECT replace(m[1], '''''', '''')
                     FROM regexp_matches(pg_get_expr(c.relpartbound, c.oid),
                                         $r$'((?:[^']|'')*)'|NULL$r$, 'g') m)
           END,
           format('%I.%I',
                  coalesce((SELECT substr(o, 13) FROM unnest(ft.ftoptions) o
                            WHERE o LIKE 'schema\_name=%'), n.nspname),
                  coalesce((SELECT substr(o, 12) FROM unnest(ft.ftoptions) o
                            WHERE o LIKE 'table\_name=%'), c.relname))
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
    JOIN pg_foreign_server s ON s.oid = ft.ftserver
    WHERE i.inhparent = events
    ORDER BY s.srvname
$$;
COMMENT ON FUNCTION @extschema@.shards(regclass) IS
'The foreign partitions of a sharded table of events: server, accounts (NULL for the DEFAULT partition) and the table on the node';

-- One node more: a foreign partition of a table made by
-- trail.create_sharded_table, for a postgres_fdw server.
CREATE FUNCTION @extschema@.add_shard(events regclass,
                                      server name,
                                      accounts text[],
                                      remote_table text DEFAULT NULL,
                                      fetch_size integer DEFAULT 10000)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp name;
    rel name;
    remote text[];
    part text;
    bound text;
    wrapper name;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = events;

    -- partitioned by LIST on recipient_account_id alone
    IF NOT EXISTS (SELECT FROM pg_partitioned_table p
                   JOIN pg_attribute a ON a.attrelid = p.partrelid
                                      AND a.attnum = p.partattrs[0]
                   WHERE p.partrelid = events AND p.partstrat = 'l'
                     AND p.partnatts = 1
                     AND a.attname = 'recipient_account_id') THEN
        RAISE EXCEPTION '"%" is not a sharded table of events', events
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Create it with trail.create_sharded_table, which partitions it by LIST (recipient_account_id).';
    END IF;

    SELECT w.fdwname INTO wrapper
    FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
    WHERE s.srvname = server;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'server "%" does not exist', server
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create a postgres_fdw server for the node first: CREATE SERVER name FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host ..., dbname ...), and a user mapping for it.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_foreign_server s
                   JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
                   JOIN pg_proc h ON h.oid = w.fdwhandler
                   WHERE s.srvname = server
                     AND h.proname = 'postgres_fdw_handler') THEN
        RAISE EXCEPTION 'server "%" is not a postgres_fdw server', server
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = format('Its foreign data wrapper is "%s".', wrapper),
                  HINT = 'A shard is a node reached through postgres_fdw.';
    END IF;

    -- the table on the node: by default the same name as on the coordinator
    remote := CASE WHEN remote_table IS NULL THEN ARRAY[nsp, rel]
                   ELSE parse_ident(remote_table) END;
    IF cardinality(remote) <> 2 THEN
        RAISE EXCEPTION 'remote table "%" must be schema-qualified', remote_table
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name the table on the node as schema.table, for example audit.events.';
    END IF;

    IF EXISTS (SELECT FROM @extschema@.shards(events) s
               WHERE s.server = add_shard.server
                 AND s.remote_table = format('%I.%I', remote[1], remote[2])) THEN
        RAISE EXCEPTION 'a partition of "%" already reads table %.% on server "%"',
                        events, remote[1], remote[2], server
            USING ERRCODE = 'duplicate_object',
                  DETAIL = 'A partition reads the whole table on its node, so a second one over the same table would return its rows twice.',
                  HINT = 'To change the accounts of a node, drop its partition and add it again with the new list.';
    END IF;

    IF accounts IS NULL THEN
        bound := 'DEFAULT';
    ELSE
        IF cardinality(accounts) = 0 OR array_position(accounts, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'the accounts of server "%" must be a non-empty list of account IDs', server
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass NULL to make the node the DEFAULT partition, which takes the accounts no other node lists.';
        END IF;
        SELECT 'FOR VALUES IN (' || string_agg(quote_literal(a), ', ') || ')'
        INTO bound FROM unnest(accounts) a;
    END IF;

    IF fetch_size IS NULL OR fetch_size < 1 THEN
        RAISE EXCEPTION 'fetch_size must be a positive number of rows'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- postgres_fdw sends quals on trail's types (event_category = 'Data')
    -- only to servers that list the extension
    IF NOT EXISTS (SELECT FROM pg_foreign_server s, unnest(s.srvoptions) o
                   WHERE s.srvname = server AND o LIKE 'extensions=%'
                     AND 'trail' = ANY (SELECT btrim(e)
                                        FROM regexp_split_to_table(substr(o, 12), ',') e)) THEN
        RAISE NOTICE 'server "%" does not list the extension trail in its option "extensions"', server
            USING DETAIL = 'postgres_fdw then checks quals on trail''s types, such as event_category = ''Data'', on the coordinator, on every event the node sends.',
                  HINT = format('Add it: ALTER SERVER %I OPTIONS (ADD extensions %L).', server, 'trail');
    END IF;

    -- <table>_<server>, or <table>_<server>_<schema>_<table> for a second
    -- table of the same node
    part := left(rel || '_' || server, 63);
    IF to_regclass(format('%I.%I', nsp, part)) IS NOT NULL THEN
        part := left(rel || '_' || server || '_' || remote[1] || '_' || remote[2], 63);
    END IF;
    part := format('%I.%I', nsp, part);
    -- async_capable: the nodes of one query scan at once (an Async Append);
    -- fetch_size: the rows of a query that does not aggregate come in large
    -- batches
    EXECUTE format('CREATE FOREIGN TABLE %s PARTITION OF %s %s SERVER %I '
                   'OPTIONS (schema_name %L, table_name %L, async_capable %L, fetch_size %L)',
                   part, events, bound, server, remote[1], remote[2], 'true',
                   fetch_size::text);
    EXECUTE format('COMMENT ON FOREIGN TABLE %s IS %L', part,
                   format('Events of %s on node %s (table %s there)',
                          CASE WHEN accounts IS NULL THEN 'the accounts no other node lists'
                               ELSE 'accounts ' || array_to_string(accounts, ', ') END,
                          server, format('%I.%I', remote[1], remote[2])));
    RETURN part::regclass;
END
$$;
COMMENT ON FUNCTION @extschema@.add_shard(regclass, name, text[], text, integer) IS
'Add a node to a sharded table of events: a postgres_fdw foreign partition for the given accounts (NULL: the DEFAULT partition)';

CREATE FUNCTION @extschema@.create_sharded_table(events text,
                                                 shards jsonb,
                                                 default_shard name DEFAULT NULL,
                                                 remote_table text DEFAULT NULL,
                                                 fetch_size integer DEFAULT 10000)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    qualified text[];
    tab regclass;
    shard record;
    dup text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') THEN
        RAISE EXCEPTION 'extension "postgres_fdw" is not installed'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'A sharded table reaches its nodes through postgres_fdw: CREATE EXTENSION postgres_fdw, then a server and a user mapping for each node.';
    END IF;

    qualified := parse_ident(events);
    IF cardinality(qualified) <> 2 THEN
        RAISE EXCEPTION 'table name "%" must be schema-qualified', events
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF shards IS NULL OR jsonb_typeof(shards) <> 'object' OR shards = '{}' THEN
        RAISE EXCEPTION 'shards must be a JSON object mapping each server to its accounts'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example {"node1": ["111122223333", "444455556666"], "node2": ["777788889999"]}.';
    END IF;
    FOR shard IN SELECT key, value FROM jsonb_each(shards) LOOP
        IF jsonb_typeof(shard.value) <> 'array' OR shard.value = '[]'
           OR EXISTS (SELECT FROM jsonb_array_elements(shard.value) a
                      WHERE jsonb_typeof(a) <> 'string') THEN
            RAISE EXCEPTION 'the accounts of server "%" must be a non-empty JSON array of strings', shard.key
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('It is %s.', shard.value),
                      HINT = 'Write account IDs as strings ("011122223333"), so that leading zeros stay.';
        END IF;
    END LOOP;
    SELECT a INTO dup
    FROM jsonb_each(shards) s, jsonb_array_elements_text(s.value) a
    GROUP BY a HAVING count(*) > 1 ORDER BY a LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'account "%" is given to more than one server', dup
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Each account belongs to one node.';
    END IF;
    IF default_shard IS NOT NULL AND shards ? default_shard THEN
        RAISE EXCEPTION 'server "%" cannot be both the default shard and list accounts', default_shard
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The DEFAULT partition takes every account that no other partition lists.';
    END IF;

    EXECUTE format('CREATE TABLE %I.%I (LIKE @extschema@.event) PARTITION BY LIST (recipient_account_id)',
                   qualified[1], qualified[2]);
    tab := format('%I.%I', qualified[1], qualified[2])::regclass;
    EXECUTE format('COMMENT ON TABLE %s IS %L', tab,
                   'CloudTrail events sharded by account over postgres_fdw (see trail.shards)');

    FOR shard IN SELECT key, value FROM jsonb_each(shards) ORDER BY key LOOP
        PERFORM @extschema@.add_shard(tab, shard.key,
                                      ARRAY(SELECT jsonb_array_elements_text(shard.value)),
                                      remote_table, fetch_size);
    END LOOP;
    IF default_shard IS NOT NULL THEN
        PERFORM @extschema@.add_shard(tab, default_shard, NULL, remote_table, fetch_size);
    END IF;

    IF NOT current_setting('enable_partitionwise_aggregate')::boolean THEN
        RAISE NOTICE 'enable_partitionwise_aggregate is off'
            USING DETAIL = 'Without it, an aggregate over the sharded table fetches the events from the nodes instead of their aggregates.',
                  HINT = format('Turn it on for the database: ALTER DATABASE %I SET enable_partitionwise_aggregate = on.',
                                current_database());
    END IF;
    RETURN tab;
END
$$;
COMMENT ON FUNCTION @extschema@.create_sharded_table(text, jsonb, name, text, integer) IS
'Create a table of events partitioned by LIST (recipient_account_id) whose partitions are postgres_fdw foreign tables on the nodes of a shard map';

-- Rows that break the shard map: a node's table is read whole (a foreign
-- partition's bound is not a filter), so rows of an account its partition
-- does not list, or without recipient_account_id, appear in full scans but
-- not in queries that PostgreSQL prunes by account.
CREATE FUNCTION @extschema@.check_shards(events regclass)
RETURNS TABLE(partition regclass, server name,
              recipient_account_id text, records bigint)
LANGUAGE plpgsql
-- the scan of a partition must not be excluded by its own bound
SET constraint_exclusion = partition
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    r record;
    others text[];
    query text;
BEGIN
    FOR s IN SELECT * FROM @extschema@.shards(events) LOOP
        -- a listed partition: rows of other accounts, or of none; the
        -- DEFAULT partition: rows of accounts another partition lists
        IF s.accounts IS NOT NULL THEN
            others := s.accounts;
            query := 'SELECT recipient_account_id, count(*) AS n FROM %s '
                     'WHERE recipient_account_id IS NULL OR recipient_account_id <> ALL ($1) '
                     'GROUP BY recipient_account_id ORDER BY recipient_account_id';
        ELSE
            SELECT coalesce(array_agg(a), '{}') INTO others
            FROM @extschema@.shards(events) o, unnest(o.accounts) a;
            query := 'SELECT recipient_account_id, count(*) AS n FROM %s '
                     'WHERE recipient_account_id = ANY ($1) '
                     'GROUP BY recipient_account_id ORDER BY recipient_account_id';
        END IF;
        -- the query names no object of the coordinator, so that the node
        -- runs all of it
        FOR r IN EXECUTE format(query, s.partition) USING others LOOP
            partition := s.partition;
            server := s.server;
            recipient_account_id := r.recipient_account_id;
            records := r.n;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.check_shards(regclass) IS
'Rows on each node of a sharded table of events that its partition does not list (another account, or no recipient_account_id): reads every node''s table whole';

-- The store: trail.create_store, trail.sync
--
-- A store is a table of trail.event columns, range-partitioned by day on
-- event_time, kept up to date from a tree of log files by trail.sync.  The
-- manifest (trail.synced_file) records every file loaded into a store, in
-- the same transaction as the file's rows: that is what makes a sync
-- exactly-once across crashes and restarts.  Both tables are extension
-- configuration tables, so pg_dump keeps their rows.

CREATE TABLE @extschema@.store (
    store regclass PRIMARY KEY,
    horizon timestamptz,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.store IS
'The stores made by trail.create_store; horizon: events before it were dropped by trail.drop_partitions and are not loaded again';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.store', '');
REVOKE ALL ON TABLE @extschema@.store FROM PUBLIC;

CREATE TABLE @extschema@.synced_file (
    store regclass NOT NULL REFERENCES @extschema@.store ON DELETE CASCADE,
    path text NOT NULL,
    size_bytes bigint NOT NULL,
    delivered_at timestamptz,
    records bigint NOT NULL,
    events bigint NOT NULL,
    first_event timestamptz,
    last_event timestamptz,
    status text NOT NULL CHECK (status IN ('loaded', 'skipped')),
    error text,
    loaded_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (store, path),
    CHECK ((status = 'skipped') = (error IS NOT NULL))
);
COMMENT ON TABLE @extschema@.synced_file IS
'The manifest: every file trail.sync loaded into a store, written in the same transaction as its rows';
COMMENT ON COLUMN @extschema@.synced_file.records IS
'records the reader returned from the file';
COMMENT ON COLUMN @extschema@.synced_file.events IS
'rows stored; records - events are events already in the store (duplicates) or older than the store''s horizon';
COMMENT ON COLUMN @extschema@.synced_file.status IS
'loaded, or skipped: with on_error ''skip'' the reader skipped bad records or an unreadable rest of the file (error says the first problem); retried by trail.sync(..., retry_skipped => true)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.synced_file', '');
REVOKE ALL ON TABLE @extschema@.synced_file FROM PUBLIC;

-- What trail.sync hands from one step of a batch to the next (internal).
CREATE TYPE @extschema@.sync_batch AS (
    path text[],
    size_bytes bigint[],
    delivered_at timestamptz[],
    records bigint[],
    first_event timestamptz[],
    last_event timestamptz[],
    null_record integer[],
    days date[],
    new_partitions integer
);
COMMENT ON TYPE @extschema@.sync_batch IS
'Files of one batch of trail.sync and what its first pass found in them (internal)';

-- the store's columns that are columns of trail.event, in the table's order
CREATE FUNCTION @extschema@.store_columns(store regclass)
RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_agg(a.attname::text ORDER BY a.attnum)
    FROM pg_attribute a
    WHERE a.attrelid = store AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname IN (SELECT e.attname FROM pg_attribute e
                        WHERE e.attrelid = '@extschema@.event'::regclass
                          AND e.attnum > 0 AND NOT e.attisdropped)
$$;
COMMENT ON FUNCTION @extschema@.store_columns(regclass) IS
'The columns of a store that trail.sync fills: those named as columns of trail.event (internal)';

CREATE FUNCTION @extschema@.create_store(name text, columns text[] DEFAULT NULL)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[] := parse_ident(name);
    nsp text;
    rel text;
    bad text;
    defs text;
    result regclass;
BEGIN
    IF cardinality(parts) = 1 THEN
        nsp := current_schema();
        rel := parts[1];
        IF nsp IS NULL THEN
            RAISE EXCEPTION 'no schema has been selected to create the store "%" in', name
                USING ERRCODE = 'invalid_schema_name',
                      HINT = 'Qualify the name with a schema.';
        END IF;
    ELSIF cardinality(parts) = 2 THEN
        nsp := parts[1];
        rel := parts[2];
    ELSE
        RAISE EXCEPTION 'improper store name "%"', name
            USING ERRCODE = 'invalid_name',
                  HINT = 'Give a table name, optionally qualified with its schema.';
    END IF;

    SELECT c INTO bad
    FROM unnest(columns) AS c
    WHERE c NOT IN (SELECT attname FROM pg_attribute
                    WHERE attrelid = '@extschema@.event'::regclass
                      AND attnum > 0 AND NOT attisdropped)
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'trail.event has no column "%"', bad
            USING ERRCODE = 'undefined_column';
    END IF;
    IF columns IS NOT NULL AND NOT columns @> ARRAY['event_time', 'source_file'] THEN
        RAISE EXCEPTION 'a store needs the columns event_time and source_file'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The store is partitioned by event_time, and source_file names the file each row came from, for reloads.';
    END IF;

    -- the columns in trail.event's order, with its types
    SELECT string_agg(format('%I %s%s', attname, format_type(atttypid, atttypmod),
                             CASE WHEN attname = 'event_time' THEN ' NOT NULL' ELSE '' END),
                      E',\n    ' ORDER BY attnum)
    INTO defs
    FROM pg_attribute
    WHERE attrelid = '@extschema@.event'::regclass AND attnum > 0 AND NOT attisdropped
      AND (columns IS NULL OR attname = ANY (columns));

    EXECUTE format(E'CREATE TABLE %I.%I (\n    %s\n) PARTITION BY RANGE (event_time)',
                   nsp, rel, defs);
    result := format('%I.%I', nsp, rel)::regclass;
    -- Daily partitions cover a day each, so a BRIN summary costs nearly
    -- nothing to keep and narrows time ranges inside a day; the unique index
    -- is what keeps one row per event (see trail.sync).
    EXECUTE format('CREATE INDEX ON %s USING brin (event_time)', result);
    IF columns IS NULL OR 'event_id' = ANY (columns) THEN
        EXECUTE format('CREATE UNIQUE INDEX ON %s (event_id, event_time)', result);
    END IF;
    EXECUTE format('COMMENT ON TABLE %s IS %L', result,
                   'CloudTrail events kept by trail.sync (a trail store), partitioned by day of event_time (UTC)');
    INSERT INTO @extschema@.store (store) VALUES (result);
    RETURN result;
END
$$;
COMMENT ON FUNCTION @extschema@.create_store(text, text[]) IS
'Create a store: a table of trail.event columns (all, or those named), partitioned by day of event_time, for trail.sync to fill';

-- The lock that lets one trail.sync at a time work on a store: a session
-- advisory lock (its first key is "trls" in ASCII, the second the store's
-- OID), since a sync commits as it goes and must keep it across commits.
CREATE FUNCTION @extschema@.sync_unlock(store regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- session locks stack: let go of every level this session holds
    WHILE EXISTS (SELECT FROM pg_locks l
                  WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()
                    AND l.classid = 1953655923 AND l.objid = store::oid AND l.objsubid = 2)
    LOOP
        PERFORM pg_advisory_unlock(1953655923, store::oid::bigint::bit(32)::integer);
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_unlock(regclass) IS
'Release the lock trail.sync holds on a store (internal)';

-- Check the arguments, take the store's lock, and list the files to load.
CREATE FUNCTION @extschema@.sync_begin(store regclass, location text,
                                       batch_size integer, on_error text,
                                       reload_changed boolean, retry_skipped boolean,
                                       wait boolean)
RETURNS @extschema@.sync_batch
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k2 integer := store::oid::bigint::bit(32)::integer;
    holder integer;
    horizon_ timestamptz;
    work @extschema@.sync_batch;
    n_changed bigint;
    changed_list text;
BEGIN
    IF store IS NULL OR location IS NULL THEN
        RAISE EXCEPTION 'the store and the location of trail.sync must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF on_error IS NULL OR on_error NOT IN ('stop', 'skip') THEN
        RAISE EXCEPTION 'invalid on_error value "%"', on_error
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid values are "stop" and "skip".';
    END IF;
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.horizon INTO horizon_ FROM @extschema@.store s WHERE s.store = sync_begin.store;
    IF NOT FOUND THEN
        RAISE EXCEPTION '"%" is not a trail store', store
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Create one with trail.create_store.';
    END IF;

    IF wait THEN
        PERFORM pg_advisory_lock(1953655923, k2);
    ELSIF NOT pg_try_advisory_lock(1953655923, k2) THEN
        SELECT l.pid INTO holder FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.classid = 1953655923
          AND l.objid = store::oid AND l.objsubid = 2 AND l.granted
        LIMIT 1;
        RAISE EXCEPTION 'trail.sync is already running on "%"', store
            USING ERRCODE = 'lock_not_available',
                  DETAIL = format('Process %s is syncing this store.', coalesce(holder::text, 'unknown')),
                  HINT = 'Let it finish; CALL trail.sync(..., wait => true) waits for it instead.';
    END IF;

    BEGIN
        -- Only new files and those whose manifest row differs go further:
        -- with nothing new, this is the walk and one hash join.
        WITH f AS (
            SELECT f.path, f.size_bytes, f.delivered_at, m.size_bytes AS old_size,
                   m.path IS NULL
                   OR (retry_skipped AND m.status = 'skipped')
                   OR (reload_changed AND m.size_bytes <> f.size_bytes) AS todo
            FROM @extschema@.files(location) f
            LEFT JOIN @extschema@.synced_file m
                   ON m.store = sync_begin.store AND m.path = f.path
            -- the log files of the CloudTrail layout: the reader refuses a
            -- file named on its own that holds no events, and a download in
            -- progress has another name (aws s3 sync: "<name>.json.gz.<random>")
            WHERE f.kind IN ('CloudTrail', 'CloudTrail-Insight', 'CloudTrail-NetworkActivity')
              AND f.path LIKE '%.json.gz'
              -- files delivered before the horizon hold only dropped events
              AND (horizon_ IS NULL OR f.delivered_at >= horizon_)
              AND (m.path IS NULL OR m.size_bytes <> f.size_bytes
                   OR (retry_skipped AND m.status = 'skipped'))
        )
        SELECT array_agg(path ORDER BY delivered_at, path) FILTER (WHERE todo),
               array_agg(size_bytes ORDER BY delivered_at, path) FILTER (WHERE todo),
               array_agg(delivered_at ORDER BY delivered_at, path) FILTER (WHERE todo),
               count(*) FILTER (WHERE NOT todo),
               (SELECT string_agg(format('"%s" (%s bytes, %s when loaded)', c.path, c.size_bytes, c.old_size),
                                  ', ')
                FROM (SELECT * FROM f WHERE NOT todo ORDER BY path LIMIT 5) c)
        INTO work.path, work.size_bytes, work.delivered_at, n_changed, changed_list
        FROM f;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.sync_unlock(store);
        RAISE;
    END;

    IF n_changed > 0 THEN
        RAISE WARNING '% already loaded into "%" changed size since: not reloaded',
            CASE WHEN n_changed = 1 THEN '1 file' ELSE n_changed || ' files' END, store
            USING DETAIL = 'CloudTrail never rewrites a log file. Changed: ' || changed_list
                           || CASE WHEN n_changed > 5 THEN format(' and %s more.', n_changed - 5) ELSE '.' END,
                  HINT = 'CALL trail.sync(..., reload_changed => true) deletes their rows and loads them again.';
    END IF;
    RETURN work;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_begin(regclass, text, integer, text, boolean, boolean, boolean) IS
'First step of trail.sync: check the arguments, lock the store, list the files to load (internal)';

-- First pass over a batch: what each file holds (records, time range), and
-- the daily partitions its events need, created here so that they are
-- committed before the load (creating a partition locks the whole store).
-- Building event_time alone costs little beside inflating the files.
CREATE FUNCTION @extschema@.sync_prepare(store regclass, batch @extschema@.sync_batch,
                                         on_error text)
RETURNS @extschema@.sync_batch
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day date;
    nsp name;
    rel name;
    part text;
    scan text := $q$
        WITH s AS (
            SELECT f.ord, count(r.record_index) AS records,
                   min(r.event_time) AS first_event, max(r.event_time) AS last_event,
                   min(r.record_index) FILTER (WHERE r.event_time IS NULL) AS null_record,
                   array_agg(DISTINCT (r.event_time AT TIME ZONE 'UTC')::date)
                       FILTER (WHERE r.event_time IS NOT NULL) AS days
            FROM unnest($1::text[]) WITH ORDINALITY AS f(path, ord)
            LEFT JOIN LATERAL @extschema@.read(f.path, false, $2) AS r ON true
            GROUP BY f.ord)
        SELECT array_agg(records ORDER BY ord), array_agg(first_event ORDER BY ord),
               array_agg(last_event ORDER BY ord), array_agg(null_record ORDER BY ord),
               (SELECT array_agg(DISTINCT d ORDER BY d) FROM s, unnest(s.days) AS d)
        FROM s$q$;
    level text;
BEGIN
    IF on_error = 'stop' THEN
        EXECUTE scan INTO batch.records, batch.first_event, batch.last_event, batch.null_record, batch.days
            USING batch.path, 'stop';
    ELSE
        BEGIN
            EXECUTE scan INTO batch.records, batch.first_event, batch.last_event, batch.null_record, batch.days
                USING batch.path, 'stop';
        EXCEPTION WHEN data_exception OR data_corrupted OR undefined_file OR io_error
                       OR program_limit_exceeded THEN
            -- The load reports what it skips, file by file; the same
            -- warnings from this pass would only repeat them.
            level := current_setting('client_min_messages');
            PERFORM set_config('client_min_messages', 'error', true);
            EXECUTE scan INTO batch.records, batch.first_event, batch.last_event, batch.null_record, batch.days
                USING batch.path, 'skip';
            PERFORM set_config('client_min_messages', level, true);
        END;
    END IF;

    IF on_error = 'stop' THEN
        FOR i IN 1 .. cardinality(batch.path) LOOP
            IF batch.null_record[i] IS NOT NULL THEN
                RAISE EXCEPTION 'CloudTrail file "%", record %, has no eventTime', batch.path[i], batch.null_record[i]
                    USING ERRCODE = 'null_value_not_allowed',
                          DETAIL = 'A store is partitioned by event_time.',
                          HINT = 'With on_error => ''skip'', trail.sync loads the rest of the file and records it as skipped.';
            END IF;
        END LOOP;
    END IF;

    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = store;
    batch.new_partitions := 0;
    FOREACH day IN ARRAY coalesce(batch.days, '{}') LOOP
        part := left(rel, 54) || '_' || to_char(day, 'YYYYMMDD');
        CONTINUE WHEN EXISTS (SELECT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                              WHERE i.inhparent = store AND c.relname = part);
        -- Rows stay whole up to 8 kB: an event is ~3 kB with raw, and
        -- compressing and moving out of line its json values (the default
        -- above 2 kB) made loading 3-4 times slower for no saving in size.
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L) WITH (toast_tuple_target = 8160)',
                       nsp, part, store,
                       (day::timestamp AT TIME ZONE 'UTC'),
                       ((day + 1)::timestamp AT TIME ZONE 'UTC'));
        batch.new_partitions := batch.new_partitions + 1;
    END LOOP;
    RETURN batch;
EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM @extschema@.sync_unlock(store);
    RAISE;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_prepare(regclass, @extschema@.sync_batch, text) IS
'Step of trail.sync: count the records of a batch of files, find their days, create the partitions they need (internal)';

-- Load a batch: its rows and its manifest rows in one statement, so they
-- commit together.  Returns the rows stored and the files skipped.
CREATE FUNCTION @extschema@.sync_load(store regclass, batch @extschema@.sync_batch,
                                      on_error text, OUT events bigint, OUT skipped integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cols text := (SELECT string_agg(format('%I', c), ', ')
                  FROM unnest(@extschema@.store_columns(store)) AS c);
    horizon_ timestamptz := (SELECT s.horizon FROM @extschema@.store s WHERE s.store = sync_load.store);
    load text;
    lo timestamptz;
    hi timestamptz;
    ok boolean[];
    err text;
    ctx text;
BEGIN
    -- Files already in the manifest are reloads: their old rows go first.
    SELECT min(m.first_event), max(m.last_event) INTO lo, hi
    FROM @extschema@.synced_file m WHERE m.store = sync_load.store AND m.path = ANY (batch.path);
    IF lo IS NOT NULL THEN
        EXECUTE format('DELETE FROM %s WHERE source_file = ANY ($1) AND event_time BETWEEN $2 AND $3', store)
            USING batch.path, lo, hi;
    END IF;
    DELETE FROM @extschema@.synced_file m WHERE m.store = sync_load.store AND m.path = ANY (batch.path);

    -- $1 paths, $2 on_error, $3 horizon; then the manifest's columns.
    -- One event is stored once: a repeated (event_id, event_time) is not
    -- inserted again (ON CONFLICT DO NOTHING on the store's unique index).
    load := format($q$
        WITH ins AS (
            INSERT INTO %1$s (%2$s)
            SELECT %3$s
            FROM unnest($1::text[]) AS f(path),
                 LATERAL @extschema@.read(f.path, false, $2) AS r
            WHERE r.event_time IS NOT NULL AND ($3::timestamptz IS NULL OR r.event_time >= $3)
            ON CONFLICT DO NOTHING
            RETURNING source_file
        ), n AS (
            SELECT source_file, count(*) AS events FROM ins GROUP BY 1
        )
        INSERT INTO @extschema@.synced_file
            (store, path, size_bytes, delivered_at, records, events, first_event, last_event, status, error)
        SELECT $4, b.path, b.size_bytes, b.delivered_at, b.records, coalesce(n.events, 0),
               b.first_event, b.last_event, CASE WHEN $10 IS NULL THEN 'loaded' ELSE 'skipped' END, $10
        FROM unnest($1::text[], $5::bigint[], $6::timestamptz[], $7::bigint[],
                    $8::timestamptz[], $9::timestamptz[])
             AS b(path, size_bytes, delivered_at, records, first_event, last_event)
        LEFT JOIN n ON n.source_file = b.path$q$,
        store, cols, (SELECT string_agg('r.' || format('%I', c), ', ')
                      FROM unnest(@extschema@.store_columns(store)) AS c));

    skipped := 0;
    IF on_error = 'stop' THEN
        EXECUTE load USING batch.path, 'stop', horizon_, store, batch.size_bytes, batch.delivered_at,
                           batch.records, batch.first_event, batch.last_event, NULL::text;
    ELSE
        -- The whole batch as one statement; when a file in it is bad, file
        -- by file, so that only the bad files are recorded as skipped.
        BEGIN
            IF EXISTS (SELECT FROM unnest(batch.null_record) AS x WHERE x IS NOT NULL) THEN
                RAISE EXCEPTION 'record without eventTime' USING ERRCODE = 'null_value_not_allowed';
            END IF;
            EXECUTE load USING batch.path, 'stop', horizon_, store, batch.size_bytes, batch.delivered_at,
                               batch.records, batch.first_event, batch.last_event, NULL::text;
        EXCEPTION WHEN data_exception OR data_corrupted OR undefined_file OR io_error
                       OR program_limit_exceeded THEN
            FOR i IN 1 .. cardinality(batch.path) LOOP
                err := NULL;
                BEGIN
                    IF batch.null_record[i] IS NOT NULL THEN
                        RAISE EXCEPTION 'record % has no eventTime', batch.null_record[i]
                            USING ERRCODE = 'null_value_not_allowed';
                    END IF;
                    EXECUTE load USING ARRAY[batch.path[i]], 'stop', horizon_, store,
                                       ARRAY[batch.size_bytes[i]], ARRAY[batch.delivered_at[i]],
                                       ARRAY[batch.records[i]], ARRAY[batch.first_event[i]],
                                       ARRAY[batch.last_event[i]], NULL::text;
                EXCEPTION WHEN data_exception OR data_corrupted OR undefined_file OR io_error
                               OR program_limit_exceeded THEN
                    GET STACKED DIAGNOSTICS err = MESSAGE_TEXT, ctx = PG_EXCEPTION_CONTEXT;
                    -- the reader's context line names the file and the record
                    ctx := split_part(ctx, E'\n', 1);
                    IF ctx LIKE 'CloudTrail file %' THEN
                        err := err || ' (' || ctx || ')';
                    END IF;
                END;
                IF err IS NOT NULL THEN
                    -- what the reader can read of it, recorded as skipped
                    BEGIN
                        EXECUTE load USING ARRAY[batch.path[i]], 'skip', horizon_, store,
                                           ARRAY[batch.size_bytes[i]], ARRAY[batch.delivered_at[i]],
                                           ARRAY[batch.records[i]], ARRAY[batch.first_event[i]],
                                           ARRAY[batch.last_event[i]], err;
                    EXCEPTION WHEN data_exception OR data_corrupted OR undefined_file OR io_error
                                   OR program_limit_exceeded THEN
                        INSERT INTO @extschema@.synced_file
                            (store, path, size_bytes, delivered_at, records, events, status, error)
                        VALUES (store, batch.path[i], batch.size_bytes[i], batch.delivered_at[i],
                                coalesce(batch.records[i], 0), 0, 'skipped', err);
                    END;
                    skipped := skipped + 1;
                END IF;
            END LOOP;
        END;
    END IF;
    SELECT coalesce(sum(m.events), 0) INTO events
    FROM @extschema@.synced_file m WHERE m.store = sync_load.store AND m.path = ANY (batch.path);
EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM @extschema@.sync_unlock(store);
    RAISE;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_load(regclass, @extschema@.sync_batch, text) IS
'Step of trail.sync: insert the events of a batch of files and their manifest rows, in one transaction (internal)';

CREATE PROCEDURE @extschema@.sync(store regclass, location text,
                                  batch_size integer DEFAULT 1000,
                                  on_error text DEFAULT 'stop',
                                  reload_changed boolean DEFAULT false,
                                  retry_skipped boolean DEFAULT false,
                                  wait boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    work @extschema@.sync_batch;
    batch @extschema@.sync_batch;
    res record;
    n integer;
    nbatches integer;
    b integer := 0;
    i integer := 1;
    j integer;
    t0 timestamptz := clock_timestamp();
    tb timestamptz;
    events bigint := 0;
    skipped integer := 0;
BEGIN
    -- Fails at once, before the lock is taken, when called inside a
    -- transaction block: a sync commits after every batch.
    COMMIT;
    work := @extschema@.sync_begin(store, location, batch_size, on_error,
                                   reload_changed, retry_skipped, wait);
    n := coalesce(cardinality(work.path), 0);
    IF n = 0 THEN
        PERFORM @extschema@.sync_unlock(store);
        RAISE NOTICE 'trail.sync: nothing new for "%" under %', store, location;
        RETURN;
    END IF;
    nbatches := (n + batch_size - 1) / batch_size;

    WHILE i <= n LOOP
        b := b + 1;
        j := least(i + batch_size - 1, n);
        tb := clock_timestamp();
        batch := ROW(work.path[i:j], work.size_bytes[i:j], work.delivered_at[i:j],
                     NULL, NULL, NULL, NULL, NULL, 0)::@extschema@.sync_batch;
        batch := @extschema@.sync_prepare(store, batch, on_error);
        IF batch.new_partitions > 0 THEN
            COMMIT;
        END IF;
        res := @extschema@.sync_load(store, batch, on_error);
        COMMIT;
        events := events + res.events;
        skipped := skipped + res.skipped;
        IF nbatches > 1 THEN
            RAISE NOTICE 'trail.sync: batch % of %: % files, % events in % s',
                b, nbatches, j - i + 1, res.events,
                round(extract(epoch FROM clock_timestamp() - tb)::numeric, 1);
        END IF;
        i := j + 1;
    END LOOP;

    PERFORM @extschema@.sync_unlock(store);
    RAISE NOTICE 'trail.sync: loaded % files (% events, % skipped) into "%" in % s',
        n, events, skipped, store,
        round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1);
END
$$;
COMMENT ON PROCEDURE @extschema@.sync(regclass, text, integer, text, boolean, boolean, boolean) IS
'Load into a store the files under a location that its manifest does not hold, committing after every batch of files';

CREATE FUNCTION @extschema@.drop_partitions(store regclass, older_than date)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    horizon_ timestamptz := older_than::timestamp AT TIME ZONE 'UTC';
    p record;
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.store s WHERE s.store = drop_partitions.store) THEN
        RAISE EXCEPTION '"%" is not a trail store', store
            USING ERRCODE = 'wrong_object_type';
    END IF;
    IF NOT pg_try_advisory_xact_lock(1953655923, store::oid::bigint::bit(32)::integer) THEN
        RAISE EXCEPTION 'trail.sync is running on "%"', store
            USING ERRCODE = 'lock_not_available',
                  HINT = 'Drop partitions when it has finished.';
    END IF;

    FOR p IN
        SELECT c.oid::regclass AS part, c.oid::regclass::text AS name
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = store
          AND (substring(pg_get_expr(c.relpartbound, c.oid) FROM $r$ TO \('([^']+)'\)$r$))::timestamptz
              <= horizon_
        ORDER BY 1
    LOOP
        EXECUTE format('DROP TABLE %s', p.part);
        RETURN NEXT p.name;
    END LOOP;

    UPDATE @extschema@.store s SET horizon = greatest(s.horizon, horizon_)
    WHERE s.store = drop_partitions.store;
    -- a file delivered before the horizon held only events before it; later
    -- files stay in the manifest, or the next sync would load them again
    DELETE FROM @extschema@.synced_file m
    WHERE m.store = drop_partitions.store AND m.delivered_at < horizon_;
END
$$;
COMMENT ON FUNCTION @extschema@.drop_partitions(regclass, date) IS
'Retention: drop the partitions of a store that hold only events before a date (UTC), and the manifest rows of the files delivered before it; trail.sync then loads no event before that date';

-- A store that is dropped (DROP TABLE, DROP SCHEMA ... CASCADE) leaves the
-- registry with its manifest.  SECURITY DEFINER because whoever drops a
-- store may not write trail.store; it deletes only rows of relations that
-- this very command dropped.
CREATE FUNCTION @extschema@.store_dropped()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM @extschema@.store s
    WHERE s.store::oid IN (SELECT d.objid FROM pg_event_trigger_dropped_objects() d
                           WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0);
END
$$;
COMMENT ON FUNCTION @extschema@.store_dropped() IS
'Event trigger: forget the stores that a DROP removes, with their manifest (internal)';
REVOKE ALL ON FUNCTION @extschema@.store_dropped() FROM PUBLIC;
CREATE EVENT TRIGGER trail_store_dropped ON sql_drop
    EXECUTE FUNCTION @extschema@.store_dropped();
COMMENT ON EVENT TRIGGER trail_store_dropped IS
'Forget the trail stores that a DROP removes, with their manifest';

-- Syncing reads server files: the procedure and its steps are for roles
-- granted them (trail.read and trail.files check the file privilege too).
REVOKE ALL ON FUNCTION @extschema@.create_store(text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.store_columns(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sync_unlock(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sync_begin(regclass, text, integer, text, boolean, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sync_prepare(regclass, @extschema@.sync_batch, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.sync_load(regclass, @extschema@.sync_batch, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.sync(regclass, text, integer, text, boolean, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.drop_partitions(regclass, date) FROM PUBLIC;

-- Log file validation (digests)
--
-- CloudTrail's hourly signed digests prove which log files it delivered
-- and their SHA-256; trail.verify checks a tree against them offline.

CREATE TABLE @extschema@.public_key (
    fingerprint text PRIMARY KEY CHECK (fingerprint ~ '^[0-9a-f]{32}$'),
    region text NOT NULL,
    valid_from timestamptz NOT NULL,
    valid_to timestamptz NOT NULL,
    key bytea NOT NULL,
    CHECK (valid_from <= valid_to)
);
COMMENT ON TABLE @extschema@.public_key IS
'CloudTrail public keys that digests are verified with (from aws cloudtrail list-public-keys)';
COMMENT ON COLUMN @extschema@.public_key.fingerprint IS
'The key''s fingerprint as ListPublicKeys gives it (lower-case hex), matched with digestPublicKeyFingerprint';
COMMENT ON COLUMN @extschema@.public_key.region IS
'The region whose digests the key signs';
COMMENT ON COLUMN @extschema@.public_key.valid_from IS
'Start of the key''s validity (ValidityStartTime)';
COMMENT ON COLUMN @extschema@.public_key.valid_to IS
'End of the key''s validity (ValidityEndTime)';
COMMENT ON COLUMN @extschema@.public_key.key IS
'The key in DER as ListPublicKeys returns it (PKCS#1 RSAPublicKey or X.509 SubjectPublicKeyInfo)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.public_key', '');

CREATE TABLE @extschema@.verdict (
    path text PRIMARY KEY,
    object text NOT NULL CHECK (object IN ('log', 'digest')),
    size bigint NOT NULL,
    mtime timestamptz NOT NULL,
    status text NOT NULL,
    vouched boolean NOT NULL,
    digest_path text,
    verified_at timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.verdict IS
'The last verdict of trail.verify on each file; a file whose size or modification time changed since is unverified again';
COMMENT ON COLUMN @extschema@.verdict.path IS 'The file on the server';
COMMENT ON COLUMN @extschema@.verdict.object IS 'log or digest';
COMMENT ON COLUMN @extschema@.verdict.size IS 'Its size in bytes when verified';
COMMENT ON COLUMN @extschema@.verdict.mtime IS 'Its modification time when verified';
COMMENT ON COLUMN @extschema@.verdict.status IS 'The status trail.verify gave it';
COMMENT ON COLUMN @extschema@.verdict.vouched IS
'Status valid and listed (or, for a digest, linked) by a digest whose signature verified';
COMMENT ON COLUMN @extschema@.verdict.digest_path IS 'The digest that vouches for it';
COMMENT ON COLUMN @extschema@.verdict.verified_at IS 'When trail.verify gave the verdict';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.verdict', '');

-- who may read server files may verify them and use the keys
GRANT SELECT ON @extschema@.public_key TO pg_read_server_files;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.verdict TO pg_read_server_files;

CREATE FUNCTION @extschema@.load_public_keys(document text, region text)
RETURNS integer
AS 'MODULE_PATHNAME', 'trail_load_public_keys'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.load_public_keys(text, text) IS
'Store the keys that aws cloudtrail list-public-keys printed for a region; returns how many';
REVOKE ALL ON FUNCTION @extschema@.load_public_keys(text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.verify(location text,
                                   since timestamptz DEFAULT NULL,
                                   until timestamptz DEFAULT NULL,
                                   signatures jsonb DEFAULT NULL,
                                   OUT object text,
                                   OUT path text,
                                   OUT account_id text,
                                   OUT region text,
                                   OUT delivered_at timestamptz,
                                   OUT status text,
                                   OUT detail text,
                                   OUT digest_path text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'trail_verify'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.verify(text, timestamptz, timestamptz, jsonb) IS
'Check the log files and digests under a location against CloudTrail''s signed digests, and record the verdicts';
REVOKE ALL ON FUNCTION @extschema@.verify(text, timestamptz, timestamptz, jsonb) FROM PUBLIC;
