#!/usr/bin/env python3
"""Deterministic generator of CloudTrail trees for the trail benchmark.

Writes what a trail delivers to S3, under DIR as if DIR were the bucket:

  DIR/AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/YYYY/MM/DD/
      <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 alnum>.json.gz
  DIR/AWSLogs/.../CloudTrail-Insight/...          Insights Start/End pairs
  DIR/AWSLogs/.../CloudTrail-NetworkActivity/...  VPC endpoint events
  DIR/AWSLogs/.../CloudTrail-Digest/<region>/YYYY/MM/DD/
      <account>_CloudTrail-Digest_<region>_<trail>_<home>_<YYYYMMDDTHHMMSSZ>.json.gz

Every file is one gzip member (level 6, mtime 0) holding compact JSON
{"Records":[...]}; digests list each hour's CloudTrail/ files with the
SHA-256 of their inflated bytes, and are signed (RSA 2048, one key pair
per region derived from the seed; reference section 3.3).  Beside AWSLogs/:
public-keys/<region>.json (list-public-keys output), private-keys/,
signatures.json (the newest digest of each chain -> its signature) and
s3-metadata.json (every digest's signature, as S3 keeps it).  The same
--seed always gives the same bytes.

  bench/gen.py --out DIR --size quick|default|year|year-quick|demo [--seed N]
               [--templates FILE] [--large-file PATH [--large-bytes N]]

--templates FILE reads {"source":..,"record":{..}} lines and mixes re-timed,
re-identified copies of those records into the management events.
--large-file writes one single file of about N bytes of JSON (default 1 GiB),
compressed in parallel chunks but still one gzip member, in bounded memory.
A summary is printed and written to DIR/manifest.json.

--size year is a year of an organization trail (~210k small files, hourly
digests); year-quick the same shape, smaller.

Python standard library, and cryptography for the signatures.
"""

import argparse
import base64
import calendar
import hashlib
import json
import math
import multiprocessing
import os
import random
import string
import time
import zlib

# --------------------------------------------------------------------------
# Sizes and the estate being simulated
# --------------------------------------------------------------------------

ORG_ID = "o-7kq2m9x4ab"
BUCKET = "acme-cloudtrail-logs"
TRAIL_ACCOUNT = "management-events"     # per-account trail name
TRAIL_ORG = "acme-org-trail"            # organization trail name
HOME_REGION = "us-east-1"

# account id, short name, under the organization prefix?, data-event share
ACCOUNTS = [
    ("284619037152", "prod", True, 0.50),
    ("530912746381", "staging", False, 0.30),
    ("771046295813", "security", False, 0.20),
    ("918273645091", "analytics", False, 0.60),
]
PARTNER_ACCOUNT = "410326571209"   # assumes roles into us (AWSAccount)
MGMT_ACCOUNT = "602184739156"      # organization management account

# size -> (start day, days, total records, streams)
# stream = (account index, region, file-slot occupancy, volume weight)
SIZES = {
    "quick": {
        "start": (2025, 3, 3), "days": 14, "records": 40000,
        "streams": [
            (0, "us-east-1", 0.55, 5.0),
            (0, "eu-west-1", 0.12, 1.2),
            (1, "us-east-1", 0.15, 1.3),
            (1, "eu-west-1", 0.05, 0.4),
            (3, "us-east-1", 0.12, 2.2),
        ],
        "insight_pairs": 4, "network_files": 8,
    },
    "default": {
        "start": (2025, 3, 3), "days": 14, "records": 600000,
        "streams": [
            (0, "us-east-1", 0.98, 6.0),
            (0, "eu-west-1", 0.85, 3.0),
            (0, "us-west-2", 0.40, 1.0),
            (0, "ap-southeast-2", 0.15, 0.4),
            (1, "us-east-1", 0.70, 1.6),
            (1, "eu-west-1", 0.45, 0.8),
            (1, "us-west-2", 0.12, 0.2),
            (1, "ap-southeast-2", 0.05, 0.1),
            (2, "us-east-1", 0.60, 0.9),
            (2, "eu-west-1", 0.25, 0.3),
            (2, "us-west-2", 0.10, 0.1),
            (2, "ap-southeast-2", 0.05, 0.1),
            (3, "us-east-1", 0.85, 3.2),
            (3, "eu-west-1", 0.50, 1.2),
            (3, "us-west-2", 0.20, 0.4),
            (3, "ap-southeast-2", 0.08, 0.1),
        ],
        "insight_pairs": 12, "network_files": 40,
    },
    # A year of an organization trail (every account under the
    # organization prefix): many small files, hourly signed digests.
    "year": {
        "start": (2025, 1, 1), "days": 365, "records": 650000, "org": True,
        "streams": [
            (0, "us-east-1", 0.55, 5.0),
            (0, "eu-west-1", 0.30, 2.0),
            (0, "us-west-2", 0.12, 0.6),
            (1, "us-east-1", 0.30, 1.5),
            (1, "eu-west-1", 0.12, 0.5),
            (2, "us-east-1", 0.25, 0.8),
            (3, "us-east-1", 0.40, 2.5),
            (3, "eu-west-1", 0.20, 0.8),
        ],
        "insight_pairs": 24, "network_files": 60,
    },
    # the same shape, smaller: for BENCH_SIZE=quick
    "year-quick": {
        "start": (2025, 1, 1), "days": 365, "records": 90000, "org": True,
        "streams": [
            (0, "us-east-1", 0.20, 3.0),
            (1, "eu-west-1", 0.06, 0.8),
            (3, "us-east-1", 0.08, 1.5),
        ],
        "insight_pairs": 6, "network_files": 12,
    },
    "demo": {
        "start": (2025, 3, 4), "days": 2, "records": 250,
        "streams": [
            (0, "us-east-1", 0.035, 3.0),
            (0, "eu-west-1", 0.012, 1.0),
            (1, "us-east-1", 0.025, 2.0),
            (1, "eu-west-1", 0.010, 0.7),
        ],
        "insight_pairs": 1, "network_files": 1,
    },
}

SLOT = 300                 # a log file per stream per ~5 minutes
LATE_WINDOW = 1800         # files in the first 30 min of a day may hold late records
LATE_SHARE = 0.010         # target share of records in the next day's folder


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def java_date(ts):
    """The "Mar 4, 2025, 9:15:02 AM" style some services put in responses."""
    t = time.gmtime(ts)
    h = t.tm_hour % 12 or 12
    return "%s %d, %d, %d:%02d:%02d %s" % (
        time.strftime("%b", t), t.tm_mday, t.tm_year, h, t.tm_min, t.tm_sec,
        "AM" if t.tm_hour < 12 else "PM")


def day_start(y, m, d):
    return calendar.timegm((y, m, d, 0, 0, 0, 0, 0, 0))


class R(random.Random):
    """random.Random with the identifier shapes CloudTrail uses."""

    def uuid(self):
        g = self.getrandbits
        return "%08x-%04x-4%03x-%04x-%012x" % (g(32), g(16), g(12),
                                                0x8000 | g(14), g(48))

    def alnum(self, n, alphabet=ALNUM):
        c = self.choice
        return "".join([c(alphabet) for _ in range(n)])

    def hexs(self, n, upper=False):
        s = "%0*x" % (n, self.getrandbits(4 * n))
        return s.upper() if upper else s

    def pick(self, items, weights):
        return self.choices(items, weights)[0]


def stable_rng(*parts):
    return R("|".join(str(p) for p in parts))


def _gf2_times(mat, vec):
    s = 0
    i = 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat):
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1, crc2, len2):
    """zlib's crc32_combine (not exposed by Python's zlib module)."""
    if len2 <= 0:
        return crc1
    odd = [0xedb88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def gzip_bytes(raw):
    """One gzip member, level 6, mtime 0 (what gzip.compress(.., 6, mtime=0) does)."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15, 9)
    body = c.compress(raw) + c.flush()
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + body +
            (zlib.crc32(raw) & 0xffffffff).to_bytes(4, "little") +
            (len(raw) & 0xffffffff).to_bytes(4, "little"))


def dumps(rec):
    return json.dumps(rec, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------
# The estate: principals, buckets, resources of one account
# --------------------------------------------------------------------------

USER_AGENTS_SDK = [
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0-18-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#{cmd}",
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#{cmd}",
    "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 cfg/retry-mode#legacy Botocore/1.34.51",
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.1.109-118.189.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36",
    "[aws-sdk-java/2.25.6 Linux/6.1.79-99.167.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.2+13-LTS Java/21.0.2 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy]",
    "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/{svc}#1.52.1",
    "aws-sdk-js/3.637.0 ua/2.1 os/linux#5.10.223-211.872.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/{svc}#3.637.0",
    "APN/1.0 HashiCorp/1.0 Terraform/1.8.5 (+https://www.terraform.io) terraform-provider-aws/5.59.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.3 ua/2.0 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/{svc}#1.52.1",
    "aws-cli/2.13.0 Python/3.11.4 Linux/5.10.0-1234-aws exe/x86_64.ubuntu.22 prompt/off command/{cmd}",
    "aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59",
    "Boto3/1.26.0 Python/3.9.16 Linux/5.10.184-175.749.amzn2.x86_64 Botocore/1.29.0",
    "Boto3/1.28.57 Python/3.11.5 Linux/6.1.52 Botocore/1.31.57 Resource",
    "aws-sdk-go/1.44.327 (go1.21.1; linux; amd64)",
    "aws-sdk-go/1.44.327 (go1.21.1; linux; amd64)",
    "aws-sdk-java/1.12.529 Linux/5.10.192-183.736.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS java/17.0.8 vendor/Amazon.com_Inc.",
    "aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.223-190.873.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard",
]
CONSOLE_AGENTS = ["console.amazonaws.com", "console.ec2.amazonaws.com", "AWS Internal",
                  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"]
USER_AGENTS_BROWSER = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
]
S3_AGENTS = [
    "[aws-sdk-java/2.25.6 Linux/6.1.79-99.167.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.2+13-LTS Java/21.0.2 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy]",
    "[Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 cfg/retry-mode#legacy Botocore/1.34.51]",
    "[aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0-18-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/command#s3.cp]",
    "[aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2 ft/s3-transfer]",
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.223-190.873.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard]",
    "[Apache-HttpClient/4.5.13 (Java/17.0.11) Hadoop 3.3.6 aws-sdk-java/1.12.367 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS java/17.0.11 vendor/Amazon.com_Inc. cfg/retry-mode/legacy]",
    "[aws-sdk-go/1.44.327 (go1.21.1; linux; amd64)]",
    "[aws-sdk-go/1.44.327 (go1.21.1; linux; amd64) S3Manager]",
    "[Boto3/1.26.0 Python/3.9.16 Linux/5.10.184 Botocore/1.29.0]",
    "[Boto3/1.26.0 Python/3.9.16 Linux/5.10.184 Botocore/1.29.0]",
    "[aws-sdk-js/2.1450.0 promise]",
    "[aws-sdk-rust/1.1.4 os/linux lang/rust/1.75.0]",
]
TLS = [
    {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "keyExchange": "X25519MLKEM768"},
    {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "keyExchange": "x25519"},
    {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_256_GCM_SHA384"},
    {"tlsVersion": "TLSv1.2", "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256"},
]
SERVICE_PRINCIPALS = ["ec2.amazonaws.com", "lambda.amazonaws.com", "cloudformation.amazonaws.com",
                      "autoscaling.amazonaws.com", "config.amazonaws.com", "elasticloadbalancing.amazonaws.com",
                      "ecs-tasks.amazonaws.com", "glue.amazonaws.com"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
LAST = ["martin", "nguyen", "okafor", "silva", "kowalski", "dubois", "schmidt", "tanaka", "haddad", "moreau"]


class Account:
    """Static facts about one account, reused by every record (shared dicts)."""

    def __init__(self, idx, seed, all_org=False):
        acct, name, org, data_share = ACCOUNTS[idx]
        org = org or all_org
        self.id, self.name, self.org, self.data_share = acct, name, org, data_share
        r = stable_rng(seed, "account", acct)
        self.prefix = ("AWSLogs/%s/%s" % (ORG_ID, acct)) if org else ("AWSLogs/%s" % acct)
        self.trail = TRAIL_ORG if org else TRAIL_ACCOUNT
        self.trail_home = HOME_REGION
        self.office_ips = ["%d.%d.%d.%d" % (r.choice([52, 81, 86, 91, 109, 145, 176, 185, 194, 203]),
                                            r.randrange(1, 255), r.randrange(0, 255), r.randrange(1, 255))
                           for _ in range(12)]
        self.home_ips = ["%d.%d.%d.%d" % (r.choice([24, 73, 82, 98, 151, 188, 213]), r.randrange(1, 255),
                                          r.randrange(0, 255), r.randrange(1, 255)) for _ in range(10)]
        self.ipv6 = ["2a02:%x:%x:%x::%x" % (r.getrandbits(16), r.getrandbits(16), r.getrandbits(16),
                                            r.getrandbits(16)) for _ in range(4)] + \
                    ["2600:1f18:%x:%x:%x:%x:%x:%x" % tuple(r.getrandbits(16) for _ in range(6))
                     for _ in range(4)]
        self.vpc_ips = ["10.%d.%d.%d" % (r.randrange(0, 40), r.randrange(0, 255), r.randrange(2, 254))
                        for _ in range(40)]
        self.vpce = "vpce-%s" % r.hexs(17)
        self.instances = ["i-%s" % r.hexs(17) for _ in range(30)]
        self.sgs = ["sg-%s" % r.hexs(17) for _ in range(12)]
        self.subnets = ["subnet-%s" % r.hexs(17) for _ in range(6)]
        self.vpcs = ["vpc-%s" % r.hexs(17) for _ in range(2)]
        self.amis = ["ami-%s" % r.hexs(17) for _ in range(5)]
        self.kms_keys = [r.uuid() for _ in range(6)]
        self.functions = ["%s-%s" % (name, f) for f in ("order-processor", "thumbnailer", "audit-forwarder",
                                                         "nightly-report", "api-authorizer", "s3-indexer")]
        self.buckets = ["%s-%s" % (name, b) for b in ("app-assets", "data-lake", "finance-reports",
                                                      "backups", "build-artifacts")]
        self.secrets = ["%s/db/master" % name, "%s/api/stripe" % name, "%s/oauth/client" % name]
        self.tables = ["orders", "sessions", "customers"]
        self.sso_suffix = r.hexs(16)
        self.principals = self._principals(r)

    # -- identities -------------------------------------------------------
    def _principals(self, r):
        a = self.id
        P = {}
        users = []
        for i, first in enumerate(FIRST[:6]):
            users.append({"kind": "user", "name": first, "pid": "AIDA" + r.alnum(17, UPPER_ALNUM),
                          "key": "AKIA" + r.alnum(16, UPPER_ALNUM), "console": i < 4})
        for bot in ("deploy-bot", "svc-backup", "terraform-ci", "datadog-integration"):
            users.append({"kind": "user", "name": bot, "pid": "AIDA" + r.alnum(17, UPPER_ALNUM),
                          "key": "AKIA" + r.alnum(16, UPPER_ALNUM), "console": False})
        P["users"] = users
        roles = []

        def role(name, path="", kind="app", session=None):
            rid = "AROA" + r.alnum(17, UPPER_ALNUM)
            arn = "arn:aws:iam::%s:role/%s%s" % (a, path, name)
            roles.append({"kind": kind, "name": name, "rid": rid,
                          "issuer": {"type": "Role", "principalId": rid, "arn": arn,
                                     "accountId": a, "userName": name},
                          "session": session})
        role("app-server-role", kind="instance")
        role("batch-worker-role", kind="instance")
        for f in self.functions:
            role(f + "-role", path="service-role/", kind="lambda", session=f)
        role("glue-etl-role", path="service-role/", kind="app", session="GlueJobRunnerSession")
        role("AWSReservedSSO_AdministratorAccess_" + self.sso_suffix,
             path="aws-reserved/sso.amazonaws.com/", kind="sso")
        role("AWSReservedSSO_ReadOnlyAccess_" + self.sso_suffix[::-1],
             path="aws-reserved/sso.amazonaws.com/", kind="sso")
        role("github-actions-deploy", kind="webid", session="GitHubActions")
        role("OrganizationAccountAccessRole", kind="xacct", session="admin-break-glass")
        role("partner-readonly", kind="partner", session="partner-audit")
        role("AWSServiceRoleForAutoScaling", path="aws-service-role/autoscaling.amazonaws.com/",
             kind="slr", session="AutoScaling")
        role("AWSServiceRoleForConfig", path="aws-service-role/config.amazonaws.com/",
             kind="slr", session="AWSConfig-Describe")
        P["roles"] = roles
        P["emails"] = ["%s.%s@example.com" % (f, l) for f, l in zip(FIRST, LAST)]
        P["saml_provider"] = "arn:aws:iam::%s:saml-provider/Okta" % a
        P["root_pid"] = a
        return P


# indexes into Account.principals["roles"]
R_INSTANCE = (0, 1)
R_WORKLOAD = (0, 1, 2, 3, 4, 5, 6, 7, 8)      # instance roles, lambda roles, glue
R_SSO_ADMIN = 9                               # 10 is the read-only SSO role
R_GHA = 11
R_XACCT = 12
R_PARTNER = 13
R_SLR = (14, 15)


class Ctx:
    """Per-record context shared by the builders."""
    __slots__ = ("r", "acct", "region", "t", "templates")


# --- userIdentity builders (dynamic parts only; static sub-objects shared) --

def ident_user(c, u, console=False):
    r, a = c.r, c.acct
    d = {"type": "IAMUser", "principalId": u["pid"], "arn": "arn:aws:iam::%s:user/%s" % (a.id, u["name"]),
         "accountId": a.id, "accessKeyId": ("ASIA" + r.alnum(16, UPPER_ALNUM)) if console else u["key"],
         "userName": u["name"]}
    if console:
        d["sessionContext"] = {"attributes": {"creationDate": iso(c.t - r.randrange(60, 28800)),
                                              "mfaAuthenticated": r.choice(("true", "true", "false"))}}
    return d


def ident_role(c, ro, session=None):
    r, a = c.r, c.acct
    if session is None:
        session = ro["session"]
        if session is None:
            if ro["kind"] == "instance":
                session = r.choice(a.instances)
            elif ro["kind"] == "sso":
                session = r.choice(a.principals["emails"])
            else:
                session = "session-%d" % r.randrange(10 ** 9, 10 ** 10)
    sc = {"sessionIssuer": ro["issuer"], "attributes": {
        "creationDate": iso(c.t - r.randrange(30, 3600)), "mfaAuthenticated": "false"}}
    if ro["kind"] == "instance":
        sc["ec2RoleDelivery"] = r.choice(("2.0", "2.0", "2.0", "1.0"))
    elif ro["kind"] == "webid":
        sc["webIdFederationData"] = {"federatedProvider": "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % a.id,
                                     "attributes": {}}
    elif ro["kind"] == "sso" and r.random() < 0.3:
        sc["sourceIdentity"] = session
    d = {"type": "AssumedRole", "principalId": "%s:%s" % (ro["rid"], session),
         "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (a.id, ro["name"], session),
         "accountId": a.id, "accessKeyId": "ASIA" + r.alnum(16, UPPER_ALNUM), "sessionContext": sc}
    if ro["kind"] == "slr":
        d["invokedBy"] = ro["issuer"]["arn"].split("/")[-2]
    if ro["kind"] == "lambda" and r.random() < 0.5:
        d["inScopeOf"] = {"sourceArn": "arn:aws:lambda:%s:%s:function:%s" % (c.region, a.id, ro["session"]),
                          "sourceAccount": a.id, "issuerType": "AWS::Lambda::Function",
                          "credentialsIssuedTo": ro["issuer"]["arn"]}
    return d


def ident_service(c, svc=None):
    return {"type": "AWSService", "invokedBy": svc or c.r.choice(SERVICE_PRINCIPALS)}


def ident_account(c):
    r = c.r
    return {"type": "AWSAccount", "principalId": "AROA%s:partner-audit" % r.alnum(17, UPPER_ALNUM),
            "accountId": PARTNER_ACCOUNT}


def ident_root(c, console=False):
    r, a = c.r, c.acct
    d = {"type": "Root", "principalId": a.id, "arn": "arn:aws:iam::%s:root" % a.id, "accountId": a.id,
         "accessKeyId": ("ASIA" + r.alnum(16, UPPER_ALNUM)) if console else ""}
    if console:
        d["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {},
                               "attributes": {"creationDate": iso(c.t - r.randrange(60, 3600)),
                                              "mfaAuthenticated": "true"}}
    return d


def ident_federated(c):
    r, a = c.r, c.acct
    u = a.principals["users"][9]
    name = "reporting-%d" % r.randrange(1, 9)
    return {"type": "FederatedUser", "principalId": "%s:%s" % (a.id, name),
            "arn": "arn:aws:sts::%s:federated-user/%s" % (a.id, name), "accountId": a.id,
            "accessKeyId": "ASIA" + r.alnum(16, UPPER_ALNUM),
            "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": u["pid"],
                                                 "arn": "arn:aws:iam::%s:user/%s" % (a.id, u["name"]),
                                                 "accountId": a.id, "userName": u["name"]},
                               "webIdFederationData": {},
                               "attributes": {"creationDate": iso(c.t - r.randrange(60, 3600)),
                                              "mfaAuthenticated": "false"}}}


def ident_identity_center(c):
    r, a = c.r, c.acct
    return {"type": "IdentityCenterUser", "accountId": a.id,
            "onBehalfOf": {"userId": r.uuid(),
                           "identityStoreArn": "arn:aws:identitystore::%s:identitystore/d-906755c8f3" % MGMT_ACCOUNT},
            "credentialId": r.alnum(40)}


def ident_saml(c):
    r, a = c.r, c.acct
    email = r.choice(a.principals["emails"])
    return {"type": "SAMLUser", "principalId": "Wd3sE1ZkX9ZmJ0vZ7aP0mQ==:%s" % email, "userName": email,
            "identityProvider": "Wd3sE1ZkX9ZmJ0vZ7aP0mQ=="}


def ident_webid(c):
    r = c.r
    sub = "repo:acme/%s:ref:refs/heads/main" % r.choice(("web", "api", "infra"))
    return {"type": "WebIdentityUser", "principalId": "token.actions.githubusercontent.com:sts.amazonaws.com:%s" % sub,
            "userName": sub, "identityProvider": "token.actions.githubusercontent.com"}


def ident_directory(c):
    r, a = c.r, c.acct
    return {"type": "Directory", "principalId": "d-%s:S-1-5-21-%d" % (r.hexs(10), r.randrange(10 ** 9, 10 ** 10)),
            "accountId": a.id, "userName": r.choice(FIRST)}


def ident_unknown(c):
    r, a = c.r, c.acct
    return {"type": "Unknown", "principalId": a.id, "accountId": a.id, "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}


def ident_any(c, style="mixed"):
    """A caller for a management event; returns (identity, source ip, user agent, tls?)."""
    r, a = c.r, c.acct
    x = r.random()
    P = a.principals
    if x < 0.22:            # AWS services acting for the account
        ident = ident_service(c)
        return ident, ident["invokedBy"], ident["invokedBy"], False
    x = (x - 0.22) / 0.78
    if x < 0.34:            # SSO role from a laptop / console
        ro = P["roles"][R_SSO_ADMIN + (r.random() < 0.6)]
        ident = ident_role(c, ro)
        if r.random() < 0.5:
            return ident, r.choice(a.office_ips + a.home_ips + a.ipv6), r.choice(CONSOLE_AGENTS), True
        return ident, r.choice(a.office_ips + a.home_ips), None, True
    if x < 0.56:            # workloads (instance, lambda, etl)
        ro = P["roles"][r.choice(R_WORKLOAD)]
        return ident_role(c, ro), r.choice(a.vpc_ips) if ro["kind"] == "instance" else r.choice(
            ("3.%d.%d.%d" % (r.randrange(80, 240), r.randrange(256), r.randrange(1, 255)),
             "AWS Internal")), None, True
    if x < 0.70:            # long-term keys of humans and bots
        u = r.choice(P["users"])
        return ident_user(c, u), r.choice(a.office_ips + a.vpc_ips), None, True
    if x < 0.78:            # CI via OIDC
        return ident_role(c, P["roles"][R_GHA]), "%d.%d.%d.%d" % (r.choice((4, 13, 20, 40, 52)), r.randrange(256),
                                                               r.randrange(256), r.randrange(1, 255)), None, True
    if x < 0.86:            # service-linked roles / AWS services
        if r.random() < 0.5:
            ro = P["roles"][r.choice(R_SLR)]
            return ident_role(c, ro), ro["issuer"]["arn"].split("/")[-2], None, False
        ident = ident_service(c)
        return ident, ident["invokedBy"], ident["invokedBy"], False
    if x < 0.89:
        return ident_account(c), "AWS Internal", "AWS Internal", False
    if x < 0.92:
        return ident_role(c, P["roles"][R_XACCT]), r.choice(a.office_ips), None, True
    if x < 0.94:
        return ident_federated(c), r.choice(a.office_ips), None, True
    if x < 0.965:
        return ident_identity_center(c), r.choice(a.office_ips + a.home_ips), r.choice(USER_AGENTS_BROWSER), True
    if x < 0.975:
        return ident_directory(c), r.choice(a.office_ips), r.choice(USER_AGENTS_BROWSER), True
    if x < 0.985:
        return ident_root(c, console=True), r.choice(a.office_ips), r.choice(USER_AGENTS_BROWSER), True
    return ident_role(c, P["roles"][R_PARTNER]), "AWS Internal", "AWS Internal", False


def agent_for(c, ua, svc, cmd):
    if ua is not None:
        return ua
    t = c.r.choice(USER_AGENTS_SDK)
    return t.replace("{cmd}", cmd).replace("{svc}", svc)


def tls_for(c, host):
    t = dict(c.r.choice(TLS))
    t["clientProvidedHostHeader"] = host
    return t


# --------------------------------------------------------------------------
# Management events
# --------------------------------------------------------------------------

def p_none(c):
    return None


def kebab(name):
    out = []
    for ch in name:
        if ch.isupper() and out:
            out.append("-")
        out.append(ch.lower())
    return "".join(out)


def mgmt_catalog():
    """(weight, source, name, readOnly, request builder, response builder, resources builder)."""
    C = []

    def add(w, src, name, ro, req=p_none, resp=p_none, res=None):
        C.append((w, src, name, ro, req, resp, res))

    # --- STS
    def assume_req(c):
        a = c.acct
        ro = c.r.choice(a.principals["roles"])
        return {"roleArn": ro["issuer"]["arn"], "roleSessionName": ro["session"] or "botocore-session-%d" % c.r.randrange(10 ** 9, 10 ** 10),
                "durationSeconds": c.r.choice((900, 3600, 3600, 43200))}

    def assume_resp(c):
        r = c.r
        return {"credentials": {"accessKeyId": "ASIA" + r.alnum(16, UPPER_ALNUM),
                                "sessionToken": "IQoJb3JpZ2luX2VjE" + r.alnum(180),
                                "expiration": java_date(c.t + 3600)},
                "assumedRoleUser": {"assumedRoleId": "AROA%s:%s" % (r.alnum(17, UPPER_ALNUM), "session"),
                                    "arn": "arn:aws:sts::%s:assumed-role/%s/session" % (c.acct.id, "app")}}

    def role_res(c):
        ro = c.r.choice(c.acct.principals["roles"])
        return [{"accountId": c.acct.id, "type": "AWS::IAM::Role", "ARN": ro["issuer"]["arn"]}]
    add(9, "sts.amazonaws.com", "AssumeRole", True, assume_req, assume_resp, role_res)
    add(3, "sts.amazonaws.com", "GetCallerIdentity", True)
    add(1.2, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", True,
        lambda c: {"roleArn": c.acct.principals["roles"][R_GHA]["issuer"]["arn"], "roleSessionName": "GitHubActions"},
        assume_resp)
    add(0.4, "sts.amazonaws.com", "AssumeRoleWithSAML", True,
        lambda c: {"SAMLAssertionID": "_" + c.r.hexs(32), "roleSessionName": c.r.choice(c.acct.principals["emails"]),
                   "principalArn": c.acct.principals["saml_provider"], "durationSeconds": 3600,
                   "roleArn": c.acct.principals["roles"][R_SSO_ADMIN]["issuer"]["arn"]}, assume_resp)
    add(0.5, "sts.amazonaws.com", "GetSessionToken", True, lambda c: {"durationSeconds": 43200}, assume_resp)

    # --- EC2
    add(7, "ec2.amazonaws.com", "DescribeInstances", True,
        lambda c: {"instancesSet": {}, "filterSet": {"items": [{"name": "instance-state-name", "valueSet": {"items": [{"value": "running"}]}}]}} if c.r.random() < 0.5 else {"maxResults": 1000, "instancesSet": {}, "filterSet": {}})
    add(3, "ec2.amazonaws.com", "DescribeSecurityGroups", True,
        lambda c: {"securityGroupSet": {}, "securityGroupIdSet": {"items": [{"groupId": c.r.choice(c.acct.sgs)}]}, "filterSet": {}})
    add(2.5, "ec2.amazonaws.com", "DescribeVolumes", True, lambda c: {"volumeSet": {}, "filterSet": {}})
    add(2, "ec2.amazonaws.com", "DescribeSubnets", True, lambda c: {"subnetSet": {}, "filterSet": {"items": [{"name": "vpc-id", "valueSet": {"items": [{"value": c.r.choice(c.acct.vpcs)}]}}]}})
    add(1.5, "ec2.amazonaws.com", "DescribeVpcs", True, lambda c: {"vpcSet": {}, "filterSet": {}})
    add(2, "ec2.amazonaws.com", "DescribeInstanceStatus", True, lambda c: {"instancesSet": {}, "filterSet": {}, "includeAllInstances": False})
    add(1.5, "ec2.amazonaws.com", "DescribeSnapshots", True, lambda c: {"snapshotSet": {}, "ownersSet": {"items": [{"owner": "self"}]}, "filterSet": {}})
    add(1, "ec2.amazonaws.com", "DescribeNetworkInterfaces", True, lambda c: {"networkInterfaceIdSet": {}, "filterSet": {}})

    def run_req(c):
        r, a = c.r, c.acct
        return {"instancesSet": {"items": [{"imageId": r.choice(a.amis), "minCount": 1, "maxCount": r.choice((1, 1, 2, 4))}]},
                "instanceType": r.choice(("t3.micro", "m6i.large", "c7g.xlarge", "r6i.2xlarge")),
                "blockDeviceMapping": {}, "monitoring": {"enabled": False}, "disableApiTermination": False,
                "disableApiStop": False, "clientToken": r.uuid(), "subnetId": r.choice(a.subnets),
                "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": "worker-%d" % r.randrange(100)}, {"key": "team", "value": "platform"}]}]},
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}}

    def run_resp(c):
        r, a = c.r, c.acct
        iid = "i-" + r.hexs(17)
        ip = "10.%d.%d.%d" % (r.randrange(40), r.randrange(256), r.randrange(2, 254))
        return {"requestId": r.uuid(), "reservationId": "r-" + r.hexs(17), "ownerId": a.id, "groupSet": {},
                "instancesSet": {"items": [{
                    "instanceId": iid, "imageId": r.choice(a.amis), "currentInstanceBootMode": "uefi",
                    "instanceState": {"code": 0, "name": "pending"}, "privateDnsName": "ip-%s.ec2.internal" % ip.replace(".", "-"),
                    "amiLaunchIndex": 0, "productCodes": {}, "instanceType": "m6i.large", "launchTime": c.t * 1000,
                    "placement": {"availabilityZone": c.region + "a", "tenancy": "default"},
                    "monitoring": {"state": "disabled"}, "subnetId": r.choice(a.subnets), "vpcId": a.vpcs[0],
                    "privateIpAddress": ip, "stateReason": {"code": "pending", "message": "pending"},
                    "architecture": "x86_64", "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda",
                    "blockDeviceMapping": {}, "virtualizationType": "hvm", "hypervisor": "xen",
                    "tagSet": {"items": [{"key": "Name", "value": "worker"}]},
                    "groupSet": {"items": [{"groupId": r.choice(a.sgs), "groupName": "default"}]},
                    "sourceDestCheck": True,
                    "networkInterfaceSet": {"items": [{"networkInterfaceId": "eni-" + r.hexs(17), "subnetId": r.choice(a.subnets),
                                                       "vpcId": a.vpcs[0], "ownerId": a.id, "status": "in-use",
                                                       "macAddress": "0e:%02x:%02x:%02x:%02x:%02x" % tuple(r.randrange(256) for _ in range(5)),
                                                       "privateIpAddress": ip, "sourceDestCheck": True,
                                                       "interfaceType": "interface",
                                                       "groupSet": {"items": [{"groupId": r.choice(a.sgs), "groupName": "default"}]},
                                                       "attachment": {"attachmentId": "eni-attach-" + r.hexs(17), "deviceIndex": 0,
                                                                      "networkCardIndex": 0, "status": "attaching",
                                                                      "attachTime": c.t * 1000, "deleteOnTermination": True},
                                                       "privateIpAddressesSet": {"item": [{"privateIpAddress": ip, "primary": True}]},
                                                       "ipv6AddressesSet": {}, "tagSet": {}}]},
                    "ebsOptimized": True, "enaSupport": True, "cpuOptions": {"coreCount": 1, "threadsPerCore": 2},
                    "capacityReservationSpecification": {"capacityReservationPreference": "open"},
                    "enclaveOptions": {"enabled": False},
                    "metadataOptions": {"state": "pending", "httpTokens": "required", "httpPutResponseHopLimit": 2,
                                        "httpEndpoint": "enabled", "httpProtocolIpv4": "enabled", "httpProtocolIpv6": "disabled",
                                        "instanceMetadataTags": "disabled"},
                    "maintenanceOptions": {"autoRecovery": "default"},
                    "privateDnsNameOptions": {"hostnameType": "ip-name", "enableResourceNameDnsARecord": False,
                                              "enableResourceNameDnsAAAARecord": False}}]}}
    add(0.6, "ec2.amazonaws.com", "RunInstances", False, run_req, run_resp)
    add(0.5, "ec2.amazonaws.com", "TerminateInstances", False,
        lambda c: {"instancesSet": {"items": [{"instanceId": c.r.choice(c.acct.instances)}]}},
        lambda c: {"requestId": c.r.uuid(), "instancesSet": {"items": [{"instanceId": c.r.choice(c.acct.instances), "currentState": {"code": 32, "name": "shutting-down"}, "previousState": {"code": 16, "name": "running"}}]}})
    add(0.4, "ec2.amazonaws.com", "StopInstances", False,
        lambda c: {"instancesSet": {"items": [{"instanceId": c.r.choice(c.acct.instances)}]}, "force": False},
        lambda c: {"requestId": c.r.uuid(), "instancesSet": {"items": [{"instanceId": c.r.choice(c.acct.instances), "currentState": {"code": 64, "name": "stopping"}, "previousState": {"code": 16, "name": "running"}}]}})
    add(0.4, "ec2.amazonaws.com", "StartInstances", False,
        lambda c: {"instancesSet": {"items": [{"instanceId": c.r.choice(c.acct.instances)}]}},
        lambda c: {"requestId": c.r.uuid(), "instancesSet": {"items": [{"instanceId": c.r.choice(c.acct.instances), "currentState": {"code": 0, "name": "pending"}, "previousState": {"code": 80, "name": "stopped"}}]}})

    def sg_req(c):
        r = c.r
        port = r.choice((22, 443, 5432, 3389, 8080))
        return {"groupId": r.choice(c.acct.sgs), "ipPermissions": {"items": [{
            "ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
            "ipRanges": {"items": [{"cidrIp": r.choice(("0.0.0.0/0", "10.0.0.0/8", r.choice(c.acct.office_ips) + "/32"))}]},
            "ipv6Ranges": {}, "prefixListIds": {}}]}}

    def sg_resp(c):
        r = c.r
        return {"requestId": r.uuid(), "_return": True, "securityGroupRuleSet": {"items": [{
            "groupOwnerId": c.acct.id, "groupId": r.choice(c.acct.sgs), "securityGroupRuleId": "sgr-" + r.hexs(17),
            "isEgress": False, "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}]}}
    add(0.5, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", False, sg_req, sg_resp)
    add(1.2, "ec2.amazonaws.com", "CreateTags", False,
        lambda c: {"resourcesSet": {"items": [{"resourceId": c.r.choice(c.acct.instances)}]},
                   "tagSet": {"items": [{"key": "owner", "value": c.r.choice(FIRST)}, {"key": "cost-center", "value": str(c.r.randrange(1000, 9999))}]}},
        lambda c: {"requestId": c.r.uuid(), "_return": True})
    add(0.5, "ec2.amazonaws.com", "CreateSnapshot", False,
        lambda c: {"volumeId": "vol-" + c.r.hexs(17), "description": "nightly backup"},
        lambda c: {"requestId": c.r.uuid(), "snapshotId": "snap-" + c.r.hexs(17), "volumeId": "vol-" + c.r.hexs(17),
                   "status": "pending", "startTime": c.t * 1000, "progress": "", "ownerId": c.acct.id,
                   "volumeSize": c.r.choice((8, 50, 100, 500)), "encrypted": True, "storageTier": "standard"})

    # --- IAM (global: recorded in us-east-1; the stream builder enforces it)
    add(2.0, "iam.amazonaws.com", "GetUser", True, lambda c: {"userName": c.r.choice(FIRST)})
    add(1.5, "iam.amazonaws.com", "ListRoles", True, lambda c: {"maxItems": 100} if c.r.random() < 0.5 else None)
    add(1.0, "iam.amazonaws.com", "ListUsers", True)
    add(1.5, "iam.amazonaws.com", "GetRole", True, lambda c: {"roleName": c.r.choice(c.acct.principals["roles"])["name"]})
    add(1.0, "iam.amazonaws.com", "ListAttachedRolePolicies", True, lambda c: {"roleName": c.r.choice(c.acct.principals["roles"])["name"]})
    add(0.8, "iam.amazonaws.com", "GetPolicyVersion", True, lambda c: {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "versionId": "v%d" % c.r.randrange(1, 120)})
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                                                  "Resource": ["arn:aws:s3:::data-lake", "arn:aws:s3:::data-lake/*"]}]}, indent=4)
    add(0.3, "iam.amazonaws.com", "PutRolePolicy", False,
        lambda c: {"roleName": c.r.choice(c.acct.principals["roles"])["name"], "policyName": "inline-s3-read", "policyDocument": policy})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    add(0.15, "iam.amazonaws.com", "CreateRole", False,
        lambda c: {"roleName": "svc-%s" % c.r.hexs(6), "assumeRolePolicyDocument": trust, "path": "/service-role/"},
        lambda c: {"role": {"path": "/service-role/", "roleName": "svc", "roleId": "AROA" + c.r.alnum(17, UPPER_ALNUM),
                            "arn": "arn:aws:iam::%s:role/service-role/svc" % c.acct.id, "createDate": java_date(c.t),
                            "assumeRolePolicyDocument": trust.replace('"', "%22").replace(" ", "%20")}})
    add(0.1, "iam.amazonaws.com", "CreateUser", False,
        lambda c: {"userName": "%s.%s" % (c.r.choice(FIRST), c.r.choice(LAST))},
        lambda c: {"user": {"path": "/", "userName": "new.user", "userId": "AIDA" + c.r.alnum(17, UPPER_ALNUM),
                            "arn": "arn:aws:iam::%s:user/new.user" % c.acct.id, "createDate": java_date(c.t)}})
    add(0.1, "iam.amazonaws.com", "AttachUserPolicy", False,
        lambda c: {"userName": c.r.choice(FIRST), "policyArn": "arn:aws:iam::aws:policy/" + c.r.choice(("ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "PowerUserAccess"))})
    add(0.15, "iam.amazonaws.com", "CreateAccessKey", False,
        lambda c: {"userName": c.r.choice(("deploy-bot", "terraform-ci", "datadog-integration"))},
        lambda c: {"accessKey": {"userName": "deploy-bot", "accessKeyId": "AKIA" + c.r.alnum(16, UPPER_ALNUM),
                                 "status": "Active", "createDate": java_date(c.t)}})
    add(0.15, "iam.amazonaws.com", "DeleteAccessKey", False,
        lambda c: {"userName": c.r.choice(("deploy-bot", "terraform-ci")), "accessKeyId": "AKIA" + c.r.alnum(16, UPPER_ALNUM)})
    add(0.1, "iam.amazonaws.com", "UpdateAssumeRolePolicy", False,
        lambda c: {"roleName": c.r.choice(c.acct.principals["roles"])["name"], "policyDocument": trust})

    # --- KMS
    def kms_res(c):
        return [{"accountId": c.acct.id, "type": "AWS::KMS::Key",
                 "ARN": "arn:aws:kms:%s:%s:key/%s" % (c.region, c.acct.id, c.r.choice(c.acct.kms_keys))}]

    def kms_req(c):
        r = c.r
        d = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        x = r.random()
        if x < 0.4:
            d["encryptionContext"] = {"aws:s3:arn": "arn:aws:s3:::%s/%s" % (r.choice(c.acct.buckets), s3_key(r))}
        elif x < 0.7:
            d["encryptionContext"] = {"aws:lambda:FunctionArn": "arn:aws:lambda:%s:%s:function:%s" % (c.region, c.acct.id, r.choice(c.acct.functions))}
        else:
            d["encryptionContext"] = {"SecretARN": "arn:aws:secretsmanager:%s:%s:secret:%s-%s" % (c.region, c.acct.id, r.choice(c.acct.secrets), r.alnum(6)),
                                      "SecretVersionId": r.uuid()}
        return d
    add(8, "kms.amazonaws.com", "Decrypt", True, kms_req, p_none, kms_res)
    add(4, "kms.amazonaws.com", "GenerateDataKey", True,
        lambda c: {"keyId": "arn:aws:kms:%s:%s:key/%s" % (c.region, c.acct.id, c.r.choice(c.acct.kms_keys)), "keySpec": "AES_256",
                   "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::%s" % c.r.choice(c.acct.buckets)}}, p_none, kms_res)
    add(1, "kms.amazonaws.com", "Encrypt", True,
        lambda c: {"keyId": "alias/%s-app" % c.acct.name, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, p_none, kms_res)
    add(0.5, "kms.amazonaws.com", "DescribeKey", True, lambda c: {"keyId": c.r.choice(c.acct.kms_keys)}, p_none, kms_res)

    # --- CloudTrail
    add(0.8, "cloudtrail.amazonaws.com", "LookupEvents", True,
        lambda c: {"maxResults": 50, "lookupAttributes": [{"attributeKey": "EventName", "attributeValue": c.r.choice(("ConsoleLogin", "CreateUser", "DeleteBucket"))}]})
    add(1.0, "cloudtrail.amazonaws.com", "DescribeTrails", True, lambda c: {"includeShadowTrails": True, "trailNameList": []})
    add(0.8, "cloudtrail.amazonaws.com", "GetTrailStatus", True,
        lambda c: {"name": "arn:aws:cloudtrail:%s:%s:trail/%s" % (HOME_REGION, c.acct.id, c.acct.trail)})
    add(0.3, "cloudtrail.amazonaws.com", "GetEventSelectors", True, lambda c: {"trailName": c.acct.trail})
    add(0.01, "cloudtrail.amazonaws.com", "StopLogging", False,
        lambda c: {"name": "arn:aws:cloudtrail:%s:%s:trail/%s" % (HOME_REGION, c.acct.id, c.acct.trail)})
    add(0.01, "cloudtrail.amazonaws.com", "StartLogging", False,
        lambda c: {"name": "arn:aws:cloudtrail:%s:%s:trail/%s" % (HOME_REGION, c.acct.id, c.acct.trail)})
    add(0.02, "cloudtrail.amazonaws.com", "PutEventSelectors", False,
        lambda c: {"trailName": c.acct.trail, "advancedEventSelectors": [
            {"name": "S3 data events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]},
                                                          {"field": "resources.type", "equals": ["AWS::S3::Object"]}]},
            {"name": "Management events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}]})

    # --- Lambda
    add(1.0, "lambda.amazonaws.com", "ListFunctions20150331", True, lambda c: {"functionVersion": "ALL"} if c.r.random() < 0.3 else None)
    add(1.2, "lambda.amazonaws.com", "GetFunction20150331v2", True, lambda c: {"functionName": c.r.choice(c.acct.functions)})
    add(0.3, "lambda.amazonaws.com", "GetFunctionConfiguration20150331v2", True, lambda c: {"functionName": c.r.choice(c.acct.functions)})

    def lambda_cfg(c):
        r, a = c.r, c.acct
        fn = r.choice(a.functions)
        return {"functionName": fn, "functionArn": "arn:aws:lambda:%s:%s:function:%s" % (c.region, a.id, fn),
                "runtime": r.choice(("python3.12", "nodejs20.x", "java21")), "role": "arn:aws:iam::%s:role/service-role/%s-role" % (a.id, fn),
                "handler": "app.handler", "codeSize": r.randrange(2000, 40000000), "description": "", "timeout": 30,
                "memorySize": r.choice((128, 512, 1024)), "lastModified": iso(c.t).replace("Z", ".000+0000"),
                "codeSha256": r.alnum(43) + "=", "version": "$LATEST",
                "tracingConfig": {"mode": "PassThrough"}, "revisionId": r.uuid(), "state": "Active",
                "lastUpdateStatus": "InProgress", "lastUpdateStatusReason": "The function is being created.",
                "lastUpdateStatusReasonCode": "Creating", "packageType": "Zip", "architectures": ["x86_64"],
                "ephemeralStorage": {"size": 512}, "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
                "runtimeVersionConfig": {"runtimeVersionArn": "arn:aws:lambda:%s::runtime:%s" % (c.region, r.hexs(64))},
                "loggingConfig": {"logFormat": "Text", "logGroup": "/aws/lambda/" + fn}}
    add(0.25, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", False,
        lambda c: {"functionName": c.r.choice(c.acct.functions), "publish": False, "dryRun": False,
                   "s3Bucket": c.acct.buckets[4], "s3Key": "lambda/%s.zip" % c.r.hexs(12)}, lambda_cfg)
    add(0.15, "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", False,
        lambda c: {"functionName": c.r.choice(c.acct.functions), "timeout": 60,
                   "environment": {"variables": "HIDDEN_DUE_TO_SECURITY_REASONS"}}, lambda_cfg)

    # --- S3 control plane (management)
    def bucket_req(c):
        b = c.r.choice(c.acct.buckets)
        return {"bucketName": b, "Host": "%s.s3.%s.amazonaws.com" % (b, c.region), "acl": ""}
    add(2.0, "s3.amazonaws.com", "GetBucketAcl", True, bucket_req)
    add(1.5, "s3.amazonaws.com", "GetBucketLocation", True, lambda c: {"bucketName": c.r.choice(c.acct.buckets), "Host": "s3.amazonaws.com", "location": ""})
    add(1.5, "s3.amazonaws.com", "ListBuckets", True, lambda c: {"Host": "s3.%s.amazonaws.com" % c.region})
    add(0.8, "s3.amazonaws.com", "GetBucketPolicy", True, lambda c: {"bucketName": c.r.choice(c.acct.buckets), "Host": "s3.amazonaws.com", "policy": ""})
    add(0.6, "s3.amazonaws.com", "GetBucketEncryption", True, lambda c: {"bucketName": c.r.choice(c.acct.buckets), "Host": "s3.amazonaws.com", "encryption": ""})
    add(0.05, "s3.amazonaws.com", "PutBucketPolicy", False,
        lambda c: {"bucketName": c.r.choice(c.acct.buckets), "Host": "s3.amazonaws.com",
                   "bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*",
                                                                             "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*",
                                                                             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
                   "policy": ""})
    add(0.05, "s3.amazonaws.com", "PutBucketVersioning", False,
        lambda c: {"bucketName": c.r.choice(c.acct.buckets), "Host": "s3.amazonaws.com",
                   "VersioningConfiguration": {"Status": "Enabled", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}, "versioning": ""})

    # --- logs, monitoring, ssm, secrets, ecr, rds, dynamodb control plane
    add(2.0, "logs.amazonaws.com", "CreateLogStream", False,
        lambda c: {"logGroupName": "/aws/lambda/" + c.r.choice(c.acct.functions),
                   "logStreamName": "%s/[$LATEST]%s" % (time.strftime("%Y/%m/%d", time.gmtime(c.t)), c.r.hexs(32))})
    add(1.5, "logs.amazonaws.com", "DescribeLogGroups", True, lambda c: {"limit": 50})
    add(1.5, "monitoring.amazonaws.com", "DescribeAlarms", True, lambda c: {"maxRecords": 100})
    add(0.2, "monitoring.amazonaws.com", "PutMetricAlarm", False,
        lambda c: {"alarmName": "%s-5xx" % c.r.choice(c.acct.functions), "metricName": "Errors", "namespace": "AWS/Lambda",
                   "statistic": "Sum", "period": 60, "evaluationPeriods": 5, "threshold": 1.0,
                   "comparisonOperator": "GreaterThanOrEqualToThreshold", "treatMissingData": "notBreaching",
                   "dimensions": [{"name": "FunctionName", "value": c.r.choice(c.acct.functions)}],
                   "alarmActions": ["arn:aws:sns:%s:%s:oncall" % (c.region, c.acct.id)]})
    add(3.0, "ssm.amazonaws.com", "UpdateInstanceInformation", False,
        lambda c: {"instanceId": c.r.choice(c.acct.instances), "agentVersion": "3.3.%d.0" % c.r.randrange(100, 999),
                   "agentStatus": "Active", "platformType": "Linux", "platformName": "Amazon Linux",
                   "platformVersion": "2023", "iPAddress": c.r.choice(c.acct.vpc_ips), "computerName": "ip-10-0-1-10.ec2.internal",
                   "agentName": "amazon-ssm-agent", "availabilityZone": c.region + "b", "availabilityZoneId": "use1-az4"})
    add(2.0, "ssm.amazonaws.com", "DescribeInstanceInformation", True, lambda c: {"maxResults": 50})
    add(2.0, "ssm.amazonaws.com", "GetParameter", True,
        lambda c: {"name": "/%s/%s" % (c.acct.name, c.r.choice(("db/host", "feature-flags", "api/endpoint", "db/password"))),
                   "withDecryption": c.r.random() < 0.4})
    add(0.8, "ssm.amazonaws.com", "GetParameters", True,
        lambda c: {"names": ["/%s/app/%s" % (c.acct.name, k) for k in ("log-level", "region", "queue-url")], "withDecryption": False})
    add(2.0, "secretsmanager.amazonaws.com", "GetSecretValue", True,
        lambda c: {"secretId": "arn:aws:secretsmanager:%s:%s:secret:%s-%s" % (c.region, c.acct.id, c.r.choice(c.acct.secrets), c.r.alnum(6))})
    add(0.5, "secretsmanager.amazonaws.com", "ListSecrets", True, lambda c: {"maxResults": 100})
    add(1.5, "ecr.amazonaws.com", "GetAuthorizationToken", True, lambda c: {"registryIds": [c.acct.id]} if c.r.random() < 0.3 else None,
        lambda c: {"authorizationData": [{"authorizationToken": "HIDDEN_DUE_TO_SECURITY_REASONS", "expiresAt": java_date(c.t + 43200),
                                          "proxyEndpoint": "https://%s.dkr.ecr.%s.amazonaws.com" % (c.acct.id, c.region)}]})
    add(1.0, "ecr.amazonaws.com", "BatchGetImage", True,
        lambda c: {"repositoryName": c.r.choice(("api", "web", "worker")), "registryId": c.acct.id,
                   "imageIds": [{"imageTag": "sha-" + c.r.hexs(7)}],
                   "acceptedMediaTypes": ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"]})
    add(1.0, "rds.amazonaws.com", "DescribeDBInstances", True, lambda c: {"maxRecords": 100})
    add(0.8, "dynamodb.amazonaws.com", "DescribeTable", True, lambda c: {"tableName": c.r.choice(c.acct.tables)})
    add(1.0, "elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", True,
        lambda c: {"targetGroupArn": "arn:aws:elasticloadbalancing:%s:%s:targetgroup/api/%s" % (c.region, c.acct.id, c.r.hexs(16))})
    add(0.8, "autoscaling.amazonaws.com", "DescribeAutoScalingGroups", True, lambda c: {"maxRecords": 100})
    add(0.5, "config.amazonaws.com", "PutEvaluations", False,
        lambda c: {"evaluations": [{"complianceResourceType": "AWS::S3::Bucket", "complianceResourceId": c.r.choice(c.acct.buckets),
                                    "complianceType": c.r.choice(("COMPLIANT", "NON_COMPLIANT")), "orderingTimestamp": java_date(c.t)}],
                   "resultToken": c.r.alnum(120), "testMode": False})
    add(0.6, "sso.amazonaws.com", "GetRoleCredentials", True,
        lambda c: {"roleName": "AdministratorAccess", "accountId": c.acct.id})
    add(0.3, "sso.amazonaws.com", "ListAccountRoles", True, lambda c: {"accountId": c.acct.id})
    add(0.1, "workdocs.amazonaws.com", "DescribeFolderContents", True, lambda c: {"folderId": c.r.hexs(64), "limit": 100})
    return C


MGMT = None       # built lazily per process (holds lambdas)
MGMT_W = None
NON_US_EAST = ("iam.amazonaws.com", "sts.amazonaws.com", "sso.amazonaws.com")  # global-ish


def s3_key(r):
    x = r.random()
    if x < 0.35:
        return "raw/dt=2025-03-%02d/part-%05d.parquet" % (r.randrange(1, 17), r.randrange(2000))
    if x < 0.55:
        return "uploads/%s/%s.%s" % (r.hexs(8), r.alnum(6), r.choice(("jpg", "png", "pdf")))
    if x < 0.70:
        return "builds/%s/app-%d.%d.%d.zip" % (r.choice(("api", "web", "worker")), 1, r.randrange(40), r.randrange(200))
    if x < 0.85:
        return "reports/2025/03/q1 summary %s.csv" % r.choice(("ü", "é", "ß", "final", "v2", "東京"))
    if x < 0.95:
        return "backups/db/%s/%s.dump.gz" % (r.choice(("orders", "users")), r.hexs(8))
    return "static/js/main.%s.chunk.js" % r.hexs(8)


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------

VERSIONS = ("1.08", "1.09", "1.09", "1.10", "1.10", "1.11", "1.11", "1.11")
S3_DATA = [  # name, readOnly, weight
    ("GetObject", True, 40), ("HeadObject", True, 16), ("PutObject", False, 18), ("ListObjects", True, 6),
    ("DeleteObject", False, 5), ("CopyObject", False, 2), ("GetObjectTagging", True, 2),
    ("CreateMultipartUpload", False, 1.5), ("UploadPart", False, 4), ("CompleteMultipartUpload", False, 1.5),
    ("DeleteObjects", False, 1), ("PutObjectTagging", False, 1), ("GetObjectAcl", True, 1),
]
S3_NAMES = [x[0] for x in S3_DATA]
S3_W = [x[2] for x in S3_DATA]
S3_RO = {x[0]: x[1] for x in S3_DATA}


def rec_s3(c, name=None, ident=None, err=None):
    r, a = c.r, c.acct
    if name is None:
        name = r.choices(S3_NAMES, S3_W)[0]
    bucket = r.choice(a.buckets)
    key = s3_key(r)
    via_vpce = False
    if ident is None:
        x = r.random()
        P = a.principals
        if x < 0.40:
            ident = ident_role(c, P["roles"][r.choice((0, 1))])
            ip = r.choice(a.vpc_ips)
            via_vpce = r.random() < 0.7
        elif x < 0.55:
            ident = ident_role(c, P["roles"][r.choice(R_WORKLOAD[2:])])
            ip = "3.%d.%d.%d" % (r.randrange(80, 240), r.randrange(256), r.randrange(1, 255))
        elif x < 0.85:
            ident = ident_user(c, P["users"][r.choice((6, 7, 9))])
            ip = r.choice(a.office_ips + a.vpc_ips)
        elif x < 0.92:
            ident = ident_role(c, P["roles"][R_SSO_ADMIN])
            ip = r.choice(a.office_ips + a.ipv6)
        elif x < 0.97:
            ident = ident_service(c, r.choice(("cloudtrail.amazonaws.com", "athena.amazonaws.com", "glue.amazonaws.com")))
            ip = ident["invokedBy"]
        else:
            ident = ident_account(c)
            ip = "AWS Internal"
    else:
        ip = r.choice(a.office_ips)
    ro = S3_RO.get(name, True)
    host = "%s.s3.%s.amazonaws.com" % (bucket, c.region)
    req = {"bucketName": bucket, "Host": host}
    resp = None
    nbytes = int(r.lognormvariate(9.5, 2.2)) if name in ("GetObject", "PutObject", "UploadPart", "CopyObject") else 0
    if name == "ListObjects":
        req = {"bucketName": bucket, "Host": host, "prefix": key.split("/")[0] + "/", "list-type": "2",
               "delimiter": "/", "encoding-type": "url", "max-keys": "1000"}
    elif name == "PutObject":
        req["key"] = key
        if r.random() < 0.3:
            req["x-amz-server-side-encryption"] = "aws:kms"
            resp = {"x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:%s:%s:key/%s" % (c.region, a.id, a.kms_keys[0]),
                    "x-amz-server-side-encryption": "aws:kms", "x-amz-version-id": r.alnum(32),
                    "x-amz-server-side-encryption-bucket-key-enabled": "true"}
        else:
            resp = {"x-amz-server-side-encryption": "AES256"}
    elif name == "CopyObject":
        req["key"] = key
        req["x-amz-copy-source"] = "%s/%s" % (r.choice(a.buckets), s3_key(r))
        resp = {"x-amz-version-id": r.alnum(32), "x-amz-server-side-encryption": "AES256"}
    elif name == "UploadPart":
        req.update({"key": key, "partNumber": str(r.randrange(1, 200)), "uploadId": r.alnum(88)})
    elif name == "CreateMultipartUpload":
        req.update({"key": key, "uploads": ""})
    elif name == "CompleteMultipartUpload":
        req.update({"key": key, "uploadId": r.alnum(88)})
    elif name == "DeleteObjects":
        req.update({"delete": "", "Delete": {"Object": [{"Key": s3_key(r)} for _ in range(r.randrange(1, 6))],
                                             "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})
    elif name == "GetObjectTagging" or name == "PutObjectTagging":
        req.update({"key": key, "tagging": ""})
    elif name == "GetObjectAcl":
        req.update({"key": key, "acl": ""})
    else:
        req["key"] = key
    if err is None and r.random() < 0.02:
        err = ("AccessDenied", "Access Denied") if r.random() < 0.6 else ("NoSuchKey", "The specified key does not exist.")
        nbytes = 0
    ua = r.choice(S3_AGENTS) if ip not in ("AWS Internal",) and ident["type"] != "AWSService" else ip
    rec = {"eventVersion": r.choice(VERSIONS), "userIdentity": ident, "eventTime": iso(c.t),
           "eventSource": "s3.amazonaws.com", "eventName": name, "awsRegion": c.region,
           "sourceIPAddress": ip, "userAgent": ua}
    if err:
        rec["errorCode"], rec["errorMessage"] = err
        resp = None
    rec["requestParameters"] = req
    rec["responseElements"] = resp
    aed = {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
           "bytesTransferredIn": nbytes if not ro else 0}
    if name in ("GetObject", "PutObject", "HeadObject") and not err:
        aed["SSEApplied"] = "SSE_KMS" if resp and "x-amz-version-id" in resp else "Default_SSE_S3"
    aed["AuthenticationMethod"] = "AuthHeader" if r.random() < 0.95 else "QueryString"
    aed["x-amz-id-2"] = r.alnum(76) + "="
    aed["bytesTransferredOut"] = nbytes if ro else 0
    rec["additionalEventData"] = aed
    rec["requestID"] = r.hexs(16, upper=True)
    rec["eventID"] = r.uuid()
    rec["readOnly"] = ro
    arn_b = "arn:aws:s3:::" + bucket
    if name == "ListObjects":
        rec["resources"] = [{"type": "AWS::S3::Object", "ARNPrefix": "%s/%s" % (arn_b, req["prefix"])},
                            {"accountId": a.id, "type": "AWS::S3::Bucket", "ARN": arn_b}]
    else:
        rec["resources"] = [{"type": "AWS::S3::Object", "ARN": "%s/%s" % (arn_b, key)},
                            {"accountId": a.id, "type": "AWS::S3::Bucket", "ARN": arn_b}]
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = False
    rec["recipientAccountId"] = a.id
    if ident["type"] == "AWSAccount":
        rec["sharedEventID"] = r.uuid()
    if via_vpce:
        rec["vpcEndpointId"] = a.vpce
        rec["vpcEndpointAccountId"] = a.id
    rec["eventCategory"] = "Data"
    if ident["type"] not in ("AWSService", "AWSAccount"):
        rec["tlsDetails"] = tls_for(c, host)
    return rec


def dynamo_request_id(r):
    return r.alnum(52, "ABCDEFGHIJKLMNOPQRSTUV0123456789")


def rec_other_data(c):
    """A few non-S3 data events: Lambda Invoke and DynamoDB item calls."""
    r, a = c.r, c.acct
    ro_ = a.principals["roles"][r.choice((0, 1, 2, 3))]
    ident = ident_role(c, ro_)
    if r.random() < 0.4:
        fn = r.choice(a.functions)
        arn = "arn:aws:lambda:%s:%s:function:%s" % (c.region, a.id, fn)
        rec = {"eventVersion": r.choice(VERSIONS), "userIdentity": ident, "eventTime": iso(c.t),
               "eventSource": "lambda.amazonaws.com", "eventName": "Invoke", "awsRegion": c.region,
               "sourceIPAddress": r.choice(a.vpc_ips), "userAgent": agent_for(c, None, "lambda", "lambda.invoke"),
               "requestParameters": {"functionName": arn, "invocationType": r.choice(("RequestResponse", "Event")),
                                     "sourceArn": "arn:aws:s3:::%s" % r.choice(a.buckets)},
               "responseElements": None,
               "additionalEventData": {"functionVersion": arn + ":$LATEST"},
               "requestID": r.uuid(), "eventID": r.uuid(), "readOnly": False,
               "resources": [{"accountId": a.id, "type": "AWS::Lambda::Function", "ARN": arn}],
               "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": a.id,
               "eventCategory": "Data", "tlsDetails": tls_for(c, "lambda.%s.amazonaws.com" % c.region)}
        return rec
    table = r.choice(a.tables)
    arn = "arn:aws:dynamodb:%s:%s:table/%s" % (c.region, a.id, table)
    name = r.choice(("GetItem", "GetItem", "PutItem", "Query", "UpdateItem"))
    key = {"pk": "ORDER#%d" % r.randrange(10 ** 6), "sk": "v%d" % r.randrange(5)}
    req = {"tableName": table, "key": key, "consistentRead": False} if name != "Query" else \
          {"tableName": table, "keyConditionExpression": "pk = :pk", "limit": 25}
    if name in ("PutItem", "UpdateItem"):
        req = {"tableName": table, "key": key, "returnConsumedCapacity": "NONE"}
    return {"eventVersion": r.choice(VERSIONS), "userIdentity": ident, "eventTime": iso(c.t),
            "eventSource": "dynamodb.amazonaws.com", "eventName": name, "awsRegion": c.region,
            "sourceIPAddress": r.choice(a.vpc_ips), "userAgent": agent_for(c, None, "dynamodb", "dynamodb"),
            "requestParameters": req, "responseElements": None,
            "requestID": dynamo_request_id(r), "eventID": r.uuid(),
            "readOnly": name in ("GetItem", "Query"),
            "resources": [{"accountId": a.id, "type": "AWS::DynamoDB::Table", "ARN": arn}],
            "eventType": "AwsApiCall", "apiVersion": "2012-08-10", "managementEvent": False,
            "recipientAccountId": a.id, "eventCategory": "Data",
            "tlsDetails": tls_for(c, "dynamodb.%s.amazonaws.com" % c.region)}


def rec_console_login(c, user=None, success=None, mfa=None, ip=None, ident=None):
    r, a = c.r, c.acct
    if ident is None:
        x = 0.0 if user else r.random()
        if x < 0.8:
            u = user or r.choice([u for u in a.principals["users"] if u["console"]])
            ident = {"type": "IAMUser", "principalId": u["pid"], "arn": "arn:aws:iam::%s:user/%s" % (a.id, u["name"]),
                     "accountId": a.id, "accessKeyId": "", "userName": u["name"]}
        elif x < 0.9:
            ident = {"type": "Root", "principalId": a.id, "arn": "arn:aws:iam::%s:root" % a.id,
                     "accountId": a.id, "accessKeyId": ""}
        else:
            ident = ident_unknown(c)
    if success is None:
        success = r.random() < 0.85 and ident["type"] != "Unknown"
    if mfa is None:
        mfa = "Yes" if r.random() < 0.7 else "No"
    rec = {"eventVersion": r.choice(("1.08", "1.09", "1.11")), "userIdentity": ident, "eventTime": iso(c.t),
           "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "us-east-1",
           "sourceIPAddress": ip or r.choice(a.office_ips + a.home_ips), "userAgent": r.choice(USER_AGENTS_BROWSER)}
    if not success:
        rec["errorMessage"] = "Failed authentication"
    rec["requestParameters"] = None
    rec["responseElements"] = {"ConsoleLogin": "Success" if success else "Failure"}
    aed = {"LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_" + r.hexs(16),
           "MobileVersion": "No", "MFAUsed": mfa}
    if mfa == "Yes" and success:
        aed["MFAIdentifier"] = "arn:aws:iam::%s:mfa/%s" % (a.id, ident.get("userName", "root-account-mfa-device"))
        aed["MfaType"] = r.choice(("Virtual MFA", "U2F MFA"))
    rec["additionalEventData"] = aed
    rec["eventID"] = r.uuid()
    rec["readOnly"] = False
    rec["eventType"] = "AwsConsoleSignIn"
    rec["managementEvent"] = True
    rec["recipientAccountId"] = a.id
    rec["eventCategory"] = "Management"
    rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                         "clientProvidedHostHeader": "signin.aws.amazon.com"}
    return rec


def rec_service_event(c):
    r, a = c.r, c.acct
    x = r.random()
    if x < 0.5:
        key = r.choice(a.kms_keys)
        return {"eventVersion": r.choice(VERSIONS), "userIdentity": {"accountId": a.id, "invokedBy": "AWS Internal"},
                "eventTime": iso(c.t), "eventSource": "kms.amazonaws.com", "eventName": "RotateKey",
                "awsRegion": c.region, "sourceIPAddress": "AWS Internal", "userAgent": "AWS Internal",
                "requestParameters": None, "responseElements": None,
                "additionalEventData": {"keyId": "arn:aws:kms:%s:%s:key/%s" % (c.region, a.id, key)},
                "eventID": r.uuid(), "readOnly": False,
                "resources": [{"accountId": a.id, "type": "AWS::KMS::Key", "ARN": "arn:aws:kms:%s:%s:key/%s" % (c.region, a.id, key)}],
                "eventType": "AwsServiceEvent", "managementEvent": True, "recipientAccountId": a.id,
                "eventCategory": "Management"}
    return {"eventVersion": r.choice(VERSIONS), "userIdentity": {"accountId": a.id, "invokedBy": "sso.amazonaws.com"},
            "eventTime": iso(c.t), "eventSource": "sso.amazonaws.com", "eventName": "Authenticate",
            "awsRegion": c.region, "sourceIPAddress": r.choice(a.office_ips), "userAgent": r.choice(USER_AGENTS_BROWSER),
            "requestParameters": None, "responseElements": None,
            "serviceEventDetails": {"CredentialType": "PASSWORD", "AuthWorkflowID": r.uuid(), "LoginTo": "https://d-906755c8f3.awsapps.com/start/"},
            "eventID": r.uuid(), "readOnly": False, "eventType": "AwsServiceEvent", "managementEvent": True,
            "recipientAccountId": a.id, "eventCategory": "Management"}


def rec_console_action(c):
    r, a = c.r, c.acct
    ro_ = a.principals["roles"][R_SSO_ADMIN]
    return {"eventVersion": r.choice(VERSIONS), "userIdentity": ident_role(c, ro_), "eventTime": iso(c.t),
            "eventSource": "billingconsole.amazonaws.com", "eventName": r.choice(("GetAlternateContact", "GetContactInformation", "GetBillingData")),
            "awsRegion": "us-east-1", "sourceIPAddress": r.choice(a.office_ips), "userAgent": r.choice(USER_AGENTS_BROWSER),
            "requestParameters": {"map": {}}, "responseElements": None, "eventID": r.uuid(), "readOnly": True,
            "eventType": "AwsConsoleAction", "managementEvent": True, "recipientAccountId": a.id,
            "eventCategory": "Management", "sessionCredentialFromConsole": "true",
            "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                           "clientProvidedHostHeader": "us-east-1.console.aws.amazon.com"}}


ACCESS_DENIED = {
    "ec2.amazonaws.com": ("Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: {arn} is not authorized to perform: ec2:{name} because no identity-based policy allows the ec2:{name} action"),
    "iam.amazonaws.com": ("AccessDenied", "User: {arn} is not authorized to perform: iam:{name} on resource: * because no identity-based policy allows the iam:{name} action"),
    "kms.amazonaws.com": ("AccessDenied", "User: {arn} is not authorized to perform: kms:{name} on this resource because the resource does not exist in this Region, no resource-based policies allow access, or a resource-based policy explicitly denies access"),
}


SPECIAL_CALLERS = {
    "AssumeRoleWithSAML": lambda c: (ident_saml(c), c.r.choice(c.acct.office_ips + c.acct.home_ips),
                                     c.r.choice(USER_AGENTS_BROWSER), True),
    "AssumeRoleWithWebIdentity": lambda c: (ident_webid(c), "%d.%d.%d.%d" % (
        c.r.choice((4, 13, 20, 40, 52)), c.r.randrange(256), c.r.randrange(256), c.r.randrange(1, 255)), None, True),
    "GetRoleCredentials": lambda c: (ident_identity_center(c), c.r.choice(c.acct.office_ips + c.acct.home_ips),
                                     c.r.choice(USER_AGENTS_BROWSER), True),
    "ListAccountRoles": lambda c: (ident_identity_center(c), c.r.choice(c.acct.office_ips + c.acct.home_ips),
                                   c.r.choice(USER_AGENTS_BROWSER), True),
}


def rec_mgmt(c, entry=None, ident_tuple=None, err=None):
    global MGMT, MGMT_W
    r, a = c.r, c.acct
    if entry is None:
        entry = r.choices(MGMT, MGMT_W)[0]
        while entry[1] == "iam.amazonaws.com" and c.region != "us-east-1":
            entry = r.choices(MGMT, MGMT_W)[0]      # IAM is recorded in us-east-1 only
    w, src, name, ro, req_f, resp_f, res_f = entry
    region = c.region
    if ident_tuple is None and name in SPECIAL_CALLERS:
        ident_tuple = SPECIAL_CALLERS[name](c)
    ident, ip, ua, tls = ident_tuple or ident_any(c)
    svc = src.split(".")[0]
    ua = agent_for(c, ua, svc, "%s.%s" % (svc, kebab(name)))
    rec = {"eventVersion": r.choice(VERSIONS), "userIdentity": ident, "eventTime": iso(c.t),
           "eventSource": src, "eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": ua}
    if err is None and r.random() < 0.03:
        code, msg = ACCESS_DENIED.get(src, ("AccessDenied", "User: {arn} is not authorized to perform: {svc}:{name}"))
        if r.random() < 0.25:
            code, msg = "ThrottlingException", "Rate exceeded"
        err = (code, msg.format(arn=ident.get("arn", ident.get("invokedBy", "")), name=name, svc=svc))
    if err:
        rec["errorCode"], rec["errorMessage"] = err
    rec["requestParameters"] = req_f(c)
    rec["responseElements"] = None if (err or resp_f is p_none) else resp_f(c)
    rec["requestID"] = r.uuid()
    rec["eventID"] = r.uuid()
    rec["readOnly"] = ro
    if res_f is not None:
        rec["resources"] = res_f(c)
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = True
    rec["recipientAccountId"] = a.id
    if ident["type"] == "AWSAccount":
        rec["sharedEventID"] = r.uuid()
    rec["eventCategory"] = "Management"
    if tls:
        host = "%s.amazonaws.com" % svc if src in NON_US_EAST else "%s.%s.amazonaws.com" % (svc, region)
        rec["tlsDetails"] = tls_for(c, host)
    if ua in USER_AGENTS_BROWSER and r.random() < 0.2:
        rec["sessionCredentialFromConsole"] = "true"
    return rec


def rec_template(c):
    """A record derived from a real template: re-timed and re-identified."""
    r = c.r
    rec = json.loads(r.choice(c.templates))
    rec["eventTime"] = iso(c.t)
    rec["eventID"] = r.uuid()
    rid = rec.get("requestID")
    if isinstance(rid, str):
        if len(rid) == 16 and rid.isalnum():
            rec["requestID"] = r.hexs(16, upper=True)
        elif len(rid) == 36:
            rec["requestID"] = r.uuid()
        else:
            rec["requestID"] = r.alnum(max(len(rid), 8), UPPER_ALNUM)
    rec["awsRegion"] = c.region
    rec["recipientAccountId"] = c.acct.id
    return rec


def load_templates(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line).get("record")
            if not isinstance(rec, dict):
                continue
            if rec.get("eventType") in ("AwsVpceEvent", "AwsCloudTrailInsight", "AwsAggregatedEvent"):
                continue
            for k in [k for k in rec if k.startswith("p_")]:
                del rec[k]
            out.append(dumps(rec))
    return out


def make_record(c):
    """One record of the ordinary CloudTrail/ stream."""
    r = c.r
    x = r.random()
    if x < c.acct.data_share:
        if r.random() < 0.9:
            return rec_s3(c)
        return rec_other_data(c)
    if c.templates and r.random() < 0.12:
        return rec_template(c)
    y = r.random()
    east = c.region == "us-east-1"
    if y < 0.02:
        return rec_console_login(c) if east and not _W.get("scripted_logins") else rec_mgmt(c)
    if y < 0.028:
        return rec_service_event(c)
    if y < 0.033:
        return rec_console_action(c) if east else rec_mgmt(c)
    return rec_mgmt(c)


# --------------------------------------------------------------------------
# Planning: which files exist and how many records each holds
# --------------------------------------------------------------------------

def activity(ts, start):
    h = (ts % 86400) / 3600.0
    d = (ts - start) // 86400
    v = 0.35 + 0.65 * math.exp(-((h - 15.0) / 4.5) ** 2)
    if d % 7 in (5, 6):
        v *= 0.55
    return v


def plan(cfg, seed):
    """Return {stream index: [(delivery ts, n records, late share)...]} over all days."""
    start = day_start(*cfg["start"])
    days = cfg["days"]
    target = cfg["records"]
    slots = []   # (stream, ts, weight)
    for si, (ai, region, occ, vol) in enumerate(cfg["streams"]):
        r = stable_rng(seed, "plan", si)
        off = r.randrange(0, SLOT)
        for k in range(days * 86400 // SLOT):
            ts = start + k * SLOT + off + r.randrange(-40, 40)
            ts = min(max(ts, start + 60), start + days * 86400 - 1)
            act = activity(ts, start)
            if r.random() > min(1.0, occ * (0.4 + act)):
                continue
            w = vol * act * r.lognormvariate(0.0, 1.25)
            if r.random() < 0.004:
                w *= r.uniform(20, 60)          # a burst: batch job, incident, deploy
            slots.append([si, ts, w])
    # make the first half hour of each day (after the first) carry ~1.6% of the
    # records, so that about 1% can be late deliveries from the previous day
    def in_late(ts):
        return ts - start >= 86400 and (ts - start) % 86400 < LATE_WINDOW
    total_w = sum(s[2] for s in slots)
    late_w = sum(s[2] for s in slots if in_late(s[1]))
    if late_w and days > 1:
        boost = max(1.0, 0.016 * (total_w - late_w) / late_w / (1 - 0.016))
        for s in slots:
            if in_late(s[1]):
                s[2] *= boost
    total_w = sum(s[2] for s in slots)
    scale = target / total_w
    counts = [max(1, int(round(s[2] * scale))) for s in slots]
    # fix the rounding drift on the biggest files
    drift = target - sum(counts)
    order = sorted(range(len(slots)), key=lambda i: -counts[i])
    i = 0
    while drift != 0 and order and i < 20 * len(order) + abs(drift):
        j = order[i % len(order)]
        step = 1 if drift > 0 else -1
        if counts[j] + step >= 1:
            counts[j] += step
            drift -= step
        i += 1
    # late window: first 30 minutes of days after the first
    late_n = sum(counts[i] for i, s in enumerate(slots)
                 if s[1] - start >= 86400 and (s[1] - start) % 86400 < LATE_WINDOW)
    q = min(0.95, LATE_SHARE * 0.85 * target / late_n) if late_n else 0.0
    out = {}
    for i, s in enumerate(slots):
        rel = (s[1] - start) % 86400
        lq = q if (s[1] - start >= 86400 and rel < LATE_WINDOW) else 0.0
        out.setdefault(s[0], []).append((s[1], counts[i], lq))
    for v in out.values():
        v.sort()
    return start, out


# --------------------------------------------------------------------------
# Workers: write the files of one stream-day
# --------------------------------------------------------------------------

_W = {}


def _init_worker(seed, templates_path, scripted_logins=False, all_org=False):
    global MGMT, MGMT_W
    MGMT = mgmt_catalog()
    MGMT_W = [e[0] for e in MGMT]
    _W["seed"] = seed
    _W["accounts"] = [Account(i, seed, all_org) for i in range(len(ACCOUNTS))]
    _W["templates"] = load_templates(templates_path) if templates_path else None
    _W["scripted_logins"] = scripted_logins


def log_key(acct, folder, region, ts, suffix):
    return "%s/%s/%s/%s/%s_%s_%s_%s_%s.json.gz" % (
        acct.prefix, folder, region, time.strftime("%Y/%m/%d", time.gmtime(ts)), acct.id, folder, region,
        time.strftime("%Y%m%dT%H%MZ", time.gmtime(ts)), suffix)


def write_file(out, key, raw):
    path = os.path.join(out, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    gz = gzip_bytes(raw)
    with open(path, "wb") as f:
        f.write(gz)
    return len(gz)


def build_file(c, ts, n, late_q, day0, extra=None):
    """Records for one file delivered at ts: returns (json bytes, n, oldest, newest, late count)."""
    r = c.r
    parts = []
    oldest = newest = None
    late = 0
    midnight = ts - (ts - day0) % 86400
    for _ in range(n):
        if late_q and r.random() < late_q:
            et = midnight - r.randrange(1, 1800)
        else:
            et = ts - r.randrange(40, 600)
        c.t = et
        rec = make_record(c)
        if et < midnight:
            late += 1
            if late_q and r.random() < 0.1 and "eventVersion" in rec:
                rec["addendum"] = {"reason": "DELIVERY_DELAY"}
        parts.append(dumps(rec))
        oldest = et if oldest is None or et < oldest else oldest
        newest = et if newest is None or et > newest else newest
    if extra:
        for et, rec in extra:
            parts.append(dumps(rec))
            oldest = et if oldest is None or et < oldest else oldest
            newest = et if newest is None or et > newest else newest
            if et < midnight:
                late += 1
        r.shuffle(parts)
    raw = ('{"Records":[' + ",".join(parts) + "]}").encode("utf-8")
    return raw, len(parts), oldest, newest, late


def _stream_day(task):
    """Worker: one (stream, day) of CloudTrail/ files.  Returns file metadata."""
    out, si, ai, region, day, day0, files = task
    seed = _W["seed"]
    c = Ctx()
    c.r = stable_rng(seed, "records", si, day)
    c.acct = _W["accounts"][ai]
    c.region = region
    c.templates = _W["templates"]
    meta = []
    for ts, n, lq, extra in files:
        raw, n2, oldest, newest, late = build_file(c, ts, n, lq, day0, extra)
        key = log_key(c.acct, "CloudTrail", region, ts, c.r.alnum(16))
        gz = write_file(out, key, raw)
        meta.append((si, key, ts, hashlib.sha256(raw).hexdigest(), n2, len(raw), gz, oldest, newest, late))
    return meta


# --------------------------------------------------------------------------
# Insights, network activity, digests (main process; few files)
# --------------------------------------------------------------------------

def insight_records(r, acct, region, t0, dur):
    src, name, kind = r.choice([("ec2.amazonaws.com", "DescribeInstances", "ApiCallRateInsight"),
                                ("iam.amazonaws.com", "CreateAccessKey", "ApiCallRateInsight"),
                                ("secretsmanager.amazonaws.com", "GetSecretValue", "ApiErrorRateInsight"),
                                ("s3.amazonaws.com", "GetObject", "ApiCallRateInsight")])
    shared = r.uuid()
    base = float("%.6g" % r.uniform(0.00001, 0.5))
    peak = round(r.uniform(3, 60), 4)
    recs = []
    for state, t in (("Start", t0), ("End", t0 + dur * 60)):
        stats = {"baseline": {"average": base}, "insight": {"average": peak if state == "Start" else round(peak * 0.6, 4)},
                 "baselineDuration": r.choice((10080, 10181, 11092, 11336))}
        if state == "End" or r.random() < 0.5:
            stats["insightDuration"] = dur
        det = {"state": state, "eventSource": src, "eventName": name, "insightType": kind}
        if kind == "ApiErrorRateInsight":
            det["errorCode"] = "AccessDeniedException"
        det["sourceEventCategory"] = "Data" if src == "s3.amazonaws.com" else "Management"
        det["insightContext"] = {"statistics": stats, "attributions": [
            {"attribute": "userIdentityArn",
             "insight": [{"value": "arn:aws:sts::%s:assumed-role/ci-deployer/GitHubActions" % acct.id, "average": peak}],
             "baseline": []},
            {"attribute": "userAgent",
             "insight": [{"value": USER_AGENTS_SDK[2], "average": peak}],
             "baseline": [{"value": USER_AGENTS_SDK[2], "average": base}]},
            {"attribute": "errorCode",
             "insight": [{"value": "AccessDeniedException" if kind == "ApiErrorRateInsight" else "null", "average": peak}],
             "baseline": [{"value": "null", "average": base}]}]}
        recs.append((t, {"eventVersion": "1.09", "eventTime": iso(t), "awsRegion": region, "eventID": r.uuid(),
                         "eventType": "AwsCloudTrailInsight", "recipientAccountId": acct.id, "sharedEventID": shared,
                         "insightDetails": det, "eventCategory": "Insight"}))
    return recs


def network_record(r, acct, region, t):
    ro_ = acct.principals["roles"][r.choice((0, 1))]
    c = Ctx()
    c.r, c.acct, c.region, c.t = r, acct, region, t
    src, name = r.choice([("s3.amazonaws.com", "GetObject"), ("s3.amazonaws.com", "PutObject"),
                          ("kms.amazonaws.com", "Decrypt"), ("secretsmanager.amazonaws.com", "GetSecretValue"),
                          ("ec2.amazonaws.com", "DescribeInstances")])
    rec = {"eventVersion": r.choice(("1.09", "1.10", "1.11")), "userIdentity": ident_role(c, ro_), "eventTime": iso(t),
           "eventSource": src, "eventName": name, "awsRegion": region, "sourceIPAddress": r.choice(acct.vpc_ips)}
    if r.random() < 0.3:
        rec["errorCode"] = "VpceAccessDenied"
        rec["errorMessage"] = "The request was denied due to a VPC endpoint policy"
    rec["requestID"] = r.hexs(16, upper=True) if src.startswith("s3") else r.uuid()
    rec["eventID"] = r.uuid()
    rec["eventType"] = "AwsVpceEvent"
    rec["recipientAccountId"] = acct.id
    rec["sharedEventID"] = r.uuid()
    rec["vpcEndpointId"] = acct.vpce
    rec["vpcEndpointAccountId"] = acct.id
    rec["eventCategory"] = "NetworkActivity"
    return rec


def write_extras(out, cfg, seed, start, accounts):
    """Insights pairs and network-activity files.  Returns file metadata."""
    r = stable_rng(seed, "extras")
    meta = []
    streams = cfg["streams"]
    days = cfg["days"]
    for i in range(cfg["insight_pairs"]):
        ai, region = streams[i % len(streams)][:2]
        acct = accounts[ai]
        t0 = start + r.randrange(86400 // 4, days * 86400 - 86400 // 2)
        t0 -= t0 % 60
        dur = r.randrange(2, 90)
        for t, rec in insight_records(r, acct, region, t0, dur):
            deliver = t + r.randrange(300, 1800)
            if deliver >= start + days * 86400:
                deliver = start + days * 86400 - 60
            raw = ('{"Records":[' + dumps(rec) + "]}").encode()
            key = log_key(acct, "CloudTrail-Insight", region, deliver, r.alnum(16))
            gz = write_file(out, key, raw)
            meta.append((-1, key, deliver, hashlib.sha256(raw).hexdigest(), 1, len(raw), gz, t, t, 0))
    for i in range(cfg["network_files"]):
        ai, region = streams[(i * 3) % len(streams)][:2]
        acct = accounts[ai]
        deliver = start + r.randrange(3600, days * 86400 - 60)
        n = max(1, int(r.lognormvariate(2.0, 1.0)))
        recs = []
        for _ in range(n):
            t = deliver - r.randrange(40, 600)
            recs.append((t, network_record(r, acct, region, t)))
        raw = ('{"Records":[' + ",".join(dumps(x[1]) for x in recs) + "]}").encode()
        key = log_key(acct, "CloudTrail-NetworkActivity", region, deliver, r.alnum(16))
        gz = write_file(out, key, raw)
        ts = [x[0] for x in recs]
        late = sum(1 for t in ts if time.gmtime(t)[:3] != time.gmtime(deliver)[:3])
        meta.append((-2, key, deliver, hashlib.sha256(raw).hexdigest(), n, len(raw), gz, min(ts), max(ts), late))
    return meta


# --------------------------------------------------------------------------
# Signing: one RSA 2048 key pair per region (as CloudTrail has), derived
# from the seed so that the same seed still gives the same bytes (digests
# carry signatures).  cryptography is imported only here: the rest of the
# generator is the standard library.
# --------------------------------------------------------------------------

SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % q for q in range(3, int(p ** 0.5) + 1, 2))]


def _probable_prime(r, bits):
    """A random prime of exactly bits bits, its top two bits set (so that
    the product of two has 2 * bits bits); Miller-Rabin, 40 rounds."""
    while True:
        c = r.getrandbits(bits) | (3 << (bits - 2)) | 1
        if any(c % p == 0 for p in SMALL_PRIMES):
            continue
        d, s = c - 1, 0
        while d % 2 == 0:
            d //= 2
            s += 1
        for _ in range(40):
            x = pow(r.randrange(2, c - 2), d, c)
            if x in (1, c - 1):
                continue
            for _ in range(s - 1):
                x = pow(x, 2, c)
                if x == c - 1:
                    break
            else:
                break           # a witness: composite
        else:
            return c


def signing_key(seed, region):
    """The corpus's private key for a region (deterministic)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    r = stable_rng(seed, "rsa", region)
    e = 65537
    while True:
        p, q = _probable_prime(r, 1024), _probable_prime(r, 1024)
        phi = (p - 1) * (q - 1)
        if p != q and math.gcd(e, phi) == 1:
            break
    d = pow(e, -1, phi)
    return rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                 rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, p * q)).private_key()


def public_der(key):
    """The public key as ListPublicKeys returns it: DER PKCS#1."""
    from cryptography.hazmat.primitives import serialization
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def signing_string(doc, raw):
    """Reference section 3.3, exactly: LF-separated, no final newline."""
    prev = doc["previousDigestSignature"]
    return "%s\n%s/%s\n%s\n%s" % (doc["digestEndTime"], doc["digestS3Bucket"], doc["digestS3Object"],
                                  hashlib.sha256(raw).hexdigest(), "null" if prev is None else prev)


def write_keys(out, seed, regions, start, end):
    """DIR/public-keys/<region>.json (the list-public-keys shape, for
    trail.load_public_keys) and DIR/private-keys/<region>.pem (kept in the
    work dir, never in git).  Returns {region: private key DER (PKCS#8)}."""
    from cryptography.hazmat.primitives import serialization
    ders = {}
    for d in ("public-keys", "private-keys"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for region in regions:
        k = signing_key(seed, region)
        pub = public_der(k)
        doc = {"PublicKeyList": [{"Value": base64.b64encode(pub).decode(),
                                  "ValidityStartTime": iso(start - 86400), "ValidityEndTime": iso(end + 90 * 86400),
                                  "Fingerprint": hashlib.md5(pub).hexdigest()}]}
        with open(os.path.join(out, "public-keys", region + ".json"), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        with open(os.path.join(out, "private-keys", region + ".pem"), "wb") as f:
            f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
        ders[region] = k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    return ders


def _stream_digests(task):
    """Worker: the hourly digest chain of one stream, signed.  Returns
    (files, bytes, [(key, signature)...] oldest first)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    out, seed, si, prefix, acct_id, trail, home, region, start, end, logs, key_der = task
    key = serialization.load_der_private_key(key_der, None)
    pub = public_der(key)
    fingerprint = hashlib.md5(pub).hexdigest()
    r = stable_rng(seed, "digest", si)
    r.hexs(32)      # drawn as before (a stand-in fingerprint), so the digest times stay as they were
    off = r.randrange(60, 3000)
    li = 0
    prev = None     # (key, sha256 of inflated bytes, signature)
    t_end = start + off
    files = nbytes = 0
    sigs = []
    # hourly to the end; the last digest (after it) lists the last files
    while t_end <= end or li < len(logs):
        t_start = t_end - 3600
        listed = []
        while li < len(logs) and logs[li][1] < t_end:
            listed.append(logs[li])
            li += 1
        dkey = "%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz" % (
            prefix, region, time.strftime("%Y/%m/%d", time.gmtime(t_end)), acct_id, region,
            trail, home, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t_end)))
        d = {"awsAccountId": acct_id, "digestStartTime": iso(t_start), "digestEndTime": iso(t_end),
             "digestS3Bucket": BUCKET, "digestS3Object": dkey,
             "digestPublicKeyFingerprint": fingerprint, "digestSignatureAlgorithm": "SHA256withRSA",
             "newestEventTime": iso(max(m[4] for m in listed)) if listed else None,
             "oldestEventTime": iso(min(m[3] for m in listed)) if listed else None,
             "previousDigestS3Bucket": BUCKET if prev else None,
             "previousDigestS3Object": prev[0] if prev else None,
             "previousDigestHashValue": prev[1] if prev else None,
             "previousDigestHashAlgorithm": "SHA-256" if prev else None,
             "previousDigestSignature": prev[2] if prev else None,
             "logFiles": [{"s3Bucket": BUCKET, "s3Object": m[0], "hashValue": m[2], "hashAlgorithm": "SHA-256",
                           "newestEventTime": iso(m[4]), "oldestEventTime": iso(m[3])} for m in listed]}
        raw = json.dumps(d, separators=(",", ":")).encode()
        nbytes += write_file(out, dkey, raw)
        files += 1
        sig = key.sign(signing_string(d, raw).encode(), padding.PKCS1v15(), hashes.SHA256()).hex()
        sigs.append((dkey, sig))
        prev = (dkey, hashlib.sha256(raw).hexdigest(), sig)
        t_end += 3600
    return files, nbytes, sigs


def write_digests(out, cfg, seed, start, accounts, meta, jobs):
    """Hourly digests per stream, chained and signed; they list that hour's
    CloudTrail/ files.  Writes the keys, DIR/signatures.json (S3 key ->
    signature of the newest digest of each chain: trail.verify's
    signatures) and DIR/s3-metadata.json (every digest's signature, as S3
    keeps it in x-amz-meta-signature: what a validator reading S3 gets)."""
    end = start + cfg["days"] * 86400
    ders = write_keys(out, seed, sorted({s[1] for s in cfg["streams"]}), start, end)
    by_stream = {}
    for m in meta:
        if m[0] >= 0:
            by_stream.setdefault(m[0], []).append((m[1], m[2], m[3], m[7], m[8]))
    tasks = []
    for si, (ai, region, _, _) in enumerate(cfg["streams"]):
        acct = accounts[ai]
        tasks.append((out, seed, si, acct.prefix, acct.id, acct.trail, acct.trail_home, region, start, end,
                      sorted(by_stream.get(si, []), key=lambda m: m[1]), ders[region]))
    if jobs > 1 and len(tasks) > 1:
        tasks.sort(key=lambda t: -len(t[10]))
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = pool.map(_stream_digests, tasks, chunksize=1)
    else:
        done = [_stream_digests(t) for t in tasks]
    heads, every = {}, {}
    for files, nbytes, sigs in done:
        heads[sigs[-1][0]] = sigs[-1][1]
        every.update(sigs)
    for name, doc in (("signatures.json", heads), ("s3-metadata.json", every)):
        with open(os.path.join(out, name), "w") as f:
            json.dump(dict(sorted(doc.items())), f, indent=0)
            f.write("\n")
    return sum(d[0] for d in done), sum(d[1] for d in done), len(heads)


# --------------------------------------------------------------------------
# The demo story
# --------------------------------------------------------------------------

def demo_story(seed, start, accounts):
    """Scripted records for the demo tree: {(account idx, region): [(event ts, record)]}."""
    global MGMT, MGMT_W
    r = stable_rng(seed, "demo-story")
    prod, stg = accounts[0], accounts[1]
    story = {}

    def put(ai, region, t, rec):
        story.setdefault((ai, region), []).append((t, rec))

    def ctx(acct, region, t):
        c = Ctx()
        c.r, c.acct, c.region, c.t, c.templates = r, acct, region, t, None
        return c
    D1, D2 = start, start + 86400
    users = {u["name"]: u for u in prod.principals["users"]}
    susers = {u["name"]: u for u in stg.principals["users"]}
    # console sign-ins (recorded in us-east-1)
    logins = [
        (prod, 0, D1 + 8 * 3600 + 2 * 60 + 11, users["alice"], True, "Yes", prod.office_ips[0]),
        (prod, 0, D1 + 8 * 3600 + 40 * 60 + 3, users["bob"], False, "No", prod.home_ips[1]),
        (prod, 0, D1 + 8 * 3600 + 40 * 60 + 49, users["bob"], False, "No", prod.home_ips[1]),
        (prod, 0, D1 + 8 * 3600 + 41 * 60 + 30, users["bob"], True, "No", prod.home_ips[1]),
        (prod, 0, D1 + 13 * 3600 + 5 * 60 + 7, users["carol"], True, "Yes", prod.office_ips[2]),
        (stg, 1, D1 + 9 * 3600 + 12 * 60 + 40, susers["dave"], True, "Yes", stg.office_ips[0]),
        (stg, 1, D2 + 1 * 3600 + 58 * 60 + 2, susers["erin"], False, "No", "185.220.101.47"),
        (stg, 1, D2 + 1 * 3600 + 58 * 60 + 31, susers["erin"], False, "No", "185.220.101.47"),
        (prod, 0, D2 + 7 * 3600 + 55 * 60 + 12, users["alice"], True, "Yes", prod.office_ips[0]),
        (prod, 0, D2 + 10 * 3600 + 21 * 60 + 5, users["dave"], True, "No", prod.ipv6[0]),
    ]
    for acct, ai, t, u, ok, mfa, ip in logins:
        put(ai, "us-east-1", t, rec_console_login(ctx(acct, "us-east-1", t), user=u, success=ok, mfa=mfa, ip=ip))
    t = D2 + 1 * 3600 + 59 * 60 + 40
    put(1, "us-east-1", t, rec_console_login(ctx(stg, "us-east-1", t), ident=ident_unknown(ctx(stg, "us-east-1", t)),
                                             success=False, mfa="No", ip="185.220.101.47"))
    t = D1 + 16 * 3600 + 30 * 60 + 9
    put(0, "us-east-1", t, rec_console_login(ctx(prod, "us-east-1", t), ident={
        "type": "Root", "principalId": prod.id, "arn": "arn:aws:iam::%s:root" % prod.id, "accountId": prod.id,
        "accessKeyId": ""}, success=True, mfa="Yes", ip=prod.office_ips[3]))

    # the suspicious principal: staging's svc-backup key used from outside
    bad_ip = "185.220.101.47"
    bad_ua = "aws-cli/1.18.69 Python/3.6.0 Linux/4.4.0-1128-aws botocore/1.16.19"
    svc = susers["svc-backup"]
    cat = {(e[1], e[2]): e for e in MGMT}

    def bad(name_src, t, err=None, req=None, resp=None, region="us-east-1"):
        src, name = name_src
        c = ctx(stg, region, t)
        ident = ident_user(c, svc)
        e = cat[(src, name)]
        if req is not None:
            e = (e[0], e[1], e[2], e[3], (lambda c, v=req: v), (lambda c, v=resp: v) if resp is not None else p_none, e[6])
        rec = rec_mgmt(c, e, (ident, bad_ip, bad_ua, True), err=err or False)
        put(1, region, t, rec)
    T = D2 + 2 * 3600 + 11 * 60
    bad(("sts.amazonaws.com", "GetCallerIdentity"), T)
    bad(("iam.amazonaws.com", "ListUsers"), T + 21)
    bad(("iam.amazonaws.com", "ListRoles"), T + 35)
    bad(("s3.amazonaws.com", "ListBuckets"), T + 52)
    for i in range(4):
        tt = T + 70 + i * 9
        c = ctx(stg, "us-east-1", tt)
        rec = rec_s3(c, "GetObject", ident=ident_user(c, svc), err=("AccessDenied", "Access Denied"))
        rec["sourceIPAddress"] = bad_ip
        rec["userAgent"] = "[%s]" % bad_ua
        rec["requestParameters"]["bucketName"] = stg.buckets[2]
        rec["requestParameters"]["key"] = "reports/2025/02/payroll-%02d.xlsx" % (i + 1)
        rec["requestParameters"]["Host"] = "%s.s3.us-east-1.amazonaws.com" % stg.buckets[2]
        rec["resources"] = [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::%s/reports/2025/02/payroll-%02d.xlsx" % (stg.buckets[2], i + 1)},
                            {"accountId": stg.id, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + stg.buckets[2]}]
        put(1, "us-east-1", tt, rec)
    bad(("ec2.amazonaws.com", "DescribeInstances"), T + 140,
        err=("Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: arn:aws:iam::%s:user/svc-backup is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action" % stg.id),
        region="eu-west-1")
    newuser = "support-admin"
    bad(("iam.amazonaws.com", "CreateUser"), T + 190, req={"userName": newuser},
        resp={"user": {"path": "/", "userName": newuser, "userId": "AIDA" + r.alnum(17, UPPER_ALNUM),
                       "arn": "arn:aws:iam::%s:user/%s" % (stg.id, newuser), "createDate": java_date(T + 190)}})
    bad(("iam.amazonaws.com", "AttachUserPolicy"), T + 214,
        req={"userName": newuser, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    key_id = "AKIA" + r.alnum(16, UPPER_ALNUM)
    bad(("iam.amazonaws.com", "CreateAccessKey"), T + 236, req={"userName": newuser},
        resp={"accessKey": {"userName": newuser, "accessKeyId": key_id, "status": "Active",
                            "createDate": java_date(T + 236)}})
    bad(("cloudtrail.amazonaws.com", "StopLogging"), T + 301,
        req={"name": "arn:aws:cloudtrail:us-east-1:%s:trail/%s" % (stg.id, stg.trail)})
    # an administrator notices and turns logging back on
    t = D2 + 9 * 3600 + 14 * 60 + 5
    c = ctx(stg, "us-east-1", t)
    ro_ = stg.principals["roles"][R_SSO_ADMIN]
    rec = rec_mgmt(c, cat[("cloudtrail.amazonaws.com", "StartLogging")],
                   (ident_role(c, ro_, session="dave.okafor@example.com"), stg.office_ips[0], USER_AGENTS_BROWSER[0], True),
                   err=False)
    put(1, "us-east-1", t, rec)
    gap = (T + 301, t)    # staging's trail logged nothing in between
    return story, gap


# --------------------------------------------------------------------------
# Large single file
# --------------------------------------------------------------------------

def _large_chunk(args):
    seed, idx, n, start, first = args
    c = Ctx()
    c.r = stable_rng(seed, "large", idx)
    c.acct = _W["accounts"][0]
    c.region = "us-east-1"
    c.templates = _W["templates"]
    parts = []
    for _ in range(n):
        c.t = start + c.r.randrange(0, 3600)
        parts.append(dumps(make_record(c)))
    raw = ("" if first else ",") + ",".join(parts)
    raw = raw.encode("utf-8")
    comp = zlib.compressobj(6, zlib.DEFLATED, -15, 9)
    body = comp.compress(raw) + comp.flush(zlib.Z_SYNC_FLUSH)
    return body, zlib.crc32(raw), len(raw), n


def write_large(path, nbytes, seed, templates, jobs):
    """One {"Records":[...]} file of about nbytes of JSON, one gzip member, bounded memory.

    Chunks are deflated independently in workers (each ends on a byte-aligned
    sync flush, as pigz does) and concatenated; the CRC is carried here."""
    t0 = time.time()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    start = day_start(2025, 3, 10) + 11 * 3600     # events of the hour before the 12:00 delivery
    per_chunk = int(min(1500, max(1, nbytes // 1500)))
    est = 1500 * per_chunk
    nchunks = max(1, int(nbytes / est) + 1)
    head = b'{"Records":['
    tail = b"]}"
    crc = zlib.crc32(head)
    size = len(head)
    recs = 0
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
        c = zlib.compressobj(6, zlib.DEFLATED, -15, 9)
        f.write(c.compress(head) + c.flush(zlib.Z_SYNC_FLUSH))
        with multiprocessing.get_context("fork").Pool(jobs, _init_worker, (seed, templates)) as pool:
            idx = 0
            pending = []
            done = False
            while not done:
                while len(pending) < jobs * 3 and idx < nchunks * 2:
                    pending.append(pool.apply_async(_large_chunk, ((seed, idx, per_chunk, start, idx == 0),)))
                    idx += 1
                body, ccrc, clen, n = pending.pop(0).get()
                f.write(body)
                crc = crc32_combine(crc, ccrc, clen)
                size += clen
                recs += n
                if size >= nbytes or not pending and idx >= nchunks * 2:
                    done = True
            for p in pending:
                p.wait()
        c = zlib.compressobj(6, zlib.DEFLATED, -15, 9)
        f.write(c.compress(tail) + c.flush(zlib.Z_FINISH))
        crc = zlib.crc32(tail, crc)
        size += len(tail)
        f.write((crc & 0xffffffff).to_bytes(4, "little") + (size & 0xffffffff).to_bytes(4, "little"))
    os.replace(tmp, path)
    return {"path": path, "records": recs, "uncompressed_bytes": size,
            "compressed_bytes": os.path.getsize(path), "seconds": round(time.time() - t0, 2)}


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def generator_hash():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def generate(out, size, seed, templates, jobs):
    t0 = time.time()
    cfg = SIZES[size]
    all_org = cfg.get("org", False)
    accounts = [Account(i, seed, all_org) for i in range(len(ACCOUNTS))]
    start, streams = plan(cfg, seed)
    extra_by = {}
    gap = None
    if size == "demo":
        _init_worker(seed, templates, True)
        story, gap = demo_story(seed, start, accounts)
        # each scripted record goes into the file of its stream delivered next after it
        for (ai, region), evs in story.items():
            si = next(i for i, s in enumerate(cfg["streams"]) if s[0] == ai and s[1] == region)
            for t, rec in evs:
                deliver = t + 180 + (t * 7919) % 240
                extra_by.setdefault(si, {}).setdefault(deliver, []).append((t, rec))
    tasks = []
    days = cfg["days"]
    for si, (ai, region, _, _) in enumerate(cfg["streams"]):
        files = [(ts, n, lq, None) for ts, n, lq in streams.get(si, [])]
        if gap and ai == 1:
            files = [f for f in files if not (gap[0] <= f[0] - 600 and f[0] < gap[1])]
        for deliver, evs in extra_by.get(si, {}).items():
            files.append((deliver, 0, 0.0, evs))
        files.sort(key=lambda f: f[0])
        for d in range(days):
            d0 = start + d * 86400
            day_files = [f for f in files if d0 <= f[0] < d0 + 86400]
            if day_files:
                tasks.append((out, si, ai, region, d, start, day_files))
    # biggest tasks first keeps both workers busy to the end
    tasks.sort(key=lambda t: -sum(f[1] + (len(f[3]) if f[3] else 0) for f in t[6]))
    meta = []
    if jobs > 1 and len(tasks) > 1:
        with multiprocessing.get_context("fork").Pool(jobs, _init_worker, (seed, templates, size == "demo", all_org)) as pool:
            for m in pool.imap_unordered(_stream_day, tasks):
                meta.extend(m)
    else:
        _init_worker(seed, templates, size == "demo", all_org)
        for t in tasks:
            meta.extend(_stream_day(t))
    meta.extend(write_extras(out, cfg, seed, start, accounts))
    meta.sort(key=lambda m: m[1])
    dig_files, dig_bytes, chains = write_digests(out, cfg, seed, start, accounts, meta, jobs)
    secs = time.time() - t0
    folders = {}
    for m in meta:
        f = m[1].split("/CloudTrail")[1].split("/")[0]
        f = "CloudTrail" + f
        e = folders.setdefault(f, {"files": 0, "records": 0, "uncompressed_bytes": 0, "compressed_bytes": 0})
        e["files"] += 1
        e["records"] += m[4]
        e["uncompressed_bytes"] += m[5]
        e["compressed_bytes"] += m[6]
    folders["CloudTrail-Digest"] = {"files": dig_files, "records": 0, "compressed_bytes": dig_bytes}
    recs = sum(m[4] for m in meta)
    sizes = sorted(m[4] for m in meta if m[0] >= 0)
    man = {
        "generator": "bench/gen.py", "generator_sha256": generator_hash(),
        "size": size, "seed": seed, "templates": bool(templates),
        "first_day": iso(start)[:10], "days": days,
        "accounts": sorted({ACCOUNTS[s[0]][0] for s in cfg["streams"]}),
        "organization": ORG_ID, "regions": sorted({s[1] for s in cfg["streams"]}),
        "files": len(meta), "records": recs,
        "uncompressed_bytes": sum(m[5] for m in meta), "compressed_bytes": sum(m[6] for m in meta),
        "digest_files": dig_files, "digest_chains": chains,
        "late_records": sum(m[9] for m in meta),
        "max_delivery_lag_seconds": max((m[2] - m[7]) for m in meta) if meta else 0,
        "records_per_file": {"min": sizes[0], "median": sizes[len(sizes) // 2], "p99": sizes[int(len(sizes) * 0.99)],
                             "max": sizes[-1]} if sizes else {},
        "folders": folders,
        "seconds": round(secs, 2), "jobs": jobs,
    }
    return man


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="directory to write the tree into (the bucket root)")
    ap.add_argument("--size", choices=sorted(SIZES), default="quick")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--templates", help="real-records.jsonl to mix re-timed copies from")
    ap.add_argument("--large-file", help="also write one single big file here")
    ap.add_argument("--large-bytes", type=int, default=1 << 30, help="JSON bytes in the large file (default 1 GiB)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    a = ap.parse_args()
    if not a.out and not a.large_file:
        ap.error("give --out DIR and/or --large-file PATH")
    if a.templates and not os.path.exists(a.templates):
        ap.error("no such templates file: %s" % a.templates)
    if a.out:
        if os.path.isdir(os.path.join(a.out, "AWSLogs")):
            ap.error("%s/AWSLogs already exists; remove it first" % a.out)
        os.makedirs(a.out, exist_ok=True)
        man = generate(a.out, a.size, a.seed, a.templates, a.jobs)
        if a.large_file:
            man["large_file"] = write_large(a.large_file, a.large_bytes, a.seed, a.templates, a.jobs)
        with open(os.path.join(a.out, "manifest.json"), "w") as f:
            json.dump(man, f, indent=2, sort_keys=True)
            f.write("\n")
        lf = man.get("large_file")
        print("gen: %s seed %d: %d files, %d records, %.1f MB uncompressed (%.1f MB gzip), %d digests, "
              "%d late records, %.1f s" % (a.size, a.seed, man["files"], man["records"],
                                            man["uncompressed_bytes"] / 1e6, man["compressed_bytes"] / 1e6,
                                            man["digest_files"], man["late_records"], man["seconds"]))
    else:
        lf = write_large(a.large_file, a.large_bytes, a.seed, a.templates, a.jobs)
        lf["seed"] = a.seed
        lf["generator_sha256"] = generator_hash()
        with open(os.path.join(os.path.dirname(os.path.abspath(a.large_file)), "manifest.json"), "w") as f:
            json.dump(lf, f, indent=2, sort_keys=True)
            f.write("\n")
    if lf:
        print("gen: large file %s: %d records, %.1f MB uncompressed (%.1f MB gzip), %.1f s" % (
            lf["path"], lf["records"], lf["uncompressed_bytes"] / 1e6, lf["compressed_bytes"] / 1e6, lf["seconds"]))


if __name__ == "__main__":
    main()
