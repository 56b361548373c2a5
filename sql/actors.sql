-- Who acted: the actor columns, by userIdentity type (reference §1.4), on
-- records new (1.11) and old (1.0-1.05), and the other 1.1 columns.
\i test/helpers.sql

CREATE TEMP TABLE ids (n int, version text, ui jsonb, note text);
INSERT INTO ids VALUES
 (1, '1.11', '{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/ops/Admin","accountId":"111122223333","userName":"Admin"},"attributes":{"creationDate":"2025-03-04T09:00:00Z","mfaAuthenticated":"true"},"sourceIdentity":"alice@example.com"}}', 'assumed role, issuer given (path kept)'),
 (2, '1.05', '{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0abc","arn":"arn:aws:sts::111122223333:assumed-role/app-role/i-0abc","accountId":"111122223333"}', 'assumed role, no sessionContext (old)'),
 (3, '1.11', '{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"}', 'IAM user'),
 (4, '1.02', '{"type":"IAMUser","principalId":"AIDAEXAMPLE","accountId":"111122223333","userName":"carol"}', 'IAM user without arn (old)'),
 (5, '1.11', '{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}', 'root'),
 (6, '1.0', '{"type":"Root","accountId":"111122223333"}', 'root without arn (old)'),
 (7, '1.11', '{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}', 'AWS service'),
 (8, '1.11', '{"type":"AWSAccount","principalId":"AIDAOTHER:session","accountId":"444455556666"}', 'another account'),
 (9, '1.11', '{"type":"FederatedUser","principalId":"111122223333:dave","arn":"arn:aws:sts::111122223333:federated-user/dave","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/fed"}}}', 'federated user'),
 (10, '1.11', '{"type":"SAMLUser","principalId":"SAMPLE:x","userName":"erin@example.com","identityProvider":"arn:aws:iam::111122223333:saml-provider/Okta"}', 'SAML user'),
 (11, '1.11', '{"type":"WebIdentityUser","principalId":"accounts.google.com:app:123","userName":"123","identityProvider":"accounts.google.com"}', 'web identity user'),
 (12, '1.11', '{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"9067-abcd","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1234"},"credentialId":"cred"}', 'Identity Center user'),
 (13, '1.11', '{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/frank","accountId":"111122223333","onBehalfOf":{"userId":"44-55","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1234"},"sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_0123456789abcdef","accountId":"111122223333"}}}', 'on behalf of an Identity Center user'),
 (14, '1.11', '{"type":"Directory","principalId":"d-123:grace","userName":"grace"}', 'directory user'),
 (15, '1.11', '{"type":"Unknown","principalId":"somebody"}', 'unknown type'),
 (16, '1.11', '{"principalId":"AIDAX"}', 'no type at all'),
 (17, '1.11', '{}', 'empty userIdentity'),
 (18, '1.11', NULL, 'no userIdentity'),
 (19, '1.11', '{"type":"AssumedRole","principalId":"AROA:hank","arn":"arn:aws-cn:sts::111122223333:assumed-role/cn-role/hank","accountId":"111122223333","sessionContext":{"sessionIssuer":{}}}', 'aws-cn, empty issuer'),
 (20, '1.11', '{"type":"AssumedRole","principalId":"AROA:iris","accountId":"111122223333","inScopeOf":{"issuerType":"AWS::Lambda::Function","sourceArn":"arn:aws:lambda:us-east-1:111122223333:function:f"}}', 'assumed role without arn, in scope of a function');

CREATE TEMP TABLE docs AS
SELECT n, note, format('{"eventVersion":%s,"eventTime":"2025-03-04T09:00:00Z","eventName":"X","userIdentity":%s}',
                       to_json(version), coalesce(ui::text, 'null')) AS doc
FROM ids;

SELECT d.n, d.note, p.actor, p.actor_type, p.actor_account, p.session_name
FROM docs d, trail.parse(d.doc) p ORDER BY d.n;
SELECT d.n, p.source_identity, p.on_behalf_of, p.in_scope_of, p.identity_provider
FROM docs d, trail.parse(d.doc) p
WHERE p.source_identity IS NOT NULL OR p.on_behalf_of IS NOT NULL OR p.in_scope_of IS NOT NULL
   OR p.identity_provider IS NOT NULL
ORDER BY d.n;
-- never NULL when userIdentity says anything
SELECT count(*) FILTER (WHERE p.actor IS NULL) AS without_actor,
       count(*) FILTER (WHERE p.actor IS NULL AND p.user_identity IS NOT NULL AND p.user_identity <> '{}') AS wrongly_without
FROM docs d, trail.parse(d.doc) p;
-- a userIdentity that is not an object is bad input for the actor columns
SELECT pg_temp.try($$SELECT actor FROM trail.parse('{"eventVersion":"1.11","eventTime":"2025-03-04T09:00:00Z","userIdentity":"alice"}')$$);
-- the actor columns in a whole row, and through the foreign table
SELECT (p).actor FROM (SELECT p FROM trail.parse((SELECT doc FROM docs WHERE n = 1)) p) s;
CREATE SERVER regress_ct FOREIGN DATA WRAPPER trail_fdw;
SELECT pg_temp.run(format('CREATE FOREIGN TABLE actors (event_name text, actor text, actor_type text, session_name text) SERVER regress_ct OPTIONS (location %L)',
                          pg_temp.f('shapes/records.json')));
SELECT event_name, actor, actor_type, session_name FROM actors ORDER BY event_name;
-- eventContext (CloudTrail Lake)
SELECT event_context FROM trail.parse('{"eventVersion":"1.11","eventTime":"2025-03-04T09:00:00Z","eventContext":{"tagContext":{"resourceTags":[{"k":"team","v":"data"}]}}}');
DROP SERVER regress_ct CASCADE;
