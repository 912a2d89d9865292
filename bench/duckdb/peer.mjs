// node peer.mjs DIR Y DBFILE [OUTDIR]: the DuckDB peer (peer.sql.tmpl), the
// same parameters per policy year as bench/peer.sql (the sqlite3-shell peer). DBFILE is recreated.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const [dir, ys, db, outArg] = process.argv.slice(2);
if (!db) { console.error('usage: peer.mjs DIR Y DBFILE [OUTDIR]'); process.exit(64); }
const Y = Number(ys), A = Y - 1;
const P = { 2020: [100, 50, 55, 200, 'full_cum', 0, 'december_stock'],
            2021: [60, 30, 60, 200, 'full_cum', 0, 'december_stock'],
            2022: [90, 50, 55, 200, 'full_a', 1, 'december_stock'],
            2023: [60, 30, 55, 200, 'full_a', 1, 'claimants'],
            2024: [60, 30, 55, 200, 'full_a', 1, 'claimants'],
            2025: [60, 30, 55, 200, 'full_a', 1, 'claimants'] }[Y];
if (!P) { console.error(`duckdb peer: no parameter row for ${Y}`); process.exit(64); }
const out = outArg || dirname(db);
mkdirSync(out, { recursive: true });
for (const f of [db, db + '.wal']) if (existsSync(f)) rmSync(f);
const v = { DIR: dir, OUT: out, A01: A * 100 + 1, A12: A * 100 + 12, P12: (A - 1) * 100 + 12,
            RS: P[0], RL: P[1], TGT: P[2], CAP: P[3], FMCOL: P[4], TAX: P[5], LM: P[6] };
let sql = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'peer.sql.tmpl'), 'utf8');
sql = sql.replace(/@([A-Z0-9]+)@/g, (_, k) => String(v[k]));
const inst = await DuckDBInstance.create(db, { threads: process.env.DUCK_THREADS || '2', memory_limit: process.env.DUCK_MEM || '1GB' });
const con = await inst.connect();
await con.run(sql);
con.closeSync?.(); inst.closeSync?.();
