#!/usr/bin/env python3
"""The Python-stdlib baseline: what a short gzip + json script does.

  bench/py_baseline.py (--dir DIR | --list FILE) --query count|grouped|day
                       [--day YYYY-MM-DD] [--repeat N]

count    number of records in every log file (digests hold no records)
grouped  write events (readOnly is false) counted by eventSource, eventName
day      records whose eventTime falls on --day (UTC)

Prints one JSON object: {"query", "times": [seconds per run], "result"}.
Each run reads every file again; interpreter start-up is not timed.
"""

import argparse
import datetime
import gzip
import json
import os
import sys
import time


def log_files(top):
    out = []
    for d, dirs, files in os.walk(top):
        dirs[:] = sorted(x for x in dirs if x != "CloudTrail-Digest")
        out.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(".json.gz"))
    return out


def paths_from_args(a):
    """The log files named by --list FILE (one a line) or found under --dir."""
    if a.list:
        with open(a.list) as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    return log_files(a.dir)


def records(paths):
    for p in paths:
        with gzip.open(p, "rb") as f:
            doc = json.loads(f.read())
        if isinstance(doc, dict):
            yield from doc.get("Records") or ()


def q_count(paths, _day):
    n = 0
    for p in paths:
        with gzip.open(p, "rb") as f:
            doc = json.loads(f.read())
        if isinstance(doc, dict):
            n += len(doc.get("Records") or ())
    return n


def q_grouped(paths, _day):
    groups = {}
    for r in records(paths):
        if r.get("readOnly") is False:
            k = (r.get("eventSource"), r.get("eventName"))
            groups[k] = groups.get(k, 0) + 1
    return sorted([[s, n, c] for (s, n), c in groups.items()], key=lambda x: (x[0] or "", x[1] or ""))


def q_day(paths, day):
    lo = day + "T"          # eventTime is YYYY-MM-DDTHH:MM:SSZ in trail files
    hi = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat() + "T"
    n = 0
    for r in records(paths):
        t = r.get("eventTime")
        if isinstance(t, str) and lo <= t < hi:
            n += 1
    return n


QUERIES = {"count": q_count, "grouped": q_grouped, "day": q_day}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--dir", help="tree to read (CloudTrail-Digest folders are skipped)")
    g.add_argument("--list", help="file with one log file path per line")
    ap.add_argument("--query", choices=sorted(QUERIES), required=True)
    ap.add_argument("--day", default="2025-03-10")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    paths = paths_from_args(a)
    times = []
    result = None
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        result = QUERIES[a.query](paths, a.day)
        times.append(round(time.perf_counter() - t0, 6))
    json.dump({"query": a.query, "times": times, "result": result}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
