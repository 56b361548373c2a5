// bench/duckdb/run.mjs - the DuckDB peer of the trail benchmark.
//
//   node bench/duckdb/run.mjs (--list FILE | --dir DIR) [--day YYYY-MM-DD]
//        [--threads 1,2] [--repeat N] [--queries count,grouped,day]
//
// Reads the CloudTrail files with read_json(..., columns={Records: [...]})
// and unnest(Records), the way DuckDB users query trail files, and times
// each query N times per thread count (instance start-up is not timed).
// Prints one JSON object: {"duckdb": version, "results": [{query, threads,
// times, result}]}.  Install: npm install --prefix bench/duckdb
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

function args(argv) {
  const a = { day: '2025-03-10', threads: '1,2', repeat: 3, queries: 'count,grouped,day' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    a[k] = argv[++i];
  }
  return a;
}

function walk(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'CloudTrail-Digest') walk(p, out);
    } else if (e.name.endsWith('.json.gz')) out.push(p);
  }
  return out;
}

const sqlString = (s) => "'" + s.replaceAll("'", "''") + "'";

const a = args(process.argv.slice(2));
const files = a.list
  ? readFileSync(a.list, 'utf8').split('\n').filter((x) => x.length > 0)
  : walk(a.dir, []);
const next = new Date(Date.parse(a.day + 'T00:00:00Z') + 86400000).toISOString().slice(0, 10);

// Only the fields the queries use are declared: DuckDB skips the rest of
// each record, as trail skips the columns a query does not use.
const src = `read_json([${files.map(sqlString).join(',')}], format='auto', compression='gzip',
  columns={'Records': 'STRUCT(eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, readOnly BOOLEAN)[]'},
  maximum_object_size=2147483647)`;
const events = `(SELECT unnest(Records) AS r FROM ${src})`;
const Q = {
  count: `SELECT count(*) FROM ${events}`,
  grouped: `SELECT r.eventSource, r.eventName, count(*) FROM ${events} WHERE r.readOnly = false GROUP BY 1, 2`,
  day: `SELECT count(*) FROM ${events} WHERE r.eventTime >= '${a.day}T' AND r.eventTime < '${next}T'`,
};

const plain = (v) => (typeof v === 'bigint' ? Number(v) : v);
const out = { duckdb: null, files: files.length, results: [] };
for (const th of String(a.threads).split(',')) {
  const inst = await DuckDBInstance.create(':memory:', { threads: th });
  const con = await inst.connect();
  out.duckdb = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
  for (const q of String(a.queries).split(',')) {
    const times = [];
    let result = null;
    for (let i = 0; i < Number(a.repeat); i++) {
      const t0 = performance.now();
      const rows = (await con.runAndReadAll(Q[q])).getRows();
      times.push((performance.now() - t0) / 1000);
      result = q === 'grouped'
        ? rows.map((r) => r.map(plain)).sort((x, y) => ((x[0] ?? '') + '\u0000' + (x[1] ?? '') < (y[0] ?? '') + '\u0000' + (y[1] ?? '') ? -1 : 1))
        : plain(rows[0][0]);
    }
    out.results.push({ query: q, threads: Number(th), times, result });
  }
  con.closeSync?.();
  inst.closeSync?.();
}
process.stdout.write(JSON.stringify(out) + '\n');
