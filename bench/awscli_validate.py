#!/usr/bin/env python3
"""The AWS CLI's own log file validator, driven over a local tree.

  bench/awscli_validate.py --tree DIR

DIR is a corpus that bench/gen.py wrote (DIR/AWSLogs, DIR/public-keys/,
DIR/signatures.json, DIR/s3-metadata.json).  For every digest chain (one
per account and region) this runs `aws cloudtrail validate-logs` as the
CLI does (its CloudTrailValidateLogs command: DigestTraverser,
DigestProvider, Sha256RSADigestValidator and its own log-file hashing),
with stand-ins for the clients it would make: an S3 client that serves
the local files (get_object, with the digest's signature in Metadata as S3
keeps it; list_objects paginating the digest prefix), a CloudTrail client
(describe_trails, list_public_keys with the corpus's key for the region)
and an Organizations client.  That is its I/O layer, as the other peers
read local files.

Prints one JSON object: {"seconds", "chains", "valid_digests",
"invalid_digests", "valid_logs", "invalid_logs"}; the time is the
validation itself (module imports and interpreter start-up are not timed).
"""

import argparse
import contextlib
import gzip
import io
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

import jmespath
from botocore.exceptions import ClientError

from awscli.customizations.cloudtrail import validation


class LocalBody:
    """What get_object's Body is: read(n) on the file."""

    def __init__(self, path):
        self.f = open(path, "rb")

    def read(self, n=-1):
        data = self.f.read(n)
        if not data:
            self.f.close()
        return data


class LocalPages:
    def __init__(self, pages):
        self.pages = pages

    def search(self, expr):
        e = jmespath.compile(expr)
        for page in self.pages:
            for item in e.search(page) or ():
                yield item


class LocalS3:
    """The S3 calls the validator makes, on DIR as the bucket."""

    def __init__(self, root, bucket, metadata):
        self.root, self.bucket, self.metadata = root, bucket, metadata

    def _path(self, bucket, key):
        if bucket != self.bucket:
            raise ClientError({"Error": {"Code": "NoSuchBucket", "Message": bucket}}, "GetObject")
        return os.path.join(self.root, key)

    def get_object(self, Bucket, Key):
        path = self._path(Bucket, Key)
        if not os.path.isfile(path):
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": Key}}, "GetObject")
        meta = {}
        if Key in self.metadata:
            meta = {"signature": self.metadata[Key], "signature-algorithm": "SHA256withRSA"}
        return {"Body": LocalBody(path), "Metadata": meta}

    def get_paginator(self, name):
        assert name in ("list_objects", "list_objects_v2"), name
        return self

    def paginate(self, Bucket, Prefix="", Marker=None, StartAfter=None):
        """Keys under Prefix after Marker, in S3's order, 1000 a page."""
        top = self._path(Bucket, "")
        base = os.path.join(top, os.path.dirname(Prefix))
        keys = []
        for d, dirs, files in os.walk(base):
            rel = os.path.relpath(d, top)
            keys.extend(rel + "/" + f for f in files)
        after = Marker or StartAfter or ""
        keys = sorted(k for k in keys if k.startswith(Prefix) and k > after)
        return LocalPages([{"Contents": [{"Key": k} for k in keys[i:i + 1000]]}
                           for i in range(0, len(keys), 1000)])


class LocalProvider:
    """S3ClientProvider: one client for the local bucket."""

    def __init__(self, s3):
        self.s3 = s3

    def get_client(self, bucket_name):
        return self.s3


class LocalCloudTrail:
    def __init__(self, trails, keys):
        self.trails, self.keys = trails, keys

    def describe_trails(self, **kw):
        return {"trailList": self.trails}

    def list_public_keys(self, StartTime=None, EndTime=None):
        return {"PublicKeyList": self.keys}


class LocalOrganizations:
    def __init__(self, org):
        self.org = org

    def describe_organization(self):
        return {"Organization": {"Id": self.org}}


class Validate(validation.CloudTrailValidateLogs):
    """validate-logs with the local clients in place of boto3's."""

    def __init__(self, clients):
        super().__init__(None)
        self.clients = clients

    def setup_services(self, parsed_globals):
        self._source_region = parsed_globals.region
        self.s3_client_provider, self.cloudtrail_client, self.organization_client = self.clients


def chains(heads):
    """(prefix, org or None, account, region, trail, home region) of each
    chain, from the S3 keys of its newest digest."""
    out = []
    for key in sorted(heads):
        parts = key.split("/")
        i = parts.index("CloudTrail-Digest")
        org = parts[1] if i == 3 else None
        name = parts[-1][:-len(".json.gz")]
        acct, _, region, rest = name.split("_", 3)
        trail, home, _ = rest.rsplit("_", 2)
        out.append((org, acct, region, trail, home))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", required=True)
    a = ap.parse_args()
    with open(os.path.join(a.tree, "signatures.json")) as f:
        heads = json.load(f)
    with open(os.path.join(a.tree, "s3-metadata.json")) as f:
        metadata = json.load(f)
    with open(os.path.join(a.tree, "manifest.json")) as f:
        man = json.load(f)
    first = datetime.fromisoformat(man["first_day"]).replace(tzinfo=timezone.utc)
    start = (first - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (first + timedelta(days=man["days"] + 2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # the bucket named in the digests
    any_key = next(iter(heads))
    with open(os.path.join(a.tree, any_key), "rb") as f:
        bucket = json.loads(gzip.decompress(f.read()))["digestS3Bucket"]
    s3 = LocalProvider(LocalS3(a.tree, bucket, metadata))
    totals = {"valid_digests": 0, "invalid_digests": 0, "valid_logs": 0, "invalid_logs": 0}
    jobs = []
    for org, acct, region, trail, home in chains(heads):
        with open(os.path.join(a.tree, "public-keys", region + ".json")) as f:
            keys = json.load(f)["PublicKeyList"]
        arn = "arn:aws:cloudtrail:%s:%s:trail/%s" % (home, acct, trail)
        trails = [{"TrailARN": arn, "S3BucketName": bucket, "IsOrganizationTrail": org is not None}]
        args = argparse.Namespace(trail_arn=arn, verbose=False, s3_bucket=None, s3_prefix=None,
                                  account_id=acct, start_time=start, end_time=end)
        jobs.append((args, region, (s3, LocalCloudTrail(trails, keys), LocalOrganizations(org))))
    t0 = time.perf_counter()
    sink = io.StringIO()
    for args, region, clients in jobs:
        cmd = Validate(clients)
        cmd.handle_args(args)
        cmd.setup_services(argparse.Namespace(region=region))
        with contextlib.redirect_stdout(sink):
            cmd._call()
        totals["valid_digests"] += cmd._valid_digests + cmd._valid_backfill_digests
        totals["invalid_digests"] += cmd._invalid_digests + cmd._invalid_backfill_digests
        totals["valid_logs"] += cmd._valid_logs
        totals["invalid_logs"] += cmd._invalid_logs
        sink.seek(0)
        sink.truncate()
    totals["seconds"] = time.perf_counter() - t0
    totals["chains"] = len(jobs)
    json.dump(totals, sys.stdout)
    print()


if __name__ == "__main__":
    main()
