/* trail--1.0--1.1.sql: from 1.0 to 1.1 (CREATE EXTENSION trail runs
 * trail--1.0.sql and then this file, so a new database and an updated one
 * hold the same objects) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION trail UPDATE TO '1.1'" to load this file. \quit

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
