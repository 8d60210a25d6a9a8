/**
 * Benchmark section "storage": a day of one-minute recurring `monitor` jobs on 100 services, written
 * through the ServiceActor's own store (src/actors/service/store.ts, the same SQL and migrations)
 * into one SQLite database per service, as each ServiceActor has, with an injected clock (the day
 * passes in seconds). Prints the storage before and after the hourly sweep's prune to
 * `[retention] jobs_per_service` (rows, the bytes of the stored values, and the databases' pages in
 * use), and what the same rows would take if each one still carried its own copy of actions.js.
 *
 * Node's built-in SQLite stands in for Durable Object storage: `SqlStorage.exec` is a thin shim over
 * it (exec, cursors with toArray/one/rowsWritten, transactionSync). It measures what the rows
 * weigh, not the platform's speed. The ServiceActor's alarm also prunes after its jobs, so a
 * deployed service never holds the "before" figures: they are what the sweep alone would face.
 *
 *   node bench/storage.ts            (or `npm run bench -- storage`)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { pathToFileURL } from "node:url";
import { SERVICE_MIGRATIONS, ServiceStore } from "../src/actors/service/store.ts";
import { openSql } from "../src/actors/sql.ts";
import { RETENTION_DEFAULTS } from "../src/config/schema.ts";
import type { JobSpec } from "../src/runs/protocol.ts";

const SERVICES = Number(process.env.BENCH_STORAGE_SERVICES ?? 100);
const MINUTES = 24 * 60;

/** The part of DurableObjectStorage the stores use, over one node:sqlite database. */
function storageOver(db: DatabaseSync): DurableObjectStorage {
  const exec = (query: string, ...bindings: unknown[]) => {
    const single = !query.trim().replace(/;\s*$/, "").includes(";");
    let rows: Record<string, unknown>[] = [];
    if (single) rows = db.prepare(query).all(...(bindings as never[])) as Record<string, unknown>[];
    else db.exec(query);
    const rowsWritten = Number((db.prepare("SELECT changes() AS n").get() as { n: number }).n);
    return {
      rowsWritten,
      toArray: () => rows,
      one: () => {
        if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
        return rows[0];
      },
      [Symbol.iterator]: () => rows[Symbol.iterator](),
    };
  };
  const storage = {
    sql: { exec },
    transactionSync<T>(fn: () => T): T {
      db.exec("BEGIN");
      try {
        const out = fn();
        db.exec("COMMIT");
        return out;
      } catch (err) {
        db.exec("ROLLBACK");
        throw err;
      }
    },
  };
  return storage as unknown as DurableObjectStorage;
}

/** A monitor template's actions.js of about the size of the samples' (6-7 KB). */
const ACTIONS_JS = [
  "export function install(job) { job.log('installing ' + job.service.name); }",
  ...Array.from({ length: 60 }, (_, i) => `export async function check${i}(job) { const r = await fetch(job.service.data.url + '/health/${i}'); job.log('check ${i}: ' + r.status); }`),
  "export async function monitor(job) { for (const check of ['a', 'b', 'c']) job.log('ok ' + check); job.setData({ last: Date.now() }); }",
].join("\n");

function specOf(service: number, key: string): JobSpec {
  const name = `node${service}`;
  return {
    actorName: `acme/fleet/node!${name}`, repo: { org: "acme", name: "fleet" }, runKey: "", jobKey: key, attempt: 1, action: "monitor",
    args: {}, timeoutSeconds: 60, noexec: false, code: "js", actionsJs: ACTIONS_JS, egress: ["*.example.com"],
    schema: [{ name: "url", type: "Text", list: false }, { name: "last", type: "Int64", list: false }],
    service: { key: `node!${name}`, role: "node", name, actor: "node", data: { url: `https://${name}.example.com`, last: 0 }, parent: null, producers: {} } as unknown as JobSpec["service"],
  };
}

const pragma = (db: DatabaseSync, name: string): number => Number(Object.values(db.prepare(`PRAGMA ${name}`).get() as object)[0]);

type Footprint = { rows: number; code: number; bytes: number; pages: number };

function measure(stores: { store: ServiceStore; db: DatabaseSync }[]): Footprint {
  const total: Footprint = { rows: 0, code: 0, bytes: 0, pages: 0 };
  for (const { store, db } of stores) {
    const f = store.footprint();
    total.rows += f.jobs;
    total.code += f.code;
    total.bytes += f.bytes;
    total.pages += pragma(db, "page_count") - pragma(db, "freelist_count");
  }
  return total;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function benchStorage(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "cockpit-bench-storage-"));
  try {
    const stores = Array.from({ length: SERVICES }, (_, i) => {
      const db = new DatabaseSync(join(dir, `service-${i}.sqlite`));
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF");
      return { db, store: new ServiceStore(openSql(storageOver(db), SERVICE_MIGRATIONS).sql) };
    });
    // The injected clock: one minute per tick, from midnight; every service's monitor runs each minute.
    const start = Date.UTC(2026, 11, 1);
    const t0 = performance.now();
    for (let minute = 0; minute < MINUTES; minute++) {
      const now = start + minute * 60_000;
      stores.forEach(({ store }, i) => {
        const key = `recurring.monitor.${now}`;
        store.addJob({ key, attempt: 1, runKey: "", action: "monitor" }, specOf(i, key));
        store.move(key, 1, { type: "START", started: now, starts: 1 });
        const logs = ["a", "b", "c"].map((c, n) => ({ epoch: now + n, level: "info", category: "msg", log: `ok ${c}` }));
        store.move(key, 1, { type: "SUCCEED", outcome: { state: "ok", ended: now + 40, logs, result: null, dataPatch: { last: now }, files: [] } });
        store.markReported(key, 1);
      });
    }
    const written = performance.now() - t0;
    const pageSize = pragma(stores[0]!.db, "page_size");
    const before = measure(stores);
    const t1 = performance.now();
    let deleted = 0;
    for (const { store } of stores) deleted += store.pruneJobs(RETENTION_DEFAULTS.jobs_per_service).jobs;
    const swept = performance.now() - t1;
    const after = measure(stores);
    const copies = (n: number) => n * new TextEncoder().encode(ACTIONS_JS).length;
    for (const { db } of stores) db.close();
    return {
      "services x jobs": `${SERVICES} x ${MINUTES} one-minute monitor jobs (actions.js ${(ACTIONS_JS.length / 1024).toFixed(1)} KiB)`,
      "written in": `${(written / 1000).toFixed(1)} s (${Math.round((SERVICES * MINUTES) / (written / 1000))} jobs/s, 4 statements each)`,
      "before the sweep": `${before.rows} job rows, ${before.code} code rows; ${mib(before.bytes)} of values, ${mib(before.pages * pageSize)} of pages in use`,
      "  with a copy per row": `${mib(before.bytes - copies(before.code) + copies(before.rows))} of values (the layout before the code table)`,
      "the sweep": `${deleted} rows deleted in ${swept.toFixed(0)} ms (${(swept / SERVICES).toFixed(1)} ms per service)`,
      "after the sweep": `${after.rows} job rows (${RETENTION_DEFAULTS.jobs_per_service} per service), ${after.code} code rows; ${mib(after.bytes)} of values, ${mib(after.pages * pageSize)} of pages in use`,
      "per service after": `${(after.bytes / SERVICES / 1024).toFixed(0)} KiB of values, ${((after.pages * pageSize) / SERVICES / 1024).toFixed(0)} KiB of pages`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  for (const [key, value] of Object.entries(await benchStorage())) console.log(`${key}: ${value}`);
}
