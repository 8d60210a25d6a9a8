/**
 * All SQL of a RepositoryActor, and what it caches in memory: the parsed templates, the service
 * registry (one row per service, so a job report rewrites the one service it touched), and recently
 * read runs (one row of metadata plus one row per job, so a job report rewrites one job).
 */
import { emptyRepository, parseTemplate, templateIndex, type ActorTemplate, type RepositoryState, type ServiceModel, type TemplateIndex } from "../../ays/index.ts";
import { hasEnded, type JobRecord, type RunRecord, type RunState } from "../../runs/model.ts";
import type { OpenRun } from "../../runs/schedule.ts";
import { SECRETS_SCHEMA } from "../secrets.ts";
import { addMissingColumns, adoptOldMeta, openSql, type ActorSql, type Migration } from "../sql.ts";
import type { BlueprintView, TemplateRow } from "./views.ts";

type BlueprintRow = { name: string; content: string; archived: number; updated: number };

const blueprintView = (r: BlueprintRow): BlueprintView => ({ ...r, archived: r.archived === 1 });

/** Parses a stored (or about to be stored) template. @throws AysError when it is not valid */
export function parseStoredTemplate(r: TemplateRow): ActorTemplate {
  return parseTemplate(
    r.name,
    {
      ...(r.config ? { config: r.config } : {}),
      ...(r.schema ? { schema: r.schema } : {}),
      ...(r.actions_js ? { actionsJs: r.actions_js } : {}),
      ...(r.actions_py ? { actionsPy: r.actions_py } : {}),
    },
    `template ${r.name}`,
  );
}

/** The repository's single values, in `_meta`: its identity and no-exec mode ("1" or "0"). */
export type RepositoryMeta = { org: string; name: string; git_url: string; noexec: string };

/**
 * The RepositoryActor's tables, oldest step first (src/actors/sql.ts). The first is every shape
 * repositories stored before versions: templates before they kept actions.py gain the column, and
 * the `meta` rows (identity, no-exec) move into `_meta`.
 */
export const REPOSITORY_MIGRATIONS: readonly Migration[] = [
  (sql) => {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS templates(name TEXT PRIMARY KEY, config TEXT NOT NULL, schema TEXT NOT NULL,
        actions_js TEXT NOT NULL, actions_py TEXT NOT NULL DEFAULT '', updated INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS blueprints(name TEXT PRIMARY KEY, content TEXT NOT NULL, archived INTEGER NOT NULL,
        updated INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS services(key TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS runs(key TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL,
        priority INTEGER NOT NULL, not_before INTEGER NOT NULL, simulate INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS run_jobs(run TEXT NOT NULL, step INTEGER NOT NULL, idx INTEGER NOT NULL,
        json TEXT NOT NULL, PRIMARY KEY (run, step, idx));
      CREATE INDEX IF NOT EXISTS runs_queue ON runs(state, priority, seq);
      CREATE TABLE IF NOT EXISTS recurring(service TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events_seen(id TEXT PRIMARY KEY, time INTEGER NOT NULL);
    `);
    adoptOldMeta(sql);
    addMissingColumns(sql, "templates", { actions_py: "TEXT NOT NULL DEFAULT ''" });
  },
  // 2: failures of jobs outside runs, folded per service and action (failures.ts)
  `CREATE TABLE IF NOT EXISTS job_failures(service TEXT NOT NULL, action TEXT NOT NULL, since INTEGER NOT NULL,
    count INTEGER NOT NULL, notified INTEGER NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (service, action))`,
  // 3: the repository's secrets, sealed (src/actors/secrets.ts)
  SECRETS_SCHEMA,
];

export class RepositoryStore {
  private db: ActorSql<RepositoryMeta>;
  private sql: SqlStorage;
  private templatesCache: TemplateIndex | undefined;
  private templateRows = new Map<string, TemplateRow>();
  private stateCache: RepositoryState | undefined;
  private readonly serviceJson = new Map<string, string>();
  /** Runs read from storage, by key: every code path works on the run last saved. */
  private readonly runCache = new Map<string, RunRecord>();
  /** When events_seen was last pruned (in this instance). */
  private lastEventPrune = 0;

  constructor(db: ActorSql<RepositoryMeta>) {
    this.db = db;
    this.sql = db.sql;
  }

  /**
   * Forgets the caches, the storage itself having been deleted, and makes the tables again, empty
   * (a repository of the same name may be created next).
   */
  forget(storage: DurableObjectStorage): void {
    this.db = openSql<RepositoryMeta>(storage, REPOSITORY_MIGRATIONS);
    this.sql = this.db.sql;
    this.templatesCache = undefined;
    this.stateCache = undefined;
    this.serviceJson.clear();
    this.runCache.clear();
  }

  /** The storage itself, for the modules that keep a table of their own (failures.ts). */
  get storage(): SqlStorage {
    return this.sql;
  }

  // === Identity

  meta(key: keyof RepositoryMeta): string | undefined {
    return this.db.meta(key);
  }

  setMeta(key: keyof RepositoryMeta, value: string): void {
    this.db.setMeta(key, value);
  }

  // === Templates

  /** Parsed templates and their stored text, read once: every job of a run needs its template's code. */
  templates(): TemplateIndex {
    if (!this.templatesCache) {
      const rows = this.sql.exec<TemplateRow>("SELECT * FROM templates ORDER BY name").toArray();
      this.templateRows = new Map(rows.map((r) => [r.name, r]));
      this.templatesCache = templateIndex(rows.map((r) => parseStoredTemplate(r)));
    }
    return this.templatesCache;
  }

  templateRow(name: string): TemplateRow | undefined {
    this.templates();
    return this.templateRows.get(name);
  }

  putTemplate(row: TemplateRow): void {
    this.sql.exec(
      `INSERT INTO templates(name, config, schema, actions_js, actions_py, updated) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET config = excluded.config, schema = excluded.schema,
         actions_js = excluded.actions_js, actions_py = excluded.actions_py, updated = excluded.updated`,
      row.name, row.config, row.schema, row.actions_js, row.actions_py, Date.now(),
    );
    this.templatesCache = undefined;
  }

  deleteTemplate(name: string): void {
    this.sql.exec("DELETE FROM templates WHERE name = ?", name);
    this.templatesCache = undefined;
  }

  // === Service registry

  /** The engine's RepositoryState, read once and cached. */
  state(): RepositoryState {
    if (!this.stateCache) {
      const services: RepositoryState["services"] = {};
      this.serviceJson.clear();
      for (const row of this.sql.exec<{ key: string; json: string }>("SELECT key, json FROM services")) {
        services[row.key] = JSON.parse(row.json) as ServiceModel;
        this.serviceJson.set(row.key, row.json);
      }
      this.stateCache = { ...emptyRepository(), services };
    }
    return this.stateCache;
  }

  /** Replaces the whole state (after the engine computed a new one), writing only what changed. */
  saveState(state: RepositoryState): void {
    this.state();
    for (const [key, service] of Object.entries(state.services)) {
      const json = JSON.stringify(service);
      if (this.serviceJson.get(key) === json) continue;
      this.writeService(key, json);
    }
    for (const key of [...this.serviceJson.keys()]) {
      if (state.services[key]) continue;
      this.sql.exec("DELETE FROM services WHERE key = ?", key);
      this.serviceJson.delete(key);
    }
    this.stateCache = state;
  }

  /** Takes a registry in which only `keys` changed, and writes those. */
  saveServices(services: RepositoryState["services"], keys: Iterable<string>): void {
    this.stateCache = { ...this.state(), services };
    for (const key of new Set(keys)) {
      const service = services[key];
      if (service) this.writeService(key, JSON.stringify(service));
    }
  }

  private writeService(key: string, json: string): void {
    this.sql.exec("INSERT INTO services(key, json) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET json = excluded.json", key, json);
    this.serviceJson.set(key, json);
  }

  /** The stored size of a service (a page of services ends at PAGE_BYTES). */
  serviceSize(key: string): number {
    return this.serviceJson.get(key)?.length ?? 0;
  }

  // === Blueprints

  blueprint(name: string): BlueprintView | undefined {
    const row = this.sql.exec<BlueprintRow>("SELECT * FROM blueprints WHERE name = ?", name).toArray()[0];
    return row ? blueprintView(row) : undefined;
  }

  blueprints(): BlueprintView[] {
    return this.sql.exec<BlueprintRow>("SELECT * FROM blueprints ORDER BY name").toArray().map(blueprintView);
  }

  putBlueprint(name: string, content: string, updated: number): void {
    this.sql.exec(
      `INSERT INTO blueprints(name, content, archived, updated) VALUES (?, ?, 0, ?)
       ON CONFLICT(name) DO UPDATE SET content = excluded.content, updated = excluded.updated`,
      name, content, updated,
    );
  }

  /** @returns whether there was one */
  deleteBlueprint(name: string): boolean {
    return this.sql.exec("DELETE FROM blueprints WHERE name = ?", name).rowsWritten > 0;
  }

  setArchived(name: string, archived: boolean, updated: number): void {
    this.sql.exec("UPDATE blueprints SET archived = ?, updated = ? WHERE name = ?", archived ? 1 : 0, updated, name);
  }

  // === Recurring actions and events

  /** The recurring actions last told to each ServiceActor, as JSON, by service key. */
  recurring(): Map<string, string> {
    return new Map(this.sql.exec<{ service: string; json: string }>("SELECT service, json FROM recurring").toArray().map((r) => [r.service, r.json]));
  }

  /** `json` null: the service has no recurring action (any more). */
  setRecurring(service: string, json: string | null): void {
    if (json !== null) this.sql.exec("INSERT INTO recurring(service, json) VALUES (?, ?) ON CONFLICT(service) DO UPDATE SET json = excluded.json", service, json);
    else this.sql.exec("DELETE FROM recurring WHERE service = ?", service);
  }

  eventSeen(id: string): boolean {
    return this.sql.exec("SELECT 1 FROM events_seen WHERE id = ?", id).toArray().length > 0;
  }

  /** Remembers a delivered event's id; ids older than a week are forgotten, at most hourly (redeliveries come within minutes). */
  rememberEvent(id: string, time: number): void {
    this.sql.exec("INSERT INTO events_seen(id, time) VALUES (?, ?)", id, time);
    if (time - this.lastEventPrune < 3_600_000) return;
    this.lastEventPrune = time;
    this.forgetEventsBefore(time - 7 * 86_400_000);
  }

  forgetEvent(id: string): void {
    this.sql.exec("DELETE FROM events_seen WHERE id = ?", id);
  }

  forgetEventsBefore(time: number): void {
    this.sql.exec("DELETE FROM events_seen WHERE time < ?", time);
  }

  // === Runs

  nextSeq(): number {
    const row = this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM runs").one();
    return (row.seq ?? 0) + 1;
  }

  run(key: string): RunRecord | undefined {
    const cached = this.runCache.get(key);
    if (cached) return cached;
    const row = this.sql.exec<{ json: string }>("SELECT json FROM runs WHERE key = ?", key).toArray()[0];
    if (!row) return undefined;
    const meta = JSON.parse(row.json) as Omit<RunRecord, "steps"> & { steps: { number: number; state: RunState }[] };
    const jobs = new Map<number, JobRecord[]>();
    for (const r of this.sql.exec<{ step: number; json: string }>("SELECT step, json FROM run_jobs WHERE run = ? ORDER BY step, idx", key)) {
      const list = jobs.get(r.step) ?? [];
      list.push(JSON.parse(r.json) as JobRecord);
      jobs.set(r.step, list);
    }
    const run: RunRecord = { ...meta, steps: meta.steps.map((s) => ({ ...s, jobs: jobs.get(s.number) ?? [] })) };
    if (this.runCache.size >= 8) this.runCache.delete(this.runCache.keys().next().value!);
    this.runCache.set(key, run);
    return run;
  }

  /** Writes a run's metadata and the given jobs; a new run (`seq` given) is inserted with all of its jobs. */
  saveRun(run: RunRecord, changedJobs: readonly JobRecord[], seq?: number): void {
    const meta = {
      ...run,
      steps: run.steps.map((s) => ({ number: s.number, state: s.state })),
      jobs: run.steps.reduce((n, s) => n + s.jobs.length, 0),
    };
    if (seq !== undefined) {
      this.sql.exec(
        "INSERT INTO runs(key, seq, state, priority, not_before, simulate, json) VALUES (?, ?, ?, ?, ?, ?, ?)",
        run.key, seq, run.state, run.priority, run.not_before, run.simulate ? 1 : 0, JSON.stringify(meta),
      );
    } else {
      this.sql.exec(
        "UPDATE runs SET state = ?, priority = ?, not_before = ?, simulate = ?, json = ? WHERE key = ?",
        run.state, run.priority, run.not_before, run.simulate ? 1 : 0, JSON.stringify(meta), run.key,
      );
    }
    const jobs = seq !== undefined ? run.steps.flatMap((s) => s.jobs) : changedJobs;
    for (const job of jobs) {
      const [, step, idx] = /\.(\d+)\.(\d+)$/.exec(job.key)!;
      this.sql.exec(
        "INSERT INTO run_jobs(run, step, idx, json) VALUES (?, ?, ?, ?) ON CONFLICT(run, step, idx) DO UPDATE SET json = excluded.json",
        run.key, Number(step), Number(idx), JSON.stringify(job),
      );
    }
    this.runCache.set(run.key, run);
  }

  /** Rows of the runs before run number `before`, newest first: the stored metadata (with its job count). */
  runRows(before: number, limit: number): { seq: number; run: RunRecord & { jobs: number } }[] {
    return this.sql
      .exec<{ seq: number; json: string }>("SELECT seq, json FROM runs WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, limit)
      .toArray()
      .map((r) => ({ seq: r.seq, run: JSON.parse(r.json) as RunRecord & { jobs: number } }));
  }

  /**
   * Deletes runs created before `before` that are over (ok, error, cancelled) or simulated and never
   * started, with their jobs, oldest first, at most `limit` runs. A running or queued run is kept
   * whatever its age. Runs are numbered in the order they were created, so the scan stops at the
   * first run that is young enough.
   * @returns how many runs and run job rows were deleted
   */
  pruneRuns(before: number, limit: number): { runs: number; jobs: number } {
    const old: string[] = [];
    const rows = this.sql.exec<{ key: string; state: string; simulate: number; created: number }>(
      "SELECT key, state, simulate, json_extract(json, '$.created') AS created FROM runs ORDER BY seq",
    );
    for (const row of rows) {
      if (row.created >= before || old.length >= limit) break;
      if (hasEnded(row.state) || (row.state === "new" && row.simulate === 1)) old.push(row.key);
    }
    let jobs = 0;
    for (const key of old) {
      jobs += this.sql.exec("DELETE FROM run_jobs WHERE run = ?", key).rowsWritten;
      this.sql.exec("DELETE FROM runs WHERE key = ?", key);
      this.runCache.delete(key);
    }
    return { runs: old.length, jobs };
  }

  /**
   * The R2 keys of the files uploaded to this repository's jobs (uploads/…): those its runs' jobs
   * were handed, and those waiting for an action's next job. Deleting the repository deletes them.
   */
  uploadKeys(): string[] {
    return this.sql
      .exec<{ key: string }>(
        `SELECT json_extract(f.value, '$.key') AS key FROM run_jobs, json_each(run_jobs.json, '$.inputs') AS f
         UNION SELECT json_extract(f.value, '$.key') FROM services, json_each(services.json, '$.actions') AS a, json_each(a.value, '$.inputFiles') AS f`,
      )
      .toArray()
      .map((r) => r.key)
      .filter((key) => typeof key === "string" && key.startsWith("uploads/"));
  }

  /** The running run and the queued ones (simulated runs wait to be started: they are not queued). */
  openRuns(): OpenRun[] {
    return this.sql
      .exec<OpenRun>("SELECT key, seq, state, priority, not_before FROM runs WHERE state = 'running' OR (state = 'new' AND simulate = 0)")
      .toArray()
      .map((r) => ({ ...r }));
  }
}
