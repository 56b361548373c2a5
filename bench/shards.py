#!/usr/bin/env python3
"""bench/shards.py - a trail sharded over postgres_fdw against one server.

    bench/shards.py [--tree DIR] [--repeat N] [--keep]

Splits a generated tree (bench/gen.py; default bench/work/default, which
`make bench` makes) between two nodes by account, largest accounts first so
that the nodes hold about as many bytes, and starts four throwaway
PostgreSQL 15 servers on unix sockets: node1, node2, a coordinator whose
audit.events is trail.create_sharded_table over the nodes, and "single",
which holds the whole tree.  Every server runs queries in one process
(max_parallel_workers_per_gather = 0); the single server is also timed with
two parallel workers, the other way to use this machine's two cores.

For each query it prints the median wall time of --repeat runs (after one
warm-up run), checks that the coordinator's rows equal the single server's,
and shows from EXPLAIN ANALYZE VERBOSE how many rows the coordinator
received from the nodes.  PG_CONFIG picks the PostgreSQL (and trail must be
installed there: make install).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

QUERIES = [
    ("write events by account, source, name",
     "SELECT recipient_account_id, event_source, event_name, count(*) FROM audit.events "
     "WHERE read_only = false GROUP BY 1, 2, 3"),
    ("write events by source, name (grouped by account first)",
     "SELECT event_source, event_name, sum(n) FROM ("
     "SELECT recipient_account_id, event_source, event_name, count(*) AS n FROM audit.events "
     "WHERE read_only = false GROUP BY 1, 2, 3) per_account GROUP BY 1, 2"),
    ("write events by source, name (as in make bench)",
     "SELECT event_source, event_name, count(*) FROM audit.events "
     "WHERE read_only = false GROUP BY 1, 2"),
    ("count(*) by account",
     "SELECT recipient_account_id, count(*) FROM audit.events GROUP BY 1"),
    ("one day of 14, by account and name",
     "SELECT recipient_account_id, event_name, count(*) FROM audit.events "
     "WHERE event_time >= '2025-03-10' AND event_time < '2025-03-11' GROUP BY 1, 2"),
]


def pg_bindir():
    pg_config = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
    return subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                          check=True).stdout.strip()


BIN = pg_bindir()
AS_USER = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def sh(*cmd, **kw):
    return subprocess.run(AS_USER + list(cmd), check=True, **kw)


def psql(sock, port, sql, setup=""):
    out = subprocess.run(AS_USER + [os.path.join(BIN, "psql"), "-X", "-q", "-A", "-t",
                                    "-v", "ON_ERROR_STOP=1", "-h", sock, "-p", str(port),
                                    "postgres"],
                         input=setup + "\n" + sql, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("psql failed on port %d: %s" % (port, out.stderr))
    return out.stdout


def reaped_cpu(data):
    """CPU seconds of a server's exited processes (its backends, their
    parallel workers): the postmaster's cutime + cstime."""
    with open(os.path.join(data, "postmaster.pid")) as f:
        pid = f.readline().strip()
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def timed(sock, port, sql, repeat, setup="", datas=()):
    """Median wall seconds of repeat runs, and the CPU seconds per run that
    each server in datas spent (one session, so one backend per server)."""
    script = setup + "\n\\timing on\n" + "\n".join([sql + ";"] * (repeat + 1))
    before = [reaped_cpu(d) for d in datas]
    out = psql(sock, port, "", setup=script)
    # the remote sessions end when the coordinator's does; wait for the reap
    time.sleep(0.5)
    cpu = [(reaped_cpu(d) - b) / (repeat + 1) for d, b in zip(datas, before)]
    times = [float(t) / 1000 for t in re.findall(r"^Time: ([\d.]+) ms", out, re.M)][1:]
    return statistics.median(times), cpu


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def split_tree(tree, work):
    """Account folders (AWSLogs/<acct> or AWSLogs/o-org/<acct>) to two nodes."""
    accounts = []
    for top in sorted(os.listdir(os.path.join(tree, "AWSLogs"))):
        path = os.path.join(tree, "AWSLogs", top)
        if top.startswith("o-"):
            accounts += [(a, os.path.join(top, a)) for a in sorted(os.listdir(path))]
        else:
            accounts.append((top, top))
    sized = sorted(((du(os.path.join(tree, "AWSLogs", rel)), acct, rel)
                    for acct, rel in accounts), reverse=True)
    nodes = {"node1": [0, []], "node2": [0, []]}
    for size, acct, rel in sized:
        name = min(nodes, key=lambda n: nodes[n][0])
        nodes[name][0] += size
        nodes[name][1].append(acct)
        dst = os.path.join(work, name, "AWSLogs", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        try:
            subprocess.run(["cp", "-al", os.path.join(tree, "AWSLogs", rel), dst], check=True,
                           stderr=subprocess.DEVNULL)
        except subprocess.CalledProcessError:
            shutil.copytree(os.path.join(tree, "AWSLogs", rel), dst)
    return nodes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", default=os.path.join(HERE, "work", "default"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the servers' directory")
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.tree, "AWSLogs")):
        sys.exit("%s/AWSLogs is not there: make one with bench/gen.py --out %s --size default"
                 % (a.tree, a.tree))
    tree = os.path.abspath(a.tree)
    work = tempfile.mkdtemp(prefix="trail-shards.")
    os.chmod(work, 0o755)
    servers = {}
    try:
        nodes = split_tree(tree, work)
        sock = os.path.join(work, "sock")
        os.makedirs(sock)
        if AS_USER:
            subprocess.run(["chown", "-R", "postgres:", work], check=True)
        port = 20000 + os.getpid() % 20000
        for i, name in enumerate(["node1", "node2", "single", "coordinator"]):
            data = os.path.join(work, "srv", name)
            sh(os.path.join(BIN, "initdb"), "-D", data, "--auth=trust", "-U", "postgres",
               "--encoding=UTF8", "--locale=C", "--no-sync", stdout=subprocess.DEVNULL)
            with open(os.path.join(data, "postgresql.conf"), "a") as f:
                f.write("listen_addresses = ''\nunix_socket_directories = '%s'\nport = %d\n"
                        "fsync = off\njit = off\nmax_parallel_workers_per_gather = 0\n"
                        % (sock, port + i))
            sh(os.path.join(BIN, "pg_ctl"), "-D", data, "-l", data + ".log", "-w", "start",
               stdout=subprocess.DEVNULL)
            servers[name] = port + i
        for name in ["node1", "node2", "single"]:
            loc = os.path.join(tree if name == "single" else os.path.join(work, name), "AWSLogs")
            psql(sock, servers[name], """
                CREATE EXTENSION trail; CREATE SCHEMA audit;
                CREATE SERVER cloudtrail FOREIGN DATA WRAPPER trail_fdw;
                IMPORT FOREIGN SCHEMA trail FROM SERVER cloudtrail INTO audit
                  OPTIONS (location '%s');
                CREATE ROLE trail_reader LOGIN;
                GRANT USAGE ON SCHEMA audit TO trail_reader;
                GRANT SELECT ON audit.events TO trail_reader;""" % loc)
        setup = "CREATE EXTENSION trail; CREATE EXTENSION postgres_fdw; CREATE SCHEMA audit;\n"
        setup += "ALTER DATABASE postgres SET enable_partitionwise_aggregate = on;\n"
        for name in ["node1", "node2"]:
            setup += ("CREATE SERVER %s FOREIGN DATA WRAPPER postgres_fdw OPTIONS "
                      "(host '%s', port '%d', dbname 'postgres', extensions 'trail');\n"
                      "CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (user 'trail_reader');\n"
                      % (name, sock, servers[name], name))
        shards = "{%s}" % ", ".join('"%s": [%s]' % (n, ", ".join('"%s"' % x for x in nodes[n][1]))
                                    for n in ["node1", "node2"])
        setup += "SELECT trail.create_sharded_table('audit.events', '%s');\n" % shards
        psql(sock, servers["coordinator"], setup, setup="SET client_min_messages = warning;")

        print("trail sharded over postgres_fdw: %s" % tree)
        for n in ["node1", "node2"]:
            print("  %s: %s (%.1f MB of files)" % (n, ", ".join(nodes[n][1]), nodes[n][0] / 1e6))
        print("  median of %d runs after a warm-up; every server one process per query unless it says so"
              % a.repeat)
        print("  load average before: %s" % open("/proc/loadavg").read().split()[0:3])
        print()
        fmt = "%-58s %9s %9s %9s %8s %8s  %s"
        print(fmt % ("query", "single", "single 2w", "2 nodes", "x single", "x 2w", "rows received"))
        cpu_lines = []
        srv = lambda n: os.path.join(work, "srv", n)
        for label, q in QUERIES:
            want = sorted(psql(sock, servers["single"], q).splitlines())
            got = sorted(psql(sock, servers["coordinator"], q).splitlines())
            if want != got or not want:
                sys.exit("%s: the coordinator's rows differ from the single server's" % label)
            plan = psql(sock, servers["coordinator"],
                        "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) " + q)
            received = sum(int(r) for r in re.findall(r"Async Foreign Scan[^\n]*\(actual rows=(\d+)", plan))
            pushed = "GROUP BY" in "".join(re.findall(r"Remote SQL: .*", plan))
            one, (one_cpu,) = timed(sock, servers["single"], q, a.repeat, datas=[srv("single")])
            two, _ = timed(sock, servers["single"], q, a.repeat,
                           setup="SET max_parallel_workers_per_gather = 2;")
            coord, (c_cpu, n1_cpu, n2_cpu) = timed(
                sock, servers["coordinator"], q, a.repeat,
                datas=[srv("coordinator"), srv("node1"), srv("node2")])
            print(fmt % (label, "%.3f" % one, "%.3f" % two, "%.3f" % coord, "%.2fx" % (one / coord),
                         "%.2fx" % (two / coord),
                         "%d %s" % (received, "groups" if pushed else "events")), flush=True)
            cpu_lines.append("%-58s %9.3f %9.3f %9.3f %9.3f %8.2fx"
                             % (label, one_cpu, n1_cpu, n2_cpu, c_cpu,
                                one_cpu / (max(n1_cpu, n2_cpu) + c_cpu)))
        print("\n  load average after: %s" % open("/proc/loadavg").read().split()[0:3])
        print("\nCPU seconds per query (the backends' user + system time; on an idle machine the")
        print("two nodes take about as long as the busier node plus the coordinator):")
        print("%-58s %9s %9s %9s %9s %9s" % ("query", "single", "node1", "node2", "coord", "x single"))
        for line in cpu_lines:
            print(line)
    finally:
        for name in servers:
            sh(os.path.join(BIN, "pg_ctl"), "-D", os.path.join(work, "srv", name), "-m", "fast",
               "-w", "stop", stdout=subprocess.DEVNULL)
        if a.keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
