#!/usr/bin/env python3
"""Compose a CloudTrail tree with signed digests, for t/011_verify.pl.

    signed_tree.py make OUT [VARIANT]   write OUT/AWSLogs/..., OUT/keys.json
                                        (list-public-keys output),
                                        OUT/signatures.json (chain heads)
    signed_tree.py check OUT            verify every digest's signature
                                        independently; prints "KEY ok|bad|nokey"

Signing follows reference section 3.3 exactly, with Python's cryptography
(an implementation independent of trail's): the string
    digestEndTime LF bucket/object LF hex(SHA-256 of inflated digest) LF
    previousDigestSignature or "null"
signed with RSASSA-PKCS1-v1_5 / SHA-256.

One account, one region, one trail, four hourly digests D1..D4 on
2025-03-04 (00:00-04:00), each listing two log files; a fifth log file
delivered at 04:20 that no digest covers yet.  Keys: A (PKCS#1 DER) signs
D1 and D2, S (SubjectPublicKeyInfo DER) signs D3 and D4, B (PKCS#1, valid
only in 2020) and C (not in keys.json) sign nothing unless a variant says.

Variants: intact, restart (D3 starts a new chain), badsig (D3 carries a
wrong signature for D2), nokey (D2 signed with C), expired (D2 signed
with B), late (a fifth digest, D5, for 2025-03-06 00:00-01:00 lists L11,
delivered 2025-03-06 00:05 with an event of 2025-03-04 01:10: two days
late).
"""
import base64
import gzip
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ACCT = "111122223333"
REGION = "us-east-1"
TRAIL = "mgmt"
BUCKET = "example-cloudtrail-bucket"


def gz(data):
    return gzip.compress(data, mtime=0)


def der(key, spki):
    pub = key.public_key()
    if spki:
        return pub.public_bytes(serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo)
    return pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.PKCS1)


def signing_string(digest_bytes, doc):
    return "%s\n%s/%s\n%s\n%s" % (
        doc["digestEndTime"], doc["digestS3Bucket"], doc["digestS3Object"],
        hashlib.sha256(digest_bytes).hexdigest(),
        "null" if doc["previousDigestSignature"] is None
        else doc["previousDigestSignature"])


def sign(key, text):
    return key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256()).hex()


def record(t, n):
    return {"eventVersion": "1.08", "eventTime": t, "eventSource": "ec2.amazonaws.com",
            "eventName": "DescribeInstances", "awsRegion": REGION,
            "eventID": "00000000-0000-4000-8000-%012d" % n,
            "recipientAccountId": ACCT, "readOnly": True,
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::%s:user/u" % ACCT}}


def log_key(hhmm, tag, day="04"):
    return "AWSLogs/%s/CloudTrail/%s/2025/03/%s/%s_CloudTrail_%s_202503%sT%sZ_%s.json.gz" % (
        ACCT, REGION, day, ACCT, REGION, day, hhmm, tag)


def digest_key(hh, day="04"):
    return "AWSLogs/%s/CloudTrail-Digest/%s/2025/03/%s/%s_CloudTrail-Digest_%s_%s_%s_202503%sT%s0000Z.json.gz" % (
        ACCT, REGION, day, ACCT, REGION, TRAIL, REGION, day, hh)


def write(out, key, data):
    path = os.path.join(out, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make(out, variant):
    keys = {name: rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for name in "ASBC"}
    forms = {"A": False, "S": True, "B": False, "C": False}
    validity = {"A": ("2025-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"),
                "S": ("2025-03-04T02:00:00+00:00", "2026-01-01T00:00:00+00:00"),
                "B": ("2020-01-01T00:00:00+00:00", "2021-01-01T00:00:00+00:00"),
                "C": ("2025-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00")}
    fp = {n: hashlib.md5(der(k, forms[n])).hexdigest() for n, k in keys.items()}
    listed = [{"Value": base64.b64encode(der(keys[n], forms[n])).decode(),
               "ValidityStartTime": validity[n][0],
               "ValidityEndTime": validity[n][1],
               "Fingerprint": fp[n]} for n in "ASB"]
    with open(os.path.join(out, "keys.json"), "w") as f:
        json.dump({"PublicKeyList": listed}, f, indent=2)

    n = 0
    prev = None                 # (key, bytes, signature)
    heads = {}
    for hour in range(4):
        hh = "%02d" % hour
        logs = []
        for mm in ("05", "35"):
            n += 1
            t1 = "2025-03-04T%s:%s:00Z" % (hh, "01" if mm == "05" else "31")
            t2 = "2025-03-04T%s:%s:40Z" % (hh, "02" if mm == "05" else "33")
            body = json.dumps({"Records": [record(t1, n), record(t2, n + 100)]},
                              separators=(",", ":")).encode()
            k = log_key(hh + mm, "L%015d" % n)
            write(out, k, gz(body))
            logs.append({"s3Bucket": BUCKET, "s3Object": k,
                         "hashValue": hashlib.sha256(body).hexdigest(),
                         "hashAlgorithm": "SHA-256",
                         "newestEventTime": t2, "oldestEventTime": t1})
        name = "D%d" % (hour + 1)
        signer = "A" if hour < 2 else "S"
        if variant == "nokey" and name == "D2":
            signer = "C"
        if variant == "expired" and name == "D2":
            signer = "B"
        restart = variant == "restart" and name == "D3"
        dkey = digest_key("%02d" % (hour + 1))
        prev_sig = None if (prev is None or restart) else prev[2]
        if variant == "badsig" and name == "D3":
            prev_sig = sign(keys["A"], "not the signing string")
        doc = {
            "awsAccountId": ACCT,
            "digestStartTime": "2025-03-04T%s:00:00Z" % hh,
            "digestEndTime": "2025-03-04T%02d:00:00Z" % (hour + 1),
            "digestS3Bucket": BUCKET,
            "digestS3Object": dkey,
            "digestPublicKeyFingerprint": fp[signer],
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": logs[-1]["newestEventTime"],
            "oldestEventTime": logs[0]["oldestEventTime"],
            "previousDigestS3Bucket": None if (prev is None or restart) else BUCKET,
            "previousDigestS3Object": None if (prev is None or restart) else prev[0],
            "previousDigestHashValue": None if (prev is None or restart)
            else hashlib.sha256(prev[1]).hexdigest(),
            "previousDigestHashAlgorithm": None if (prev is None or restart) else "SHA-256",
            "previousDigestSignature": prev_sig,
            "logFiles": logs,
        }
        data = json.dumps(doc, separators=(",", ":")).encode()
        sig = sign(keys[signer], signing_string(data, doc))
        write(out, dkey, gz(data))
        if restart:
            heads[prev[0]] = prev[2]
        prev = (dkey, data, sig)
    if variant == "late":
        body = json.dumps({"Records": [record("2025-03-04T01:10:00Z", 11)]},
                          separators=(",", ":")).encode()
        k = log_key("0005", "L%015d" % 11, day="06")
        write(out, k, gz(body))
        dkey = digest_key("01", day="06")
        doc = {
            "awsAccountId": ACCT,
            "digestStartTime": "2025-03-06T00:00:00Z",
            "digestEndTime": "2025-03-06T01:00:00Z",
            "digestS3Bucket": BUCKET, "digestS3Object": dkey,
            "digestPublicKeyFingerprint": fp["S"],
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": "2025-03-04T01:10:00Z",
            "oldestEventTime": "2025-03-04T01:10:00Z",
            "previousDigestS3Bucket": BUCKET, "previousDigestS3Object": prev[0],
            "previousDigestHashValue": hashlib.sha256(prev[1]).hexdigest(),
            "previousDigestHashAlgorithm": "SHA-256",
            "previousDigestSignature": prev[2],
            "logFiles": [{"s3Bucket": BUCKET, "s3Object": k,
                          "hashValue": hashlib.sha256(body).hexdigest(),
                          "hashAlgorithm": "SHA-256",
                          "newestEventTime": "2025-03-04T01:10:00Z",
                          "oldestEventTime": "2025-03-04T01:10:00Z"}],
        }
        data = json.dumps(doc, separators=(",", ":")).encode()
        sig = sign(keys["S"], signing_string(data, doc))
        write(out, dkey, gz(data))
        prev = (dkey, data, sig)
    heads[prev[0]] = prev[2]
    # the newest hour: delivered after the last digest
    n += 1
    body = json.dumps({"Records": [record("2025-03-04T04:18:00Z", n)]},
                      separators=(",", ":")).encode()
    write(out, log_key("0420", "L%015d" % n), gz(body))
    with open(os.path.join(out, "signatures.json"), "w") as f:
        json.dump(heads, f, indent=2)


def check(out):
    """Verify each digest with Python alone: the signature its successor
    carries, or signatures.json for chain heads."""
    with open(os.path.join(out, "keys.json")) as f:
        klist = json.load(f)["PublicKeyList"]
    with open(os.path.join(out, "signatures.json")) as f:
        heads = json.load(f)
    keys = {}
    for k in klist:
        blob = base64.b64decode(k["Value"])
        try:
            keys[k["Fingerprint"]] = serialization.load_der_public_key(blob)
        except ValueError:
            from cryptography.hazmat.primitives.serialization import load_der_public_key
            raise
    digests = {}
    for root, _, files in os.walk(out):
        for name in files:
            if "_CloudTrail-Digest_" in name:
                path = os.path.join(root, name)
                with gzip.open(path) as f:
                    data = f.read()
                key = path[path.index("AWSLogs/"):]
                digests[key] = (data, json.loads(data))
    sig_of = dict(heads)
    for key, (data, doc) in digests.items():
        if doc["previousDigestS3Object"]:
            sig_of[doc["previousDigestS3Object"]] = doc["previousDigestSignature"]
    for key in sorted(digests):
        data, doc = digests[key]
        pub = keys.get(doc["digestPublicKeyFingerprint"])
        sig = sig_of.get(key)
        if pub is None or sig is None:
            print(key, "nokey")
            continue
        try:
            pub.verify(bytes.fromhex(sig), signing_string(data, doc).encode(),
                       padding.PKCS1v15(), hashes.SHA256())
            print(key, "ok")
        except Exception:
            print(key, "bad")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        os.makedirs(sys.argv[2], exist_ok=True)
        make(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "intact")
    elif sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit("usage: signed_tree.py make OUT [VARIANT] | check OUT")
