#!/usr/bin/env python3
"""Plain PostgreSQL as an analyst uses it today: unpack the records for COPY.

  bench/pg_load.py (--dir DIR | --list FILE) | psql -c 'COPY raw (doc) FROM STDIN'

Inflates every log file, splits {"Records":[...]} into records and writes
one record per line in COPY text format (compact JSON; backslashes doubled,
which is the only escaping compact JSON needs: it holds no raw control
characters).  A \\u0000 escape, which jsonb rejects, becomes \\ufffd.
"""

import argparse
import gzip
import json
import sys

from py_baseline import paths_from_args


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--dir")
    g.add_argument("--list")
    a = ap.parse_args()
    paths = paths_from_args(a)
    out = sys.stdout.buffer
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    buf = []
    size = 0
    for p in paths:
        with gzip.open(p, "rb") as f:
            doc = json.loads(f.read())
        if not isinstance(doc, dict):
            continue
        for rec in doc.get("Records") or ():
            line = dumps(rec).replace("\\", "\\\\")
            if "\\\\u0000" in line:
                line = line.replace("\\\\u0000", "\\\\ufffd")
            buf.append(line)
            size += len(line)
        if size > 1 << 20:
            out.write(("\n".join(buf) + "\n").encode("utf-8"))
            buf = []
            size = 0
    if buf:
        out.write(("\n".join(buf) + "\n").encode("utf-8"))
    out.flush()


if __name__ == "__main__":
    main()
