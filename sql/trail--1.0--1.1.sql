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

-- ----------------------------------------------------------------------
-- Detections, Insights and rate anomalies
-- ----------------------------------------------------------------------

-- The rule catalogue is data: a rule is a SQL boolean expression over the
-- columns of trail.event and a SQL text expression that says, in one line,
-- what happened.  trail.create_detections() turns the rows into views; a
-- rule added here is in the views the next time it runs.  A burst rule
-- (burst_window and burst_threshold set) fires when one key (by default
-- the actor) has at least burst_threshold matching events within any
-- burst_window; its summary is an expression over the burst (burst_key,
-- peak, started_at, ended_at).  Rows you add yourself (builtin false) are
-- kept by pg_dump.
CREATE TABLE @extschema@.rules (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$' AND length(name) <= 56),
    title text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    technique text CHECK (technique ~ '^T[0-9]{4}(\.[0-9]{3})?$'),
    tactic text NOT NULL CHECK (tactic IN ('initial-access', 'execution', 'persistence',
        'privilege-escalation', 'defense-evasion', 'credential-access', 'discovery',
        'lateral-movement', 'collection', 'exfiltration', 'impact')),
    description text NOT NULL,
    condition text NOT NULL,
    summary text NOT NULL,
    burst_window interval CHECK (burst_window > interval '0'),
    burst_threshold integer CHECK (burst_threshold >= 2),
    burst_key text,
    burst_distinct text,
    refs text[] NOT NULL DEFAULT '{}',
    example jsonb CHECK (example IS NULL OR jsonb_typeof(example) = 'object'),
    builtin boolean NOT NULL DEFAULT false,
    kind text GENERATED ALWAYS AS (CASE WHEN burst_threshold IS NULL THEN 'event' ELSE 'burst' END) STORED,
    CHECK ((burst_window IS NULL) = (burst_threshold IS NULL)),
    CHECK (burst_threshold IS NOT NULL OR (burst_key IS NULL AND burst_distinct IS NULL))
);
COMMENT ON TABLE @extschema@.rules IS
'Detection rules: a condition over the columns of trail.event, a one-line summary, an ATT&CK technique; trail.create_detections() makes views of them';
COMMENT ON COLUMN @extschema@.rules.name IS 'the rule''s name (lower case, digits and _): the rule column of the detections, and the view detect_<name>';
COMMENT ON COLUMN @extschema@.rules.title IS 'what the rule detects, in a few words';
COMMENT ON COLUMN @extschema@.rules.severity IS 'info, low, medium, high or critical';
COMMENT ON COLUMN @extschema@.rules.technique IS 'the MITRE ATT&CK technique (T1562.008), or NULL';
COMMENT ON COLUMN @extschema@.rules.tactic IS 'the ATT&CK tactic, in ATT&CK''s lower-case form (defense-evasion)';
COMMENT ON COLUMN @extschema@.rules.description IS 'what the behaviour is, why it matters, and what else causes it';
COMMENT ON COLUMN @extschema@.rules.condition IS 'a SQL boolean expression over the columns of trail.event: the events the rule matches (for a burst rule, the events it counts)';
COMMENT ON COLUMN @extschema@.rules.summary IS 'a SQL text expression: over the columns of trail.event for a per-event rule, over burst_key, peak, started_at and ended_at for a burst rule';
COMMENT ON COLUMN @extschema@.rules.burst_window IS 'burst rules: the sliding window the matching events are counted in';
COMMENT ON COLUMN @extschema@.rules.burst_threshold IS 'burst rules: how many matching events (or new values of burst_distinct) within burst_window fire the rule';
COMMENT ON COLUMN @extschema@.rules.burst_key IS 'burst rules: a SQL text expression over trail.event that events are counted by (NULL: the actor)';
COMMENT ON COLUMN @extschema@.rules.burst_distinct IS 'burst rules: a SQL text expression; when set, an event counts only if its value was not seen for the same key within the preceding burst_window';
COMMENT ON COLUMN @extschema@.rules.refs IS 'the public rules this one corresponds to: sigma:<path in SigmaHQ/sigma>, elastic:<path in elastic/detection-rules>, tailpipe:<detection in turbot/tailpipe-mod-aws-cloudtrail-log-detections>, stratus:<Stratus Red Team technique>';
COMMENT ON COLUMN @extschema@.rules.example IS 'a composed CloudTrail record (the members that matter) that the rule fires on; the tests check every builtin rule against its example';
COMMENT ON COLUMN @extschema@.rules.builtin IS 'shipped with trail (replaced by extension updates); false for rules added locally';
COMMENT ON COLUMN @extschema@.rules.kind IS 'event (one detection per matching event) or burst (one detection per burst, by window functions)';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.rules', 'WHERE NOT builtin');
GRANT SELECT ON @extschema@.rules TO PUBLIC;

-- A rule's SQL is checked when it is written, so that a typo fails the
-- INSERT that made it rather than the next create_detections.  A rule is
-- an expression, not a statement: no semicolons.
CREATE FUNCTION @extschema@.rules_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    part text;
    what text;
BEGIN
    FOREACH what IN ARRAY ARRAY['condition', 'summary', 'burst_key', 'burst_distinct'] LOOP
        part := CASE what WHEN 'condition' THEN NEW.condition WHEN 'summary' THEN NEW.summary
                          WHEN 'burst_key' THEN NEW.burst_key ELSE NEW.burst_distinct END;
        IF position(';' IN coalesce(part, '')) > 0 THEN
            RAISE EXCEPTION 'the % of rule "%" contains a semicolon', what, NEW.name
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'A rule''s condition, summary and keys are SQL expressions, not statements.';
        END IF;
    END LOOP;
    BEGIN
        -- WHERE takes only a boolean (a cast would let jsonb through)
        EXECUTE format('SELECT (%s)::text, (%s)::text, (%s)::text FROM (SELECT (NULL::@extschema@.event).*) e WHERE (%s) AND false',
                       CASE WHEN NEW.burst_threshold IS NULL THEN NEW.summary ELSE 'NULL' END,
                       coalesce(NEW.burst_key, 'NULL'), coalesce(NEW.burst_distinct, 'NULL'),
                       NEW.condition);
        IF NEW.burst_threshold IS NOT NULL THEN
            EXECUTE format('SELECT (%s)::text FROM (SELECT NULL::text AS burst_key, 0::bigint AS peak, NULL::timestamptz AS started_at, NULL::timestamptz AS ended_at) b WHERE false',
                           NEW.summary);
        END IF;
    EXCEPTION WHEN syntax_error OR undefined_column OR undefined_function OR datatype_mismatch
                   OR invalid_text_representation OR undefined_object OR ambiguous_column
                   OR indeterminate_datatype OR cannot_coerce OR grouping_error OR wrong_object_type THEN
        RAISE EXCEPTION 'rule "%" is not valid SQL over trail.event', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = SQLERRM || '.',
                  HINT = 'The condition is a boolean expression and the summary a text expression over the columns of trail.event (a burst rule''s summary: over burst_key, peak, started_at and ended_at).';
    END;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.rules_check() IS
'Trigger of trail.rules: a rule''s condition, summary and keys must be valid SQL expressions over trail.event';

CREATE TRIGGER rules_check BEFORE INSERT OR UPDATE ON @extschema@.rules
    FOR EACH ROW EXECUTE FUNCTION @extschema@.rules_check();
COMMENT ON TRIGGER rules_check ON @extschema@.rules IS
'A rule''s SQL is checked when the rule is written';

-- Does an IAM policy document (JSON text) let another account, or anyone,
-- in?  True when its text names an AWS account other than account in an
-- ARN or as a bare 12-digit principal, or has "*" as a principal.
CREATE FUNCTION @extschema@.policy_admits_outsiders(policy text, account text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT $1 ~ '"(Principal|AWS)"\s*:\s*(\[\s*)?"\*"'
    OR EXISTS (SELECT FROM regexp_matches($1, '(?:arn:aws[a-z-]*:(?:iam|sts)::|"AWS"\s*:\s*(?:\[\s*)?")([0-9]{12})', 'g') m
               WHERE m[1] IS DISTINCT FROM $2)
$$;
COMMENT ON FUNCTION @extschema@.policy_admits_outsiders(text, text) IS
'Whether a policy document names a principal outside the account (another account''s ARN or id, or "*")';

-- Does a policy document grant every action ("Action": "*") on every
-- resource?  The test is on the text, as CloudTrail logs it.
CREATE FUNCTION @extschema@.policy_grants_all(policy text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT $1 ~ '"Action"\s*:\s*(\[\s*)?"\*"' AND $1 ~ '"Resource"\s*:\s*(\[\s*)?"\*"' AND $1 ~ '"Effect"\s*:\s*"Allow"'
$$;
COMMENT ON FUNCTION @extschema@.policy_grants_all(text) IS
'Whether a policy document allows "Action": "*" on "Resource": "*"';

-- The accounts other than account that a policy document names (in ARNs
-- or as bare "AWS" principals), as a comma-separated list, or NULL.
-- Like json_strings below, its body is a query, so the planner does not
-- inline it: a rule that uses it costs one function call, not a subplan
-- (a view of 150 rules full of subplans looks expensive enough to be JIT
-- compiled, which takes longer than running it).
CREATE FUNCTION @extschema@.policy_foreign_accounts(policy text, account text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT string_agg(DISTINCT m[1], ', ' ORDER BY m[1])
FROM regexp_matches($1, '(?:arn:aws[a-z-]*:(?:iam|sts)::|"AWS"\s*:\s*(?:\[\s*)?")([0-9]{12})', 'g') m
WHERE m[1] IS DISTINCT FROM $2
$$;
COMMENT ON FUNCTION @extschema@.policy_foreign_accounts(text, text) IS
'The accounts other than the given one that a policy document names, comma-separated (NULL when none)';

-- The strings a JSON path finds in a value, distinct, comma-separated (for
-- the summaries of rules), or NULL when it finds none.
CREATE FUNCTION @extschema@.json_strings(value jsonb, path jsonpath)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT string_agg(DISTINCT v #>> '{}', ', ' ORDER BY v #>> '{}')
FROM jsonb_path_query($1, $2) v
WHERE jsonb_typeof(v) IN ('string', 'number')
$$;
COMMENT ON FUNCTION @extschema@.json_strings(jsonb, jsonpath) IS
'The strings (and numbers) a JSON path finds in a value, distinct and comma-separated, or NULL';

-- The builtin rules.  Each condition is trail's own SQL, written from what
-- CloudTrail records for the behaviour; refs name the public rules that
-- describe the same behaviour.  A failed call (error_code set) still
-- matches: an attempt is worth knowing, and the summary says it failed.
INSERT INTO @extschema@.rules (name, title, severity, technique, tactic, condition, summary, description, refs, example, builtin)
SELECT name, title, severity, technique, tactic, condition, summary, description, refs, example::jsonb, true
FROM (VALUES
-- ---- defense evasion: logging --------------------------------------------
('cloudtrail_logging_stopped', 'CloudTrail logging stopped', 'high', 'T1562.008', 'defense-evasion',
 $q$event_source = 'cloudtrail.amazonaws.com' AND event_name = 'StopLogging'$q$,
 $q$'logging stopped on trail ' || coalesce(request_parameters->>'name', '?')$q$,
 'A trail stops delivering events until StartLogging: the classic first step of an intruder who knows CloudTrail. Administrators rarely stop a trail.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_disable_logging.yml', 'elastic:rules/integrations/aws/defense_evasion_cloudtrail_logging_suspended.toml', 'tailpipe:cloudtrail_trail_logging_stopped', 'stratus:aws.defense-evasion.cloudtrail-stop'],
 $j${"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","requestParameters":{"name":"main"}}$j$),
('cloudtrail_trail_deleted', 'CloudTrail trail deleted', 'high', 'T1562.008', 'defense-evasion',
 $q$event_source = 'cloudtrail.amazonaws.com' AND event_name = 'DeleteTrail'$q$,
 $q$'trail ' || coalesce(request_parameters->>'name', '?') || ' deleted'$q$,
 'A trail and its configuration are gone; nothing is logged to its bucket any more.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_disable_logging.yml', 'elastic:rules/integrations/aws/defense_evasion_cloudtrail_logging_deleted.toml', 'stratus:aws.defense-evasion.cloudtrail-delete'],
 $j${"eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","requestParameters":{"name":"main"}}$j$),
('cloudtrail_trail_updated', 'CloudTrail trail updated', 'medium', 'T1562.008', 'defense-evasion',
 $q$event_source = 'cloudtrail.amazonaws.com' AND event_name = 'UpdateTrail'$q$,
 $q$'trail ' || coalesce(request_parameters->>'name', '?') || ' updated: ' || coalesce(@extschema@.json_strings(request_parameters, '$.keyvalue() ? (@.key != "name").key'), 'no settings')$q$,
 'A trail''s bucket, prefix, KMS key, regions or global-service logging changed: logs may now go where the owner does not look.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_disable_logging.yml', 'elastic:rules/integrations/aws/defense_evasion_cloudtrail_logging_updated.toml', 'tailpipe:cloudtrail_trail_s3_logging_bucket_modified'],
 $j${"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail","requestParameters":{"name":"main","s3BucketName":"elsewhere"}}$j$),
('cloudtrail_selectors_reduced', 'CloudTrail event selectors reduce what is logged', 'high', 'T1562.008', 'defense-evasion',
 $q$event_source = 'cloudtrail.amazonaws.com' AND event_name IN ('PutEventSelectors', 'PutAdvancedEventSelectors')
 AND (jsonb_path_exists(request_parameters, '$.eventSelectors[*] ? (@.includeManagementEvents == false || @.readWriteType != "All" || @.excludeManagementEventSources.size() > 0)')
      OR jsonb_path_exists(request_parameters, '$.advancedEventSelectors[*].fieldSelectors[*] ? (@.field == "readOnly" || exists(@.notEquals) || exists(@.notStartsWith))'))$q$,
 $q$'event selectors of trail ' || coalesce(request_parameters->>'trailName', '?') || ' now leave events out'$q$,
 'Selectors that drop management events, keep only reads or writes, or exclude event sources blind the trail while it still looks on.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_cloudtrail_management_events_disabled_via_eventselectors.toml', 'stratus:aws.defense-evasion.cloudtrail-event-selectors'],
 $j${"eventSource":"cloudtrail.amazonaws.com","eventName":"PutEventSelectors","requestParameters":{"trailName":"main","eventSelectors":[{"includeManagementEvents":false,"readWriteType":"All"}]}}$j$),
('cloudtrail_selectors_changed', 'CloudTrail event or Insights selectors changed', 'low', 'T1562.008', 'defense-evasion',
 $q$event_source = 'cloudtrail.amazonaws.com' AND event_name IN ('PutEventSelectors', 'PutAdvancedEventSelectors', 'PutInsightSelectors')$q$,
 $q$event_name || ' on trail ' || coalesce(request_parameters->>'trailName', '?')$q$,
 'What a trail records changed. Often routine (adding data events); see cloudtrail_selectors_reduced for changes that drop events.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_cloudtrail_logging_evasion.toml'],
 $j${"eventSource":"cloudtrail.amazonaws.com","eventName":"PutInsightSelectors","requestParameters":{"trailName":"main","insightSelectors":[]}}$j$),
('cloudtrail_lake_store_disabled', 'CloudTrail Lake event data store stopped or deleted', 'high', 'T1562.008', 'defense-evasion',
 $q$event_source = 'cloudtrail.amazonaws.com' AND event_name IN ('DeleteEventDataStore', 'StopEventDataStoreIngestion', 'DeleteChannel')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'eventDataStore', request_parameters->>'channel', '?')$q$,
 'A CloudTrail Lake store stops ingesting or is deleted: the organisation''s query copy of its events ends.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_cloudtrail_logging_deleted.toml'],
 $j${"eventSource":"cloudtrail.amazonaws.com","eventName":"StopEventDataStoreIngestion","requestParameters":{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/x"}}$j$),
('vpc_flow_logs_deleted', 'VPC flow logs deleted', 'high', 'T1562.008', 'defense-evasion',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'DeleteFlowLogs'$q$,
 $q$'flow logs deleted: ' || coalesce(@extschema@.json_strings(request_parameters, '$.**.content'), request_parameters::text)$q$,
 'Network logging of a VPC, subnet or interface ends.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_vpc_flow_logs_deleted.yml', 'elastic:rules/integrations/aws/defense_evasion_ec2_flow_log_deletion.toml', 'stratus:aws.defense-evasion.vpc-remove-flow-logs'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"DeleteFlowLogs","requestParameters":{"DeleteFlowLogsRequest":{"FlowLogId":{"content":"fl-0123456789abcdef0","tag":1}}}}$j$),
('dns_query_logging_deleted', 'Route 53 Resolver query logging removed', 'high', 'T1562.008', 'defense-evasion',
 $q$event_source = 'route53resolver.amazonaws.com' AND event_name IN ('DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'resolverQueryLogConfigId', '?')$q$,
 'DNS queries from the VPCs are no longer logged.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_route53_dns_query_resolver_config_deletion.toml', 'stratus:aws.defense-evasion.dns-delete-logs'],
 $j${"eventSource":"route53resolver.amazonaws.com","eventName":"DeleteResolverQueryLogConfig","requestParameters":{"resolverQueryLogConfigId":"rqlc-0123456789abcdef"}}$j$),
('cloudwatch_logs_deleted', 'CloudWatch log group or stream deleted', 'medium', 'T1070', 'defense-evasion',
 $q$event_source = 'logs.amazonaws.com' AND event_name IN ('DeleteLogGroup', 'DeleteLogStream')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'logGroupName', '?') || coalesce('/' || (request_parameters->>'logStreamName'), '')$q$,
 'Logs kept in CloudWatch are destroyed; legitimate in clean-ups, rare otherwise.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_cloudwatch_log_stream_deletion.toml'],
 $j${"eventSource":"logs.amazonaws.com","eventName":"DeleteLogGroup","requestParameters":{"logGroupName":"/aws/lambda/app"}}$j$),
('cloudwatch_log_retention_short', 'CloudWatch log retention set very short', 'low', 'T1070', 'defense-evasion',
 $q$event_source = 'logs.amazonaws.com' AND event_name = 'PutRetentionPolicy' AND jsonb_typeof(request_parameters->'retentionInDays') = 'number' AND request_parameters->'retentionInDays' <= '3'::jsonb$q$,
 $q$'log group ' || coalesce(request_parameters->>'logGroupName', '?') || ' keeps ' || (request_parameters->>'retentionInDays') || ' day(s)'$q$,
 'Shortening retention makes logs expire before anyone reads them.',
 ARRAY['tailpipe:detect_cloudwatch_logs_retention_period_updates', 'elastic:rules/integrations/aws/defense_evasion_cloudwatch_short_log_retention_policy.toml'],
 $j${"eventSource":"logs.amazonaws.com","eventName":"PutRetentionPolicy","requestParameters":{"logGroupName":"/audit","retentionInDays":1}}$j$),
('cloudwatch_alarm_deleted', 'CloudWatch alarms deleted or silenced', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'monitoring.amazonaws.com' AND event_name IN ('DeleteAlarms', 'DisableAlarmActions')$q$,
 $q$event_name || ' ' || coalesce(@extschema@.json_strings(request_parameters, '$.alarmNames[*]'), '?')$q$,
 'Alarms that would page someone are removed or muted.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_cloudwatch_alarm_deletion.toml'],
 $j${"eventSource":"monitoring.amazonaws.com","eventName":"DeleteAlarms","requestParameters":{"alarmNames":["root-login"]}}$j$),
('eventbridge_rule_disabled', 'EventBridge rule disabled or deleted', 'low', 'T1562.001', 'defense-evasion',
 $q$event_source = 'events.amazonaws.com' AND event_name IN ('DisableRule', 'DeleteRule')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'name', '?')$q$,
 'Security automation often hangs off EventBridge rules; disabling one stops the reaction to events.',
 ARRAY['tailpipe:detect_eventbridge_rules_disabled', 'elastic:rules/integrations/aws/aws_eventbridge_rule_disabled_or_deleted.toml'],
 $j${"eventSource":"events.amazonaws.com","eventName":"DisableRule","requestParameters":{"name":"guardduty-to-slack"}}$j$),
('s3_access_logging_disabled', 'S3 server access logging disabled', 'medium', 'T1562.008', 'defense-evasion',
 $q$event_source = 's3.amazonaws.com' AND event_name = 'PutBucketLogging' AND NOT jsonb_path_exists(request_parameters, '$.BucketLoggingStatus.LoggingEnabled')$q$,
 $q$'access logging disabled on bucket ' || coalesce(request_parameters->>'bucketName', '?')$q$,
 'A PutBucketLogging without LoggingEnabled turns server access logging off.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_s3_bucket_server_access_logging_disabled.toml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketLogging","requestParameters":{"bucketName":"data","BucketLoggingStatus":{}}}$j$),
('eks_control_plane_logging_disabled', 'EKS control plane logging disabled', 'medium', 'T1562.008', 'defense-evasion',
 $q$event_source = 'eks.amazonaws.com' AND event_name = 'UpdateClusterConfig' AND jsonb_path_exists(request_parameters, '$.logging.clusterLogging[*] ? (@.enabled == false)')$q$,
 $q$'control plane logging disabled on cluster ' || coalesce(request_parameters->>'name', '?')$q$,
 'The Kubernetes audit log of the cluster stops.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_eks_control_plane_logging_disabled.toml'],
 $j${"eventSource":"eks.amazonaws.com","eventName":"UpdateClusterConfig","requestParameters":{"name":"prod","logging":{"clusterLogging":[{"types":["audit"],"enabled":false}]}}}$j$),
('bedrock_invocation_logging_deleted', 'Bedrock model invocation logging removed', 'high', 'T1562.008', 'defense-evasion',
 $q$event_source = 'bedrock.amazonaws.com' AND event_name = 'DeleteModelInvocationLoggingConfiguration'$q$,
 $q$'model invocation logging removed'$q$,
 'Prompts and completions are no longer logged: seen before abuse of a stolen account''s models.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_bedrock_logging_config_deleted.yml', 'elastic:rules/integrations/aws/defense_evasion_bedrock_model_invocation_logging_disabled_or_tampered.toml'],
 $j${"eventSource":"bedrock.amazonaws.com","eventName":"DeleteModelInvocationLoggingConfiguration"}$j$),
-- ---- defense evasion: security services ------------------------------------
('guardduty_detector_deleted', 'GuardDuty detector deleted', 'high', 'T1562.001', 'defense-evasion',
 $q$event_source = 'guardduty.amazonaws.com' AND event_name = 'DeleteDetector'$q$,
 $q$'GuardDuty detector ' || coalesce(request_parameters->>'detectorId', '?') || ' deleted in ' || coalesce(aws_region, '?')$q$,
 'Threat detection ends in the region and its findings are lost.',
 ARRAY['tailpipe:detect_guardduty_detector_deletions', 'sigma:rules/cloud/aws/cloudtrail/aws_guardduty_detector_deleted_or_updated.yml', 'elastic:rules/integrations/aws/defense_evasion_guardduty_detector_deletion.toml'],
 $j${"eventSource":"guardduty.amazonaws.com","eventName":"DeleteDetector","requestParameters":{"detectorId":"12abc34d567e8fa901bc2d34e56789f0"}}$j$),
('guardduty_detector_disabled', 'GuardDuty detector disabled', 'high', 'T1562.001', 'defense-evasion',
 $q$event_source = 'guardduty.amazonaws.com' AND event_name = 'UpdateDetector' AND (request_parameters->'enable' = 'false'::jsonb)$q$,
 $q$'GuardDuty detector ' || coalesce(request_parameters->>'detectorId', '?') || ' disabled'$q$,
 'UpdateDetector with enable false suspends GuardDuty without deleting it.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_guardduty_detector_deleted_or_updated.yml', 'elastic:rules/integrations/aws/defense_evasion_guardduty_detector_deletion.toml'],
 $j${"eventSource":"guardduty.amazonaws.com","eventName":"UpdateDetector","requestParameters":{"detectorId":"12abc34d","enable":false}}$j$),
('guardduty_findings_suppressed', 'GuardDuty findings suppressed', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'guardduty.amazonaws.com' AND (event_name IN ('CreateIPSet', 'UpdateIPSet') OR (event_name IN ('CreateFilter', 'UpdateFilter') AND request_parameters->>'action' = 'ARCHIVE'))$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'name', request_parameters->>'ipSetId', request_parameters->>'filterName', '?')$q$,
 'A trusted IP list or an auto-archive filter keeps GuardDuty quiet about chosen activity.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_guardduty_disruption.yml', 'elastic:rules/integrations/aws/defense_evasion_guardduty_finding_suppression.toml'],
 $j${"eventSource":"guardduty.amazonaws.com","eventName":"CreateIPSet","requestParameters":{"name":"trusted","format":"TXT","activate":true}}$j$),
('guardduty_member_removed', 'GuardDuty member account detached', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'guardduty.amazonaws.com' AND event_name IN ('DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount', 'DisassociateMembers', 'DeleteMembers', 'StopMonitoringMembers')$q$,
 $q$event_name$q$,
 'An account leaves the administrator''s view of GuardDuty findings.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_guardduty_member_manipulation.toml'],
 $j${"eventSource":"guardduty.amazonaws.com","eventName":"DisassociateFromAdministratorAccount","requestParameters":{"detectorId":"12abc34d"}}$j$),
('guardduty_export_deleted', 'GuardDuty publishing destination or threat list deleted', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'guardduty.amazonaws.com' AND event_name IN ('DeletePublishingDestination', 'DeleteThreatIntelSet')$q$,
 $q$event_name || ' on detector ' || coalesce(request_parameters->>'detectorId', '?')$q$,
 'Findings stop reaching their bucket, or a threat list stops matching.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_guardduty_publishing_destination_deleted.toml', 'elastic:rules/integrations/aws/defense_evasion_guardduty_threat_intel_set_deleted.toml'],
 $j${"eventSource":"guardduty.amazonaws.com","eventName":"DeletePublishingDestination","requestParameters":{"detectorId":"12abc34d","destinationId":"d1"}}$j$),
('config_recorder_stopped', 'AWS Config recording stopped or deleted', 'high', 'T1562.001', 'defense-evasion',
 $q$event_source = 'config.amazonaws.com' AND event_name IN ('StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'configurationRecorderName', request_parameters->>'deliveryChannelName', '?')$q$,
 'Configuration history stops: changes made from now on leave no Config record.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_config_disable_recording.yml', 'elastic:rules/integrations/aws/defense_evasion_configuration_recorder_stopped.toml', 'tailpipe:config_configuration_recorder_stopped'],
 $j${"eventSource":"config.amazonaws.com","eventName":"StopConfigurationRecorder","requestParameters":{"configurationRecorderName":"default"}}$j$),
('config_rule_deleted', 'AWS Config rule or conformance pack deleted', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'config.amazonaws.com' AND event_name IN ('DeleteConfigRule', 'DeleteConformancePack', 'DeleteOrganizationConfigRule', 'DeleteEvaluationResults')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'configRuleName', request_parameters->>'conformancePackName', '?')$q$,
 'A compliance check stops evaluating.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_config_service_rule_deletion.toml', 'tailpipe:config_rule_deleted'],
 $j${"eventSource":"config.amazonaws.com","eventName":"DeleteConfigRule","requestParameters":{"configRuleName":"s3-public"}}$j$),
('securityhub_disabled', 'Security Hub disabled', 'high', 'T1562.001', 'defense-evasion',
 $q$event_source = 'securityhub.amazonaws.com' AND event_name IN ('DisableSecurityHub', 'BatchDisableStandards', 'DisableImportFindingsForProduct')$q$,
 $q$event_name || ' in ' || coalesce(aws_region, '?')$q$,
 'Security Hub (or some of its standards or product feeds) stops aggregating findings.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_securityhub_disabled.toml'],
 $j${"eventSource":"securityhub.amazonaws.com","eventName":"DisableSecurityHub"}$j$),
('securityhub_findings_suppressed', 'Security Hub findings suppressed', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'securityhub.amazonaws.com' AND (event_name IN ('CreateAutomationRule', 'UpdateAutomationRules', 'BatchUpdateAutomationRules') OR (event_name = 'BatchUpdateFindings' AND request_parameters::text ~ '"(SUPPRESSED|RESOLVED)"'))$q$,
 $q$event_name$q$,
 'Findings are marked suppressed or resolved, or rules are made to do it automatically.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_securityhub_finding_evasion.yml'],
 $j${"eventSource":"securityhub.amazonaws.com","eventName":"BatchUpdateFindings","requestParameters":{"workflow":{"status":"SUPPRESSED"}}}$j$),
('access_analyzer_deleted', 'IAM Access Analyzer deleted or muted', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'access-analyzer.amazonaws.com' AND event_name IN ('DeleteAnalyzer', 'CreateArchiveRule', 'UpdateArchiveRule')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'analyzerName', '?') || coalesce(' rule ' || (request_parameters->>'ruleName'), '')$q$,
 'External access to resources is no longer reported (or findings are auto-archived).',
 ARRAY[]::text[],
 $j${"eventSource":"access-analyzer.amazonaws.com","eventName":"DeleteAnalyzer","requestParameters":{"analyzerName":"org"}}$j$),
('macie_inspector_disabled', 'Macie or Inspector disabled', 'medium', 'T1562.001', 'defense-evasion',
 $q$(event_source IN ('macie2.amazonaws.com', 'macie.amazonaws.com') AND event_name IN ('DisableMacie', 'UpdateMacieSession') AND (event_name = 'DisableMacie' OR request_parameters->>'status' = 'PAUSED'))
 OR (event_source IN ('inspector2.amazonaws.com', 'inspector.amazonaws.com') AND event_name IN ('Disable', 'DisableDelegatedAdminAccount', 'DeleteAssessmentTarget'))$q$,
 $q$split_part(event_source, '.', 1) || ' ' || event_name$q$,
 'Sensitive-data discovery or vulnerability scanning stops.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_macie_or_inspector_disabled.toml', 'tailpipe:aws_macie_updated'],
 $j${"eventSource":"macie2.amazonaws.com","eventName":"DisableMacie"}$j$),
('detective_graph_deleted', 'Amazon Detective graph deleted', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'detective.amazonaws.com' AND event_name IN ('DeleteGraph', 'DisassociateMembership')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'graphArn', '?')$q$,
 'The investigation graph (and its history) is removed.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_detective_graph_deleted.toml'],
 $j${"eventSource":"detective.amazonaws.com","eventName":"DeleteGraph","requestParameters":{"graphArn":"arn:aws:detective:us-east-1:111122223333:graph:abc"}}$j$),
('waf_acl_removed', 'WAF web ACL deleted or detached', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source IN ('wafv2.amazonaws.com', 'waf.amazonaws.com', 'waf-regional.amazonaws.com') AND event_name IN ('DeleteWebACL', 'DisassociateWebACL', 'DeleteRuleGroup', 'DeleteLoggingConfiguration')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'name', request_parameters->>'resourceArn', '?')$q$,
 'A web application loses its firewall rules or their logging.',
 ARRAY[]::text[],
 $j${"eventSource":"wafv2.amazonaws.com","eventName":"DisassociateWebACL","requestParameters":{"resourceArn":"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/1"}}$j$),
('organization_left', 'Account left its AWS Organization', 'high', 'T1562.001', 'defense-evasion',
 $q$event_source = 'organizations.amazonaws.com' AND event_name = 'LeaveOrganization'$q$,
 $q$'account ' || coalesce(recipient_account_id, '?') || ' leaves its organization'$q$,
 'An account out of the organization escapes its SCPs, its organization trail and its delegated security services.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_organizations_leave_organization.toml', 'stratus:aws.defense-evasion.organizations-leave'],
 $j${"eventSource":"organizations.amazonaws.com","eventName":"LeaveOrganization"}$j$),
('organization_guardrail_removed', 'Organization policy detached, deleted or disabled', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'organizations.amazonaws.com' AND event_name IN ('DetachPolicy', 'DeletePolicy', 'DisablePolicyType', 'DisableAWSServiceAccess', 'DeregisterDelegatedAdministrator')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'policyId', request_parameters->>'policyType', request_parameters->>'servicePrincipal', '?') || coalesce(' from ' || (request_parameters->>'targetId'), '')$q$,
 'Service control policies or trusted services are what keeps member accounts in line; removing them lifts guardrails.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_organizations_management_account_write_action.yml'],
 $j${"eventSource":"organizations.amazonaws.com","eventName":"DetachPolicy","requestParameters":{"policyId":"p-abcd1234","targetId":"ou-ab12-cdef3456"}}$j$),
('region_enabled', 'AWS Region enabled', 'low', 'T1535', 'defense-evasion',
 $q$event_source = 'account.amazonaws.com' AND event_name = 'EnableRegion'$q$,
 $q$'region ' || coalesce(request_parameters->>'RegionName', request_parameters->>'regionName', '?') || ' enabled'$q$,
 'An opt-in region that nobody watches is a place to run resources unseen.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_enable_region.yml', 'elastic:rules/integrations/aws/defense_evasion_aws_region_enabled.toml'],
 $j${"eventSource":"account.amazonaws.com","eventName":"EnableRegion","requestParameters":{"RegionName":"af-south-1"}}$j$),
('ebs_default_encryption_disabled', 'EBS encryption by default disabled', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'DisableEbsEncryptionByDefault'$q$,
 $q$'EBS encryption by default disabled in ' || coalesce(aws_region, '?')$q$,
 'New volumes and snapshots in the region are no longer encrypted.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_ec2_disable_encryption.yml', 'elastic:rules/integrations/aws/defense_evasion_ec2_disable_ebs_encryption.toml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"DisableEbsEncryptionByDefault"}$j$),
('ec2_imdsv1_enabled', 'EC2 instance metadata allows IMDSv1', 'low', 'T1562.001', 'defense-evasion',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'ModifyInstanceMetadataOptions' AND request_parameters->>'HttpTokens' = 'optional'$q$,
 $q$'IMDSv1 allowed on ' || coalesce(request_parameters->>'InstanceId', '?')$q$,
 'Tokens made optional let SSRF bugs read the instance''s credentials again.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_ec2_imdsv1_enabled.toml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"ModifyInstanceMetadataOptions","requestParameters":{"InstanceId":"i-0123456789abcdef0","HttpTokens":"optional"}}$j$),
('sqs_queue_purged', 'SQS queue purged', 'low', 'T1070', 'defense-evasion',
 $q$event_source = 'sqs.amazonaws.com' AND event_name = 'PurgeQueue'$q$,
 $q$'queue ' || coalesce(request_parameters->>'queueUrl', '?') || ' purged'$q$,
 'Every message in the queue is deleted, alerts included when the queue carries them.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_sqs_purge_queue.toml'],
 $j${"eventSource":"sqs.amazonaws.com","eventName":"PurgeQueue","requestParameters":{"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/alerts"}}$j$),
('bedrock_guardrail_removed', 'Bedrock guardrail deleted or changed', 'medium', 'T1562.001', 'defense-evasion',
 $q$event_source = 'bedrock.amazonaws.com' AND event_name IN ('DeleteGuardrail', 'UpdateGuardrail')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'guardrailIdentifier', '?')$q$,
 'The content filters on a model are removed or weakened.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_guardrail_deleted.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_guardrail_updated.yml', 'elastic:rules/integrations/aws/defense_evasion_bedrock_guardrail_deleted_or_weakened.toml'],
 $j${"eventSource":"bedrock.amazonaws.com","eventName":"DeleteGuardrail","requestParameters":{"guardrailIdentifier":"gr-1"}}$j$),
('kms_key_disabled', 'KMS key disabled', 'medium', 'T1485', 'impact',
 $q$event_source = 'kms.amazonaws.com' AND event_name = 'DisableKey'$q$,
 $q$'KMS key ' || coalesce(request_parameters->>'keyId', '?') || ' disabled'$q$,
 'Data encrypted under the key cannot be read until it is enabled again.',
 ARRAY[]::text[],
 $j${"eventSource":"kms.amazonaws.com","eventName":"DisableKey","requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}}$j$),
('kms_key_deletion_scheduled', 'KMS key scheduled for deletion', 'high', 'T1485', 'impact',
 $q$event_source = 'kms.amazonaws.com' AND event_name = 'ScheduleKeyDeletion'$q$,
 $q$'KMS key ' || coalesce(request_parameters->>'keyId', '?') || ' to be deleted in ' || coalesce(request_parameters->>'pendingWindowInDays', '30') || ' days'$q$,
 'When the waiting period ends, whatever the key encrypted is lost for good.',
 ARRAY['tailpipe:cloudtrail_logs_detect_kms_key_deletion'],
 $j${"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","requestParameters":{"keyId":"1234abcd","pendingWindowInDays":7}}$j$),
('kms_key_policy_opened', 'KMS key policy lets outsiders in', 'high', 'T1222', 'defense-evasion',
 $q$event_source = 'kms.amazonaws.com' AND event_name IN ('PutKeyPolicy', 'CreateKey') AND @extschema@.policy_admits_outsiders(request_parameters->>'policy', recipient_account_id)$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'keyId', 'new key') || ' admits another account or anyone'$q$,
 'A key policy naming another account or "*" shares the key (and what it encrypts) outside the account.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_kms_key_policy_put.toml'],
 $j${"eventSource":"kms.amazonaws.com","eventName":"PutKeyPolicy","recipientAccountId":"111122223333","requestParameters":{"keyId":"k1","policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"}}$j$),
('kms_key_material_imported', 'KMS key material imported or custom key store connected', 'medium', 'T1486', 'impact',
 $q$event_source = 'kms.amazonaws.com' AND event_name IN ('ImportKeyMaterial', 'CreateCustomKeyStore', 'ConnectCustomKeyStore')$q$,
 $q$event_name || coalesce(' ' || (request_parameters->>'keyId'), '')$q$,
 'Key material the attacker holds (and can delete) is the basis of cloud ransomware.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_kms_import_key_material.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_kms_custom_key_store_connected_or_created.yml'],
 $j${"eventSource":"kms.amazonaws.com","eventName":"ImportKeyMaterial","requestParameters":{"keyId":"k1"}}$j$),
-- ---- persistence and privilege escalation ----------------------------------
('iam_user_created', 'IAM user created', 'low', 'T1136.003', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name = 'CreateUser'$q$,
 $q$'IAM user ' || coalesce(request_parameters->>'userName', '?') || ' created'$q$,
 'A new long-term identity. Routine where users are managed by hand; in accounts run by SSO and roles it stands out.',
 ARRAY['tailpipe:detect_iam_user_creations', 'sigma:rules/cloud/aws/cloudtrail/aws_iam_s3browser_user_or_accesskey_creation.yml', 'stratus:aws.persistence.iam-create-admin-user'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"CreateUser","requestParameters":{"userName":"backup-admin"}}$j$),
('iam_access_key_for_other_user', 'Access key created for another IAM user', 'high', 'T1098.001', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name = 'CreateAccessKey' AND request_parameters->>'userName' IS NOT NULL
 AND request_parameters->>'userName' IS DISTINCT FROM user_name$q$,
 $q$'access key ' || coalesce(response_elements #>> '{accessKey,accessKeyId}', '?') || ' created for ' || (request_parameters->>'userName')$q$,
 'Keys made for someone else are a backdoor that outlives the caller''s own credentials.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_backdoor_users_keys.yml', 'tailpipe:aws_iam_access_key_created', 'stratus:aws.persistence.iam-backdoor-user'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::111122223333:user/alice"},"requestParameters":{"userName":"bob"},"responseElements":{"accessKey":{"accessKeyId":"AKIAEXAMPLE","userName":"bob"}}}$j$),
('iam_login_profile_created', 'Console password created for an IAM user', 'medium', 'T1098', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name = 'CreateLoginProfile'$q$,
 $q$'console password created for ' || coalesce(request_parameters->>'userName', user_name, '?')$q$,
 'A user without console access gets a password: a way in that needs no access key.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_s3browser_loginprofile_creation.yml', 'stratus:aws.persistence.iam-create-user-login-profile'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"CreateLoginProfile","requestParameters":{"userName":"bob","passwordResetRequired":false}}$j$),
('iam_login_profile_updated', 'Console password of another IAM user changed', 'high', 'T1098', 'privilege-escalation',
 $q$event_source = 'iam.amazonaws.com' AND event_name = 'UpdateLoginProfile' AND request_parameters->>'userName' IS DISTINCT FROM user_name$q$,
 $q$'console password of ' || coalesce(request_parameters->>'userName', '?') || ' changed'$q$,
 'Resetting another user''s password takes over that user.',
 ARRAY['tailpipe:aws_iam_user_login_profile_updated', 'stratus:aws.privilege-escalation.iam-update-user-login-profile'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"UpdateLoginProfile","requestParameters":{"userName":"bob"}}$j$),
('iam_admin_policy_attached', 'Administrator policy attached', 'high', 'T1098.003', 'privilege-escalation',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy')
 AND request_parameters->>'policyArn' ~ ':policy/(AdministratorAccess|IAMFullAccess|PowerUserAccess|AWSOrganizationsFullAccess)$'$q$,
 $q$regexp_replace(request_parameters->>'policyArn', '^.*/', '') || ' attached to ' || lower(substr(event_name, 7, length(event_name) - 12)) || ' ' || coalesce(request_parameters->>'userName', request_parameters->>'roleName', request_parameters->>'groupName', '?')$q$,
 'A user, role or group is given full control of the account (or of IAM, which amounts to it).',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_attach_critical_managed_policy.yml', 'tailpipe:detect_admin_access_granted_to_iam_users', 'stratus:aws.persistence.iam-create-admin-user', 'stratus:aws.persistence.iam-create-backdoor-role'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","requestParameters":{"userName":"bob","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}}$j$),
('iam_admin_inline_policy', 'Policy allowing every action created or put', 'high', 'T1098.003', 'privilege-escalation',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy', 'CreatePolicy', 'CreatePolicyVersion')
 AND @extschema@.policy_grants_all(request_parameters->>'policyDocument')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'policyName', request_parameters->>'policyArn', '?') || ' allows * on *' || coalesce(' for ' || coalesce(request_parameters->>'userName', request_parameters->>'roleName', request_parameters->>'groupName'), '')$q$,
 'An inline or managed policy with Action "*" on Resource "*" is administrator access under another name.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_privileged_inline_policy_creation.yml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy","requestParameters":{"userName":"bob","policyName":"x","policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}}$j$),
('iam_policy_version_set_default', 'Managed policy version set as default', 'medium', 'T1098', 'privilege-escalation',
 $q$event_source = 'iam.amazonaws.com' AND (event_name = 'SetDefaultPolicyVersion' OR (event_name = 'CreatePolicyVersion' AND request_parameters->'setAsDefault' = 'true'::jsonb))$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'policyArn', '?') || coalesce(' ' || (request_parameters->>'versionId'), '')$q$,
 'Switching a policy to another version changes every principal it is attached to at once: a known escalation path.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_managed_policy_version_abuse.yml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"SetDefaultPolicyVersion","requestParameters":{"policyArn":"arn:aws:iam::111122223333:policy/app","versionId":"v1"}}$j$),
('iam_role_trust_changed', 'Role trust policy changed', 'medium', 'T1098', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name = 'UpdateAssumeRolePolicy'$q$,
 $q$'trust policy of role ' || coalesce(request_parameters->>'roleName', '?') || ' changed'$q$,
 'Who may assume the role changed.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_assume_role_policy_updated.yml', 'stratus:aws.persistence.iam-backdoor-role'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"UpdateAssumeRolePolicy","requestParameters":{"roleName":"app","policyDocument":"{}"}}$j$),
('iam_role_trusts_outsider', 'Role trusts another account or anyone', 'high', 'T1098', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('CreateRole', 'UpdateAssumeRolePolicy')
 AND @extschema@.policy_admits_outsiders(coalesce(request_parameters->>'assumeRolePolicyDocument', request_parameters->>'policyDocument'), recipient_account_id)$q$,
 $q$'role ' || coalesce(request_parameters->>'roleName', '?') || ' may be assumed from ' || coalesce(@extschema@.policy_foreign_accounts(coalesce(request_parameters->>'assumeRolePolicyDocument', request_parameters->>'policyDocument'), recipient_account_id), 'anyone')$q$,
 'A trust policy that names a foreign account (or "*") is a door for that account; a backdoor role is made this way.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_assume_role_policy_updated.yml', 'stratus:aws.persistence.iam-backdoor-role', 'stratus:aws.persistence.iam-create-backdoor-role'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"CreateRole","recipientAccountId":"111122223333","requestParameters":{"roleName":"ops","assumeRolePolicyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":\"sts:AssumeRole\"}]}"}}$j$),
('iam_user_added_to_admin_group', 'User added to a privileged group', 'medium', 'T1098', 'privilege-escalation',
 $q$event_source = 'iam.amazonaws.com' AND event_name = 'AddUserToGroup' AND request_parameters->>'groupName' ~* '(admin|root|power|priv|full)'$q$,
 $q$(request_parameters->>'userName') || ' added to group ' || (request_parameters->>'groupName')$q$,
 'Group membership by name: groups called admin or the like usually carry broad policies.',
 ARRAY['tailpipe:detect_iam_users_attached_to_admin_groups', 'elastic:rules/integrations/aws/credential_access_iam_user_addition_to_group.toml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"AddUserToGroup","requestParameters":{"userName":"bob","groupName":"Admins"}}$j$),
('iam_mfa_removed', 'MFA device deactivated or deleted', 'medium', 'T1556.006', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('DeactivateMFADevice', 'DeleteVirtualMFADevice')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'serialNumber', '?') || coalesce(' of ' || (request_parameters->>'userName'), '')$q$,
 'A user''s second factor is removed; a password alone opens the console again.',
 ARRAY['tailpipe:detect_iam_users_with_mfa_disabled', 'sigma:rules/cloud/aws/cloudtrail/aws_delete_identity.yml', 'elastic:rules/integrations/aws/credential_access_identitycenter_mfa_device_removed_from_user.toml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"DeactivateMFADevice","requestParameters":{"userName":"bob","serialNumber":"arn:aws:iam::111122223333:mfa/bob"}}$j$),
('iam_password_policy_weakened', 'Account password policy deleted or changed', 'low', 'T1556', 'defense-evasion',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('DeleteAccountPasswordPolicy', 'UpdateAccountPasswordPolicy')$q$,
 $q$event_name || CASE WHEN (request_parameters->>'minimumPasswordLength') ~ '^[0-9]+$' THEN ' (minimum length ' || (request_parameters->>'minimumPasswordLength') || ')' ELSE '' END$q$,
 'Password rules for IAM users are removed or changed.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_iam_account_password_policy_deleted.toml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"DeleteAccountPasswordPolicy"}$j$),
('iam_identity_provider_changed', 'SAML or OIDC identity provider created, changed or deleted', 'high', 'T1484.002', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('CreateSAMLProvider', 'UpdateSAMLProvider', 'DeleteSAMLProvider', 'CreateOpenIDConnectProvider', 'UpdateOpenIDConnectProviderThumbprint', 'AddClientIDToOpenIDConnectProvider')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'name', request_parameters->>'sAMLProviderArn', request_parameters->>'url', request_parameters->>'openIDConnectProviderArn', '?')$q$,
 'A new or changed federation trust lets whoever controls the provider sign in as any role that trusts it.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_delete_saml_provider.yml', 'elastic:rules/integrations/aws/defense_evasion_iam_saml_provider_updated.toml', 'elastic:rules/integrations/aws/defense_evasion_iam_saml_provider_deleted.toml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"CreateSAMLProvider","requestParameters":{"name":"okta2","sAMLMetadataDocument":"..."}}$j$),
('iam_permissions_boundary_removed', 'Permissions boundary removed', 'medium', 'T1098', 'privilege-escalation',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('DeleteUserPermissionsBoundary', 'DeleteRolePermissionsBoundary')$q$,
 $q$'permissions boundary removed from ' || coalesce(request_parameters->>'userName', request_parameters->>'roleName', '?')$q$,
 'The ceiling on what a user or role may do is lifted.',
 ARRAY[]::text[],
 $j${"eventSource":"iam.amazonaws.com","eventName":"DeleteRolePermissionsBoundary","requestParameters":{"roleName":"dev"}}$j$),
('iam_other_credentials_added', 'SSH key, signing certificate or service credential added to a user', 'medium', 'T1098.001', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('UploadSSHPublicKey', 'UploadSigningCertificate', 'CreateServiceSpecificCredential')$q$,
 $q$event_name || ' for ' || coalesce(request_parameters->>'userName', user_name, '?')$q$,
 'Credentials that are not access keys (CodeCommit SSH keys, signing certificates, service passwords) are easy to forget in a clean-up.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_backdoor_users_keys.yml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"UploadSSHPublicKey","requestParameters":{"userName":"bob","sSHPublicKeyBody":"ssh-ed25519 AAAA"}}$j$),
('iam_instance_profile_swapped', 'Instance profile attached to or replaced on an instance', 'medium', 'T1098', 'privilege-escalation',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation')$q$,
 $q$event_name || ' ' || coalesce(request_parameters #>> '{AssociateIamInstanceProfileRequest,IamInstanceProfile,Name}', request_parameters #>> '{iamInstanceProfile,name}', request_parameters #>> '{iamInstanceProfile,arn}', '?') || coalesce(' on ' || (request_parameters->>'instanceId'), '')$q$,
 'Giving an instance you control a more powerful role is privilege escalation through iam:PassRole.',
 ARRAY[]::text[],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"AssociateIamInstanceProfile","requestParameters":{"instanceId":"i-0123","iamInstanceProfile":{"name":"admin"}}}$j$),
('glue_dev_endpoint_role', 'Glue development endpoint created or updated', 'medium', 'T1548', 'privilege-escalation',
 $q$event_source = 'glue.amazonaws.com' AND event_name IN ('CreateDevEndpoint', 'UpdateDevEndpoint')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'endpointName', '?') || coalesce(' with role ' || (request_parameters->>'roleArn'), '')$q$,
 'A dev endpoint runs with a role passed to it and takes an SSH key: a known way to borrow a role''s rights.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_passed_role_to_glue_development_endpoint.yml'],
 $j${"eventSource":"glue.amazonaws.com","eventName":"CreateDevEndpoint","requestParameters":{"endpointName":"x","roleArn":"arn:aws:iam::111122223333:role/admin"}}$j$),
('sso_permission_set_admin', 'IAM Identity Center permission set given broad rights', 'medium', 'T1098.003', 'privilege-escalation',
 $q$event_source = 'sso.amazonaws.com' AND event_name IN ('AttachManagedPolicyToPermissionSet', 'PutInlinePolicyToPermissionSet', 'CreateAccountAssignment')
 AND (request_parameters->>'managedPolicyArn' ~ ':policy/(AdministratorAccess|IAMFullAccess)$' OR @extschema@.policy_grants_all(request_parameters->>'inlinePolicy') OR event_name = 'CreateAccountAssignment')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'permissionSetArn', '?')$q$,
 'A permission set with administrator policies, or a new assignment, hands accounts to a directory user.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_identity_center_permission_set_privilege_escalation.yml'],
 $j${"eventSource":"sso.amazonaws.com","eventName":"AttachManagedPolicyToPermissionSet","requestParameters":{"permissionSetArn":"arn:aws:sso:::permissionSet/ssoins-1/ps-1","managedPolicyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}}$j$),
('sts_federation_token', 'Federation token requested by an IAM user', 'medium', 'T1550.001', 'persistence',
 $q$event_source = 'sts.amazonaws.com' AND event_name = 'GetFederationToken'$q$,
 $q$'federation token ' || coalesce(request_parameters->>'name', '?') || CASE WHEN @extschema@.policy_grants_all(request_parameters->>'policy') THEN ' with a policy allowing * on *' ELSE '' END$q$,
 'Federation tokens live up to 36 hours and survive the deletion of the access key that made them.',
 ARRAY['elastic:rules/integrations/aws/credential_access_sts_get_federation_token_by_iam_user.toml', 'elastic:rules/integrations/aws/defense_evasion_sts_get_federation_token.toml', 'stratus:aws.persistence.sts-federation-token'],
 $j${"eventSource":"sts.amazonaws.com","eventName":"GetFederationToken","requestParameters":{"name":"x","policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}}$j$),
('sts_assume_root', 'Root session assumed (sts:AssumeRoot)', 'high', 'T1078.004', 'privilege-escalation',
 $q$event_source = 'sts.amazonaws.com' AND event_name = 'AssumeRoot'$q$,
 $q$'root session on ' || coalesce(request_parameters->>'targetPrincipal', '?') || ' with ' || coalesce(regexp_replace(request_parameters #>> '{taskPolicyArn,arn}', '^.*/', ''), '?')$q$,
 'Centralised root access: a short root session on a member account.',
 ARRAY[]::text[],
 $j${"eventSource":"sts.amazonaws.com","eventName":"AssumeRoot","requestParameters":{"targetPrincipal":"222233334444","taskPolicyArn":{"arn":"arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"}}}$j$),
('rolesanywhere_trust_anchor', 'IAM Roles Anywhere trust anchor or profile created', 'high', 'T1098', 'persistence',
 $q$event_source = 'rolesanywhere.amazonaws.com' AND event_name IN ('CreateTrustAnchor', 'UpdateTrustAnchor', 'CreateProfile')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'name', request_parameters->>'trustAnchorId', '?')$q$,
 'A certificate authority the attacker holds becomes a way to get role credentials from outside AWS.',
 ARRAY['stratus:aws.persistence.rolesanywhere-create-trust-anchor'],
 $j${"eventSource":"rolesanywhere.amazonaws.com","eventName":"CreateTrustAnchor","requestParameters":{"name":"ca","enabled":true}}$j$),
('lambda_public_permission', 'Lambda function or layer opened to everyone', 'high', 'T1546', 'persistence',
 $q$event_source = 'lambda.amazonaws.com' AND (event_name LIKE 'AddPermission%' OR event_name LIKE 'AddLayerVersionPermission%')
 AND (request_parameters->>'principal' = '*' OR request_parameters->>'principal' LIKE '%:root' AND split_part(request_parameters->>'principal', ':', 5) IS DISTINCT FROM recipient_account_id OR (request_parameters->>'principal' ~ '^[0-9]{12}$' AND request_parameters->>'principal' IS DISTINCT FROM recipient_account_id))$q$,
 $q$'function ' || coalesce(request_parameters->>'functionName', request_parameters->>'layerName', '?') || ' may be invoked by ' || coalesce(request_parameters->>'principal', '?')$q$,
 'A resource policy with principal "*" (or a foreign account) lets outsiders run the function: a backdoor that needs no credentials.',
 ARRAY['stratus:aws.persistence.lambda-backdoor-function'],
 $j${"eventSource":"lambda.amazonaws.com","eventName":"AddPermission20150331v2","requestParameters":{"functionName":"f","principal":"*","action":"lambda:InvokeFunction"}}$j$),
('lambda_function_url_public', 'Lambda function URL without authentication', 'high', 'T1190', 'initial-access',
 $q$event_source = 'lambda.amazonaws.com' AND (event_name LIKE 'CreateFunctionUrlConfig%' OR event_name LIKE 'UpdateFunctionUrlConfig%') AND request_parameters->>'authType' = 'NONE'$q$,
 $q$'function ' || coalesce(request_parameters->>'functionName', '?') || ' has a public URL'$q$,
 'An unauthenticated HTTPS endpoint for the function.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_lambda_function_url.yml'],
 $j${"eventSource":"lambda.amazonaws.com","eventName":"CreateFunctionUrlConfig20211031","requestParameters":{"functionName":"f","authType":"NONE"}}$j$),
('lambda_code_updated', 'Lambda function code replaced', 'low', 'T1525', 'persistence',
 $q$event_source = 'lambda.amazonaws.com' AND event_name LIKE 'UpdateFunctionCode%'$q$,
 $q$'code of ' || regexp_replace(coalesce(request_parameters->>'functionName', '?'), '^.*:function:', '') || ' replaced'$q$,
 'New code runs with the function''s role. Deploy pipelines do this all day; a person from a laptop rarely does.',
 ARRAY['tailpipe:detect_lambda_function_code_updates_without_publish', 'stratus:aws.persistence.lambda-overwrite-code'],
 $j${"eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2","requestParameters":{"functionName":"f"}}$j$),
('lambda_layer_attached', 'Lambda layer attached to a function', 'medium', 'T1525', 'persistence',
 $q$event_source = 'lambda.amazonaws.com' AND event_name LIKE 'UpdateFunctionConfiguration%' AND jsonb_array_length(CASE jsonb_typeof(request_parameters->'layers') WHEN 'array' THEN request_parameters->'layers' END) > 0$q$,
 $q$'layer ' || coalesce(regexp_replace(request_parameters #>> '{layers,0}', '^.*:layer:', ''), '?') || ' attached to ' || regexp_replace(coalesce(request_parameters->>'functionName', '?'), '^.*:function:', '')$q$,
 'A layer (or extension) runs inside every invocation of the function; a malicious one sees its events and credentials.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_new_lambda_layer_attached.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_attached_malicious_lambda_layer.yml', 'elastic:rules/integrations/aws/defense_evasion_lambda_external_layer_added_to_function.toml', 'stratus:aws.persistence.lambda-layer-extension'],
 $j${"eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionConfiguration20150331v2","requestParameters":{"functionName":"f","layers":["arn:aws:lambda:us-east-1:999988887777:layer:x:1"]}}$j$),
('ec2_key_pair_imported', 'EC2 key pair imported or created', 'low', 'T1098.004', 'persistence',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('ImportKeyPair', 'CreateKeyPair')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'keyName', '?')$q$,
 'A new SSH key for instances launched from now on.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_ec2_import_key_pair_activity.yml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"ImportKeyPair","requestParameters":{"keyName":"ops"}}$j$),
('eks_access_granted', 'EKS cluster access entry or admin policy granted', 'medium', 'T1098', 'persistence',
 $q$event_source = 'eks.amazonaws.com' AND event_name IN ('CreateAccessEntry', 'AssociateAccessPolicy')$q$,
 $q$event_name || ' on ' || coalesce(request_parameters->>'name', request_parameters->>'clusterName', '?') || coalesce(' for ' || (request_parameters->>'principalArn'), '') || coalesce(' (' || regexp_replace(request_parameters->>'policyArn', '^.*/', '') || ')', '')$q$,
 'A principal gets into the Kubernetes cluster through its AWS access entries.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_eks_cluster_created_or_deleted.yml'],
 $j${"eventSource":"eks.amazonaws.com","eventName":"AssociateAccessPolicy","requestParameters":{"name":"prod","principalArn":"arn:aws:iam::111122223333:role/x","policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}}$j$),
('codebuild_project_public', 'CodeBuild project made public or its role changed', 'medium', 'T1098', 'persistence',
 $q$event_source = 'codebuild.amazonaws.com' AND ((event_name = 'UpdateProjectVisibility' AND request_parameters->>'projectVisibility' = 'PUBLIC_READ') OR (event_name = 'UpdateProject' AND request_parameters ? 'serviceRole'))$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'projectArn', request_parameters->>'name', '?')$q$,
 'A public build exposes its logs and artefacts; a new service role changes what the builds may do.',
 ARRAY['tailpipe:codebuild_project_visibility_set_public', 'tailpipe:codebuild_project_service_role_updated'],
 $j${"eventSource":"codebuild.amazonaws.com","eventName":"UpdateProjectVisibility","requestParameters":{"projectArn":"arn:aws:codebuild:us-east-1:111122223333:project/p","projectVisibility":"PUBLIC_READ"}}$j$),
('organization_delegated_admin', 'Delegated administrator registered in the organization', 'medium', 'T1484.002', 'privilege-escalation',
 $q$event_source = 'organizations.amazonaws.com' AND event_name IN ('RegisterDelegatedAdministrator', 'EnableAWSServiceAccess', 'InviteAccountToOrganization', 'AcceptHandshake')$q$,
 $q$event_name || coalesce(' ' || (request_parameters->>'accountId'), '') || coalesce(' for ' || (request_parameters->>'servicePrincipal'), '')$q$,
 'A member account is made administrator of an organization-wide service, or the organization''s trust changes.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_organizations_management_account_write_action.yml'],
 $j${"eventSource":"organizations.amazonaws.com","eventName":"RegisterDelegatedAdministrator","requestParameters":{"accountId":"222233334444","servicePrincipal":"guardduty.amazonaws.com"}}$j$),
-- ---- credential access -------------------------------------------------------
('secrets_batch_retrieved', 'Secrets Manager secrets read in a batch', 'medium', 'T1555.006', 'credential-access',
 $q$event_source = 'secretsmanager.amazonaws.com' AND event_name = 'BatchGetSecretValue'$q$,
 $q$'secrets read in a batch' || coalesce(' by filter ' || (request_parameters #>> '{filters,0,key}'), '') || coalesce(' (' || jsonb_array_length(CASE jsonb_typeof(request_parameters->'secretIdList') WHEN 'array' THEN request_parameters->'secretIdList' END) || ' named)', '')$q$,
 'One call returns many secrets'' values: collection of credentials in bulk.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_secretsmanager_batch_get_secret_value.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_secretsmanager_batch_secret_retrieval.yml', 'stratus:aws.credential-access.secretsmanager-batch-retrieve-secrets'],
 $j${"eventSource":"secretsmanager.amazonaws.com","eventName":"BatchGetSecretValue","requestParameters":{"filters":[{"key":"tag-key","values":["x"]}]}}$j$),
('ssm_parameters_decrypted_in_bulk', 'Many SecureString parameters decrypted in one call', 'medium', 'T1552', 'credential-access',
 $q$event_source = 'ssm.amazonaws.com' AND event_name IN ('GetParameters', 'GetParametersByPath') AND request_parameters->'withDecryption' = 'true'::jsonb
 AND (event_name = 'GetParametersByPath' OR jsonb_array_length(CASE jsonb_typeof(request_parameters->'names') WHEN 'array' THEN request_parameters->'names' END) >= 5)$q$,
 $q$event_name || ' decrypted ' || coalesce(jsonb_array_length(CASE jsonb_typeof(request_parameters->'names') WHEN 'array' THEN request_parameters->'names' END)::text || ' parameters', 'the parameters under ' || coalesce(request_parameters->>'path', '?'))$q$,
 'Applications read the few parameters they need; reading many decrypted values at once looks like harvesting.',
 ARRAY['elastic:rules/integrations/aws/credential_access_retrieve_secure_string_parameters_via_ssm.toml', 'stratus:aws.credential-access.ssm-retrieve-securestring-parameters'],
 $j${"eventSource":"ssm.amazonaws.com","eventName":"GetParameters","requestParameters":{"names":["/a","/b","/c","/d","/e"],"withDecryption":true}}$j$),
('ec2_password_data_read', 'EC2 Windows password data requested', 'medium', 'T1552', 'credential-access',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'GetPasswordData'$q$,
 $q$'password data of ' || coalesce(request_parameters->>'instanceId', '?')$q$,
 'The encrypted administrator password of a Windows instance; with the key pair it is the password.',
 ARRAY['elastic:rules/integrations/aws/credential_access_aws_getpassword_for_ec2_instance.toml', 'stratus:aws.credential-access.ec2-get-password-data'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData","requestParameters":{"instanceId":"i-0123456789abcdef0"}}$j$),
('console_signin_token', 'Console sign-in token from federation', 'medium', 'T1550.001', 'credential-access',
 $q$event_source = 'signin.amazonaws.com' AND event_name = 'GetSigninToken'$q$,
 $q$'console sign-in token for ' || coalesce(user_arn, principal_id, '?')$q$,
 'Turning API keys into a console session (as tools such as aws_consoler do).',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_console_getsignintoken.yml', 'elastic:rules/integrations/aws/credential_access_get_federation_token_followed_by_console_login_via_federation_exchange.toml'],
 $j${"eventSource":"signin.amazonaws.com","eventName":"GetSigninToken","eventType":"AwsConsoleSignIn"}$j$),
('ecs_credentials_in_task_definition', 'ECS task definition reads the credential endpoint', 'medium', 'T1552.005', 'credential-access',
 $q$event_source = 'ecs.amazonaws.com' AND event_name = 'RegisterTaskDefinition' AND request_parameters::text ~ '(169\.254\.170\.2|AWS_CONTAINER_CREDENTIALS_RELATIVE_URI|169\.254\.169\.254)'$q$,
 $q$'task definition ' || coalesce(request_parameters->>'family', '?') || ' calls the credential endpoint'$q$,
 'A container command that fetches the task role''s credentials, to send them elsewhere.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_ecs_task_definition_cred_endpoint_query.yml'],
 $j${"eventSource":"ecs.amazonaws.com","eventName":"RegisterTaskDefinition","requestParameters":{"family":"x","containerDefinitions":[{"command":["curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]}]}}$j$),
('instance_credentials_outside_aws', 'EC2 instance credentials used with a command-line tool from a public address', 'medium', 'T1552.005', 'credential-access',
 $q$user_type = 'AssumedRole' AND principal_id ~* ':i-[0-9a-f]{8,17}$' AND source_ip IS NOT NULL
 AND NOT (source_ip << ANY ('{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7}'::inet[]))
 AND coalesce(vpc_endpoint_id, '') = '' AND user_agent ~* '^(aws-cli/|curl/|python-requests/|pacu|Boto3/[^ ]+ +Python/[^ ]+ +(Darwin|Windows))'$q$,
 $q$'credentials of instance ' || substring(principal_id FROM ':(i-[0-9a-zA-Z]+)$') || ' used from ' || source_ip_address || ' by ' || split_part(user_agent, ' ', 1) || ' (' || event_name || ')'$q$,
 'A session of an instance role (its session name is the instance id) called from a public address with an interactive tool, or from a desktop system: software on instances rarely uses the CLI, a person who copied the keys from the metadata service does. CloudTrail does not say which address the instance has, so this is a heuristic: a public address may be the instance''s own; adjust the tools for your estate.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_imds_malicious_usage.yml', 'elastic:rules/integrations/aws/defense_evasion_lambda_execution_role_credentials_used_outside_lambda.toml'],
 $j${"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0123456789abcdef0","arn":"arn:aws:sts::111122223333:assumed-role/web/i-0123456789abcdef0"},"sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64"}$j$),
-- ---- exfiltration and collection -----------------------------------------
('ebs_snapshot_shared', 'EBS snapshot shared with another account', 'high', 'T1537', 'exfiltration',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'ModifySnapshotAttribute' AND jsonb_path_exists(request_parameters, '$.createVolumePermission.add.items[*] ? (exists(@.userId))')$q$,
 $q$'snapshot ' || coalesce(request_parameters->>'snapshotId', '?') || ' shared with ' || @extschema@.json_strings(request_parameters, '$.createVolumePermission.add.items[*].userId')$q$,
 'Another account can now make volumes of the disk, and read it.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_snapshot_backup_exfiltration.yml', 'stratus:aws.exfiltration.ec2-share-ebs-snapshot'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"ModifySnapshotAttribute","requestParameters":{"snapshotId":"snap-1","attributeType":"CREATE_VOLUME_PERMISSION","createVolumePermission":{"add":{"items":[{"userId":"999988887777"}]}}}}$j$),
('ebs_snapshot_public', 'EBS snapshot made public', 'critical', 'T1537', 'exfiltration',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'ModifySnapshotAttribute' AND jsonb_path_exists(request_parameters, '$.createVolumePermission.add.items[*] ? (@.group == "all")')$q$,
 $q$'snapshot ' || coalesce(request_parameters->>'snapshotId', '?') || ' made public'$q$,
 'Anyone with an AWS account can copy the disk.',
 ARRAY['tailpipe:aws_ebs_snapshot_made_public', 'sigma:rules/cloud/aws/cloudtrail/aws_snapshot_backup_exfiltration.yml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"ModifySnapshotAttribute","requestParameters":{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"group":"all"}]}}}}$j$),
('ami_shared', 'AMI shared with another account', 'high', 'T1537', 'exfiltration',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'ModifyImageAttribute' AND jsonb_path_exists(request_parameters, '$.launchPermission.add.items[*] ? (exists(@.userId))')$q$,
 $q$'image ' || coalesce(request_parameters->>'imageId', '?') || ' shared with ' || @extschema@.json_strings(request_parameters, '$.launchPermission.add.items[*].userId')$q$,
 'Another account can launch (and so read) the image.',
 ARRAY['tailpipe:detect_ec2_amis_with_launch_permission_changes', 'stratus:aws.exfiltration.ec2-share-ami'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"ModifyImageAttribute","requestParameters":{"imageId":"ami-1","launchPermission":{"add":{"items":[{"userId":"999988887777"}]}}}}$j$),
('ami_public', 'AMI made public', 'critical', 'T1537', 'exfiltration',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'ModifyImageAttribute' AND jsonb_path_exists(request_parameters, '$.launchPermission.add.items[*] ? (@.group == "all")')$q$,
 $q$'image ' || coalesce(request_parameters->>'imageId', '?') || ' made public'$q$,
 'Anyone can launch the image and read what was baked into it.',
 ARRAY['tailpipe:aws_ec2_ami_made_public'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"ModifyImageAttribute","requestParameters":{"imageId":"ami-1","launchPermission":{"add":{"items":[{"group":"all"}]}}}}$j$),
('ec2_block_public_access_disabled', 'Block public access for snapshots or AMIs disabled', 'high', 'T1537', 'exfiltration',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('DisableSnapshotBlockPublicAccess', 'DisableImageBlockPublicAccess')$q$,
 $q$event_name || ' in ' || coalesce(aws_region, '?')$q$,
 'The account-wide guard against public snapshots or images is lifted.',
 ARRAY['tailpipe:aws_ebs_snapshot_made_public'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"DisableSnapshotBlockPublicAccess"}$j$),
('rds_snapshot_shared', 'RDS snapshot shared with another account', 'high', 'T1537', 'exfiltration',
 $q$event_source = 'rds.amazonaws.com' AND event_name IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute') AND request_parameters->>'attributeName' = 'restore'
 AND jsonb_path_exists(request_parameters, '$.valuesToAdd[*] ? (@ != "all")')$q$,
 $q$'snapshot ' || coalesce(request_parameters->>'dBSnapshotIdentifier', request_parameters->>'dBClusterSnapshotIdentifier', '?') || ' shared with ' || @extschema@.json_strings(request_parameters, '$.valuesToAdd[*]')$q$,
 'Another account can restore the database from the snapshot.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_rds_snapshot_shared_with_external_account.yml', 'tailpipe:aws_rds_db_snapshot_shared', 'stratus:aws.exfiltration.rds-share-snapshot'],
 $j${"eventSource":"rds.amazonaws.com","eventName":"ModifyDBSnapshotAttribute","requestParameters":{"dBSnapshotIdentifier":"s","attributeName":"restore","valuesToAdd":["999988887777"]}}$j$),
('rds_snapshot_public', 'RDS snapshot made public', 'critical', 'T1537', 'exfiltration',
 $q$event_source = 'rds.amazonaws.com' AND event_name IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute') AND request_parameters->>'attributeName' = 'restore'
 AND jsonb_path_exists(request_parameters, '$.valuesToAdd[*] ? (@ == "all")')$q$,
 $q$'snapshot ' || coalesce(request_parameters->>'dBSnapshotIdentifier', request_parameters->>'dBClusterSnapshotIdentifier', '?') || ' made public'$q$,
 'Anyone can restore the database.',
 ARRAY['tailpipe:aws_rds_db_snapshot_shared'],
 $j${"eventSource":"rds.amazonaws.com","eventName":"ModifyDBSnapshotAttribute","requestParameters":{"dBSnapshotIdentifier":"s","attributeName":"restore","valuesToAdd":["all"]}}$j$),
('rds_snapshot_exported', 'RDS snapshot exported to S3', 'medium', 'T1537', 'exfiltration',
 $q$event_source = 'rds.amazonaws.com' AND event_name = 'StartExportTask'$q$,
 $q$'export of ' || coalesce(request_parameters->>'sourceArn', '?') || ' to s3://' || coalesce(request_parameters->>'s3BucketName', '?')$q$,
 'A database copied out as Parquet to a bucket.',
 ARRAY['elastic:rules/integrations/aws/collection_rds_snapshot_export.toml'],
 $j${"eventSource":"rds.amazonaws.com","eventName":"StartExportTask","requestParameters":{"sourceArn":"arn:aws:rds:us-east-1:111122223333:snapshot:s","s3BucketName":"out"}}$j$),
('rds_public_restore', 'RDS instance made publicly accessible', 'high', 'T1190', 'initial-access',
 $q$event_source = 'rds.amazonaws.com' AND event_name IN ('RestoreDBInstanceFromDBSnapshot', 'RestoreDBInstanceToPointInTime', 'CreateDBInstance', 'ModifyDBInstance') AND request_parameters->'publiclyAccessible' = 'true'::jsonb$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'dBInstanceIdentifier', request_parameters->>'targetDBInstanceIdentifier', '?') || ' publicly accessible'$q$,
 'A database reachable from the internet, often a restored copy made to read the data.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_rds_public_db_restore.yml', 'tailpipe:aws_rds_db_instance_public_restore', 'elastic:rules/integrations/aws/defense_evasion_rds_instance_restored.toml'],
 $j${"eventSource":"rds.amazonaws.com","eventName":"RestoreDBInstanceFromDBSnapshot","requestParameters":{"dBInstanceIdentifier":"copy","publiclyAccessible":true}}$j$),
('rds_master_password_changed', 'RDS master password changed', 'medium', 'T1098', 'persistence',
 $q$event_source = 'rds.amazonaws.com' AND event_name IN ('ModifyDBInstance', 'ModifyDBCluster') AND request_parameters ? 'masterUserPassword'$q$,
 $q$'master password of ' || coalesce(request_parameters->>'dBInstanceIdentifier', request_parameters->>'dBClusterIdentifier', '?') || ' changed'$q$,
 'Whoever changed it can log in to the database as its owner.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_rds_change_master_password.yml'],
 $j${"eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","requestParameters":{"dBInstanceIdentifier":"db","masterUserPassword":"****"}}$j$),
('dynamodb_exported', 'DynamoDB table exported to S3', 'medium', 'T1537', 'exfiltration',
 $q$event_source = 'dynamodb.amazonaws.com' AND event_name = 'ExportTableToPointInTime'$q$,
 $q$'table ' || coalesce(request_parameters->>'tableArn', '?') || ' exported to s3://' || coalesce(request_parameters->>'s3Bucket', '?') || coalesce(' (owner ' || (request_parameters->>'s3BucketOwner') || ')', '')$q$,
 'A whole table copied to a bucket, possibly another account''s.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_dynamodb_table_exported_to_s3.yml'],
 $j${"eventSource":"dynamodb.amazonaws.com","eventName":"ExportTableToPointInTime","requestParameters":{"tableArn":"arn:aws:dynamodb:us-east-1:111122223333:table/t","s3Bucket":"out"}}$j$),
('s3_bucket_policy_public', 'S3 bucket policy grants access to everyone', 'high', 'T1530', 'collection',
 $q$event_source = 's3.amazonaws.com' AND event_name = 'PutBucketPolicy'
 AND (jsonb_path_exists(request_parameters, '$.bucketPolicy.Statement[*] ? (@.Effect == "Allow" && (@.Principal == "*" || @.Principal.AWS == "*" || @.Principal.AWS[*] == "*"))')
      OR @extschema@.policy_admits_outsiders(request_parameters->>'bucketPolicy', recipient_account_id) AND jsonb_typeof(request_parameters->'bucketPolicy') = 'string')$q$,
 $q$'bucket ' || coalesce(request_parameters->>'bucketName', '?') || ' policy allows everyone'$q$,
 'A bucket policy with principal "*" and no condition opens the bucket to the internet.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_s3browser_templated_s3_bucket_policy_creation.yml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","requestParameters":{"bucketName":"data","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}}}$j$),
('s3_bucket_policy_cross_account', 'S3 bucket policy grants access to another account', 'medium', 'T1537', 'exfiltration',
 $q$event_source = 's3.amazonaws.com' AND event_name = 'PutBucketPolicy'
 AND @extschema@.policy_foreign_accounts(CASE jsonb_typeof(request_parameters->'bucketPolicy') WHEN 'string' THEN request_parameters->>'bucketPolicy' ELSE (request_parameters->'bucketPolicy')::text END, recipient_account_id) IS NOT NULL$q$,
 $q$'bucket ' || coalesce(request_parameters->>'bucketName', '?') || ' policy lets account ' || @extschema@.policy_foreign_accounts(CASE jsonb_typeof(request_parameters->'bucketPolicy') WHEN 'string' THEN request_parameters->>'bucketPolicy' ELSE (request_parameters->'bucketPolicy')::text END, recipient_account_id) || ' in'$q$,
 'A foreign account can read or write the bucket.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_iam_s3browser_templated_s3_bucket_policy_creation.yml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","recipientAccountId":"111122223333","requestParameters":{"bucketName":"data","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"s3:*"}]}}}$j$),
('s3_bucket_acl_public', 'S3 bucket or object ACL grants everyone', 'high', 'T1530', 'collection',
 $q$event_source = 's3.amazonaws.com' AND event_name IN ('PutBucketAcl', 'PutObjectAcl')
 AND (request_parameters::text ~ 'acs\.amazonaws\.com/groups/global/(AllUsers|AuthenticatedUsers)' OR request_parameters->'x-amz-acl' ?| ARRAY['public-read', 'public-read-write', 'authenticated-read'])$q$,
 $q$event_name || ' on ' || coalesce(request_parameters->>'bucketName', '?') || coalesce('/' || (request_parameters->>'key'), '') || ' grants everyone'$q$,
 'An ACL grant to AllUsers or AuthenticatedUsers makes the bucket or object public.',
 ARRAY['elastic:rules/integrations/aws/collection_s3_bucket_acl_public_access_new_identity.toml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","requestParameters":{"bucketName":"data","x-amz-acl":["public-read"]}}$j$),
('s3_public_access_block_removed', 'S3 Block Public Access removed or weakened', 'high', 'T1530', 'collection',
 $q$event_source = 's3.amazonaws.com' AND (event_name IN ('DeleteBucketPublicAccessBlock', 'DeleteAccountPublicAccessBlock')
   OR (event_name IN ('PutBucketPublicAccessBlock', 'PutAccountPublicAccessBlock') AND jsonb_path_exists(request_parameters, '$.PublicAccessBlockConfiguration.* ? (@ == false || @ == "false")')))$q$,
 $q$event_name || coalesce(' on ' || (request_parameters->>'bucketName'), ' for the account')$q$,
 'The guard that overrides public policies and ACLs is off.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bucket_block_public_access_weakened.yml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketPublicAccessBlock","requestParameters":{"bucketName":"data","PublicAccessBlockConfiguration":{"BlockPublicAcls":false,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":true}}}$j$),
('s3_replication_configured', 'S3 bucket replication configured', 'medium', 'T1537', 'exfiltration',
 $q$event_source = 's3.amazonaws.com' AND event_name = 'PutBucketReplication'$q$,
 $q$'bucket ' || coalesce(request_parameters->>'bucketName', '?') || ' replicates to ' || coalesce(@extschema@.json_strings(request_parameters, '$.**.Destination.Bucket'), '?')$q$,
 'Every new object is copied to another bucket, possibly in another account.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_s3_data_management_tampering.yml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketReplication","requestParameters":{"bucketName":"data","ReplicationConfiguration":{"Rule":{"Destination":{"Bucket":"arn:aws:s3:::elsewhere"}}}}}$j$),
('ssm_document_shared', 'SSM document shared publicly or with another account', 'medium', 'T1537', 'exfiltration',
 $q$event_source = 'ssm.amazonaws.com' AND event_name = 'ModifyDocumentPermission' AND jsonb_typeof(request_parameters->'accountIdsToAdd') = 'array'$q$,
 $q$'document ' || coalesce(request_parameters->>'name', '?') || ' shared with ' || @extschema@.json_strings(request_parameters, '$.accountIdsToAdd[*]')$q$,
 'Documents may hold scripts and secrets; "All" makes one public.',
 ARRAY[]::text[],
 $j${"eventSource":"ssm.amazonaws.com","eventName":"ModifyDocumentPermission","requestParameters":{"name":"d","permissionType":"Share","accountIdsToAdd":["All"]}}$j$),
('ram_share_external', 'Resource share open to outside the organization', 'medium', 'T1537', 'exfiltration',
 $q$event_source = 'ram.amazonaws.com' AND event_name IN ('CreateResourceShare', 'UpdateResourceShare', 'AssociateResourceShare') AND (request_parameters->'allowExternalPrincipals' = 'true'::jsonb OR event_name = 'AssociateResourceShare' AND request_parameters ? 'principals')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'name', request_parameters->>'resourceShareArn', '?')$q$,
 'Subnets, transit gateways, license configurations and more can be shared with outside accounts.',
 ARRAY[]::text[],
 $j${"eventSource":"ram.amazonaws.com","eventName":"CreateResourceShare","requestParameters":{"name":"s","allowExternalPrincipals":true}}$j$),
('vpc_peering_external', 'VPC peering requested with another account', 'medium', 'T1537', 'exfiltration',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'CreateVpcPeeringConnection' AND request_parameters->>'peerOwnerId' IS NOT NULL AND request_parameters->>'peerOwnerId' IS DISTINCT FROM recipient_account_id$q$,
 $q$'peering of ' || coalesce(request_parameters->>'vpcId', '?') || ' with ' || (request_parameters->>'peerOwnerId') || '/' || coalesce(request_parameters->>'peerVpcId', '?')$q$,
 'A network path into another account''s VPC.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_ec2_vpc_peering_connection_to_external_account.yml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"CreateVpcPeeringConnection","recipientAccountId":"111122223333","requestParameters":{"vpcId":"vpc-1","peerVpcId":"vpc-2","peerOwnerId":"999988887777"}}$j$),
('vpc_traffic_mirroring', 'VPC traffic mirroring set up', 'high', 'T1040', 'collection',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('CreateTrafficMirrorSession', 'CreateTrafficMirrorTarget', 'CreateTrafficMirrorFilterRule')$q$,
 $q$event_name || coalesce(' ' || (request_parameters #>> '{CreateTrafficMirrorSessionRequest,NetworkInterfaceId}'), '')$q$,
 'Copies of an interface''s packets go to a target of the caller''s choice.',
 ARRAY['tailpipe:aws_ec2_traffic_mirroring'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"CreateTrafficMirrorSession","requestParameters":{"CreateTrafficMirrorSessionRequest":{"NetworkInterfaceId":"eni-1"}}}$j$),
('ec2_export_task', 'EC2 instance or image export started', 'medium', 'T1537', 'exfiltration',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('CreateInstanceExportTask', 'ExportImage', 'CreateStoreImageTask')$q$,
 $q$event_name || coalesce(' ' || coalesce(request_parameters->>'instanceId', request_parameters->>'imageId', request_parameters->>'ImageId'), '')$q$,
 'A machine image written out as a file to S3.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_ec2_vm_export_failure.yml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"CreateInstanceExportTask","requestParameters":{"instanceId":"i-1"}}$j$),
('route53_domain_transfer', 'Route 53 domain transferred away or unlocked', 'high', 'T1584.001', 'impact',
 $q$event_source = 'route53domains.amazonaws.com' AND event_name IN ('TransferDomainToAnotherAwsAccount', 'DisableDomainTransferLock', 'TransferDomain')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'domainName', '?')$q$,
 'Losing a domain hands its mail and web traffic to someone else.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_route_53_domain_transferred_to_another_account.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_route_53_domain_transferred_lock_disabled.yml'],
 $j${"eventSource":"route53domains.amazonaws.com","eventName":"DisableDomainTransferLock","requestParameters":{"domainName":"example.com"}}$j$),
-- ---- impact ------------------------------------------------------------------
('s3_bucket_deleted', 'S3 bucket deleted', 'medium', 'T1485', 'impact',
 $q$event_source = 's3.amazonaws.com' AND event_name = 'DeleteBucket'$q$,
 $q$'bucket ' || coalesce(request_parameters->>'bucketName', '?') || ' deleted'$q$,
 'The bucket and its name are gone (the name can then be claimed by anyone).',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bucket_deleted.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_delete_bucket.yml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"DeleteBucket","requestParameters":{"bucketName":"data"}}$j$),
('s3_versioning_suspended', 'S3 versioning suspended or MFA delete disabled', 'medium', 'T1490', 'impact',
 $q$event_source = 's3.amazonaws.com' AND event_name = 'PutBucketVersioning'
 AND (request_parameters #>> '{VersioningConfiguration,Status}' = 'Suspended' OR request_parameters #>> '{VersioningConfiguration,MfaDelete}' = 'Disabled')$q$,
 $q$'versioning of ' || coalesce(request_parameters->>'bucketName', '?') || ': ' || coalesce(request_parameters #>> '{VersioningConfiguration,Status}', '?') || coalesce(', MFA delete ' || (request_parameters #>> '{VersioningConfiguration,MfaDelete}'), '')$q$,
 'Without versions, deleted or overwritten objects cannot be recovered: a step before destruction or ransom.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_disable_bucket_versioning.yml', 'elastic:rules/integrations/aws/defense_evasion_s3_mfa_delete_disabled.toml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketVersioning","requestParameters":{"bucketName":"data","VersioningConfiguration":{"Status":"Suspended"}}}$j$),
('s3_lifecycle_expiration', 'S3 lifecycle rule that expires objects', 'medium', 'T1485', 'impact',
 $q$event_source = 's3.amazonaws.com' AND event_name IN ('PutBucketLifecycle', 'PutBucketLifecycleConfiguration') AND request_parameters::text ~ '"(Expiration|NoncurrentVersionExpiration)"'$q$,
 $q$'lifecycle of ' || coalesce(request_parameters->>'bucketName', '?') || ' expires objects'$q$,
 'A lifecycle rule deletes data later, without a DeleteObject in the logs: destruction by schedule.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_s3_bucket_lifecycle_expiration_added.toml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketLifecycle","requestParameters":{"bucketName":"data","LifecycleConfiguration":{"Rule":{"Expiration":{"Days":1},"Status":"Enabled"}}}}$j$),
('s3_bucket_config_deleted', 'S3 bucket policy, encryption or replication deleted', 'low', 'T1485', 'impact',
 $q$event_source = 's3.amazonaws.com' AND event_name IN ('DeleteBucketPolicy', 'DeleteBucketEncryption', 'DeleteBucketReplication', 'DeleteBucketLifecycle', 'DeleteBucketCors')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'bucketName', '?')$q$,
 'Part of a bucket''s protection or configuration is removed.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_s3_bucket_configuration_deletion.toml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"DeleteBucketEncryption","requestParameters":{"bucketName":"data"}}$j$),
('s3_encryption_customer_key', 'S3 objects written with a customer-provided key (SSE-C)', 'high', 'T1486', 'impact',
 $q$event_source = 's3.amazonaws.com' AND event_name IN ('PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy')
 AND (request_parameters ? 'x-amz-server-side-encryption-customer-algorithm' OR additional_event_data->>'SSECustomerAlgorithm' IS NOT NULL)$q$,
 $q$event_name || ' s3://' || coalesce(request_parameters->>'bucketName', '?') || '/' || coalesce(request_parameters->>'key', '?') || ' with a customer key'$q$,
 'Objects re-encrypted with a key AWS does not keep cannot be read without it: the ransomware pattern seen in 2025.',
 ARRAY[]::text[],
 $j${"eventSource":"s3.amazonaws.com","eventName":"CopyObject","eventCategory":"Data","requestParameters":{"bucketName":"data","key":"a.csv","x-amz-server-side-encryption-customer-algorithm":"AES256"}}$j$),
('s3_bucket_encryption_foreign_key', 'S3 default encryption set to another account''s KMS key', 'high', 'T1486', 'impact',
 $q$event_source = 's3.amazonaws.com' AND event_name = 'PutBucketEncryption'
 AND split_part(@extschema@.json_strings(request_parameters, '$.**.KMSMasterKeyID ? (@ like_regex "^arn:aws[a-z-]*:kms:[^:]*:[0-9]{12}:")'), ':', 5) <> coalesce(recipient_account_id, '')$q$,
 $q$'bucket ' || coalesce(request_parameters->>'bucketName', '?') || ' now encrypts with a key of another account'$q$,
 'New objects are encrypted under a key someone else controls (and can revoke).',
 ARRAY[]::text[],
 $j${"eventSource":"s3.amazonaws.com","eventName":"PutBucketEncryption","recipientAccountId":"111122223333","requestParameters":{"bucketName":"data","ServerSideEncryptionConfiguration":{"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"arn:aws:kms:us-east-1:999988887777:key/x"}}}}}$j$),
('backup_deleted', 'AWS Backup vault, plan or recovery point deleted', 'high', 'T1490', 'impact',
 $q$event_source = 'backup.amazonaws.com' AND event_name IN ('DeleteBackupVault', 'DeleteRecoveryPoint', 'DeleteBackupPlan', 'DeleteBackupSelection', 'DeleteBackupVaultAccessPolicy', 'PutBackupVaultAccessPolicy', 'DeleteBackupVaultLockConfiguration')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'backupVaultName', request_parameters->>'backupPlanId', '?')$q$,
 'Backups are what recovery needs; deleting them comes before destruction or ransom.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_backup_vault_or_recovery_point_deleted.yml', 'elastic:rules/integrations/aws/defense_evasion_backup_vault_access_policy_modified_or_deleted.toml'],
 $j${"eventSource":"backup.amazonaws.com","eventName":"DeleteRecoveryPoint","requestParameters":{"backupVaultName":"v","recoveryPointArn":"arn:aws:ec2:us-east-1::snapshot/snap-1"}}$j$),
('database_deleted', 'Database, table or snapshot deleted', 'medium', 'T1485', 'impact',
 $q$(event_source = 'rds.amazonaws.com' AND event_name IN ('DeleteDBInstance', 'DeleteDBCluster', 'DeleteDBSnapshot', 'DeleteDBClusterSnapshot', 'DeleteGlobalCluster'))
 OR (event_source = 'dynamodb.amazonaws.com' AND event_name IN ('DeleteTable', 'DeleteBackup'))$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'dBInstanceIdentifier', request_parameters->>'dBClusterIdentifier', request_parameters->>'dBSnapshotIdentifier', request_parameters->>'dBClusterSnapshotIdentifier', request_parameters->>'tableName', request_parameters->>'backupArn', '?')
 || CASE WHEN request_parameters->'skipFinalSnapshot' = 'true'::jsonb THEN ' (no final snapshot)' ELSE '' END$q$,
 'Data stores removed; without a final snapshot the data is gone.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_dynamodb_table_or_backup_deleted.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_rds_dbcluster_actions.yml'],
 $j${"eventSource":"rds.amazonaws.com","eventName":"DeleteDBInstance","requestParameters":{"dBInstanceIdentifier":"db","skipFinalSnapshot":true}}$j$),
('efs_deleted', 'EFS file system or mount target deleted', 'medium', 'T1485', 'impact',
 $q$event_source = 'elasticfilesystem.amazonaws.com' AND event_name IN ('DeleteFileSystem', 'DeleteMountTarget', 'DeleteFileSystemPolicy')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'fileSystemId', request_parameters->>'mountTargetId', '?')$q$,
 'Shared storage removed.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_efs_fileshare_modified_or_deleted.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_efs_fileshare_mount_modified_or_deleted.yml'],
 $j${"eventSource":"elasticfilesystem.amazonaws.com","eventName":"DeleteFileSystem","requestParameters":{"fileSystemId":"fs-1"}}$j$),
('secret_deleted', 'Secrets Manager secret deleted', 'medium', 'T1485', 'impact',
 $q$event_source = 'secretsmanager.amazonaws.com' AND event_name = 'DeleteSecret'$q$,
 $q$'secret ' || coalesce(request_parameters->>'secretId', '?') || ' deleted' || CASE WHEN request_parameters->'forceDeleteWithoutRecovery' = 'true'::jsonb THEN ' without recovery' ELSE '' END$q$,
 'A credential removed, perhaps to break a service.',
 ARRAY[]::text[],
 $j${"eventSource":"secretsmanager.amazonaws.com","eventName":"DeleteSecret","requestParameters":{"secretId":"db","forceDeleteWithoutRecovery":true}}$j$),
('ec2_unusual_instances', 'EC2 instances of GPU or large types, or many at once', 'medium', 'T1496', 'impact',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'RunInstances'
 AND (request_parameters->>'instanceType' ~ '^(p[0-9]|g[0-9]|inf[0-9]|trn[0-9]|dl[0-9]|x[0-9]|u-|f[0-9]|hpc)'
      OR jsonb_path_exists(request_parameters, '$.instancesSet.items[*] ? (@.maxCount >= 10 || @.minCount >= 10)'))$q$,
 $q$'RunInstances ' || coalesce(request_parameters->>'instanceType', '?') || ' x' || coalesce(request_parameters #>> '{instancesSet,items,0,maxCount}', '?')$q$,
 'Accelerated or very large instances, or a batch of ten or more: what stolen accounts are used for (mining, model training).',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_lightsail_instance_created_or_started.yml', 'stratus:aws.execution.ec2-launch-unusual-instances'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","requestParameters":{"instanceType":"p4d.24xlarge","instancesSet":{"items":[{"imageId":"ami-1","minCount":1,"maxCount":10}]}}}$j$),
('bedrock_model_access_enabled', 'Bedrock model access requested or enabled', 'medium', 'T1496', 'impact',
 $q$event_source = 'bedrock.amazonaws.com' AND event_name IN ('PutFoundationModelEntitlement', 'CreateFoundationModelAgreement', 'PutUseCaseForModelAccess', 'CreateModelCustomizationJob', 'CreateProvisionedModelThroughput')$q$,
 $q$event_name || coalesce(' ' || (request_parameters->>'modelId'), '')$q$,
 'Enabling models in an account that did not use them is the first step of LLM hijacking with stolen keys.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_put_foundation_model_entitlement.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_create_foundation_model_agreement.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_put_use_case_for_model_access.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_bedrock_model_customization_or_entitlement_change.yml', 'stratus:aws.impact.bedrock-invoke-model'],
 $j${"eventSource":"bedrock.amazonaws.com","eventName":"PutFoundationModelEntitlement","requestParameters":{"modelId":"anthropic.claude-3-sonnet-20240229-v1:0"}}$j$),
('ses_sending_enabled', 'SES identities verified or sending enabled', 'low', 'T1496', 'impact',
 $q$event_source = 'ses.amazonaws.com' AND event_name IN ('VerifyEmailIdentity', 'VerifyDomainIdentity', 'CreateEmailIdentity', 'UpdateAccountSendingEnabled', 'PutAccountDetails')$q$,
 $q$event_name || coalesce(' ' || coalesce(request_parameters->>'emailAddress', request_parameters->>'domain', request_parameters->>'emailIdentity'), '')$q$,
 'Stolen accounts send spam and phishing through SES.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_ses_account_discovery.yml'],
 $j${"eventSource":"ses.amazonaws.com","eventName":"VerifyEmailIdentity","requestParameters":{"emailAddress":"x@example.com"}}$j$),
('account_contact_changed', 'Account contact or root email changed', 'medium', 'T1098', 'persistence',
 $q$event_source = 'account.amazonaws.com' AND event_name IN ('PutAlternateContact', 'DeleteAlternateContact', 'PutContactInformation', 'StartPrimaryEmailUpdate', 'AcceptPrimaryEmailUpdate')$q$,
 $q$event_name || coalesce(' ' || (request_parameters->>'AlternateContactType'), '')$q$,
 'Who AWS writes to about the account (security notices, root recovery) changed.',
 ARRAY[]::text[],
 $j${"eventSource":"account.amazonaws.com","eventName":"PutAlternateContact","requestParameters":{"AlternateContactType":"SECURITY"}}$j$),
-- ---- initial access ------------------------------------------------------------
('console_login_without_mfa', 'Console sign-in without MFA', 'medium', 'T1078.004', 'initial-access',
 $q$event_name = 'ConsoleLogin' AND response_elements->>'ConsoleLogin' = 'Success' AND additional_event_data->>'MFAUsed' = 'No'
 AND user_type IN ('IAMUser', 'Root')$q$,
 $q$coalesce(user_name, user_type) || ' signed in to the console without MFA from ' || coalesce(source_ip_address, '?')$q$,
 'A password alone opened the console (federated and SSO sign-ins, whose MFA is the identity provider''s, are left out).',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_console_login_success_without_mfa.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_iam_user_with_console_access_login_without_mfa.yml', 'tailpipe:aws_iam_console_login_without_mfa', 'stratus:aws.initial-access.console-login-without-mfa'],
 $j${"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"IAMUser","userName":"bob","arn":"arn:aws:iam::111122223333:user/bob"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"sourceIPAddress":"203.0.113.7"}$j$),
('root_console_login', 'Root user signed in to the console', 'high', 'T1078.004', 'initial-access',
 $q$event_name = 'ConsoleLogin' AND user_type = 'Root'$q$,
 $q$'root sign-in ' || coalesce(lower(response_elements->>'ConsoleLogin'), 'attempt') || ' from ' || coalesce(source_ip_address, '?') || CASE WHEN additional_event_data->>'MFAUsed' = 'Yes' THEN ' with MFA' ELSE ' without MFA' END$q$,
 'The root user should be used for the few tasks that need it, and rarely.',
 ARRAY['tailpipe:detect_iam_root_user_console_logins', 'sigma:rules/cloud/aws/cloudtrail/aws_root_account_usage.yml', 'elastic:rules/integrations/aws/credential_access_root_console_failure_brute_force.toml'],
 $j${"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"}}$j$),
('root_activity', 'Root user called an API', 'high', 'T1078.004', 'privilege-escalation',
 $q$user_type = 'Root' AND invoked_by IS NULL AND event_type IS DISTINCT FROM 'AwsServiceEvent' AND event_name <> 'ConsoleLogin' AND read_only IS FALSE$q$,
 $q$'root called ' || event_name || ' (' || split_part(coalesce(event_source, '?'), '.', 1) || ') from ' || coalesce(source_ip_address, '?')$q$,
 'Changes made as root: no policy limits them and they are seldom needed.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_root_account_usage.yml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"CreateUser","readOnly":false,"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"},"requestParameters":{"userName":"x"}}$j$),
('root_access_key_created', 'Access key created for the root user', 'critical', 'T1098.001', 'persistence',
 $q$event_source = 'iam.amazonaws.com' AND event_name = 'CreateAccessKey' AND user_type = 'Root' AND request_parameters->>'userName' IS NULL$q$,
 $q$'root access key ' || coalesce(response_elements #>> '{accessKey,accessKeyId}', '?') || ' created'$q$,
 'Long-term keys with unlimited rights: AWS advises having none.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_root_account_usage.yml', 'tailpipe:aws_iam_root_password_updated'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"}}$j$),
('root_credentials_changed', 'Root password or MFA changed', 'high', 'T1098', 'persistence',
 $q$user_type = 'Root' AND ((event_source = 'iam.amazonaws.com' AND event_name IN ('ChangePassword', 'DeactivateMFADevice', 'EnableMFADevice', 'DeleteVirtualMFADevice')) OR (event_source = 'signin.amazonaws.com' AND event_name IN ('PasswordUpdated', 'PasswordRecoveryCompleted')))$q$,
 $q$'root ' || event_name$q$,
 'Whoever changes the root password or MFA owns the account.',
 ARRAY['tailpipe:aws_iam_root_password_updated'],
 $j${"eventSource":"signin.amazonaws.com","eventName":"PasswordUpdated","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"}}$j$),
('console_login_failure', 'Console sign-in failed', 'info', 'T1110', 'credential-access',
 $q$event_name = 'ConsoleLogin' AND (response_elements->>'ConsoleLogin' = 'Failure' OR error_message IS NOT NULL)$q$,
 $q$'failed sign-in of ' || coalesce(user_name, user_arn, '?') || ' from ' || coalesce(source_ip_address, '?') || coalesce(': ' || error_message, '')$q$,
 'One failed password; see console_login_failure_burst for many.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_console_login_failure.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_console_login_failed_authentication.yml'],
 $j${"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"IAMUser","userName":"bob"},"responseElements":{"ConsoleLogin":"Failure"},"errorMessage":"Failed authentication"}$j$),
('security_group_open_to_world', 'Security group ingress from anywhere', 'high', 'T1562.007', 'defense-evasion',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules')
 AND request_parameters::text ~ '"(cidrIp|cidrIpv6|CidrIpv4|CidrIpv6)"\s*:\s*"[^"]*/0"'$q$,
 $q$'security group ' || coalesce(request_parameters->>'groupId', request_parameters #>> '{ModifySecurityGroupRulesRequest,GroupId}', '?') || ' open to the internet' || coalesce(' on port ' || coalesce(request_parameters->>'fromPort', @extschema@.json_strings(request_parameters, '$.ipPermissions.items[*].fromPort')), '')$q$,
 'A rule that admits every address (a /0 range) exposes the instances behind it; SSH, RDP and database ports are the usual target.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_security_group_change_ingress_egress.yml', 'elastic:rules/integrations/aws/defense_evasion_vpc_security_group_ingress_rule_added_for_remote_connections.toml', 'stratus:aws.exfiltration.ec2-security-group-open-port-22-ingress'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"groupId":"sg-1","ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIp":"0.0.0.0/0"}}$j$),
('network_acl_open', 'Network ACL entry allows all traffic or all sources', 'medium', 'T1562.007', 'defense-evasion',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('CreateNetworkAclEntry', 'ReplaceNetworkAclEntry') AND request_parameters->>'ruleAction' = 'allow'
 AND (request_parameters->>'cidrBlock' = '0.0.0.0/0' OR request_parameters->>'ipv6CidrBlock' = '::/0') AND request_parameters->'egress' = 'false'::jsonb$q$,
 $q$'network ACL ' || coalesce(request_parameters->>'networkAclId', '?') || ' admits ' || coalesce(request_parameters->>'cidrBlock', request_parameters->>'ipv6CidrBlock') || ' (protocol ' || coalesce(request_parameters->>'aclProtocol', '?') || ')'$q$,
 'An inbound allow rule for every address on a subnet''s ACL.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_new_acl_entries.yml', 'tailpipe:aws_vpc_network_acl_permissive_entry', 'elastic:rules/integrations/aws/defense_evasion_ec2_nacl_all_traffic_allowed_new_identity.toml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"CreateNetworkAclEntry","requestParameters":{"networkAclId":"acl-1","ruleNumber":100,"ruleAction":"allow","egress":false,"cidrBlock":"0.0.0.0/0","aclProtocol":"-1"}}$j$),
('network_acl_deleted', 'Network ACL or entry deleted', 'low', 'T1562.007', 'defense-evasion',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('DeleteNetworkAcl', 'DeleteNetworkAclEntry')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'networkAclId', '?')$q$,
 'A subnet-level filter removed.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_ec2_network_acl_deletion.toml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"DeleteNetworkAclEntry","requestParameters":{"networkAclId":"acl-1","ruleNumber":100,"egress":false}}$j$),
('route_to_internet_added', 'Route or internet gateway added', 'low', 'T1562.007', 'defense-evasion',
 $q$event_source = 'ec2.amazonaws.com' AND event_name IN ('CreateRoute', 'ReplaceRoute', 'AttachInternetGateway') AND (event_name = 'AttachInternetGateway' OR request_parameters->>'destinationCidrBlock' = '0.0.0.0/0')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'routeTableId', request_parameters->>'internetGatewayId', '?') || coalesce(' ' || (request_parameters->>'destinationCidrBlock'), '') || coalesce(' via ' || coalesce(request_parameters->>'gatewayId', request_parameters->>'natGatewayId', request_parameters->>'networkInterfaceId'), '')$q$,
 'A default route or an internet gateway gives a private network a way out.',
 ARRAY['tailpipe:detect_internet_gateways_added_to_public_route_tables', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_new_route_added.yml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"CreateRoute","requestParameters":{"routeTableId":"rtb-1","destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-1"}}$j$),
('security_group_changed_on_data_store', 'RDS, ElastiCache or load balancer security groups changed', 'low', 'T1562.007', 'defense-evasion',
 $q$(event_source = 'rds.amazonaws.com' AND event_name IN ('AuthorizeDBSecurityGroupIngress', 'CreateDBSecurityGroup', 'DeleteDBSecurityGroup', 'RevokeDBSecurityGroupIngress'))
 OR (event_source = 'elasticache.amazonaws.com' AND event_name IN ('CreateCacheSecurityGroup', 'AuthorizeCacheSecurityGroupIngress', 'RevokeCacheSecurityGroupIngress', 'DeleteCacheSecurityGroup'))
 OR (event_source = 'elasticloadbalancing.amazonaws.com' AND event_name IN ('ApplySecurityGroupsToLoadBalancer', 'SetSecurityGroups'))$q$,
 $q$split_part(event_source, '.', 1) || ' ' || event_name || coalesce(' ' || coalesce(request_parameters->>'dBSecurityGroupName', request_parameters->>'cacheSecurityGroupName', request_parameters->>'loadBalancerName', request_parameters->>'loadBalancerArn'), '')$q$,
 'Who can reach a database, cache or load balancer changed.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_security_group_change_rds.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_security_group_change_loadbalancer.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_elasticache_security_group_created.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_elasticache_security_group_modified_or_deleted.yml'],
 $j${"eventSource":"elasticache.amazonaws.com","eventName":"CreateCacheSecurityGroup","requestParameters":{"cacheSecurityGroupName":"x"}}$j$),
-- ---- execution and lateral movement ----------------------------------------------
('ssm_run_shell_command', 'Shell command sent to instances with SSM', 'medium', 'T1651', 'execution',
 $q$event_source = 'ssm.amazonaws.com' AND event_name = 'SendCommand' AND request_parameters->>'documentName' IN ('AWS-RunShellScript', 'AWS-RunPowerShellScript', 'AWS-RunRemoteScript')$q$,
 $q$(request_parameters->>'documentName') || ' on ' || coalesce(@extschema@.json_strings(request_parameters, '$.instanceIds[*]'), 'targets by tag')$q$,
 'Arbitrary commands as root on instances, through the cloud control plane (instance credentials are read this way, among other things).',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_ssm_malicious_usage.yml', 'tailpipe:cloudtrail_logs_detect_ssm_run_command', 'stratus:aws.execution.ssm-send-command', 'stratus:aws.credential-access.ec2-steal-instance-credentials'],
 $j${"eventSource":"ssm.amazonaws.com","eventName":"SendCommand","requestParameters":{"documentName":"AWS-RunShellScript","instanceIds":["i-1"]}}$j$),
('ssm_session_started', 'SSM session started on an instance', 'low', 'T1651', 'execution',
 $q$event_source = 'ssm.amazonaws.com' AND event_name IN ('StartSession', 'ResumeSession')$q$,
 $q$event_name || ' on ' || coalesce(request_parameters->>'target', '?') || coalesce(' (' || (request_parameters->>'documentName') || ')', '')$q$,
 'An interactive shell on an instance. Routine for administrators; a new actor doing it is worth a look.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_malicious_ssm_usage.yml', 'stratus:aws.execution.ssm-start-session'],
 $j${"eventSource":"ssm.amazonaws.com","eventName":"StartSession","requestParameters":{"target":"i-1"}}$j$),
('ec2_user_data_modified', 'EC2 instance user data changed', 'high', 'T1059', 'execution',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'ModifyInstanceAttribute' AND (request_parameters ? 'userData' OR request_parameters->>'attribute' = 'userData')$q$,
 $q$'user data of ' || coalesce(request_parameters->>'instanceId', '?') || ' replaced'$q$,
 'User data runs as root at the next boot: stop, change, start is a way to run code on an instance.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_ec2_startup_script_change.yml', 'stratus:aws.execution.ec2-user-data'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"ModifyInstanceAttribute","requestParameters":{"instanceId":"i-1","userData":"<sensitiveDataRemoved>"}}$j$),
('ec2_user_data_read', 'EC2 instance user data read', 'low', 'T1552.005', 'discovery',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'DescribeInstanceAttribute' AND request_parameters->>'attribute' = 'userData'$q$,
 $q$'user data of ' || coalesce(request_parameters->>'instanceId', '?') || ' read'$q$,
 'User data often holds bootstrap secrets.',
 ARRAY['stratus:aws.discovery.ec2-download-user-data'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstanceAttribute","requestParameters":{"instanceId":"i-1","attribute":"userData"}}$j$),
('ec2_instance_connect_key', 'SSH key pushed with EC2 Instance Connect', 'medium', 'T1021.004', 'lateral-movement',
 $q$event_source = 'ec2-instance-connect.amazonaws.com' AND event_name = 'SendSSHPublicKey'$q$,
 $q$'SSH key for ' || coalesce(request_parameters->>'instanceOSUser', '?') || '@' || coalesce(request_parameters->>'instanceId', '?')$q$,
 'A one-minute SSH key on an instance, from anyone with the IAM permission.',
 ARRAY['stratus:aws.lateral-movement.ec2-instance-connect'],
 $j${"eventSource":"ec2-instance-connect.amazonaws.com","eventName":"SendSSHPublicKey","requestParameters":{"instanceId":"i-1","instanceOSUser":"ec2-user"}}$j$),
('ec2_serial_console', 'EC2 serial console enabled or used', 'high', 'T1021', 'lateral-movement',
 $q$(event_source = 'ec2.amazonaws.com' AND event_name = 'EnableSerialConsoleAccess') OR (event_source = 'ec2-instance-connect.amazonaws.com' AND event_name = 'SendSerialConsoleSSHPublicKey')$q$,
 $q$CASE event_name WHEN 'EnableSerialConsoleAccess' THEN 'serial console access enabled in ' || coalesce(aws_region, '?') ELSE 'serial console key for ' || coalesce(request_parameters->>'instanceId', '?') END$q$,
 'The serial console reaches an instance without its network, security groups or SSH daemon.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_ec2_serial_console_access_enabled.toml', 'stratus:aws.lateral-movement.ec2-serial-console-send-ssh-public-key'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"EnableSerialConsoleAccess"}$j$),
('cloudshell_used', 'CloudShell environment used', 'low', 'T1059.009', 'execution',
 $q$event_source = 'cloudshell.amazonaws.com' AND event_name IN ('CreateEnvironment', 'CreateSession', 'StartEnvironment', 'GetFileDownloadUrls', 'GetFileUploadUrls')$q$,
 $q$'CloudShell ' || event_name$q$,
 'A shell with the console user''s credentials; file transfer in or out of it.',
 ARRAY['elastic:rules/integrations/aws/credential_access_sensitive_operations_via_cloudshell.toml'],
 $j${"eventSource":"cloudshell.amazonaws.com","eventName":"GetFileDownloadUrls"}$j$),
('lambda_function_created_with_role', 'Lambda function created or its role changed', 'low', 'T1648', 'execution',
 $q$event_source = 'lambda.amazonaws.com' AND (event_name ~ '^CreateFunction[0-9]' OR (event_name LIKE 'UpdateFunctionConfiguration%' AND request_parameters ? 'role'))$q$,
 $q$event_name || ' ' || regexp_replace(coalesce(request_parameters->>'functionName', '?'), '^.*:function:', '') || coalesce(' role ' || regexp_replace(request_parameters->>'role', '^.*:role/', ''), '')$q$,
 'Code that runs with a role passed to it: iam:PassRole plus lambda:CreateFunction is an escalation path.',
 ARRAY[]::text[],
 $j${"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","requestParameters":{"functionName":"f","role":"arn:aws:iam::111122223333:role/admin"}}$j$),
('bedrock_model_invoked_new', 'Bedrock model invoked by an IAM user', 'low', 'T1496', 'impact',
 $q$event_source = 'bedrock.amazonaws.com' AND event_name IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream') AND user_type IN ('IAMUser', 'Root', 'AssumedRole') AND access_key_id LIKE 'AKIA%'$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'modelId', '?')$q$,
 'Models called with long-term keys: applications normally use roles; stolen keys are used directly.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_bedrock_model_invocation_by_unauthorized_identity.yml'],
 $j${"eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","userIdentity":{"type":"IAMUser","userName":"bob","accessKeyId":"AKIAEXAMPLE"},"requestParameters":{"modelId":"m"}}$j$),
('trufflehog_user_agent', 'Secret scanner (TruffleHog) user agent', 'medium', 'T1078.004', 'credential-access',
 $q$user_agent ~* 'trufflehog'$q$,
 $q$event_name || ' with a TruffleHog user agent'$q$,
 'Found keys being checked by a secret scanner: they have leaked.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_pua_trufflehog.yml'],
 $j${"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","userAgent":"TruffleHog"}$j$),
('offensive_tool_user_agent', 'Offensive security tool user agent', 'high', 'T1078.004', 'discovery',
 $q$user_agent ~* '(pacu|kali|parrot|cloudsplaining|scoutsuite|prowler|pmapper|cloudfox|awspx|enumerate-iam)'$q$,
 $q$event_name || ' from ' || coalesce(user_agent, '?')$q$,
 'Tools for attacking or auditing AWS announce themselves in the user agent (authorised audits too).',
 ARRAY[]::text[],
 $j${"eventSource":"iam.amazonaws.com","eventName":"ListUsers","userAgent":"aws-cli/2 pacu/1.5"}$j$),
('s3_enumeration_from_outside', 'S3 bucket listing denied to an outsider', 'low', 'T1619', 'discovery',
 $q$event_source = 's3.amazonaws.com' AND event_name IN ('ListObjects', 'ListObjectsV2', 'ListBucket', 'GetBucketAcl', 'GetBucketPolicy') AND error_code = 'AccessDenied'
 AND account_id IS NOT NULL AND account_id IS DISTINCT FROM recipient_account_id$q$,
 $q$'account ' || account_id || ' tried ' || event_name || ' on ' || coalesce(request_parameters->>'bucketName', '?')$q$,
 'Another account probing a bucket it has no access to.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_enum_buckets.yml', 'elastic:rules/integrations/aws/collection_s3_unauthenticated_bucket_listing.toml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"ListObjects","eventCategory":"Data","errorCode":"AccessDenied","recipientAccountId":"111122223333","userIdentity":{"type":"AWSAccount","accountId":"999988887777"},"requestParameters":{"bucketName":"data"}}$j$),
('sts_assume_role_denied', 'Role assumption denied', 'info', 'T1078.004', 'privilege-escalation',
 $q$event_source = 'sts.amazonaws.com' AND event_name LIKE 'AssumeRole%' AND error_code = 'AccessDenied'$q$,
 $q$'denied AssumeRole of ' || coalesce(request_parameters->>'roleArn', '?')$q$,
 'A principal tried a role it may not assume: a typo, or someone trying roles.',
 ARRAY['elastic:rules/integrations/aws/credential_access_aws_iam_assume_role_brute_force.toml'],
 $j${"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","errorCode":"AccessDenied","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/admin"}}$j$),
('identity_deleted', 'IAM user, role or policy deleted', 'low', 'T1531', 'impact',
 $q$event_source = 'iam.amazonaws.com' AND event_name IN ('DeleteUser', 'DeleteRole', 'DeleteGroup', 'DeletePolicy', 'DeleteLoginProfile', 'DeleteAccessKey')$q$,
 $q$event_name || ' ' || coalesce(request_parameters->>'userName', request_parameters->>'roleName', request_parameters->>'groupName', request_parameters->>'policyArn', request_parameters->>'accessKeyId', '?')$q$,
 'Removing identities can lock owners out, or remove evidence of a backdoor after use.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_delete_identity.yml', 'elastic:rules/integrations/aws/defense_evasion_iam_managed_policy_deleted_unusual_identity.toml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"DeleteUser","requestParameters":{"userName":"bob"}}$j$),
('ecr_image_scanning_disabled', 'ECR image scanning disabled', 'low', 'T1562.001', 'defense-evasion',
 $q$event_source = 'ecr.amazonaws.com' AND event_name IN ('PutImageScanningConfiguration', 'PutRegistryScanningConfiguration') AND (request_parameters #>> '{imageScanningConfiguration,scanOnPush}' = 'false' OR request_parameters->>'scanType' = 'BASIC' AND jsonb_array_length(CASE jsonb_typeof(request_parameters->'rules') WHEN 'array' THEN request_parameters->'rules' END) = 0)$q$,
 $q$event_name || coalesce(' ' || (request_parameters->>'repositoryName'), '')$q$,
 'Images pushed from now on are not scanned for vulnerabilities.',
 ARRAY['elastic:rules/integrations/aws/defense_evasion_ecr_image_scanning_disabled.toml'],
 $j${"eventSource":"ecr.amazonaws.com","eventName":"PutImageScanningConfiguration","requestParameters":{"repositoryName":"app","imageScanningConfiguration":{"scanOnPush":false}}}$j$),
('cognito_unauthenticated_credentials', 'Cognito identity pool gave credentials to an unauthenticated identity', 'low', 'T1078', 'initial-access',
 $q$event_source = 'cognito-identity.amazonaws.com' AND event_name = 'GetCredentialsForIdentity' AND NOT (request_parameters ? 'logins') AND error_code IS NULL$q$,
 $q$'unauthenticated Cognito credentials for ' || coalesce(request_parameters->>'identityId', '?')$q$,
 'Guest identities get a role; if the role is broad, anyone on the internet has it.',
 ARRAY['elastic:rules/integrations/aws/credential_access_cognito_unauthenticated_identity_pool_credentials_issued.toml'],
 $j${"eventSource":"cognito-identity.amazonaws.com","eventName":"GetCredentialsForIdentity","requestParameters":{"identityId":"us-east-1:abc"}}$j$)
) AS r(name, title, severity, technique, tactic, condition, summary, description, refs, example);

-- Burst rules: counted in a sliding window, per key (the actor unless the
-- rule names another key).
INSERT INTO @extschema@.rules (name, title, severity, technique, tactic, condition, summary,
                               burst_window, burst_threshold, burst_key, burst_distinct, description, refs, example, builtin)
SELECT name, title, severity, technique, tactic, condition, summary,
       burst_window::interval, burst_threshold, burst_key, burst_distinct, description, refs, example::jsonb, true
FROM (VALUES
('console_login_failure_burst', 'Failed console sign-ins in a burst', 'high', 'T1110', 'credential-access',
 $q$event_name = 'ConsoleLogin' AND (response_elements->>'ConsoleLogin' = 'Failure' OR error_message IS NOT NULL)$q$,
 $q$peak || ' failed console sign-ins from ' || coalesce(burst_key, '?') || ' within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 5, 'source_ip_address', NULL,
 'Password guessing or spraying: five or more failed sign-ins from one address within ten minutes.',
 ARRAY['elastic:rules/integrations/aws/credential_access_console_login_brute_force_by_ip.toml', 'elastic:rules/integrations/aws/credential_access_console_login_brute_force_by_user.toml', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_console_login_failed_authentication.yml'],
 $j${"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn","userIdentity":{"type":"IAMUser","userName":"bob"},"responseElements":{"ConsoleLogin":"Failure"},"errorMessage":"Failed authentication","sourceIPAddress":"198.51.100.23"}$j$),
('access_denied_burst', 'Access denied errors in a burst', 'medium', 'T1580', 'discovery',
 $q$error_code IN ('AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation', 'UnauthorizedAccess', 'Forbidden', 'AuthorizationError', 'Client.UnauthorizedAccess') AND user_type IS DISTINCT FROM 'AWSService'$q$,
 $q$peak || ' access-denied errors within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 10, NULL, NULL,
 'A principal probing what its credentials may do fails a lot in a short time; stolen keys are explored this way. Misconfigured jobs fail steadily too, but rarely ten times in ten minutes.',
 ARRAY['elastic:rules/integrations/aws/credential_access_aws_iam_assume_role_brute_force.toml', 'stratus:aws.credential-access.ec2-get-password-data', 'stratus:aws.discovery.ec2-download-user-data'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","errorCode":"Client.UnauthorizedOperation","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"}}$j$),
('discovery_burst', 'Many different List, Describe and Get calls in a burst', 'medium', 'T1580', 'discovery',
 $q$read_only IS TRUE AND event_name ~ '^(List|Describe|Get)' AND user_type IN ('IAMUser', 'Root', 'AssumedRole', 'FederatedUser') AND invoked_by IS NULL AND event_type = 'AwsApiCall'
 AND event_source NOT IN ('s3.amazonaws.com', 'kms.amazonaws.com', 'sts.amazonaws.com')$q$,
 $q$peak || ' different discovery calls within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 25, NULL, $q$event_source || ':' || event_name$q$,
 'Enumeration of the account: 25 or more different read calls by one actor within ten minutes. Consoles and infrastructure-as-code tools do this too; tune the threshold or exclude their roles.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_discovery_api_calls.yml'],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","eventType":"AwsApiCall","readOnly":true,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"}}$j$),
('iam_enumeration_burst', 'IAM enumeration in a burst', 'medium', 'T1087.004', 'discovery',
 $q$event_source = 'iam.amazonaws.com' AND read_only IS TRUE AND event_name ~ '^(List|Get)' AND user_type IN ('IAMUser', 'Root', 'AssumedRole', 'FederatedUser') AND invoked_by IS NULL$q$,
 $q$peak || ' different IAM read calls within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 8, NULL, $q$event_name$q$,
 'Listing users, roles, policies and their attachments: mapping who can do what.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_discovery_api_calls.yml'],
 $j${"eventSource":"iam.amazonaws.com","eventName":"ListUsers","readOnly":true,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"}}$j$),
('secrets_read_burst', 'Many secrets read in a burst', 'high', 'T1555.006', 'credential-access',
 $q$event_source = 'secretsmanager.amazonaws.com' AND event_name = 'GetSecretValue'$q$,
 $q$peak || ' different secrets read within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 10, NULL, $q$request_parameters->>'secretId'$q$,
 'Applications read the same few secrets; ten or more different secrets in ten minutes is harvesting.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_secretsmanager_mass_secret_retrieval.yml', 'elastic:rules/integrations/aws/credential_access_rapid_secret_retrieval_attempts_from_secretsmanager.toml', 'stratus:aws.credential-access.secretsmanager-retrieve-secrets'],
 $j${"eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","requestParameters":{"secretId":"db"}}$j$),
('ssm_parameters_read_burst', 'Many SecureString parameters decrypted in a burst', 'medium', 'T1552', 'credential-access',
 $q$event_source = 'ssm.amazonaws.com' AND event_name IN ('GetParameter', 'GetParameters', 'GetParameterHistory') AND request_parameters->'withDecryption' = 'true'::jsonb$q$,
 $q$peak || ' decrypting parameter reads within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 10, NULL, $q$coalesce(request_parameters->>'name', request_parameters->>'names')$q$,
 'Ten or more different decrypted parameter reads in ten minutes by one actor.',
 ARRAY['elastic:rules/integrations/aws/credential_access_retrieve_secure_string_parameters_via_ssm.toml'],
 $j${"eventSource":"ssm.amazonaws.com","eventName":"GetParameter","requestParameters":{"name":"/db/password","withDecryption":true}}$j$),
('s3_object_deletion_burst', 'S3 objects deleted in a burst', 'high', 'T1485', 'impact',
 $q$event_source = 's3.amazonaws.com' AND event_name IN ('DeleteObject', 'DeleteObjects', 'DeleteObjectVersion') AND error_code IS NULL$q$,
 $q$peak || ' S3 object deletions within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 100, NULL, NULL,
 'Destruction (or the deletion step of ransomware): a hundred or more object deletions by one actor in ten minutes. Lifecycle expirations are not API calls and are not counted.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_s3_data_management_tampering.yml'],
 $j${"eventSource":"s3.amazonaws.com","eventName":"DeleteObject","eventCategory":"Data","requestParameters":{"bucketName":"data","key":"a"}}$j$),
('resource_deletion_burst', 'Resources deleted in a burst', 'high', 'T1485', 'impact',
 $q$read_only IS FALSE AND event_name ~ '^(Delete|Terminate|Remove|Purge)' AND event_category = 'Management' AND error_code IS NULL AND user_type IS DISTINCT FROM 'AWSService' AND invoked_by IS NULL$q$,
 $q$peak || ' deletions within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 20, NULL, NULL,
 'Twenty or more successful Delete, Terminate or Remove calls by one actor within ten minutes: tearing an environment down.',
 ARRAY[]::text[],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"TerminateInstances","readOnly":false,"eventCategory":"Management","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"}}$j$),
('instances_launched_in_many_regions', 'Instances launched in many regions', 'high', 'T1496', 'impact',
 $q$event_source = 'ec2.amazonaws.com' AND event_name = 'RunInstances'$q$,
 $q$'instances launched in ' || peak || ' regions within an hour, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI') || ' UTC'$q$,
 '1 hour', 3, NULL, $q$aws_region$q$,
 'Miners spread over regions to get past per-region quotas: RunInstances in three or more regions within an hour by one actor.',
 ARRAY[]::text[],
 $j${"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1"}$j$),
('assume_role_denied_burst', 'Many different roles tried and denied', 'medium', 'T1110', 'credential-access',
 $q$event_source = 'sts.amazonaws.com' AND event_name LIKE 'AssumeRole%' AND error_code = 'AccessDenied'$q$,
 $q$peak || ' different roles denied within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 5, NULL, $q$request_parameters->>'roleArn'$q$,
 'Guessing role names, or role chaining from a principal that has no right to them.',
 ARRAY['elastic:rules/integrations/aws/credential_access_aws_iam_assume_role_brute_force.toml'],
 $j${"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","errorCode":"AccessDenied","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/a"}}$j$),
('bedrock_model_recon', 'Bedrock model availability probed', 'medium', 'T1526', 'discovery',
 $q$event_source = 'bedrock.amazonaws.com' AND event_name IN ('GetFoundationModelAvailability', 'ListFoundationModels', 'GetUseCaseForModelAccess', 'ListFoundationModelAgreementOffers', 'GetModelInvocationLoggingConfiguration')$q$,
 $q$peak || ' Bedrock model-access checks within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 5, NULL, NULL,
 'Checking which models the account may use, before enabling or invoking them with stolen credentials.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_get_foundation_model_availability.yml', 'sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_model_recon.yml', 'stratus:aws.impact.bedrock-invoke-model'],
 $j${"eventSource":"bedrock.amazonaws.com","eventName":"GetFoundationModelAvailability","requestParameters":{"modelId":"m"}}$j$),
('ssm_instance_enumeration_burst', 'SSM managed instances enumerated in a burst', 'low', 'T1580', 'discovery',
 $q$event_source = 'ssm.amazonaws.com' AND event_name IN ('DescribeInstanceInformation', 'ListCommandInvocations', 'DescribeSessions') AND user_type IN ('IAMUser', 'Root', 'FederatedUser')$q$,
 $q$peak || ' SSM instance listings within 10 minutes, ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' to ' || to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC'$q$,
 '10 minutes', 20, NULL, NULL,
 'A person (not a role) polling the list of managed instances, as tools do before sending them commands.',
 ARRAY['sigma:rules/cloud/aws/cloudtrail/aws_cloudtrail_ssm_malicious_usage.yml', 'stratus:aws.execution.ssm-send-command', 'stratus:aws.execution.ssm-start-session'],
 $j${"eventSource":"ssm.amazonaws.com","eventName":"DescribeInstanceInformation","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"}}$j$)
) AS r(name, title, severity, technique, tactic, condition, summary, burst_window, burst_threshold, burst_key, burst_distinct, description, refs, example);

-- A rule's expression as the parser reads it, every column qualified
-- with e (the event): deparsed from a temporary view over a trail.event
-- called e.  Function names come out qualified wherever the search path
-- (pg_catalog, pg_temp here) would not find them.
CREATE FUNCTION @extschema@.rule_expression(expression text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def text;
BEGIN
    EXECUTE format('CREATE TEMPORARY VIEW trail_rule_expression AS SELECT (%s) AS trail_rule_value FROM (SELECT (NULL::@extschema@.event).*) e, (SELECT) AS x',
                   expression);
    def := pg_get_viewdef('pg_temp.trail_rule_expression'::regclass, false);
    DROP VIEW pg_temp.trail_rule_expression;
    def := substring(def FROM '^\s*SELECT\s+(.*)\s+AS trail_rule_value\s+FROM \(');
    IF def IS NULL THEN
        RAISE EXCEPTION 'could not deparse rule expression %', expression
            USING ERRCODE = 'internal_error';
    END IF;
    RETURN '(' || def || ')';
END
$$;
COMMENT ON FUNCTION @extschema@.rule_expression(text) IS
'A rule''s SQL expression over trail.event with every column qualified as e.<column> (as the parser resolved it)';

-- The SQL of the detections over one table of events: the matching
-- events of the rules chosen (kind 'event' or 'burst', or one rule by
-- name), for the views and for trail.detect().  Every chosen rule is
-- tested in one expression per row, so the table is read once however
-- many rules there are, and quals on the table's columns (event_time)
-- reach its scan.  The actor is the table's actor column when it has one, else the
-- caller's ARN (or the invoking service, or the principal id).
CREATE FUNCTION @extschema@.detections_sql(events regclass,
                                           rule_kind text DEFAULT 'event',
                                           rule_name text DEFAULT NULL,
                                           time_window boolean DEFAULT false,
                                           detections_function regproc DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor text;
    branches text;
    meta text;
    windows text;
    hits text;
    summaries text;
    tw text := '';
    n integer;
    rowexpr text;
BEGIN
    IF rule_kind NOT IN ('event', 'burst') THEN
        RAISE EXCEPTION 'rule kind must be "event" or "burst", not "%"', rule_kind
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT FROM pg_attribute
               WHERE attrelid = events AND attname = 'actor' AND attnum > 0 AND NOT attisdropped) THEN
        actor := 'e.actor::text';
    ELSE
        actor := 'coalesce(e.user_arn, e.invoked_by, e.principal_id)';
    END IF;
    IF time_window THEN
        tw := ' WHERE e.event_time >= $1 AND e.event_time < $2';
    END IF;

    SELECT count(*) INTO n FROM @extschema@.rules r
    WHERE r.kind = rule_kind AND (rule_name IS NULL OR r.name = rule_name);
    IF n = 0 THEN
        RETURN NULL;
    END IF;

    IF rule_kind = 'event' THEN
        -- One array of the names of the rules whose condition holds (each
        -- condition a CASE, so that it is evaluated once per row and its
        -- parts in order), unnested: a row per match.  Severity,
        -- technique and summary are computed for the matches only.
        SELECT string_agg(format('CASE WHEN (%s) THEN %L END', r.condition, r.name), E',\n        ' ORDER BY r.name),
               string_agg(format('WHEN %L THEN %L', r.name, r.severity), ' ' ORDER BY r.name),
               string_agg(format('WHEN %L THEN %L', r.name, r.technique), ' ' ORDER BY r.name),
               string_agg(format('WHEN %L THEN coalesce((%s)::text, %L)', r.name, r.summary, r.title), E'\n            ' ORDER BY r.name)
        INTO branches, meta, windows, summaries
        FROM @extschema@.rules r
        WHERE r.kind = 'event' AND (rule_name IS NULL OR r.name = rule_name);

        -- The planner costs a CASE as the sum of all its arms, for every
        -- row it expects, so 150 inline conditions and summaries make a
        -- large table's view look costly enough to be JIT-compiled, and
        -- LLVM takes minutes over an expression that size.  With
        -- detections_function (made by create_detections) a row costs one
        -- call of a function that holds the rules, given the event as a
        -- trail.event, and its own expressions are never JIT-compiled.
        IF detections_function IS NOT NULL THEN
            SELECT format('ROW(%s)::@extschema@.event',
                          string_agg(CASE WHEN c.attname IS NULL OR (t.attname = 'raw' AND NOT EXISTS (
                                              SELECT FROM @extschema@.rules r WHERE r.kind = 'event' AND (r.summary || r.condition) ~ '\mraw\M'))
                                          THEN format('NULL::%s', format_type(t.atttypid, t.atttypmod))
                                          ELSE format('e.%I::%s', t.attname, format_type(t.atttypid, t.atttypmod)) END,
                                     ', ' ORDER BY t.attnum))
            INTO rowexpr
            FROM pg_attribute t
            LEFT JOIN pg_attribute c ON c.attrelid = events AND c.attname = t.attname AND c.attnum > 0 AND NOT c.attisdropped
            WHERE t.attrelid = '@extschema@.event'::regclass AND t.attnum > 0 AND NOT t.attisdropped;

            RETURN format($f$SELECT m.rule, m.severity, m.technique,
       e.event_time, %s AS actor, e.recipient_account_id, e.aws_region,
       m.summary || CASE WHEN e.error_code IS NOT NULL THEN ' (failed: ' || e.error_code || ')' ELSE '' END AS summary,
       e.event_id
FROM %s e
CROSS JOIN LATERAL %s(%s) AS m%s$f$, actor, events, detections_function, rowexpr, tw);
        END IF;

        RETURN format($f$SELECT m.rule,
       CASE m.rule %s END AS severity,
       CASE m.rule %s END AS technique,
       e.event_time, %s AS actor, e.recipient_account_id, e.aws_region,
       CASE m.rule %s END || CASE WHEN e.error_code IS NOT NULL THEN ' (failed: ' || e.error_code || ')' ELSE '' END AS summary,
       e.event_id
FROM %s e
CROSS JOIN LATERAL unnest(array_remove(ARRAY[
        %s
    ]::text[], NULL)) AS m(rule)%s$f$, meta, windows, actor, summaries, events, branches, tw);
    END IF;

    -- Burst rules: the matching events (only those) go to a materialized
    -- CTE; each rule counts them in its own sliding window; windows at or
    -- over the threshold that follow each other within the window are one
    -- burst.  An event counts for a burst_distinct rule when its value was
    -- not seen for the same key within the preceding window.
    SELECT string_agg(format('SELECT %L::text, (%s)::text, %s WHERE (%s)',
                             r.name, coalesce(r.burst_key, replace(actor, 'e.', '')),
                             CASE WHEN r.burst_distinct IS NULL THEN 'NULL::text' ELSE format('coalesce((%s)::text, '''')', r.burst_distinct) END,
                             r.condition),
                      E'\n        UNION ALL ' ORDER BY r.name),
           string_agg(format($w$w_%s AS (
    SELECT x.*, count(*) FILTER (WHERE x.fresh) OVER f AS n, min(x.event_time) OVER f AS window_start
    FROM (SELECT c.*, %s AS fresh FROM cand c WHERE c.rule = %L) x
    WINDOW f AS (PARTITION BY x.burst_key ORDER BY x.event_time RANGE BETWEEN %L::interval PRECEDING AND CURRENT ROW)
)$w$, md5(r.name), CASE WHEN r.burst_distinct IS NULL THEN 'true'
                              ELSE format('coalesce(c.event_time - lag(c.event_time) OVER (PARTITION BY c.burst_key, c.val ORDER BY c.event_time, c.event_id) > %L::interval, true)', r.burst_window) END,
                         r.name, r.burst_window), E',\n' ORDER BY r.name),
           string_agg(format('SELECT rule, %L::interval AS win, %L::text AS severity, %L::text AS technique, burst_key, event_time, event_id, actor, recipient_account_id, aws_region, n, window_start FROM w_%s WHERE n >= %s',
                             r.burst_window, r.severity, r.technique, md5(r.name), r.burst_threshold),
                      E'\n    UNION ALL ' ORDER BY r.name),
           string_agg(format('WHEN %L THEN coalesce((%s)::text, %L)', r.name, r.summary, r.title), ' ' ORDER BY r.name)
    INTO branches, windows, hits, summaries
    FROM @extschema@.rules r
    WHERE r.kind = 'burst' AND (rule_name IS NULL OR r.name = rule_name);

    -- the key expression of a rule without burst_key is the actor, which
    -- the LATERAL branch sees unqualified
    RETURN format($f$WITH cand AS MATERIALIZED (
    SELECT c.rule, c.burst_key, c.val, e.event_time, e.event_id, %s AS actor, e.recipient_account_id, e.aws_region
    FROM %s e
    CROSS JOIN LATERAL (
        %s
    ) c(rule, burst_key, val)%s
),
%s,
hits AS (
    %s
),
marked AS (
    SELECT h.*, CASE WHEN h.event_time - lag(h.event_time) OVER p > h.win THEN 1 ELSE 0 END AS brk
    FROM hits h
    WINDOW p AS (PARTITION BY h.rule, h.burst_key ORDER BY h.event_time, h.event_id)
),
numbered AS (
    SELECT m.*, sum(m.brk) OVER (PARTITION BY m.rule, m.burst_key ORDER BY m.event_time, m.event_id ROWS UNBOUNDED PRECEDING) AS burst
    FROM marked m
),
bursts AS (
    SELECT rule, min(severity) AS severity, min(technique) AS technique, burst_key,
           min(window_start) AS started_at, max(event_time) AS ended_at, max(n) AS peak,
           min(event_time) AS event_time,
           (array_agg(event_id ORDER BY event_time, event_id))[1] AS event_id,
           (array_agg(actor ORDER BY event_time, event_id))[1] AS actor,
           (array_agg(recipient_account_id ORDER BY event_time, event_id))[1] AS recipient_account_id,
           (array_agg(aws_region ORDER BY event_time, event_id))[1] AS aws_region
    FROM numbered
    GROUP BY rule, burst_key, burst
)
SELECT rule, severity, technique, event_time, actor, recipient_account_id, aws_region,
       CASE rule %s END AS summary,
       event_id, started_at, ended_at, peak
FROM bursts$f$, actor, events, branches, tw, windows, hits, summaries);
END
$$;
COMMENT ON FUNCTION @extschema@.detections_sql(regclass, text, text, boolean, regproc) IS
'The SQL of the detections of trail.rules (per-event rules, or burst rules) over a table of events: one scan for all rules; time_window adds event_time >= $1 AND event_time < $2; detections_function (made by create_detections) holds the per-event rules';

-- Typed CloudTrail Insights: one row per insight, its Start and End paired
-- by sharedEventID (an insight still under way has no End yet).
CREATE FUNCTION @extschema@.insights_sql(events regclass)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT format($f$WITH i AS (
    SELECT e.event_time, e.event_id, coalesce(e.shared_event_id, e.event_id) AS insight_id,
           e.recipient_account_id, e.aws_region, e.insight_details AS d,
           e.insight_details->>'state' AS state
    FROM %s e
    WHERE e.event_category = 'Insight' AND e.insight_details IS NOT NULL
),
-- an attribution's insight or baseline list as [{value, average}]
paired AS (
    SELECT insight_id,
           min(event_time) FILTER (WHERE state = 'Start') AS started_at,
           max(event_time) FILTER (WHERE state = 'End') AS ended_at,
           (array_agg(event_id) FILTER (WHERE state = 'Start'))[1] AS start_event_id,
           (array_agg(event_id) FILTER (WHERE state = 'End'))[1] AS end_event_id,
           (array_agg(d) FILTER (WHERE state = 'Start'))[1] AS s,
           (array_agg(d) FILTER (WHERE state = 'End'))[1] AS en,
           min(recipient_account_id) AS recipient_account_id,
           min(aws_region) AS aws_region
    FROM i
    GROUP BY insight_id
)
SELECT p.insight_id AS shared_event_id,
       CASE WHEN p.end_event_id IS NOT NULL THEN 'End' ELSE 'Start' END AS state,
       coalesce(p.en, p.s)->>'insightType' AS insight_type,
       coalesce(p.en, p.s)->>'eventSource' AS event_source,
       coalesce(p.en, p.s)->>'eventName' AS event_name,
       nullif(coalesce(p.en, p.s)->>'errorCode', 'null') AS error_code,
       coalesce(p.en, p.s)->>'sourceEventCategory' AS source_event_category,
       p.started_at, p.ended_at,
       p.recipient_account_id, p.aws_region,
       (coalesce(p.s, p.en) #>> '{insightContext,statistics,baseline,average}')::float8 AS baseline_average,
       (p.s #>> '{insightContext,statistics,insight,average}')::float8 AS start_average,
       (coalesce(p.en, p.s) #>> '{insightContext,statistics,insight,average}')::float8 AS insight_average,
       coalesce((p.en #>> '{insightContext,statistics,insightDuration}')::integer,
                (p.s #>> '{insightContext,statistics,insightDuration}')::integer,
                (extract(epoch FROM p.ended_at - p.started_at) / 60)::integer) AS insight_duration_minutes,
       (coalesce(p.en, p.s) #>> '{insightContext,statistics,baselineDuration}')::integer AS baseline_duration_minutes,
       (SELECT jsonb_agg(v ORDER BY (v->>'average')::float8 DESC)
          FROM jsonb_path_query(coalesce(p.en, p.s), '$.insightContext.attributions[*] ? (@.attribute == "userIdentityArn").insight[*]') v) AS top_principals,
       (SELECT jsonb_agg(v ORDER BY (v->>'average')::float8 DESC)
          FROM jsonb_path_query(coalesce(p.en, p.s), '$.insightContext.attributions[*] ? (@.attribute == "userAgent").insight[*]') v) AS top_user_agents,
       (SELECT jsonb_agg(v ORDER BY (v->>'average')::float8 DESC)
          FROM jsonb_path_query(coalesce(p.en, p.s), '$.insightContext.attributions[*] ? (@.attribute == "errorCode").insight[*]') v) AS top_error_codes,
       (SELECT jsonb_agg(v ORDER BY (v->>'average')::float8 DESC)
          FROM jsonb_path_query(coalesce(p.en, p.s), '$.insightContext.attributions[*] ? (@.attribute == "userIdentityArn").baseline[*]') v) AS baseline_principals,
       p.start_event_id, p.end_event_id
FROM paired p$f$, $1)
$$;
COMMENT ON FUNCTION @extschema@.insights_sql(regclass) IS
'The SQL of the insights view over a table of events: one row per CloudTrail Insight, Start and End paired by sharedEventID';

-- The views beside a table of events: detections (every per-event rule,
-- one scan), detection_bursts (every burst rule, one scan), detect_<rule>
-- for each rule, and insights; and <table>_detections(event), the
-- per-event rules as a function that detections calls.  Run it again after changing trail.rules:
-- the views are replaced.
CREATE FUNCTION @extschema@.create_detections(events regclass)
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp name;
    rel name;
    r record;
    q text;
    qs text;
    qsev text;
    qtech text;
    mf text;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = events;

    -- The per-event rules go into one PL/pgSQL function of the event,
    -- beside the table: their conditions are one expression (PL/pgSQL
    -- evaluates it without starting an executor), and for the few events
    -- that match, it returns each rule with its severity, technique and
    -- summary.  The expressions are the rules' own, as the parser
    -- resolved them (columns qualified with e).  The view then plans
    -- small (see detections_sql).
    SELECT string_agg(format('CASE WHEN %s THEN %L END', @extschema@.rule_expression(ru.condition), ru.name), E',\n        ' ORDER BY ru.name),
           string_agg(format('WHEN %L THEN coalesce(%s, %L)', ru.name, @extschema@.rule_expression(format('(%s)::text', ru.summary)), ru.title), E'\n            ' ORDER BY ru.name),
           string_agg(format('WHEN %L THEN %L', ru.name, ru.severity), ' ' ORDER BY ru.name),
           string_agg(format('WHEN %L THEN %L', ru.name, ru.technique), ' ' ORDER BY ru.name)
    INTO q, qs, qsev, qtech
    FROM @extschema@.rules ru WHERE ru.kind = 'event';
    mf := format('%I.%I', nsp, rel || '_detections');
    EXECUTE format($f$CREATE OR REPLACE FUNCTION %s(e @extschema@.event,
    OUT rule text, OUT severity text, OUT technique text, OUT summary text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE PARALLEL SAFE COST 10 ROWS 1
AS $b$
DECLARE
    matched text[] := array_remove(ARRAY[
        %s
    ]::text[], NULL);
BEGIN
    FOREACH rule IN ARRAY matched LOOP
        severity := CASE rule %s END;
        technique := CASE rule %s END;
        summary := CASE rule
            %s
        END;
        RETURN NEXT;
    END LOOP;
END
$b$
$f$, mf, coalesce(q, 'NULL'), coalesce(qsev, 'WHEN NULL THEN NULL'), coalesce(qtech, 'WHEN NULL THEN NULL'),
       coalesce(qs, 'WHEN NULL THEN NULL'));
    EXECUTE format('COMMENT ON FUNCTION %s(@extschema@.event) IS %L', mf,
                   format('The per-event rules of trail.rules that an event matches, with their severities, techniques and summaries, for %I.detections', nsp));
    q := @extschema@.detections_sql(events, 'event', NULL, false, mf::regproc);
    IF q IS NOT NULL THEN
        EXECUTE format('CREATE OR REPLACE VIEW %I.detections AS %s', nsp, q);
        EXECUTE format('COMMENT ON VIEW %I.detections IS %L', nsp,
                       format('Detections of the per-event rules of trail.rules over %s.%s: one row per rule and matching event (one scan of the events for all rules)', nsp, rel));
        RETURN NEXT format('%I.detections', nsp)::regclass;
    END IF;

    q := @extschema@.detections_sql(events, 'burst');
    IF q IS NOT NULL THEN
        EXECUTE format('CREATE OR REPLACE VIEW %I.detection_bursts AS %s', nsp, q);
        EXECUTE format('COMMENT ON VIEW %I.detection_bursts IS %L', nsp,
                       format('Detections of the burst rules of trail.rules over %s.%s: one row per burst, with its start, end and peak count (window functions over all the events; filter by time with trail.detect())', nsp, rel));
        RETURN NEXT format('%I.detection_bursts', nsp)::regclass;
    END IF;

    FOR r IN SELECT * FROM @extschema@.rules ORDER BY name LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %I.%I AS %s', nsp, 'detect_' || r.name,
                       @extschema@.detections_sql(events, r.kind, r.name));
        EXECUTE format('COMMENT ON VIEW %I.%I IS %L', nsp, 'detect_' || r.name,
                       format('Detections of rule %s (%s, %s): %s', r.name, r.severity, r.kind, r.title));
        RETURN NEXT format('%I.%I', nsp, 'detect_' || r.name)::regclass;
    END LOOP;

    EXECUTE format('CREATE OR REPLACE VIEW %I.insights AS %s', nsp, @extschema@.insights_sql(events));
    EXECUTE format('COMMENT ON VIEW %I.insights IS %L', nsp,
                   format('CloudTrail Insights in %s.%s: one row per insight, Start and End paired by shared_event_id', nsp, rel));
    RETURN NEXT format('%I.insights', nsp)::regclass;
END
$$;
COMMENT ON FUNCTION @extschema@.create_detections(regclass) IS
'Create (or replace) the detection views beside a table of events: detections, detection_bursts, detect_<rule> for every rule of trail.rules, and insights';

-- Every detection (per-event and burst) in a time window, in one scan of
-- the events: the window is inside the scan, so a foreign table reads only
-- the files of that window (bursts are only counted within it).
CREATE FUNCTION @extschema@.detect(events regclass,
                                   since timestamptz,
                                   until timestamptz DEFAULT now(),
                                   OUT rule text, OUT severity text, OUT technique text,
                                   OUT event_time timestamptz, OUT actor text,
                                   OUT recipient_account_id text, OUT aws_region text,
                                   OUT summary text, OUT event_id uuid,
                                   OUT started_at timestamptz, OUT ended_at timestamptz, OUT peak bigint)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the inline summaries would make the planner JIT-compile (see detections_sql)
AS $$
DECLARE
    qe text := @extschema@.detections_sql(events, 'event', NULL, true);
    qb text := @extschema@.detections_sql(events, 'burst', NULL, true);
BEGIN
    IF since IS NULL OR until IS NULL THEN
        RAISE EXCEPTION 'the time window of trail.detect must have both ends'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF qe IS NOT NULL THEN
        RETURN QUERY EXECUTE format('SELECT d.*, d.event_time, d.event_time, 1::bigint FROM (%s) d', qe) USING since, until;
    END IF;
    IF qb IS NOT NULL THEN
        RETURN QUERY EXECUTE qb USING since, until;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.detect(regclass, timestamptz, timestamptz) IS
'Every detection of trail.rules (per-event and burst) over a table of events between since and until';

-- Unusual call and error rates, computed locally, shaped like CloudTrail
-- Insights.  For each API (event source and name) and each minute of
-- [since, until): the number of write management calls (ApiCallRateInsight)
-- and, per error code, of management calls that failed with it
-- (ApiErrorRateInsight).  The baseline of an API is the per-minute count
-- over the baseline period before since (every minute counts, those
-- without calls as zero; the period starts no earlier than the first
-- event the table has in it).  A minute is unusual when its count is
--   at least min_count,
--   at least z_threshold standard deviations above the baseline mean, and
--   at least min_ratio times the baseline mean;
-- unusual minutes no more than merge_gap apart are one anomaly, from its
-- first unusual minute to the end of its last.
CREATE FUNCTION @extschema@.rate_anomalies(events regclass,
                                           since timestamptz,
                                           until timestamptz DEFAULT now(),
                                           baseline interval DEFAULT '7 days',
                                           z_threshold float8 DEFAULT 4,
                                           min_count integer DEFAULT 10,
                                           min_ratio float8 DEFAULT 3,
                                           merge_gap interval DEFAULT '2 minutes',
                                           top integer DEFAULT 5,
                                           OUT event_source text, OUT event_name text, OUT kind text, OUT error_code text,
                                           OUT started_at timestamptz, OUT ended_at timestamptz, OUT duration_minutes integer,
                                           OUT baseline_average float8, OUT baseline_stddev float8,
                                           OUT insight_average float8, OUT peak bigint, OUT z_score float8,
                                           OUT top_principals jsonb, OUT top_user_agents jsonb, OUT top_error_codes jsonb)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor text;
BEGIN
    IF since IS NULL OR until IS NULL OR baseline IS NULL OR since >= until THEN
        RAISE EXCEPTION 'the window of trail.rate_anomalies must have since before until, and a baseline'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF baseline < interval '1 hour' OR min_count < 1 OR z_threshold < 0 OR min_ratio < 0 OR top < 1 OR merge_gap < interval '0' THEN
        RAISE EXCEPTION 'invalid threshold for trail.rate_anomalies'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The baseline must be at least an hour, min_count and top at least 1, z_threshold, min_ratio and merge_gap not negative.';
    END IF;
    IF EXISTS (SELECT FROM pg_attribute
               WHERE attrelid = events AND attname = 'actor' AND attnum > 0 AND NOT attisdropped) THEN
        actor := 'e.actor::text';
    ELSE
        actor := 'coalesce(e.user_arn, e.invoked_by, e.principal_id)';
    END IF;

    RETURN QUERY EXECUTE format($q$
WITH ev AS MATERIALIZED (
    SELECT e.event_source, e.event_name, date_trunc('minute', e.event_time) AS minute,
           %s AS actor, e.user_agent, e.error_code, e.read_only IS FALSE AS is_write
    FROM %s e
    WHERE e.event_time >= $1 - $3 AND e.event_time < $2
      AND e.event_category = 'Management'
      AND (e.read_only IS FALSE OR e.error_code IS NOT NULL)
),
-- the call-rate series has the error-code key '' (not NULL, so that it joins)
series AS (
    SELECT 'ApiCallRateInsight'::text AS kind, event_source, event_name, ''::text AS ecode_key,
           minute, actor, user_agent, error_code
    FROM ev WHERE is_write
    UNION ALL
    SELECT 'ApiErrorRateInsight', event_source, event_name, error_code, minute, actor, user_agent, error_code
    FROM ev WHERE error_code IS NOT NULL
),
per_minute AS (
    SELECT kind, event_source, event_name, ecode_key, minute, count(*) AS n
    FROM series GROUP BY 1, 2, 3, 4, 5
),
span AS (
    SELECT greatest(extract(epoch FROM $1 - greatest($1 - $3, min(minute))) / 60, 0)::float8 AS minutes
    FROM ev WHERE minute < $1
),
base AS (
    SELECT p.kind, p.event_source, p.event_name, p.ecode_key,
           coalesce(sum(p.n) FILTER (WHERE p.minute < $1) / nullif(s.minutes, 0), 0) AS mean,
           coalesce(sqrt(greatest(sum(p.n::float8 * p.n) FILTER (WHERE p.minute < $1) / nullif(s.minutes, 0)
                                  - (sum(p.n) FILTER (WHERE p.minute < $1) / nullif(s.minutes, 0))^2, 0)), 0) AS sd
    FROM per_minute p CROSS JOIN span s
    GROUP BY p.kind, p.event_source, p.event_name, p.ecode_key, s.minutes
),
flagged AS (
    SELECT p.*, b.mean, b.sd,
           CASE WHEN b.sd > 0 THEN (p.n - b.mean) / b.sd END AS z
    FROM per_minute p JOIN base b USING (kind, event_source, event_name, ecode_key)
    WHERE p.minute >= $1
      AND p.n >= $4
      AND p.n >= b.mean + $5 * b.sd
      AND p.n >= $6 * b.mean
),
marked AS (
    SELECT f.*, CASE WHEN f.minute - lag(f.minute) OVER w > interval '1 minute' + $7 THEN 1 ELSE 0 END AS brk
    FROM flagged f
    WINDOW w AS (PARTITION BY f.kind, f.event_source, f.event_name, f.ecode_key ORDER BY f.minute)
),
numbered AS (
    SELECT m.*, sum(m.brk) OVER (PARTITION BY m.kind, m.event_source, m.event_name, m.ecode_key ORDER BY m.minute ROWS UNBOUNDED PRECEDING) AS anomaly
    FROM marked m
),
anomalies AS (
    SELECT kind, event_source, event_name, ecode_key, anomaly,
           min(minute) AS started_at, max(minute) + interval '1 minute' AS ended_at,
           min(mean) AS mean, min(sd) AS sd, max(n) AS peak, max(z) AS z
    FROM numbered
    GROUP BY kind, event_source, event_name, ecode_key, anomaly
),
during AS (
    SELECT a.kind, a.event_source, a.event_name, a.ecode_key, a.anomaly, s.actor, s.user_agent, s.error_code
    FROM anomalies a
    JOIN series s ON s.kind = a.kind AND s.event_source = a.event_source AND s.event_name = a.event_name
                 AND s.ecode_key IS NOT DISTINCT FROM a.ecode_key
                 AND s.minute >= a.started_at AND s.minute < a.ended_at
)
SELECT a.event_source, a.event_name, a.kind, nullif(a.ecode_key, ''),
       a.started_at, a.ended_at,
       (extract(epoch FROM a.ended_at - a.started_at) / 60)::integer,
       a.mean, a.sd,
       (SELECT count(*) FROM during d WHERE (d.kind, d.event_source, d.event_name, d.anomaly) = (a.kind, a.event_source, a.event_name, a.anomaly)
                                         AND d.ecode_key IS NOT DISTINCT FROM a.ecode_key)::float8
           / (extract(epoch FROM a.ended_at - a.started_at) / 60),
       a.peak, a.z,
       (SELECT jsonb_agg(jsonb_build_object('value', t.v, 'average', round((t.n / (extract(epoch FROM a.ended_at - a.started_at) / 60))::numeric, 3)) ORDER BY t.n DESC, t.v)
          FROM (SELECT coalesce(d.actor, '?') AS v, count(*)::float8 AS n FROM during d
                WHERE (d.kind, d.event_source, d.event_name, d.anomaly) = (a.kind, a.event_source, a.event_name, a.anomaly) AND d.ecode_key IS NOT DISTINCT FROM a.ecode_key
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $8) t),
       (SELECT jsonb_agg(jsonb_build_object('value', t.v, 'average', round((t.n / (extract(epoch FROM a.ended_at - a.started_at) / 60))::numeric, 3)) ORDER BY t.n DESC, t.v)
          FROM (SELECT coalesce(d.user_agent, '?') AS v, count(*)::float8 AS n FROM during d
                WHERE (d.kind, d.event_source, d.event_name, d.anomaly) = (a.kind, a.event_source, a.event_name, a.anomaly) AND d.ecode_key IS NOT DISTINCT FROM a.ecode_key
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $8) t),
       (SELECT jsonb_agg(jsonb_build_object('value', t.v, 'average', round((t.n / (extract(epoch FROM a.ended_at - a.started_at) / 60))::numeric, 3)) ORDER BY t.n DESC, t.v)
          FROM (SELECT coalesce(d.error_code, 'null') AS v, count(*)::float8 AS n FROM during d
                WHERE (d.kind, d.event_source, d.event_name, d.anomaly) = (a.kind, a.event_source, a.event_name, a.anomaly) AND d.ecode_key IS NOT DISTINCT FROM a.ecode_key
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $8) t)
FROM anomalies a
ORDER BY a.started_at, a.event_source, a.event_name, a.kind, a.ecode_key$q$, actor, events)
    USING since, until, baseline, min_count, z_threshold, min_ratio, merge_gap, top;
END
$$;
COMMENT ON FUNCTION @extschema@.rate_anomalies(regclass, timestamptz, timestamptz, interval, float8, integer, float8, interval, integer) IS
'Unusual per-minute call rates (write management events) and error rates of each API between since and until, against the baseline period before since; rows shaped like CloudTrail Insights';
