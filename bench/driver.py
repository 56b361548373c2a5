#!/usr/bin/env python3
"""bench/driver.py - the measuring half of bench/run (bench/run starts the
server and sets PGHOST/PGPORT/PGUSER/PGDATABASE; run that, not this).

Runs every query of every system N times (fewer when one run is longer than
the time budget allows), takes medians, checks that the systems agree,
prints one table (query x system: median seconds, ratio to trail and to the
zlib floor), the issue's targets, and the backend's peak memory growth
while reading the large file; writes the whole lot as JSON to --results.

Every peer is optional: a system that is missing or fails is reported with
one line and left out of the table.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))

LABELS = [  # query id, label
    ("count", "count(*)"),
    ("grouped", "write events by source, name"),
    ("grouped_w0", "  same, max_parallel_workers 0"),
    ("grouped_w2", "  same, max_parallel_workers 2"),
    ("all_rows", "every column: count(t)"),
    ("all_copy", "every column: COPY TO /dev/null"),
    ("day", "one day of 14 (event_time window)"),
    ("load", "load into jsonb table (COPY)"),
    ("sync_first", "store: first sync (typed columns)"),
    ("sync_none", "store: sync, nothing new"),
    ("sync_hour", "store: sync one new hour"),
    ("load_grouped", "load + write events by source, name"),
    ("large", "single large file: count(*), max(event_time)"),
    ("verify", "verify every file (signed digests)"),
]
SYSTEMS = [  # system id, label
    ("floor", "zlib floor"),
    ("fast_floor", "fast floor"),
    ("isal_floor", "ISA-L floor"),
    ("trail_srf", "trail.read"),
    ("trail_fdw", "trail FDW"),
    ("trail_store", "trail store"),
    ("trail_fdw_zlib", "FDW, zlib inflater"),
    ("trail_verify", "trail.verify"),
    ("awscli", "AWS CLI validator"),
    ("pg_jsonb", "PostgreSQL jsonb"),
    ("python", "Python gzip+json"),
    ("duckdb_1", "DuckDB 1 thread"),
    ("duckdb_2", "DuckDB 2 threads"),
    ("jq", "zcat | jq"),
]


# Every row of the table is one process unless its label says otherwise
# (DuckDB 2 threads, FDW 2 workers); loads and jq are two-process pipes.
SERIAL = "SET max_parallel_workers_per_gather = 0;"


def say(msg):
    print("bench: " + msg, flush=True)


def lit(s):
    return "'" + str(s).replace("'", "''") + "'"


def median(xs):
    return statistics.median(xs) if xs else None


class Bench:
    def __init__(self, a):
        self.a = a
        self.rows = []          # measurement dicts
        self.skipped = []       # (system, reason)
        self.info = {}
        self.pairs = {}         # (system, query, reference) -> the pairs' ratios and times
        self.psql = a.psql
        with open(a.manifest) as f:
            self.manifest = json.load(f)
        self.logs = a.corpus
        first = datetime.date.fromisoformat(self.manifest["first_day"])
        self.day = (first + datetime.timedelta(days=min(7, self.manifest["days"] - 1))).isoformat()
        self.day_next = (datetime.date.fromisoformat(self.day) + datetime.timedelta(days=1)).isoformat()
        self.tmp = tempfile.mkdtemp(prefix="trail-bench-")
        self.files = []
        for d, dirs, files in os.walk(self.logs):
            dirs[:] = sorted(x for x in dirs if x != "CloudTrail-Digest")
            self.files.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(".json.gz"))
        self.list = os.path.join(self.tmp, "files.txt")
        with open(self.list, "w") as f:
            f.write("".join(p + "\n" for p in self.files))
        self.list0 = os.path.join(self.tmp, "files.nul")
        with open(self.list0, "w") as f:
            f.write("".join(p + "\0" for p in self.files))
        self.small_file = min(self.files, key=os.path.getsize) if self.files else None

    # ------------------------------------------------------------------
    def record(self, system, query, times, result=None, error=None, **extra):
        m = {"system": system, "query": query, "times": [round(t, 6) for t in times],
             "median": round(median(times), 6) if times else None, "runs": len(times),
             "result": result, "error": error}
        m.update(extra)
        self.rows.append(m)
        if error:
            say("%-10s %-12s failed: %s" % (system, query, error.strip().splitlines()[-1] if error.strip() else error))
        else:
            say("%-10s %-12s median %.3f s over %d run%s" % (system, query, m["median"], len(times),
                                                            "" if len(times) == 1 else "s"))
        return m

    def skip(self, system, reason):
        self.skipped.append((system, reason))
        say("%s: skipped: %s" % (system, reason))

    def repeats(self, first_seconds):
        """How many more runs fit after a first one that took first_seconds."""
        more = self.a.repeat - 1
        if first_seconds > 0:
            more = min(more, int((self.a.budget - first_seconds) / first_seconds))
        return max(0, more)

    # ------------------------------------------------------------------
    def sql(self, sql, timeout=None):
        """Run SQL in one psql session; returns (rc, stdout, stderr)."""
        p = subprocess.run([self.psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
                           input="SET TimeZone = 'UTC';\n" + sql, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def _timed_session(self, setup, warmup, query, n):
        # the marker ends the warm-up's output, which is not a result
        script = "%s\n%s\n\\echo @@timed\n\\timing on\n%s" % (setup or "", warmup or "",
                                                             (query.rstrip().rstrip(";") + ";\n") * n)
        rc, out, err = self.sql(script)
        times, chunks, cur = [], [], []
        for line in out.splitlines():
            if line == "@@timed":
                cur = []
                continue
            m = re.match(r"^Time: ([0-9.]+) ms", line)
            if m:
                times.append(float(m.group(1)) / 1000.0)
                chunks.append(cur)
                cur = []
            else:
                cur.append(line)
        if rc != 0:
            return times, None, (err or out or "psql exit %d" % rc)
        if len(times) != n:
            return times, None, "expected %d timings, got %d: %s" % (n, len(times), err)
        return times, chunks[-1], None

    def timed_sql(self, system, qid, query, setup="", warmup="", parse=None, **extra):
        """Time query (first run, then as many more as the budget allows)."""
        t1, rows, err = self._timed_session(setup, warmup, query, 1)
        if err:
            return self.record(system, qid, [], error=err, sql=query, **extra)
        times = list(t1)
        more = self.repeats(t1[0])
        if more:
            t2, rows2, err = self._timed_session(setup, warmup, query, more)
            if err:
                return self.record(system, qid, times, error=err, sql=query, **extra)
            times += t2
            rows = rows2
        return self.record(system, qid, times, parse(rows) if parse else rows, sql=query, **extra)

    # ------------------------------------------------------------------
    def floor(self):
        self.one_floor("floor", self.a.floor, "zcat_floor not built")
        # the floor of the inflater trail uses, when it is not zlib
        inflater = self.trail_inflater()
        self.info["trail_inflater"] = inflater
        if inflater is None:
            return self.skip("fast_floor", "trail is not available")
        if inflater.startswith("zlib"):
            return self.skip("fast_floor", "trail was built with %s: its floor is the zlib floor" % inflater)
        self.one_floor("fast_floor", self.fast_floor_exe(), "%s not built" % self.fast_floor_name())
        if inflater.startswith("libdeflate"):
            # ISA-L streams what libdeflate does not take: its floor, for comparison
            self.one_floor("isal_floor", self.a.fast_floor, "isal_floor not built")

    def fast_floor_name(self):
        inflater = self.info.get("trail_inflater") or ""
        return "libdeflate_floor" if inflater.startswith("libdeflate") else "isal_floor"

    def fast_floor_exe(self):
        """The floor of trail's fast inflater: libdeflate's (whole members,
        which is nearly every file) when trail has it, else ISA-L's."""
        inflater = self.info.get("trail_inflater") or ""
        return self.a.whole_floor if inflater.startswith("libdeflate") else self.a.fast_floor

    def one_floor(self, system, exe, why):
        if not exe or not os.access(exe, os.X_OK):
            return self.skip(system, why)
        times, res = [], None
        for i in range(self.a.repeat):
            with open(self.list0, "rb") as f:
                p = subprocess.run([exe, "-0"], stdin=f, capture_output=True, text=True)
            if p.returncode != 0:
                return self.record(system, "count", times, error=p.stderr)
            kv = dict(x.split("=") for x in p.stdout.split())
            times.append(float(kv["seconds"]))
            res = int(kv["inflated_bytes"])
        if system == "floor":
            self.info["inflated_bytes"] = res
        self.record(system, "count", times, res, files=len(self.files))

    def trail_inflater(self):
        rc, out, err = self.sql("LOAD 'trail';\nSHOW trail.inflater;")
        return out.strip().splitlines()[-1] if rc == 0 and out.strip() else None

    # ------------------------------------------------------------------
    def trail_available(self):
        rc, out, err = self.sql("SELECT extversion FROM pg_extension WHERE extname = 'trail';")
        if rc != 0:
            return None, err
        v = out.strip()
        if not v:
            return None, "extension trail is not installed in the database"
        return v, None

    @staticmethod
    def parse_count(rows):
        return int(rows[0].split("\t")[0]) if rows else None

    @staticmethod
    def parse_groups(rows):
        out = []
        for line in rows or []:
            if not line:
                continue
            s, n, c = line.split("\t")
            out.append([s or None, n or None, int(c)])
        return sorted(out, key=lambda x: (x[0] or "", x[1] or ""))

    def trail_query_texts(self):
        """The table's queries, each with %s for the relation."""
        D, N = lit(self.day + " 00:00:00+00"), lit(self.day_next + " 00:00:00+00")
        return {"count": "SELECT count(*) FROM %s",
                "grouped": "SELECT event_source, event_name, count(*) FROM %s WHERE read_only = false GROUP BY 1, 2",
                "all_rows": "SELECT count(t) FROM %s t",
                "all_copy": "COPY (SELECT * FROM %s) TO '/dev/null'",
                "day": "SELECT count(*) FROM %%s WHERE event_time >= %s AND event_time < %s" % (D, N)}

    def trail_queries(self, system, rel, setup="", warmup=""):
        pc, pg = self.parse_count, self.parse_groups
        parse = {"count": pc, "grouped": pg, "all_rows": pc, "all_copy": None, "day": pc}
        for q, text in self.trail_query_texts().items():
            self.timed_sql(system, q, text % rel, setup, warmup, parse[q])

    def trail_srf(self):
        v, err = self.trail_available()
        if not v:
            return self.skip("trail_srf", "trail is not available (%s); run make install" % err.strip())
        self.info["trail_version"] = v
        rel = self.relation("trail_srf")
        warm = self.warmup("trail_srf")
        # one process, like every other row; parallelism is measured apart
        self.trail_queries("trail_srf", rel, setup=SERIAL, warmup=warm)
        self.parallel_rows("trail_srf", rel, warm)

    def trail_fdw(self):
        rc, out, err = self.sql("SELECT 1 FROM pg_foreign_data_wrapper WHERE fdwname = 'trail_fdw';")
        if rc != 0 or out.strip() != "1":
            return self.skip("trail_fdw", "foreign data wrapper trail_fdw does not exist")
        rc, out, err = self.sql(
            "DROP SCHEMA IF EXISTS bench CASCADE;\nDROP SERVER IF EXISTS bench_trail CASCADE;\n"
            "CREATE SCHEMA bench;\nCREATE SERVER bench_trail FOREIGN DATA WRAPPER trail_fdw;\n"
            "IMPORT FOREIGN SCHEMA trail FROM SERVER bench_trail INTO bench OPTIONS (location %s);\n"
            "SELECT to_regclass('bench.events') IS NOT NULL;" % lit(self.logs))
        if rc != 0 or out.strip().splitlines()[-1:] != ["t"]:
            return self.skip("trail_fdw", "IMPORT FOREIGN SCHEMA did not give bench.events: %s" % (err or out).strip())
        warm = self.warmup("trail_fdw")
        # one process, like every other row; parallelism is measured apart
        self.trail_queries("trail_fdw", self.relation("trail_fdw"), setup=SERIAL, warmup=warm)
        q = "SELECT event_source, event_name, count(*) FROM bench.events WHERE read_only = false GROUP BY 1, 2"
        # before and after: the same build inflating with zlib
        # (trail.debug_inflater, a developer setting for superusers)
        inflater = self.info.get("trail_inflater") or self.trail_inflater() or "zlib"
        if not inflater.startswith("zlib"):
            zsetup = SERIAL + " SET trail.debug_inflater = 'zlib';"
            self.timed_sql("trail_fdw_zlib", "count", "SELECT count(*) FROM bench.events", zsetup, warm,
                           self.parse_count)
            self.timed_sql("trail_fdw_zlib", "grouped", q, zsetup, warm, self.parse_groups)
        self.parallel_rows("trail_fdw", "bench.events", warm)

    def parallel_rows(self, system, rel, warm):
        """The grouped query with no worker and with two."""
        q = self.trail_query_texts()["grouped"] % rel
        for w in (0, 2):
            setup = "SET max_parallel_workers_per_gather = %d;" % w
            rc, out, err = self.sql(setup + "\nEXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + q + ";")
            launched = sum(int(x) for x in re.findall(r"Workers Launched: (\d+)", out))
            plan = out if rc == 0 else err
            self.timed_sql(system, "grouped_w%d" % w, q, setup, warm, self.parse_groups,
                           workers_launched=launched, plan=plan)

    # ------------------------------------------------------------------
    # A target compares two measurements.  Taken minutes apart, their ratio
    # moves with the machine's speed (a shared machine drifts by 10% and
    # more between runs of the same code), so the two sides of each target
    # are also run in turn, A B A B, in one warmed session, and the target
    # is judged on the median of the ratios pair by pair; the ratio of the
    # medians is printed beside it.  A floor runs from psql (\!), writing its
    # seconds to a file, so that the session's caches stay warm.
    # the floors each (system, query) of a target is compared with
    FLOOR_PAIRS = {("trail_fdw", "count"): ("floor", "fast_floor"),
                   ("trail_fdw", "grouped"): ("floor", "fast_floor"),
                   ("trail_fdw", "all_rows"): ("floor",), ("trail_srf", "all_rows"): ("floor",),
                   ("trail_fdw", "all_copy"): ("floor",), ("trail_srf", "all_copy"): ("floor",)}

    def relation(self, system):
        return "bench.events" if system == "trail_fdw" else "trail.read(%s)" % lit(self.logs)

    def warmup(self, system):
        """What a session runs before its timed queries."""
        if system == "trail_fdw":
            return "SELECT 1 FROM bench.events LIMIT 1;"
        return "SELECT count(*) FROM trail.read(%s);" % lit(self.small_file)

    def pairs_for(self, seconds):
        """How many pairs fit the budget when one pair takes seconds (the
        round not counted is on top)."""
        if seconds <= 0:
            return self.a.repeat
        return max(1, min(self.a.repeat, int(self.a.budget / seconds)))

    def paired_session(self, setup, warmup, steps, n):
        """Run steps (SQL queries, or ("floor", exe) commands) in turn n times
        in one session, after one round not counted (the first run of a
        query in a session lists the tree and reads cold files); returns one
        list of seconds per step, or None."""
        script = [setup or "", warmup or "", "\\timing on"]
        outs = []
        for k, st in enumerate(steps):
            if isinstance(st, tuple):
                out = os.path.join(self.tmp, "paired-%d.txt" % k)
                open(out, "w").close()
                outs.append(out)
        for i in range(n + 1):
            k = 0
            for st in steps:
                if isinstance(st, tuple):
                    script.append("\\! %s -0 < %s >> %s" % (shlex.quote(st[1]), shlex.quote(self.list0),
                                                              shlex.quote(outs[k])))
                    k += 1
                else:
                    script.append(st.rstrip().rstrip(";") + ";")
        rc, out, err = self.sql("\n".join(script) + "\n")
        if rc != 0:
            say("paired: failed: %s" % (err or out).strip().splitlines()[-1:])
            return None
        nsql = sum(1 for st in steps if not isinstance(st, tuple))
        # the first round is not counted
        sql_times = [float(m) / 1000.0 for m in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)][nsql:]
        floor_times = []
        for o in outs:
            with open(o) as fh:
                floor_times.append([float(x) for x in re.findall(r"seconds=([0-9.]+)", fh.read())][1:])
        result, isql, ifloor = [], 0, 0
        for st in steps:
            if isinstance(st, tuple):
                result.append(floor_times[ifloor])
                ifloor += 1
            else:
                result.append(sql_times[isql::nsql])
                isql += 1
        if any(len(r) != n for r in result):
            say("paired: expected %d runs of each step, got %s" % (n, [len(r) for r in result]))
            return None
        return result

    def paired(self):
        """The targets' pairs: the FDW and trail.read against the floors, and
        trail.read against the FDW."""
        have_fdw = self.get("trail_fdw", "count") is not None
        have_srf = self.get("trail_srf", "count") is not None
        if not have_fdw and not have_srf:
            return
        exe = {"floor": self.a.floor, "fast_floor": self.fast_floor_exe()}
        queries = self.trail_query_texts()
        for (sysid, q), wanted in self.FLOOR_PAIRS.items():
            floors = [f for f in wanted if self.get(f, "count") is not None]
            if self.get(sysid, q) is None or not floors:
                continue
            steps = [("floor", exe[f]) for f in floors] + [queries[q] % self.relation(sysid)]
            n = self.pairs_for(self.get(sysid, q) + sum(self.get(f, "count") for f in floors))
            r = self.paired_session(SERIAL, self.warmup(sysid), steps, n)
            if r is None:
                continue
            for i, f in enumerate(floors):
                self.add_pairs(sysid, q, f, r[-1], r[i])
        if not (have_fdw and have_srf):
            return
        for q in self.TABLE_QUERIES:
            a, b = self.get("trail_srf", q), self.get("trail_fdw", q)
            if a is None or b is None:
                continue
            steps = [queries[q] % self.relation("trail_srf"), queries[q] % self.relation("trail_fdw")]
            n = self.pairs_for(a + b)
            r = self.paired_session(SERIAL, self.warmup("trail_fdw"), steps, n)
            if r is None:
                continue
            self.add_pairs("trail_srf", q, "trail_fdw", r[0], r[1])

    def add_pairs(self, system, query, ref, times, ref_times):
        ratios = [a / b for a, b in zip(times, ref_times)]
        self.pairs[(system, query, ref)] = {"ratio": median(ratios), "ratios": [round(x, 4) for x in ratios],
                                            "times": [round(x, 6) for x in times],
                                            "reference_times": [round(x, 6) for x in ref_times]}
        say("paired %-10s %-10s against %-10s median %.2fx over %d pairs (%.2fx-%.2fx)"
            % (system, query, ref, median(ratios), len(ratios), min(ratios), max(ratios)))

    # ------------------------------------------------------------------
    PG_VIEW = """
CREATE VIEW bench_pg.events AS
SELECT (doc->>'eventTime')::timestamptz AS event_time,
       doc->>'eventVersion' AS event_version,
       doc->>'eventSource' AS event_source,
       doc->>'eventName' AS event_name,
       doc->>'awsRegion' AS aws_region,
       doc->>'eventCategory' AS event_category,
       doc->>'eventType' AS event_type,
       (doc->>'readOnly')::boolean AS read_only,
       (doc->>'managementEvent')::boolean AS management_event,
       doc->>'sourceIPAddress' AS source_ip_address,
       doc->>'userAgent' AS user_agent,
       doc->>'errorCode' AS error_code,
       doc->>'errorMessage' AS error_message,
       doc->>'requestID' AS request_id,
       doc->>'eventID' AS event_id,
       doc->>'sharedEventID' AS shared_event_id,
       doc->>'apiVersion' AS api_version,
       doc->>'recipientAccountId' AS recipient_account_id,
       doc->>'vpcEndpointId' AS vpc_endpoint_id,
       doc->>'vpcEndpointAccountId' AS vpc_endpoint_account_id,
       doc->'userIdentity' AS user_identity,
       doc#>>'{userIdentity,type}' AS user_type,
       doc#>>'{userIdentity,principalId}' AS principal_id,
       doc#>>'{userIdentity,arn}' AS user_arn,
       doc#>>'{userIdentity,accountId}' AS account_id,
       doc#>>'{userIdentity,accessKeyId}' AS access_key_id,
       doc#>>'{userIdentity,userName}' AS user_name,
       doc#>>'{userIdentity,invokedBy}' AS invoked_by,
       doc#>>'{userIdentity,sessionContext,sessionIssuer,type}' AS session_issuer_type,
       doc#>>'{userIdentity,sessionContext,sessionIssuer,arn}' AS session_issuer_arn,
       doc#>>'{userIdentity,sessionContext,sessionIssuer,userName}' AS session_issuer_user_name,
       (doc#>>'{userIdentity,sessionContext,attributes,mfaAuthenticated}')::boolean AS mfa_authenticated,
       (doc#>>'{userIdentity,sessionContext,attributes,creationDate}')::timestamptz AS session_created_at,
       doc->'requestParameters' AS request_parameters,
       doc->'responseElements' AS response_elements,
       doc->'additionalEventData' AS additional_event_data,
       doc->'serviceEventDetails' AS service_event_details,
       doc->'resources' AS resources,
       doc->'tlsDetails' AS tls_details,
       doc->'addendum' AS addendum,
       doc->'edgeDeviceDetails' AS edge_device_details,
       doc->'insightDetails' AS insight_details,
       (doc->>'sessionCredentialFromConsole')::boolean AS session_credential_from_console,
       doc AS raw
  FROM bench_pg.raw;
"""

    # A store kept by trail.sync: the first load of the tree, a sync that
    # finds nothing new, and one of the last hour's files (forgotten by
    # deleting their rows and manifest rows before each run); then the
    # queries on the table.
    STORE = "bench_store.events"

    def trail_store(self):
        rc, out, err = self.sql("SELECT to_regprocedure("
                                "'trail.sync(regclass,text,integer,text,boolean,boolean,boolean)') IS NOT NULL;")
        if rc != 0 or out.strip() != "t":
            return self.skip("trail_store", "trail.sync does not exist (trail 1.1)")
        L, S = lit(self.logs), lit(self.STORE)
        sync = "CALL trail.sync(%s, %s)" % (S, L)
        fresh = ("DROP SCHEMA IF EXISTS bench_store CASCADE;\nCREATE SCHEMA bench_store;\n"
                 "SELECT trail.create_store(%s);" % S)
        forget = ("WITH h AS (DELETE FROM trail.synced_file m WHERE m.store = %s::regclass AND m.delivered_at > "
                  "(SELECT max(delivered_at) - interval '1 hour' FROM trail.synced_file WHERE store = %s::regclass) "
                  "RETURNING path, first_event, last_event) "
                  "DELETE FROM %s e USING h WHERE e.source_file = h.path "
                  "AND e.event_time BETWEEN h.first_event AND h.last_event;" % (S, S, self.STORE))

        def timed(setup, n=1):
            times, _, err = self._timed_session(setup, "", sync, n)
            return times, err
        times, err = timed(fresh)
        for _ in range(self.repeats(times[0]) if not err else 0):
            t, err = timed(fresh)
            if err:
                break
            times += t
        if err:
            return self.record("trail_store", "sync_first", times, error=err, sql=sync)
        rc, out, err = self.sql("SELECT count(*), (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                                "WHERE inhparent = %s::regclass) FROM %s;" % (S, self.STORE))
        n, size = (out.split() + [None, None])[:2]
        self.record("trail_store", "sync_first", times, int(n) if n else None,
                    table_bytes=int(size) if size else None, sql=sync)
        self.sql("VACUUM (ANALYZE) %s;" % self.STORE)
        self.timed_sql("trail_store", "sync_none", sync)
        times = []
        for _ in range(self.a.repeat):
            t, err = timed(forget)
            if err:
                return self.record("trail_store", "sync_hour", times, error=err, sql=sync)
            times += t
        self.record("trail_store", "sync_hour", times, sql=sync)
        self.trail_queries("trail_store", self.STORE, SERIAL)
        self.sql("DROP SCHEMA bench_store CASCADE;")

    def pg_jsonb(self):
        rc, out, err = self.sql("DROP SCHEMA IF EXISTS bench_pg CASCADE;\nCREATE SCHEMA bench_pg;\n"
                                "CREATE TABLE bench_pg.raw (doc jsonb);\n" + self.PG_VIEW)
        if rc != 0:
            return self.skip("pg_jsonb", "could not create the table: %s" % err.strip())
        loader = [sys.executable, os.path.join(BENCH, "pg_load.py"), "--list", self.list]
        copy = [self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", "COPY bench_pg.raw (doc) FROM STDIN"]

        def load_once():
            self.sql("TRUNCATE bench_pg.raw;")
            t0 = time.perf_counter()
            p1 = subprocess.Popen(loader, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            p2 = subprocess.Popen(copy, stdin=p1.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            p1.stdout.close()
            o2, e2 = p2.communicate()
            e1 = p1.stderr.read().decode()
            p1.wait()
            dt = time.perf_counter() - t0
            if p1.returncode or p2.returncode:
                return None, (e1 + e2) or "load failed"
            return dt, None
        dt, err = load_once()
        if err:
            return self.record("pg_jsonb", "load", [], error=err)
        times = [dt]
        for _ in range(self.repeats(dt)):
            dt, err = load_once()
            if err:
                return self.record("pg_jsonb", "load", times, error=err)
            times.append(dt)
        rc, out, err = self.sql("SELECT count(*), pg_total_relation_size('bench_pg.raw') FROM bench_pg.raw;")
        n, size = (out.split() + [None, None])[:2]
        self.record("pg_jsonb", "load", times, int(n) if n else None, table_bytes=int(size) if size else None)
        t0 = time.perf_counter()
        self.sql("VACUUM (ANALYZE) bench_pg.raw;")
        self.info["pg_vacuum_analyze_seconds"] = round(time.perf_counter() - t0, 3)
        D, N = lit(self.day + " 00:00:00+00"), lit(self.day_next + " 00:00:00+00")
        pc, pg = self.parse_count, self.parse_groups
        S = SERIAL
        self.timed_sql("pg_jsonb", "count", "SELECT count(*) FROM bench_pg.raw", S, parse=pc)
        self.timed_sql("pg_jsonb", "grouped", "SELECT doc->>'eventSource', doc->>'eventName', count(*) "
                       "FROM bench_pg.raw WHERE doc->'readOnly' = 'false'::jsonb GROUP BY 1, 2", S, parse=pg)
        self.timed_sql("pg_jsonb", "all_rows", "SELECT count(t) FROM bench_pg.events t", S, parse=pc)
        self.timed_sql("pg_jsonb", "all_copy", "COPY (SELECT * FROM bench_pg.events) TO '/dev/null'", S)
        self.timed_sql("pg_jsonb", "day", "SELECT count(*) FROM bench_pg.raw WHERE (doc->>'eventTime')::timestamptz >= %s "
                       "AND (doc->>'eventTime')::timestamptz < %s" % (D, N), S, parse=pc)
        if not self.a.keep_jsonb:
            self.sql("DROP SCHEMA bench_pg CASCADE;")

    # ------------------------------------------------------------------
    def timed_cmd(self, system, qid, argv, parse, internal=False):
        """Run a command (first run, then as many more as the budget allows)."""
        times, result = [], None
        n = 1
        while len(times) < n:
            t0 = time.perf_counter()
            p = subprocess.run(argv, capture_output=True, text=True)
            dt = time.perf_counter() - t0
            if p.returncode != 0:
                return self.record(system, qid, times, error=p.stderr or "exit %d" % p.returncode)
            val = parse(p.stdout)
            if internal:
                dt, val = val
            times.append(dt)
            result = val
            if len(times) == 1:
                n = 1 + self.repeats(dt)
        return self.record(system, qid, times, result)

    def python(self):
        for q in ("count", "grouped", "day"):
            argv = [sys.executable, os.path.join(BENCH, "py_baseline.py"), "--list", self.list,
                    "--query", q, "--day", self.day]

            def parse(out):
                d = json.loads(out)
                r = d["result"]
                if q == "grouped":
                    r = sorted([[s, n, c] for s, n, c in r], key=lambda x: (x[0] or "", x[1] or ""))
                return d["times"][0], r
            self.timed_cmd("python", q, argv, parse, internal=True)

    def duckdb(self):
        mod = os.path.join(BENCH, "duckdb", "node_modules", "@duckdb", "node-api")
        node = shutil.which("node")
        if not node:
            return self.skip("duckdb", "node is not installed")
        if not os.path.isdir(mod):
            return self.skip("duckdb", "@duckdb/node-api is not installed (npm install --prefix bench/duckdb)")
        base = [node, os.path.join(BENCH, "duckdb", "run.mjs"), "--list", self.list, "--day", self.day,
                "--threads", "1,2"]
        p = subprocess.run(base + ["--repeat", "1"], capture_output=True, text=True)
        if p.returncode != 0:
            return self.skip("duckdb", "run.mjs failed: %s" % p.stderr.strip()[-500:])
        first = json.loads(p.stdout)
        self.info["duckdb_version"] = first.get("duckdb")
        worst = max(max(r["times"]) for r in first["results"])
        more = self.repeats(worst)
        acc = {(r["query"], r["threads"]): r for r in first["results"]}
        if more:
            p = subprocess.run(base + ["--repeat", str(more)], capture_output=True, text=True)
            if p.returncode == 0:
                for r in json.loads(p.stdout)["results"]:
                    k = (r["query"], r["threads"])
                    acc[k]["times"] += r["times"]
                    acc[k]["result"] = r["result"]
            else:
                say("duckdb: second round failed, keeping the first: %s" % p.stderr.strip()[-300:])
        for (q, th), r in acc.items():
            res = r["result"]
            if q == "grouped":
                res = sorted([[s, n, c] for s, n, c in res], key=lambda x: (x[0] or "", x[1] or ""))
            self.record("duckdb_%d" % th, q, r["times"], res)

    def jq(self):
        if not shutil.which("jq"):
            return self.skip("jq", "jq is not installed (apt-get install jq)")
        self.info["jq_version"] = subprocess.run(["jq", "--version"], capture_output=True, text=True).stdout.strip()
        script = os.path.join(BENCH, "jq_run.sh")

        def pcount(out):
            return int(out.strip())

        def pgroups(out):
            return self.parse_groups(out.splitlines())
        self.timed_cmd("jq", "count", ["bash", script, "count", self.list, self.day], pcount)
        self.timed_cmd("jq", "grouped", ["bash", script, "grouped", self.list, self.day], pgroups)

    # ------------------------------------------------------------------
    # Log file validation (issue 8): trail.verify over the whole tree, as
    # one statement in a fresh session, beside the AWS CLI's validator
    # driven over the same files.
    def corpus_root(self, logs):
        return os.path.dirname(os.path.abspath(logs))

    def load_keys(self, root):
        """trail.load_public_keys for each region's list-public-keys file."""
        kdir = os.path.join(root, "public-keys")
        if not os.path.isdir(kdir):
            return "no public-keys/ beside the tree (bench/gen.py writes it)"
        sql = "".join("SELECT trail.load_public_keys(%s, %s);\n" % (lit(open(os.path.join(kdir, f)).read()),
                                                                  lit(f[:-len(".json")]))
                      for f in sorted(os.listdir(kdir)) if f.endswith(".json"))
        rc, out, err = self.sql(sql)
        return None if rc == 0 else (err or out)

    def verify_expected(self):
        """What trail.verify must say of the main tree: every digest and
        every CloudTrail/ log file valid; the Insights and network-activity
        files not_covered (no digest lists those kinds)."""
        f = self.manifest.get("folders", {})
        other = sum(v["files"] for k, v in f.items() if k not in ("CloudTrail", "CloudTrail-Digest"))
        return {("digest", "valid"): f.get("CloudTrail-Digest", {}).get("files", 0),
                ("log", "valid"): f.get("CloudTrail", {}).get("files", 0),
                ("log", "not_covered"): other}

    def verify(self):
        rc, out, err = self.sql("SELECT to_regprocedure('trail.verify(text,timestamptz,timestamptz,jsonb)') IS NOT NULL;")
        if rc != 0 or out.strip() != "t":
            return self.skip("verify", "trail.verify does not exist")
        root = self.corpus_root(self.logs)
        err = self.load_keys(root)
        if err:
            return self.record("trail_verify", "verify", [], error="loading the public keys: %s" % err)
        with open(os.path.join(root, "signatures.json")) as f:
            sigs = f.read()
        q = ("SELECT object, status, count(*) FROM trail.verify(%s, signatures => %s::jsonb) GROUP BY 1, 2 "
             "ORDER BY 1, 2" % (lit(self.logs), lit(sigs)))

        def parse(rows):
            return {(o, s): int(n) for o, s, n in (r.split("\t") for r in rows or [] if r)}
        m = self.fresh_sql("trail_verify", "verify", q, "", parse)
        want = self.verify_expected()
        if m.get("result") is not None:
            m["expected"] = {"%s %s" % k: v for k, v in want.items()}
            got = m["result"]
            m["result"] = {"%s %s" % k: v for k, v in sorted(got.items())}
            if got != {k: v for k, v in want.items() if v}:
                self.verify_mismatch = "trail.verify: %s, expected %s" % (
                    ", ".join("%s %s %d" % (o, s, n) for (o, s), n in sorted(got.items())),
                    ", ".join("%s %s %d" % (o, s, n) for (o, s), n in sorted(want.items()) if n))

    def awscli_python(self):
        for py in (sys.executable, "/usr/bin/python3"):
            if os.access(py, os.X_OK) and subprocess.run(
                    [py, "-c", "import awscli.customizations.cloudtrail.validation"],
                    capture_output=True).returncode == 0:
                return py
        return None

    def awscli(self):
        py = self.awscli_python()
        if not py:
            return self.skip("awscli", "the AWS CLI is not installed (apt-get install awscli)")
        root = self.corpus_root(self.logs)
        p = subprocess.run([py, "-c", "import awscli; print(awscli.__version__)"], capture_output=True, text=True)
        self.info["awscli_version"] = p.stdout.strip()
        argv = [py, os.path.join(BENCH, "awscli_validate.py"), "--tree", root]

        def parse(out):
            d = json.loads(out)
            return d["seconds"], {"digest valid": d["valid_digests"], "digest invalid": d["invalid_digests"],
                                  "log valid": d["valid_logs"], "log invalid": d["invalid_logs"]}
        m = self.timed_cmd("awscli", "verify", argv, parse, internal=True)
        want = self.verify_expected()
        exp = {"digest valid": want[("digest", "valid")], "digest invalid": 0,
               "log valid": want[("log", "valid")], "log invalid": 0}
        if m.get("result") is not None and m["result"] != exp:
            self.awscli_mismatch = "AWS CLI validator: %s, expected %s" % (m["result"], exp)

    # ------------------------------------------------------------------
    # Fresh sessions: each run is a new psql, the query its first statement
    # after the settings: planning, the walk and loading trail included.
    def fresh_sql(self, system, qid, query, setup="", parse=None, **extra):
        times, walls, rows = [], [], None
        n = 1
        while len(times) < n:
            t0 = time.perf_counter()
            t, rows, err = self._timed_session(setup, "", query, 1)
            walls.append(time.perf_counter() - t0)
            if err:
                return self.record(system, qid, times, error=err, sql=query, **extra)
            times += t
            if len(times) == 1:
                n = 1 + self.repeats(t[0])
        return self.record(system, qid, times, parse(rows) if parse else rows, sql=query,
                           session_seconds=[round(w, 6) for w in walls], **extra)

    # ------------------------------------------------------------------
    # The year-shaped tree (issue 10, folder-level pruning).
    YEAR_WINDOWS = [  # id, label, interval
        ("hour", "one hour, mid-year", "1 hour"),
        ("week", "one week, mid-year", "7 days"),
        ("last", "the last hour of the tree", "1 hour"),
    ]

    def year_windows(self, man):
        first = datetime.datetime.fromisoformat(man["first_day"]).replace(tzinfo=datetime.timezone.utc)
        mid = first + datetime.timedelta(days=man["days"] // 2, hours=14)
        last = first + datetime.timedelta(days=man["days"]) - datetime.timedelta(hours=1)
        spans = {"1 hour": datetime.timedelta(hours=1), "7 days": datetime.timedelta(days=7)}
        out = {}
        for wid, label, iv in self.YEAR_WINDOWS:
            lo = last if wid == "last" else mid
            out[wid] = (lo, lo + spans[iv], iv, label)
        return out

    @staticmethod
    def region_dirs(logs):
        """AWSLogs/[o-org/]<account>/<Folder>/<region>: every log folder's regions."""
        out = []
        for top in sorted(os.listdir(logs)):
            accts = [os.path.join(logs, top)]
            if top.startswith("o-"):
                accts = [os.path.join(logs, top, a) for a in sorted(os.listdir(os.path.join(logs, top)))]
            for a in accts:
                for folder in sorted(os.listdir(a)):
                    if folder.startswith("CloudTrail") and folder != "CloudTrail-Digest":
                        out.extend(os.path.join(a, folder, r) for r in sorted(os.listdir(os.path.join(a, folder))))
        return out

    def year_python(self, logs, lo, hi):
        """count(*) and the grouped write events of [lo, hi), by Python:
        gzip + json over the day folders from the day before lo to the day
        after hi (records are at most an hour late)."""
        lo_s, hi_s = lo.strftime("%Y-%m-%dT%H:%M:%SZ"), hi.strftime("%Y-%m-%dT%H:%M:%SZ")
        days = []
        d = lo - datetime.timedelta(days=1)
        while d < hi + datetime.timedelta(days=1):
            days.append(d.strftime("%Y/%m/%d"))
            d += datetime.timedelta(days=1)
        import gzip
        n, groups, files = 0, {}, 0
        for rd in self.region_dirs(logs):
            for day in days:
                dd = os.path.join(rd, day)
                if not os.path.isdir(dd):
                    continue
                for f in sorted(os.listdir(dd)):
                    if not f.endswith(".json.gz"):
                        continue
                    files += 1
                    with gzip.open(os.path.join(dd, f), "rb") as fh:
                        doc = json.loads(fh.read())
                    for r in doc.get("Records") or ():
                        t = r.get("eventTime") or ""
                        if lo_s <= t < hi_s:
                            n += 1
                            if r.get("readOnly") is False:
                                k = (r.get("eventSource"), r.get("eventName"))
                                groups[k] = groups.get(k, 0) + 1
        g = sorted([[s, e, c] for (s, e), c in groups.items()], key=lambda x: (x[0] or "", x[1] or ""))
        return n, g, files

    def week_tree(self, root, logs, lo, hi):
        """A tree holding only the files of the day folders around [lo, hi)
        (hard links, digests too): the same one-hour query on a tree of one
        week, to see what the size of the tree costs."""
        top = os.path.join(root, "week-tree-%s" % lo.strftime("%Y%m%d"))
        done = os.path.join(top, ".complete")
        if os.path.exists(done):
            return os.path.join(top, "AWSLogs")
        shutil.rmtree(top, ignore_errors=True)
        days = set()
        d = lo - datetime.timedelta(days=1)
        while d < hi + datetime.timedelta(days=1):
            days.add(d.strftime("%Y/%m/%d"))
            d += datetime.timedelta(days=1)
        for dirpath, dirs, files in os.walk(logs):
            rel = os.path.relpath(dirpath, logs)
            parts = rel.split(os.sep)
            if len(parts) >= 3 and "/".join(parts[-3:]) in days and files:
                dst = os.path.join(top, "AWSLogs", rel)
                os.makedirs(dst, exist_ok=True)
                for f in files:
                    os.link(os.path.join(dirpath, f), os.path.join(dst, f))
        open(done, "w").close()
        return os.path.join(top, "AWSLogs")

    def year(self):
        if not self.a.year:
            return self.skip("year", "no year-shaped tree (BENCH_YEAR=0)")
        if "trail_version" not in self.info:
            v, err = self.trail_available()
            if not v:
                return self.skip("year", "trail is not available")
        root = self.a.year
        logs = os.path.join(root, "AWSLogs")
        with open(os.path.join(root, "manifest.json")) as f:
            man = json.load(f)
        self.year_manifest = man
        wins = self.year_windows(man)
        self.info["year_tree"] = {k: man.get(k) for k in ("size", "files", "records", "digest_files", "first_day",
                                                          "days", "accounts", "regions", "records_per_file")}
        self.info["year_windows"] = {w: [lo.isoformat(), hi.isoformat()] for w, (lo, hi, _, _) in wins.items()}
        week_logs = self.week_tree(root, logs, wins["week"][0], wins["week"][1])
        rc, out, err = self.sql(
            "DROP SCHEMA IF EXISTS bench_year CASCADE;\nDROP SCHEMA IF EXISTS bench_week CASCADE;\n"
            "DROP SERVER IF EXISTS bench_year_trail CASCADE;\n"
            "CREATE SCHEMA bench_year;\nCREATE SCHEMA bench_week;\n"
            "CREATE SERVER bench_year_trail FOREIGN DATA WRAPPER trail_fdw;\n"
            "IMPORT FOREIGN SCHEMA trail FROM SERVER bench_year_trail INTO bench_year OPTIONS (location %s);\n"
            "IMPORT FOREIGN SCHEMA trail FROM SERVER bench_year_trail INTO bench_week OPTIONS (location %s);\n"
            "SELECT to_regclass('bench_year.events') IS NOT NULL AND to_regclass('bench_week.events') IS NOT NULL;"
            % (lit(logs), lit(week_logs)))
        if rc != 0 or out.strip().splitlines()[-1:] != ["t"]:
            return self.record("trail_fdw", "year_setup", [], error=err or out)
        say("year tree: %d files (%d digests) under %s" % (man["files"], man.get("digest_files", 0), logs))
        # one untimed look at every directory and file first, so that no
        # row pays for the OS's first reading of them
        for top in (logs, week_logs):
            for d, dirs, files in os.walk(top):
                for f in files:
                    os.stat(os.path.join(d, f))
        pc, pg = self.parse_count, self.parse_groups
        self.year_expected = {}
        for wid, (lo, hi, iv, label) in wins.items():
            t0 = time.perf_counter()
            n, g, files = self.year_python(logs, lo, hi)
            self.year_expected[wid] = {"count": n, "grouped": g, "files_read": files,
                                       "seconds": round(time.perf_counter() - t0, 3)}
            say("year %s [%s, %s): Python counts %d events (%d files read)" % (wid, lo.isoformat(), hi.isoformat(),
                                                                              n, files))
            X = lit(lo.strftime("%Y-%m-%d %H:%M:%S+00"))
            where = "event_time >= %s AND event_time < %s::timestamptz + interval %s" % (X, X, lit(iv))
            rels = [("trail_fdw", "bench_year.events"), ("trail_srf", "trail.read(%s)" % lit(logs))]
            if wid == "hour":
                rels.append(("trail_fdw_week", "bench_week.events"))
            for system, rel in rels:
                sysname = "trail_fdw" if system == "trail_fdw_week" else system
                tree = "week" if system == "trail_fdw_week" else "year"
                for q, sql, parse in (
                        ("count", "SELECT count(*) FROM %s WHERE %s" % (rel, where), pc),
                        ("grouped", "SELECT event_source, event_name, count(*) FROM %s WHERE read_only = false "
                                    "AND %s GROUP BY 1, 2" % (rel, where), pg)):
                    qid = "year_%s_%s%s" % (wid, q, "_weektree" if tree == "week" else "")
                    self.fresh_sql(sysname, qid + "_fresh", sql, SERIAL, parse, window=wid, tree=tree)
                    if tree == "year":
                        self.timed_sql(sysname, qid + "_warm", sql, SERIAL, sql + ";", parse, window=wid, tree=tree)
        self.sql("DROP SCHEMA bench_year CASCADE;\nDROP SCHEMA bench_week CASCADE;\n"
                 "DROP SERVER bench_year_trail CASCADE;")

    def year_problems(self):
        out = []
        for m in self.rows:
            if not m["query"].startswith("year_") or m["error"] or m["result"] is None:
                continue
            wid, q = m["query"].split("_")[1:3]
            want = self.year_expected.get(wid, {}).get(q)
            m["agrees"] = m["result"] == want
            if not m["agrees"]:
                out.append("%s %s: %s differs from Python's %s" % (m["system"], m["query"], self.short(m["result"]),
                                                                   self.short(want)))
        return out

    def year_report(self):
        ms = [m for m in self.rows if m["query"].startswith("year_") and not m["error"] and m["median"] is not None]
        if not ms:
            return
        man = self.year_manifest
        print("\nyear-shaped tree (%s): %d log files, %d digests, %d records, %s + %d days; "
              "serial; fresh: a new session per run (planning and the walk included), warm: after one run"
              % (man["size"], man["files"], man.get("digest_files", 0), man["records"], man["first_day"],
                 man["days"]))
        hdr = "%-58s %-11s %9s %9s %5s %10s" % ("query", "system", "fresh s", "warm s", "runs", "events")
        print(hdr)
        print("-" * len(hdr))
        sysl = {"trail_fdw": "trail FDW", "trail_srf": "trail.read"}
        wl = {w: (label, iv) for w, label, iv in self.YEAR_WINDOWS}
        for wid, (label, iv) in wl.items():
            for q in ("count", "grouped"):
                for tree in ("year", "week"):
                    for system in ("trail_fdw", "trail_srf"):
                        base = "year_%s_%s%s" % (wid, q, "_weektree" if tree == "week" else "")
                        f, w = self.get(system, base + "_fresh"), self.get(system, base + "_warm")
                        if f is None:
                            continue
                        fm = next(m for m in ms if m["system"] == system and m["query"] == base + "_fresh")
                        res = fm["result"]
                        ev = res if isinstance(res, int) else sum(x[2] for x in res or [])
                        name = "%s: %s" % (label, "count(*)" if q == "count" else "write events by source, name")
                        if tree == "week":
                            name = "  same, on a tree of that week only"
                        print("%-58s %-11s %9.3f %9s %5d %10d%s" % (
                            name, sysl[system], f, "%.3f" % w if w is not None else "-", fm["runs"], ev,
                            "" if fm.get("agrees", True) else "  (result differs!)"))

    def year_targets(self, add):
        if not getattr(self, "year_manifest", None):
            add("one-hour query on the year-shaped tree within 2x of one week", None, "not measured")
            return
        for system, name in (("trail_fdw", "FDW"), ("trail_srf", "trail.read")):
            for q in ("count", "grouped"):
                h, w = self.get(system, "year_hour_%s_fresh" % q), self.get(system, "year_week_%s_fresh" % q)
                label = "year tree, %s %s: one hour within 2x of one week" % (name, q)
                if h is None or w is None:
                    add(label, None, "not measured")
                else:
                    add(label, h <= 2 * w, "%.3f s vs %.3f s (%.2fx)" % (h, w, h / w))
        for q in ("count", "grouped"):
            h, w = self.get("trail_fdw", "year_hour_%s_fresh" % q), self.get("trail_fdw", "year_hour_%s_weektree_fresh" % q)
            label = "FDW %s, one hour: year tree within 2x of a one-week tree" % q
            if h is None or w is None:
                add(label, None, "not measured")
            else:
                add(label, h <= 2 * w, "%.3f s vs %.3f s (%.2fx)" % (h, w, h / w))

    # ------------------------------------------------------------------
    @staticmethod
    def proc_status(pid):
        try:
            with open("/proc/%d/status" % pid) as f:
                d = {}
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("VmRSS", "VmHWM"):
                        d[k] = int(v.split()[0]) * 1024
                return d
        except (FileNotFoundError, ProcessLookupError, ValueError):
            return None

    def large(self):
        path = self.a.large
        if not path or not os.path.exists(path):
            return self.skip("large", "no large file")
        floors = [("floor", self.a.floor)]
        if (self.info.get("trail_inflater") or "zlib").split()[0] != "zlib":
            # ISA-L's even when trail has libdeflate: a file this large is
            # streamed (libdeflate's shortcut reads at most 2 MB whole)
            floors.append(("fast_floor", self.a.fast_floor))
        for system, exe in floors:
            if not exe or not os.access(exe, os.X_OK):
                continue
            times, res = [], None
            for i in range(min(3, self.a.repeat)):
                p = subprocess.run([exe, path], capture_output=True, text=True)
                if p.returncode != 0:
                    self.record(system, "large", times, error=p.stderr or "exit %d" % p.returncode)
                    break
                kv = dict(x.split("=") for x in p.stdout.split())
                times.append(float(kv["seconds"]))
                res = int(kv["inflated_bytes"])
            else:
                self.record(system, "large", times, res)
        if "trail_version" not in self.info:
            return self.skip("large", "trail is not available")
        pidfile = os.path.join(self.tmp, "pid")
        script = ("\\o %s\nSELECT pg_backend_pid();\n\\o\n"
                  "SELECT count(*) FROM trail.read(%s);\n"
                  "SELECT pg_sleep(1);\n"
                  "\\timing on\n"
                  "SELECT count(*), max(event_time) FROM trail.read(%s);\n"
                  "\\timing off\n"
                  "SELECT pg_sleep(0.5);\n") % (pidfile, lit(self.small_file), lit(path))
        p = subprocess.Popen([self.psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # one process: the backend whose memory is measured reads the file
        p.stdin.write("SET TimeZone = 'UTC';\n" + SERIAL + "\n" + script)
        p.stdin.close()
        out_lines, err_chunks = [], []
        t_out = threading.Thread(target=lambda: out_lines.extend(p.stdout.read().splitlines()))
        t_err = threading.Thread(target=lambda: err_chunks.append(p.stderr.read()))
        t_out.start()
        t_err.start()
        pid = None
        deadline = time.time() + 30
        while pid is None and time.time() < deadline and p.poll() is None:
            try:
                with open(pidfile) as f:
                    txt = f.read().strip()
                pid = int(txt) if txt else None
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.02)
        idle = None
        samples = []
        if pid:
            time.sleep(0.6)      # in pg_sleep(1), after the warm-up read
            idle = self.proc_status(pid)
            while p.poll() is None:
                s = self.proc_status(pid)
                if s:
                    samples.append(s)
                time.sleep(0.02)
        p.wait()
        t_out.join()
        t_err.join()
        err = "".join(err_chunks)
        times = [float(m.group(1)) / 1000 for m in (re.match(r"^Time: ([0-9.]+) ms", x) for x in out_lines) if m]
        if p.returncode != 0 or not times:
            return self.record("trail_srf", "large", [], error=err or "psql failed")
        rows = [x for x in out_lines if "\t" in x]
        result = rows[-1] if rows else None
        extra = {}
        lman = os.path.join(os.path.dirname(path), "manifest.json")
        if result and os.path.exists(lman):
            with open(lman) as f:
                want = json.load(f).get("records")
            extra["agrees"] = int(result.split("\t")[0]) == want
            extra["expected_records"] = want
        mem = {}
        if idle and samples:
            peak_rss = max(s["VmRSS"] for s in samples)
            hwm = max(s["VmHWM"] for s in samples)
            mem = {"idle_rss": idle["VmRSS"], "idle_hwm": idle["VmHWM"], "peak_rss": peak_rss, "hwm": hwm,
                   "growth": max(peak_rss - idle["VmRSS"], hwm - idle["VmHWM"]), "samples": len(samples)}
        self.info["large_file"] = {"path": path, "compressed_bytes": os.path.getsize(path)}
        lm = self.manifest.get("large_file") or {}
        m = self.record("trail_srf", "large", times, result, memory=mem,
                        uncompressed_bytes=self.a.large_bytes or lm.get("uncompressed_bytes"), **extra)
        if extra.get("agrees") is False:
            self.large_mismatch = "large file: trail counted %s, the generator wrote %s records" % (
                result.split("\t")[0], extra["expected_records"])

    # ------------------------------------------------------------------
    def check_results(self):
        """Compare each system's answer with the Python baseline's (or the
        first system's); mark the rows that disagree."""
        by_q = {}
        for m in self.rows:
            if m["error"] or m["query"] in ("load", "all_copy", "large", "verify") or m["system"] in ("floor", "fast_floor", "isal_floor"):
                continue
            if m["query"].startswith("year"):
                continue
            by_q.setdefault(m["query"].split("_w")[0], []).append(m)
        problems = [getattr(self, x) for x in ("large_mismatch", "verify_mismatch", "awscli_mismatch")
                    if getattr(self, x, None)]
        problems += self.year_problems()
        for q, ms in by_q.items():
            ref = next((m for m in ms if m["system"] == "python"), None)
            if ref is None:
                ref = ms[0]
            for m in ms:
                if m["result"] is None:
                    continue
                ok = m["result"] == ref["result"]
                if not ok and q == "all_rows":
                    # compare with the count(*) of the same system
                    ok = any(x["system"] == m["system"] and x["query"] == "count" and x["result"] == m["result"]
                             for x in self.rows)
                m["agrees"] = ok
                if not ok:
                    problems.append("%s %s: %s differs from %s's %s" % (
                        m["system"], m["query"], self.short(m["result"]), ref["system"], self.short(ref["result"])))
        return problems

    @staticmethod
    def short(r):
        if isinstance(r, list):
            return "%d groups, %d events" % (len(r), sum(x[2] for x in r))
        return str(r)

    def fast_floor(self, query):
        """The floor of the inflater trail uses: libdeflate's or ISA-L's,
        or zlib's when trail was built without them."""
        inflater = self.info.get("trail_inflater") or ""
        if inflater.startswith("zlib"):
            return self.get("floor", query)
        return self.get("fast_floor", query)

    def get(self, system, query):
        for m in self.rows:
            if (m["system"] == system and m["query"] == query and not m.get("error")
                    and m.get("median") is not None):
                return m["median"]
        return None

    def report(self):
        problems = self.check_results()
        lg = self.get("pg_jsonb", "load")
        gg = self.get("pg_jsonb", "grouped")
        if lg is not None and gg is not None:
            self.rows.append({"system": "pg_jsonb", "query": "load_grouped", "times": [], "median": round(lg + gg, 6),
                              "runs": None, "result": None, "error": None, "derived": "load + grouped medians"})
        # the floors beside the verify row: inflating the same log files
        if self.get("trail_verify", "verify") is not None or self.get("awscli", "verify") is not None:
            for fs in ("floor", "fast_floor"):
                f = self.get(fs, "count")
                if f is not None:
                    self.rows.append({"system": fs, "query": "verify", "times": [], "median": f, "runs": None,
                                      "result": None, "error": None, "derived": "the floor of the count(*) row"})
        sysl = dict(SYSTEMS)
        print()
        man = self.manifest
        print("trail benchmark, size %s: %d log files, %d records, %.1f MB of JSON (%.1f MB gzip); "
              "median of up to %d runs; day %s" % (self.a.size, len(self.files), man["records"],
                                                    man["uncompressed_bytes"] / 1e6, man["compressed_bytes"] / 1e6,
                                                    self.a.repeat, self.day))
        hdr = "%-44s %-17s %9s %5s %9s %9s %9s" % ("query", "system", "median s", "runs", "x trail", "x floor",
                                                  "x fast")
        print(hdr)
        print("-" * len(hdr))
        print("(one process per row unless it says otherwise; x trail: against trail.read, its 0-worker run in the worker rows;")
        print(" x floor: against the zlib floor; x fast: against the floor of the inflater trail uses, %s)"
              % (self.info.get("trail_inflater") or "unknown"))
        for qid, qlabel in LABELS:
            ms = [m for m in self.rows if m["query"] == qid and not m["error"] and m["median"] is not None]
            if not ms:
                continue
            ms.sort(key=lambda m: [s for s, _ in SYSTEMS].index(m["system"]))
            tref = self.get("trail_srf", qid) or self.get("trail_fdw", qid)
            if qid in ("load", "load_grouped"):
                tref = self.get("trail_srf", "grouped") or self.get("trail_fdw", "grouped")
            if qid.startswith("grouped_w"):
                tref = self.get("trail_srf", "grouped_w0") or self.get("trail_fdw", "grouped_w0")
            if qid == "verify":
                tref = self.get("trail_verify", "verify")
            fq = "large" if qid == "large" else "count"
            floor = self.get("floor", fq)
            ffloor = self.fast_floor(fq)
            for i, m in enumerate(ms):
                rt = "%8.2fx" % (m["median"] / tref) if tref else "%9s" % "-"
                rf = "%8.2fx" % (m["median"] / floor) if floor else "%9s" % "-"
                rff = "%8.2fx" % (m["median"] / ffloor) if ffloor else "%9s" % "-"
                flag = "" if m.get("agrees", True) else "  (result differs!)"
                print("%-44s %-17s %9.3f %5s %s %s %s%s" % (qlabel if i == 0 else "", sysl[m["system"]], m["median"],
                                                            m["runs"] if m["runs"] is not None else "", rt, rf, rff,
                                                            flag))
        for m in self.rows:
            if m["query"] == "large" and m.get("memory"):
                mem = m["memory"]
                print("\nlarge file %s (%.0f MB of JSON): backend peak memory growth %.1f MB "
                      "(idle RSS %.1f MB, peak RSS %.1f MB, VmHWM %.1f MB)" % (
                          os.path.basename(self.a.large), (m.get("uncompressed_bytes") or 0) / 1e6,
                          mem["growth"] / 1e6, mem["idle_rss"] / 1e6, mem["peak_rss"] / 1e6, mem["hwm"] / 1e6))
        for s, r in self.skipped:
            print("skipped %s: %s" % (sysl.get(s, s), r))
        for m in self.rows:
            if m["error"]:
                print("failed  %s %s: %s" % (sysl.get(m["system"], m["system"]), m["query"],
                                             m["error"].strip().splitlines()[-1] if m["error"].strip() else ""))
        self.year_report()
        for p in problems:
            print("MISMATCH " + p)
        targets = self.targets(self.get("floor", "count"), self.fast_floor("count"))
        print("\ntargets (from the issue)")
        for t in targets:
            print("  %-4s %-62s %s" % (t["status"], t["target"], t["detail"]))
        return problems, targets

    TABLE_QUERIES = ("count", "grouped", "all_rows", "all_copy", "day")

    def targets(self, floor, ffloor):
        T = []

        def add(target, ok, detail):
            T.append({"target": target, "status": "n/a" if ok is None else ("PASS" if ok else "FAIL"), "detail": detail})

        def ratio(target, sysid, q, ref, a, b, limit):
            """Judged on the median of the pairs' ratios when they were run
            (paired), else on the ratio of the medians."""
            if a is None or not b:
                return add(target, None, "not measured")
            rm = a / b
            p = self.pairs.get((sysid, q, ref), {}).get("ratio")
            if p is None:
                return add(target, rm <= limit, "%.2fx" % rm)
            add(target, p <= limit, "%.2fx paired (%.2fx of the medians)" % (p, rm))
        inflater = (self.info.get("trail_inflater") or "the fast inflater").split()[0]
        for q, name in (("count", "count(*)"), ("grouped", "write events by source, name")):
            c = self.get("trail_fdw", q)
            ratio("FDW %s <= 0.8x zlib floor" % name, "trail_fdw", q, "floor", c, floor, 0.8)
            ratio("FDW %s <= 1.3x %s floor" % (name, inflater), "trail_fdw", q, "fast_floor", c, ffloor, 1.3)
        for sysid, name in (("trail_srf", "trail.read"), ("trail_fdw", "FDW")):
            for q, what in (("all_rows", "count(t)"), ("all_copy", "COPY")):
                ratio("%s every column (%s) <= 2.5x zlib floor" % (name, what), sysid, q, "floor",
                      self.get(sysid, q), floor, 2.5)
        sc = self.get("trail_store", "all_copy")
        if sc is not None and floor:
            # what PostgreSQL's output functions and COPY take on these rows
            # alone: a heap table of them, no file read at all
            T.append({"target": "every column (COPY) from a heap table (trail store)", "status": "info",
                      "detail": "%.2fx zlib floor (%.3f s): PostgreSQL's own share of the COPY rows" % (sc / floor, sc)})
        for q in self.TABLE_QUERIES:
            ratio("trail.read within 1.1x of the FDW: %s" % dict(LABELS)[q], "trail_srf", q, "trail_fdw",
                  self.get("trail_srf", q), self.get("trail_fdw", q), 1.1)
        self.year_targets(add)
        v, cli = self.get("trail_verify", "verify"), self.get("awscli", "verify")
        if v is None or not floor:
            add("trail.verify over the tree <= 1.5x zlib floor", None, "not measured")
        else:
            add("trail.verify over the tree <= 1.5x zlib floor", v <= 1.5 * floor,
                "%.2fx (%.3f s; %s floor %.2fx)" % (v / floor, v, inflater, v / ffloor if ffloor else float("nan")))
        if v is not None and cli is not None:
            T.append({"target": "trail.verify vs the AWS CLI validator", "status": "info",
                      "detail": "%.1fx faster (%.3f s vs %.3f s)" % (cli / v, v, cli)})
        sf, sn, sh = (self.get("trail_store", q) for q in ("sync_first", "sync_none", "sync_hour"))
        lj = self.get("pg_jsonb", "load")
        if sf is not None and lj is not None:
            add("store first sync <= PostgreSQL jsonb COPY load", sf <= lj, "%.2fx the load" % (sf / lj))
        if sn is not None:
            add("store sync with nothing new < 0.5 s", sn < 0.5, "%.3f s" % sn)
        if sh is not None:
            add("store sync of one new hour < 1 s", sh < 1, "%.3f s" % sh)
        sd, fd = self.get("trail_store", "day"), self.get("trail_fdw", "day")
        if sd is not None and fd is not None and sd > 0:
            T.append({"target": "store daily report vs FDW (one day of 14)", "status": "info",
                      "detail": "%.2fx faster (%.3f s vs %.3f s)" % (fd / sd, sd, fd)})
        for sysid, name in (("trail_fdw", "FDW"), ("trail_srf", "trail.read")):
            w0, w2 = self.get(sysid, "grouped_w0"), self.get(sysid, "grouped_w2")
            if w0 is not None and w2 is not None:
                launched = next((m.get("workers_launched") for m in self.rows
                                 if m["system"] == sysid and m["query"] == "grouped_w2"), None)
                add("%s two parallel workers >= 1.8x one" % name, w0 >= 1.8 * w2,
                    "%.2fx (workers launched: %s)" % (w0 / w2, launched))
            else:
                add("%s two parallel workers >= 1.8x one" % name, None, "%s not measured" % name)
        ratio("trail.read within 1.1x of the FDW: %s" % dict(LABELS)["grouped_w2"].strip(), "trail_srf",
              "grouped_w2", "trail_fdw", self.get("trail_srf", "grouped_w2"), self.get("trail_fdw", "grouped_w2"),
              1.1)
        mem = [m for m in self.rows if m["query"] == "large" and m.get("memory")]
        for m in mem:
            g = m["memory"]["growth"]
            add("large file backend memory growth < 100 MB", g < 100e6, "%.1f MB" % (g / 1e6))
        if not mem:
            add("large file backend memory growth < 100 MB", None, "not measured")
        return T

    def required_missing(self, only):
        """Rows the benchmark should have measured but could not: every
        selected system but the optional peers (DuckDB, jq) that are not
        installed, and every measurement that failed."""
        optional = {"duckdb", "jq", "awscli"}
        if not self.a.year:
            optional.add("year")        # BENCH_YEAR=0
        missing = ["%s: %s" % (s, r) for s, r in self.skipped
                   if s in only and s not in optional
                   and not (s == "fast_floor" and "its floor is the zlib floor" in r)]
        missing += ["%s %s: failed" % (m["system"], m["query"]) for m in self.rows if m["error"]]
        return missing

    def save(self, problems, targets):
        os.makedirs(self.a.results, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = os.path.join(self.a.results, "%s-%s.json" % (stamp, self.a.size))
        env = {"python": platform.python_version(), "machine": platform.machine(), "kernel": platform.release(),
               "cpus": os.cpu_count()}
        rc, out, err = self.sql("SELECT version();")
        env["postgresql"] = out.strip()
        doc = {"size": self.a.size, "when": stamp, "day": self.day, "repeat": self.a.repeat, "budget": self.a.budget,
               "corpus": {k: self.manifest.get(k) for k in ("records", "files", "uncompressed_bytes",
                                                            "compressed_bytes", "seed", "first_day", "days")},
               "log_files": len(self.files), "environment": env, "info": self.info,
               "measurements": self.rows,
               "skipped": [{"system": s, "reason": r} for s, r in self.skipped],
               "pairs": [dict(system=k[0], query=k[1], reference=k[2], **v) for k, v in self.pairs.items()],
               "mismatches": problems, "targets": targets}
        with open(path, "w") as f:
            json.dump(doc, f, indent=1, default=str)
            f.write("\n")
        print("\nresults: %s" % os.path.relpath(path))

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", required=True)
    ap.add_argument("--corpus", required=True, help="the AWSLogs directory")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--floor", help="zcat_floor binary")
    ap.add_argument("--fast-floor", help="isal_floor binary (the floor of ISA-L, when trail uses it)")
    ap.add_argument("--whole-floor", help="libdeflate_floor binary (the floor of libdeflate, when trail uses it)")
    ap.add_argument("--large", help="the single large file")
    ap.add_argument("--large-bytes", type=int)
    ap.add_argument("--psql", default="psql")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60, help="seconds one query may take in all its runs")
    ap.add_argument("--results", default=os.path.join(BENCH, "results"))
    ap.add_argument("--year", help="the year-shaped tree (the directory holding AWSLogs and manifest.json)")
    ap.add_argument("--only", default="floor,trail_srf,trail_fdw,trail_store,pg_jsonb,python,duckdb,jq,large,"
                    "verify,awscli,year",
                    help="comma-separated systems to run")
    ap.add_argument("--keep-jsonb", action="store_true", help="keep the bench_pg schema")
    ap.add_argument("--no-paired", dest="paired", action="store_false",
                    help="judge the targets on the ratio of the medians only (no A B A B pairs)")
    a = ap.parse_args()
    b = Bench(a)
    only = set(a.only.split(","))
    say("%d log files under %s; day window %s" % (len(b.files), a.corpus, b.day))
    try:
        for name in ("floor", "trail_srf", "trail_fdw", "trail_store", "large", "verify", "awscli", "year",
                     "pg_jsonb", "python", "duckdb", "jq"):
            if name in only:
                getattr(b, name)()
            else:
                b.skip(name, "not selected (BENCH_ONLY)")
        if a.paired:
            b.paired()
        problems, targets = b.report()
        b.save(problems, targets)
        missing = b.required_missing(only | ({"fast_floor"} if "floor" in only else set()))
        for x in missing:
            print("bench: error: not measured: %s" % x, file=sys.stderr)
        if problems:
            print("bench: error: %d answer(s) differ (MISMATCH above)" % len(problems), file=sys.stderr)
        if missing or problems:
            sys.exit(1)
    finally:
        b.cleanup()


if __name__ == "__main__":
    main()
