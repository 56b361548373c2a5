-- Log file validation: trail.load_public_keys and the bad inputs of
-- trail.verify.  The signed trees and their tamperings are in
-- t/011_verify.pl (they need keys made at test time).
\i test/helpers.sql

-- the shape "aws cloudtrail list-public-keys" prints; one key in PKCS#1
-- DER (what AWS documents), one in SubjectPublicKeyInfo DER (what one of
-- its samples holds); times as ISO text or as epoch seconds
SELECT trail.load_public_keys($${
  "PublicKeyList": [
    {"Value": "MIGJAoGBAKygXWLJz8zuLHMxmxoH73a3Yx+jSWQtZRe6xCQrkrpR6X0k6KGou3FGm7kAN6SeBlYx8BZEKP0xJaI1X9A/HHfk+I/BwiSaHyKCgqsSfp1ZYba8AF51/mN97SecncrdhLMKVZM0KKM+qsPGarfil4On4wPjHVP21/H5Rzh3NJNZAgMBAAE=",
     "ValidityStartTime": "2025-01-01T00:00:00+00:00",
     "ValidityEndTime": "2025-07-01T12:30:00+00:00",
     "Fingerprint": "89CC15DA767D944BA0C8211C9CF16766"},
    {"Value": "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDEmkLDdk4xSJgkD6Sy7AFCZu+XuME/c6+m1LfVLM1uvTuYmfjZZ3bDaf3c2PTy92buwauN+fiGdxogmzTnn578s1Ulo6cR06IN6LZKZ6i6DzN7AGZ1BjzIYHgS4npoinw/i61ChpVIF0P+6o55ljqFb0ITXcG5mq6l21ka38s/zwIDAQAB",
     "ValidityStartTime": 1735689600,
     "ValidityEndTime": 1767225600.5,
     "Fingerprint": "0a54805840d80835f02c72e9c12a884e"}
  ]
}$$, 'us-east-1') AS stored;

-- fingerprints are kept in lower case; the MD5 of the DER bytes is the
-- fingerprint (reference 3.4), which an offline copy can check
SELECT fingerprint, region, valid_from, valid_to, length(key) AS der_bytes,
       md5(key) = fingerprint AS md5_matches
FROM trail.public_key ORDER BY fingerprint;

-- loading again updates (a key moved to another region, say)
SELECT trail.load_public_keys($${"PublicKeyList": [
    {"Value": "MIGJAoGBAKygXWLJz8zuLHMxmxoH73a3Yx+jSWQtZRe6xCQrkrpR6X0k6KGou3FGm7kAN6SeBlYx8BZEKP0xJaI1X9A/HHfk+I/BwiSaHyKCgqsSfp1ZYba8AF51/mN97SecncrdhLMKVZM0KKM+qsPGarfil4On4wPjHVP21/H5Rzh3NJNZAgMBAAE=",
     "ValidityStartTime": "2025-01-01T00:00:00Z", "ValidityEndTime": "2025-12-31T00:00:00Z",
     "Fingerprint": "89cc15da767d944ba0c8211c9cf16766"}]}$$, 'eu-west-1') AS stored;
SELECT fingerprint, region, valid_to FROM trail.public_key ORDER BY fingerprint;
-- an empty list stores nothing
SELECT trail.load_public_keys('{"PublicKeyList": []}', 'us-east-1') AS stored;

-- key lists that are not the list-public-keys shape: clear errors
SELECT input, pg_temp.try(format('SELECT trail.load_public_keys(%L, %L)', input, 'us-east-1'))
FROM unnest(ARRAY[
  'not json',
  '{"PublicKeyList": [] } trailing',
  '[]',
  '{"Keys": []}',
  '{"PublicKeyList": {}}',
  '{"PublicKeyList": [], "PublicKeyList": []}',
  '{"PublicKeyList": [1]}',
  '{"PublicKeyList": [{"ValidityStartTime": "2025-01-01T00:00:00Z", "ValidityEndTime": "2025-01-02T00:00:00Z", "Fingerprint": "89cc15da767d944ba0c8211c9cf16766"}]}',
  '{"PublicKeyList": [{"Value": "!!!", "ValidityStartTime": "2025-01-01T00:00:00Z", "ValidityEndTime": "2025-01-02T00:00:00Z", "Fingerprint": "89cc15da767d944ba0c8211c9cf16766"}]}',
  '{"PublicKeyList": [{"Value": "aGVsbG8=", "ValidityStartTime": "2025-01-01T00:00:00Z", "ValidityEndTime": "2025-01-02T00:00:00Z", "Fingerprint": "89cc15da767d944ba0c8211c9cf16766"}]}',
  '{"PublicKeyList": [{"Value": "aGVsbG8=", "ValidityStartTime": "2025-01-01T00:00:00Z", "ValidityEndTime": "2025-01-02T00:00:00Z", "Fingerprint": "not-hex"}]}',
  '{"PublicKeyList": [{"Value": "aGVsbG8=", "ValidityStartTime": "yesterday-ish", "ValidityEndTime": "2025-01-02T00:00:00Z", "Fingerprint": "89cc15da767d944ba0c8211c9cf16766"}]}',
  '{"PublicKeyList": [{"Value": "aGVsbG8=", "ValidityStartTime": true, "ValidityEndTime": "2025-01-02T00:00:00Z", "Fingerprint": "89cc15da767d944ba0c8211c9cf16766"}]}',
  '{"PublicKeyList": [{"Value": "aGVsbG8=", "ValidityStartTime": "2025-01-03T00:00:00Z", "ValidityEndTime": "2025-01-02T00:00:00Z", "Fingerprint": "89cc15da767d944ba0c8211c9cf16766"}]}',
  '{"PublicKeyList": [{"value": "aGVsbG8=", "ValidityStartTime": "2025-01-01T00:00:00Z", "ValidityEndTime": "2025-01-02T00:00:00Z", "Fingerprint": "89cc15da767d944ba0c8211c9cf16766"}]}',
  '{"PublicKeyList": [{"Value": "a\u0000b"}]}',
  '{"PublicKeyList": [{"Value": "\ud83d x"}]}'
]) AS input;
SELECT pg_temp.try($$SELECT trail.load_public_keys('{"PublicKeyList": []}', '')$$);
SELECT trail.load_public_keys(NULL, 'us-east-1') IS NULL AS strict;

-- trail.verify: bad arguments are errors; a tree without digests has
-- nothing covered
SELECT pg_temp.try($$SELECT * FROM trail.verify(NULL)$$);
SELECT pg_temp.try($$SELECT * FROM trail.verify(pg_temp.f('no-such-dir'))$$);
SELECT pg_temp.try($$SELECT * FROM trail.verify(pg_temp.f('AWSLogs'), signatures => '[]')$$);
SELECT pg_temp.try($$SELECT * FROM trail.verify(pg_temp.f('AWSLogs'), signatures => '{"k": 1}')$$);

-- the fixtures' digest is signed by no key loaded here: its logs are
-- listed only if present; everything else is not covered
SELECT object, replace(path, pg_temp.f(''), '') AS path, status, detail
FROM trail.verify(pg_temp.f('AWSLogs'))
ORDER BY object, path;

-- verdicts are kept for the files on disk
SELECT object, status, count(*) FROM trail.verdict GROUP BY 1, 2 ORDER BY 1, 2;

-- privileges: as for trail.read
CREATE ROLE regress_verify_nobody;
CREATE ROLE regress_verify_granted;
GRANT EXECUTE ON FUNCTION trail.verify(text, timestamptz, timestamptz, jsonb) TO regress_verify_granted;
SET ROLE regress_verify_nobody;
SELECT pg_temp.try($$SELECT * FROM trail.verify(pg_temp.f('AWSLogs'))$$);
SELECT pg_temp.try($$SELECT trail.load_public_keys('{"PublicKeyList": []}', 'us-east-1')$$);
SELECT pg_temp.try($$SELECT * FROM trail.public_key$$);
RESET ROLE;
SET ROLE regress_verify_granted;
SELECT pg_temp.try($$SELECT * FROM trail.verify(pg_temp.f('AWSLogs'))$$);
RESET ROLE;
REVOKE ALL ON FUNCTION trail.verify(text, timestamptz, timestamptz, jsonb) FROM regress_verify_granted;
DROP ROLE regress_verify_nobody;
DROP ROLE regress_verify_granted;

TRUNCATE trail.public_key, trail.verdict;
