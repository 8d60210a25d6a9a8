/**
 * RepositoryActor: one per repository. Owns the repo-local actor templates, the blueprints (archived
 * ones included), the service registry (the AYS engine's RepositoryState), and the run queue and
 * history. One run executes at a time; people's runs go before automatic retries.
 *
 * Jobs execute in ServiceActors. A run advances by messages, never by awaiting a job: the
 * RepositoryActor hands a job to its ServiceActor (`startJob`, which returns at once) and the
 * ServiceActor reports back (`jobFinished`). Both sides persist before they talk, and both calls are
 * idempotent, so an eviction on either side loses nothing: the watchdog alarm re-sends what is
 * still open, and a job that already succeeded is never run again.
 */
import { DurableObject } from "cloudflare:workers";
import { configFromBindings } from "../config/index.ts";
import {
  AysError,
  emptyRepository,
  executeBlueprint,
  parseBlueprint,
  parseTemplate,
  planRun,
  scheduleAction,
  templateIndex,
  type ActorTemplate,
  type RepositoryState,
  type ServiceModel,
  type TemplateIndex,
} from "../ays/index.ts";
import { withoutSecret, type CockpitEvent } from "../events/event.ts";
import { matchEvent } from "../events/filters.ts";
import { nextActionState, type ActionEvent } from "../runs/action-machine.ts";
import { cutPage, pageLimit } from "./paging.ts";
import { ok, refuse, type Refusal, type Result } from "./results.ts";
import { RunStreams } from "./run-stream.ts";
import { addMissingColumns } from "./sql.ts";
import { StateEvents } from "./state-events.ts";
import {
  DEFAULT_RETRY_DELAYS,
  DEFAULT_TIMEOUT_SECONDS,
  ERROR_TAIL_LINES,
  type JobFile,
  type JobRecord,
  type LogEntry,
  type RunRecord,
  type RunState,
  hasEnded,
  withoutLogs,
} from "../runs/model.ts";
import type { JobOutcome, JobSpec, RecurringAction } from "../runs/protocol.ts";

export interface TemplateInput {
  name: string;
  config?: string;
  schema?: string;
  /** actions.js */
  actions?: string;
  /** actions.py of an original template: read for its action names, never run. */
  actions_py?: string;
}

type TemplateRow = { name: string; config: string; schema: string; actions_js: string; actions_py: string };

export interface TemplateView {
  name: string;
  role: string;
  actions: string[];
  code: ActorTemplate["code"];
  config: string;
  schema: string;
  actions_js: string;
  actions_py: string;
}

export interface BlueprintView {
  name: string;
  content: string;
  archived: boolean;
  updated: number;
}

/** What the engine thinks of a blueprint: valid, or its first problem (`error` is the full message). */
export type BlueprintCheck =
  | { valid: true }
  | { valid: false; error: string; reason: string; key?: string; line?: number; column?: number };

export interface ServiceView {
  key: string;
  role: string;
  name: string;
  actor: string;
  data: Record<string, unknown>;
  state: string;
  parent: string | null;
  producers: string[];
  consumers: string[];
  children: string[];
  actions: { name: string; state: string; period: number; last_run: number | null; error_count: number }[];
  events: ServiceModel["eventFilters"];
  /** The blueprint whose execution created the service (auto-created parents and producers included). */
  blueprint: string | null;
}

export interface ServiceQuery {
  role?: string;
  /** The cursor: the key of the last service of the previous page. */
  after?: string;
  limit?: number;
}

export interface RunSummary {
  key: string;
  state: RunState;
  created: number;
  simulate: boolean;
  attempt: number;
  steps: number;
  jobs: number;
}

/** How often an active run re-checks its open jobs (covers evictions on either side). */
const WATCHDOG_MS = 30_000;

/** Whether a run is read without its logs: one of more jobs than `logsUpTo` (getRun, streamRun). */
function leavesOutLogs(run: RunRecord, logsUpTo: number | undefined): boolean {
  return logsUpTo !== undefined && run.steps.reduce((n, s) => n + s.jobs.length, 0) > logsUpTo;
}

function errorOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Turns an engine error into the 400 the API answers, with the engine's own message. */
function engineRefusal(err: unknown): Result<never> {
  if (err instanceof AysError) return refuse(400, "invalid_blueprint", err.message);
  throw err;
}

/** A template still in use cannot be deleted: the refusal names who uses it. */
export type TemplateInUse = Refusal & { code: "in_use"; services: string[]; blueprints: string[]; templates: string[] };

/** Does the saved blueprint name actor `actor` (a service entry, an action or an event filter)? */
function blueprintNames(bp: BlueprintView, actor: string): boolean {
  let parsed;
  try {
    parsed = parseBlueprint(bp.name, bp.content);
  } catch (err) {
    // Saved blueprints were valid when saved; one that no longer parses names nothing we can know.
    if (err instanceof AysError) return false;
    throw err;
  }
  return (
    parsed.services.some((s) => s.actor === actor) ||
    parsed.actions.some((a) => a.actor === actor) ||
    parsed.eventfilters.some((f) => f.actor === actor)
  );
}

export function serviceState(service: ServiceModel): string {
  const states = Object.values(service.actions).map((a) => a.state);
  if (states.includes("error")) return "error";
  if (states.includes("running")) return "running";
  if (service.actions.install?.state === "ok") return "ok";
  return "new";
}

export function serviceView(service: ServiceModel): ServiceView {
  return {
    key: service.key,
    role: service.role,
    name: service.instance,
    actor: service.actor,
    data: service.data,
    state: serviceState(service),
    parent: service.parent,
    producers: service.producers,
    consumers: service.consumers,
    children: service.children,
    actions: Object.values(service.actions)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((a) => ({ name: a.name, state: a.state, period: a.period, last_run: a.lastRun, error_count: a.errorCount })),
    events: service.eventFilters,
    blueprint: service.blueprint,
  };
}

export class RepositoryActor extends DurableObject<Env> {
  private templatesCache: TemplateIndex | undefined;
  private templateRows = new Map<string, TemplateRow>();
  private readonly streams = new RunStreams();
  private readonly stateEvents = new StateEvents(this.env, () => ({ org: this.meta("org") ?? "", repo: this.meta("name") ?? "" }));
  private lastPrune = 0;
  private stateCache: RepositoryState | undefined;
  private readonly serviceJson = new Map<string, string>();
  /** Runs read from storage, by key: every code path works on the same object. */
  private readonly runCache = new Map<string, RunRecord>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
    // Repositories created before templates kept actions.py gain the column.
    addMissingColumns(ctx.storage.sql, "templates", { actions_py: "TEXT NOT NULL DEFAULT ''" });
  }

  // === Identity

  private meta(key: string): string | undefined {
    return this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  private setMeta(key: string, value: string): void {
    this.ctx.storage.sql.exec("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
  }

  init(org: string, name: string, git_url: string): void {
    this.setMeta("org", org);
    this.setMeta("name", name);
    this.setMeta("git_url", git_url);
  }

  info(): { name: string; git_url: string; noexec: boolean } {
    return { name: this.meta("name") ?? "", git_url: this.meta("git_url") ?? "", noexec: this.meta("noexec") === "1" };
  }

  /** No-exec mode (the original's `ays noexec`): jobs are marked ok without running. */
  setNoExec(on: boolean): void {
    this.setMeta("noexec", on ? "1" : "0");
  }

  /**
   * Forgets everything: used when the repository is deleted. Its services' recurring timers are
   * stopped and their open jobs ended first, or they would keep waking up for a repository that is gone.
   */
  async destroy(): Promise<void> {
    const services = Object.keys(this.state().services);
    this.saveState(emptyRepository());
    await this.syncRecurring();
    await this.cancelServiceJobs(services, null, "its repository was deleted");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.templatesCache = undefined;
    this.stateCache = undefined;
    this.serviceJson.clear();
    this.runCache.clear();
  }

  // === Templates

  /** Parsed templates and their stored text, read once: every job of a run needs its template's code. */
  private templates(): TemplateIndex {
    if (!this.templatesCache) {
      const rows = this.ctx.storage.sql.exec<TemplateRow>("SELECT * FROM templates ORDER BY name").toArray();
      this.templateRows = new Map(rows.map((r) => [r.name, r]));
      this.templatesCache = templateIndex(rows.map((r) => this.parseStoredTemplate(r)));
    }
    return this.templatesCache;
  }

  private parseStoredTemplate(r: TemplateRow): ActorTemplate {
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

  private templateRow(name: string): TemplateRow | undefined {
    this.templates();
    return this.templateRows.get(name);
  }

  listTemplates(): TemplateView[] {
    return [...this.templates().values()].map((t) => this.templateView(t, this.templateRow(t.name)!));
  }

  private templateView(t: ActorTemplate, row: TemplateRow): TemplateView {
    return {
      name: t.name, role: t.role, actions: t.actions, code: t.code,
      config: row.config, schema: row.schema, actions_js: row.actions_js, actions_py: row.actions_py,
    };
  }

  getTemplate(name: string): Result<TemplateView> {
    const t = this.templates().get(name);
    const row = this.templateRow(name);
    if (!t || !row) return refuse(404, "not_found", `no template ${name} in this repository`);
    return ok(this.templateView(t, row));
  }

  /** Validates the template fully before storing it; an existing one of the same name is replaced. */
  putTemplate(input: TemplateInput): Result<TemplateView> {
    const row: TemplateRow = {
      name: input.name,
      config: input.config ?? "",
      schema: input.schema ?? "",
      actions_js: input.actions ?? "",
      actions_py: input.actions_py ?? "",
    };
    let template: ActorTemplate;
    try {
      template = this.parseStoredTemplate(row);
    } catch (err) {
      if (err instanceof AysError) return refuse(400, "invalid_template", err.message);
      throw err;
    }
    this.ctx.storage.sql.exec(
      `INSERT INTO templates(name, config, schema, actions_js, actions_py, updated) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET config = excluded.config, schema = excluded.schema,
         actions_js = excluded.actions_js, actions_py = excluded.actions_py, updated = excluded.updated`,
      row.name, row.config, row.schema, row.actions_js, row.actions_py, Date.now(),
    );
    this.templatesCache = undefined;
    return ok(this.templateView(template, row));
  }

  /**
   * Deletes a template that nothing uses: no service is of it, no saved blueprint names it (archived
   * ones too, or restoring one would bring back a blueprint that cannot execute), and no other
   * template auto-creates it through a link. Otherwise a 409 naming them, and nothing changes.
   */
  deleteTemplate(name: string): Result<null> | TemplateInUse {
    if (!this.templateRow(name)) return refuse(404, "not_found", `no template ${name} in this repository`);
    const services = Object.values(this.state().services)
      .filter((s) => s.actor === name)
      .map((s) => s.key)
      .sort();
    const blueprints = this.listBlueprints().filter((bp) => blueprintNames(bp, name)).map((bp) => bp.name);
    const templates = [...this.templates().values()]
      .filter((t) => t.name !== name && [...(t.parent ? [t.parent] : []), ...t.consume].some((l) => l.auto && l.role === name))
      .map((t) => t.name);
    if (services.length || blueprints.length || templates.length) {
      const list = (what: string, items: string[]) => (items.length ? [`${what} ${items.slice(0, 10).join(", ")}${items.length > 10 ? ` and ${items.length - 10} more` : ""}`] : []);
      const users = [...list("services", services), ...list("blueprints", blueprints), ...list("templates that auto-create it:", templates)];
      return { ok: false, status: 409, code: "in_use", error: `template ${name} is in use by ${users.join("; ")}`, services, blueprints, templates };
    }
    this.ctx.storage.sql.exec("DELETE FROM templates WHERE name = ?", name);
    this.templatesCache = undefined;
    return ok(null);
  }

  // === Service registry

  /**
   * The engine's RepositoryState, one SQLite row per service and cached in memory: a job report
   * rewrites the one service it touched, not the whole registry (a run of 1,000 services would
   * otherwise write the registry 2,000 times).
   */
  private state(): RepositoryState {
    if (!this.stateCache) {
      const services: RepositoryState["services"] = {};
      this.serviceJson.clear();
      for (const row of this.ctx.storage.sql.exec<{ key: string; json: string }>("SELECT key, json FROM services")) {
        services[row.key] = JSON.parse(row.json) as ServiceModel;
        this.serviceJson.set(row.key, row.json);
      }
      this.stateCache = { ...emptyRepository(), services };
    }
    return this.stateCache;
  }

  /** Replaces the whole state (after the engine computed a new one), writing only what changed. */
  private saveState(state: RepositoryState): void {
    for (const [key, service] of Object.entries(state.services)) {
      const json = JSON.stringify(service);
      if (this.serviceJson.get(key) === json) continue;
      this.ctx.storage.sql.exec("INSERT INTO services(key, json) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET json = excluded.json", key, json);
      this.serviceJson.set(key, json);
    }
    for (const key of [...this.serviceJson.keys()]) {
      if (state.services[key]) continue;
      this.ctx.storage.sql.exec("DELETE FROM services WHERE key = ?", key);
      this.serviceJson.delete(key);
    }
    this.stateCache = state;
  }

  /** Writes the given services of the cached state, changed in place. */
  private saveServices(keys: Iterable<string>): void {
    const services = this.state().services;
    for (const key of new Set(keys)) {
      const service = services[key];
      if (!service) continue;
      const json = JSON.stringify(service);
      this.ctx.storage.sql.exec("INSERT INTO services(key, json) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET json = excluded.json", key, json);
      this.serviceJson.set(key, json);
    }
  }

  /** A page of the services (of `role`), in key order after the cursor `after`; `next` is the cursor of the following page. */
  listServices(query: ServiceQuery = {}): { services: ServiceView[]; next: string | null } {
    const limit = pageLimit(query.limit);
    const keys = Object.values(this.state().services)
      .filter((s) => (!query.role || s.role === query.role) && (query.after === undefined || s.key > query.after))
      .map((s) => s.key)
      .sort();
    const page = cutPage(keys.slice(0, limit + 1), limit, (key) => key, (key) => this.serviceJson.get(key)?.length ?? 0);
    return { services: page.items.map((key) => serviceView(this.state().services[key]!)), next: page.next };
  }

  /** The producers of each of these services (a run view draws its arrows with them). */
  producersOf(keys: string[]): Record<string, string[]> {
    const services = this.state().services;
    return Object.fromEntries(keys.flatMap((key) => (services[key] ? [[key, services[key].producers]] : [])));
  }

  getService(role: string, name: string): Result<ServiceView> {
    const service = this.state().services[`${role}!${name}`];
    return service ? ok(serviceView(service)) : refuse(404, "not_found", `no service ${role}!${name} in this repository`);
  }

  async scheduleServiceAction(role: string, name: string, action: string, force: boolean, inputFiles: JobFile[] = []): Promise<Result<ServiceView>> {
    const key = `${role}!${name}`;
    const service = this.state().services[key];
    if (!service) return refuse(404, "not_found", `no service ${key} in this repository`);
    if (!service.actions[action]) return refuse(404, "not_found", `service ${key} (actor ${service.actor}) has no action ${action}`);
    try {
      const { state } = scheduleAction(this.state(), this.templates(), { action, role, service: name, force });
      // Uploaded files go with the next job of this action (job.files.read(name)).
      if (inputFiles.length) state.services[key]!.actions[action]!.inputFiles = inputFiles;
      this.saveState(state);
      await this.syncRecurring();
      return ok(serviceView(state.services[key]!));
    } catch (err) {
      if (err instanceof AysError) return refuse(409, "invalid_state", err.message);
      throw err;
    }
  }

  /** Deletes a service and its children (AYS Service.delete), unlinking producers and consumers. */
  async deleteService(role: string, name: string): Promise<Result<{ deleted: string[] }>> {
    const key = `${role}!${name}`;
    const current = this.state();
    if (!current.services[key]) return refuse(404, "not_found", `no service ${key} in this repository`);
    const services: RepositoryState["services"] = structuredClone(current.services);
    const doomed: string[] = [];
    const collect = (k: string) => {
      doomed.push(k);
      for (const child of services[k]?.children ?? []) collect(child);
    };
    collect(key);
    const gone = new Set(doomed);
    for (const k of doomed) delete services[k];
    for (const s of Object.values(services)) {
      s.producers = s.producers.filter((p) => !gone.has(p));
      s.consumers = s.consumers.filter((c) => !gone.has(c));
      s.children = s.children.filter((c) => !gone.has(c));
      if (s.parent && gone.has(s.parent)) s.parent = null;
    }
    this.saveState({ ...current, services });
    await this.syncRecurring();
    return ok({ deleted: doomed });
  }

  // === Blueprints

  private blueprintRow(name: string): BlueprintView | undefined {
    const row = this.ctx.storage.sql
      .exec<{ name: string; content: string; archived: number; updated: number }>("SELECT * FROM blueprints WHERE name = ?", name)
      .toArray()[0];
    return row ? { ...row, archived: row.archived === 1 } : undefined;
  }

  listBlueprints(archived?: boolean): BlueprintView[] {
    return this.ctx.storage.sql
      .exec<{ name: string; content: string; archived: number; updated: number }>("SELECT * FROM blueprints ORDER BY name")
      .toArray()
      .map((r) => ({ ...r, archived: r.archived === 1 }))
      .filter((b) => archived === undefined || b.archived === archived);
  }

  getBlueprint(name: string): Result<BlueprintView> {
    const bp = this.blueprintRow(name);
    return bp ? ok(bp) : refuse(404, "not_found", `no blueprint ${name} in this repository`);
  }

  /**
   * Checks a blueprint against the templates and the current services without applying it or
   * storing anything: the engine's first problem, with its line and column when it has them.
   */
  checkBlueprint(name: string, content: string): BlueprintCheck {
    try {
      executeBlueprint(this.state(), this.templates(), parseBlueprint(name, content));
      return { valid: true };
    } catch (err) {
      if (!(err instanceof AysError)) throw err;
      return {
        valid: false,
        error: err.message,
        reason: err.reason,
        ...(err.key !== undefined ? { key: err.key } : {}),
        ...(err.line !== undefined ? { line: err.line } : {}),
        ...(err.column !== undefined ? { column: err.column } : {}),
      };
    }
  }

  private validateBlueprint(name: string, content: string): Result<null> {
    const check = this.checkBlueprint(name, content);
    return check.valid ? ok(null) : refuse(400, "invalid_blueprint", check.error);
  }

  saveBlueprint(name: string, content: string, mode: "create" | "update"): Result<BlueprintView> {
    const existing = this.blueprintRow(name);
    if (mode === "create" && existing) return refuse(409, "exists", `blueprint ${name} exists already`);
    if (mode === "update" && !existing) return refuse(404, "not_found", `no blueprint ${name} in this repository`);
    const valid = this.validateBlueprint(name, content);
    if (!valid.ok) return valid;
    const updated = Date.now();
    this.ctx.storage.sql.exec(
      `INSERT INTO blueprints(name, content, archived, updated) VALUES (?, ?, 0, ?)
       ON CONFLICT(name) DO UPDATE SET content = excluded.content, updated = excluded.updated`,
      name, content, updated,
    );
    return ok(this.blueprintRow(name)!);
  }

  deleteBlueprint(name: string): Result<null> {
    const removed = this.ctx.storage.sql.exec("DELETE FROM blueprints WHERE name = ?", name).rowsWritten;
    return removed ? ok(null) : refuse(404, "not_found", `no blueprint ${name} in this repository`);
  }

  setArchived(name: string, archived: boolean): Result<BlueprintView> {
    const bp = this.blueprintRow(name);
    if (!bp) return refuse(404, "not_found", `no blueprint ${name} in this repository`);
    this.ctx.storage.sql.exec("UPDATE blueprints SET archived = ?, updated = ? WHERE name = ?", archived ? 1 : 0, Date.now(), name);
    return ok(this.blueprintRow(name)!);
  }

  /** Creates or updates the blueprint's services and schedules its actions (AYS blueprintExecute). */
  async executeBlueprint(name: string): Promise<Result<{ msg: string; created: string[]; changed: string[]; scheduled: number }>> {
    const bp = this.blueprintRow(name);
    if (!bp) return refuse(404, "not_found", `no blueprint ${name} in this repository`);
    if (bp.archived) return refuse(409, "archived", `blueprint ${name} is archived; restore it first`);
    try {
      const result = executeBlueprint(this.state(), this.templates(), parseBlueprint(name, bp.content));
      this.saveState(result.state);
      await this.syncRecurring();
      const msg =
        `blueprint ${name} executed: ${result.created.length} services created, ${result.changed.length} changed, ` +
        `${result.scheduled.length} actions scheduled`;
      return ok({ msg, created: result.created, changed: result.changed.map((c) => c.key), scheduled: result.scheduled.length });
    } catch (err) {
      return engineRefusal(err);
    }
  }

  // === Recurring actions

  /**
   * Tells each ServiceActor which of its actions recur, and how often (template `recurring:` or a
   * blueprint's `recurring:`). Only services whose list changed are called.
   */
  private async syncRecurring(): Promise<void> {
    const state = this.state();
    const org = this.meta("org") ?? "";
    const repo = this.meta("name") ?? "";
    const known = new Map(
      this.ctx.storage.sql.exec<{ service: string; json: string }>("SELECT service, json FROM recurring").toArray().map((r) => [r.service, r.json]),
    );
    const calls: Promise<void>[] = [];
    const update = (key: string, list: RecurringAction[]) => {
      const json = JSON.stringify(list);
      if ((known.get(key) ?? "[]") === json) return;
      if (list.length) this.ctx.storage.sql.exec("INSERT INTO recurring(service, json) VALUES (?, ?) ON CONFLICT(service) DO UPDATE SET json = excluded.json", key, json);
      else this.ctx.storage.sql.exec("DELETE FROM recurring WHERE service = ?", key);
      calls.push(this.env.SERVICE.getByName(`${org}/${repo}/${key}`).setRecurring({ org, name: repo }, key, list));
    };
    for (const service of Object.values(state.services)) {
      const list = Object.values(service.actions)
        .filter((a) => a.period > 0 && a.state !== "disabled")
        .map((a) => ({ action: a.name, period: a.period }))
        .sort((a, b) => a.action.localeCompare(b.action));
      update(service.key, list);
    }
    for (const key of known.keys()) if (!state.services[key]) update(key, []);
    await Promise.all(calls);
  }

  /**
   * A ServiceActor asks for the job of a recurring action that is due. Recurring jobs bypass the run
   * queue (AYS Recurring.py) but wait for the service to be installed; `null` skips this period.
   */
  recurringJob(serviceKey: string, action: string, jobKey: string): JobSpec | null {
    const state = this.state();
    const service = state.services[serviceKey];
    const current = service?.actions[action];
    if (!service || !current || current.period <= 0 || current.state === "disabled" || current.state === "running") return null;
    if (service.actions.install && service.actions.install.state !== "ok" && action !== "install") return null;
    this.applyActionEvent(state, serviceKey, action, { type: "START" });
    this.saveServices([serviceKey]);
    const job: JobRecord = { key: jobKey, service: serviceKey, actor: service.actor, action, state: "running", attempts: 1, started: Date.now(), ended: null, logs: [], result: null, files: [] };
    return this.jobSpec(this.meta("org") ?? "", this.meta("name") ?? "", "", job, service, this.info().noexec);
  }

  /** The outcome of a job outside any run (recurring, or started by an event): like a run's job. */
  looseJobFinished(serviceKey: string, action: string, outcome: JobOutcome): void {
    const state = this.state();
    const service = state.services[serviceKey];
    if (!service?.actions[action] || service.actions[action].state !== "running") return;
    Object.assign(service.data, outcome.dataPatch);
    service.actions[action].lastRun = outcome.ended;
    this.applyActionEvent(state, serviceKey, action, { type: outcome.state === "ok" ? "SUCCEED" : "FAIL" });
    this.saveServices([serviceKey]);
  }

  // === Events

  /**
   * Delivers a bus event to the services whose filters match; each listed action runs as a job
   * outside any run, with the event (secret removed) as its args. Delivery is at least once, so an
   * event id already seen is dropped: a redelivered event never starts its actions twice.
   */
  async deliverEvent(event: CockpitEvent): Promise<{ duplicate: boolean; jobs: string[] }> {
    const seen = this.ctx.storage.sql.exec("SELECT 1 FROM events_seen WHERE id = ?", event.id).toArray().length > 0;
    if (seen) return { duplicate: true, jobs: [] };
    const state = this.state();
    const matches = matchEvent(state, event);
    // Most events (every finished job, for one) reach no filter here: nothing to start, nothing to remember.
    if (matches.length === 0) return { duplicate: false, jobs: [] };
    this.ctx.storage.sql.exec("INSERT INTO events_seen(id, time) VALUES (?, ?)", event.id, Date.now());
    // Redeliveries come within minutes; a week of ids is plenty, pruned at most hourly.
    if (Date.now() - this.lastPrune > 3_600_000) {
      this.lastPrune = Date.now();
      this.ctx.storage.sql.exec("DELETE FROM events_seen WHERE time < ?", Date.now() - 7 * 86_400_000);
    }
    const org = this.meta("org") ?? "";
    const repo = this.meta("name") ?? "";
    const noexec = this.info().noexec;
    const args = withoutSecret(event) as unknown as Record<string, unknown>;
    const specs: JobSpec[] = [];
    for (const { service: key, action } of matches) {
      const service = state.services[key]!;
      this.applyActionEvent(state, key, action, { type: "START" });
      const job: JobRecord = {
        key: `event.${event.id}.${key}.${action}`,
        service: key, actor: service.actor, action, state: "running", attempts: 1,
        started: Date.now(), ended: null, logs: [], result: null, files: [],
      };
      // An email's attachments are the job's input files (job.files.read(name)).
      const inputFiles =
        event.type === "email" ? event.payload.attachments.map((a) => ({ name: a.filename, key: a.key, size: a.size, contentType: a.content_type })) : [];
      specs.push({ ...this.jobSpec(org, repo, "", job, service, noexec), args, inputFiles });
    }
    this.saveServices(specs.map((s) => s.service.key));
    try {
      await Promise.all(specs.map((spec) => this.env.SERVICE.getByName(spec.actorName).startJob(spec)));
    } catch (err) {
      // Not delivered: forget the id so the queue's retry is not taken for a duplicate.
      this.ctx.storage.sql.exec("DELETE FROM events_seen WHERE id = ?", event.id);
      throw err;
    }
    return { duplicate: false, jobs: specs.map((s) => s.jobKey) };
  }

  // === Runs

  private nextSeq(): number {
    const row = this.ctx.storage.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM runs").one();
    return (row.seq ?? 0) + 1;
  }

  /**
   * A run is one row of metadata plus one row per job, so a job report rewrites one job. Runs are
   * cached: at any await another call may change the run, and it changes this same object.
   */
  private loadRun(key: string): RunRecord | undefined {
    const cached = this.runCache.get(key);
    if (cached) return cached;
    const row = this.ctx.storage.sql.exec<{ json: string }>("SELECT json FROM runs WHERE key = ?", key).toArray()[0];
    if (!row) return undefined;
    const meta = JSON.parse(row.json) as Omit<RunRecord, "steps"> & { steps: { number: number; state: RunState }[] };
    const jobs = new Map<number, JobRecord[]>();
    for (const r of this.ctx.storage.sql.exec<{ step: number; json: string }>("SELECT step, json FROM run_jobs WHERE run = ? ORDER BY step, idx", key)) {
      const list = jobs.get(r.step) ?? [];
      list.push(JSON.parse(r.json) as JobRecord);
      jobs.set(r.step, list);
    }
    const run: RunRecord = { ...meta, steps: meta.steps.map((s) => ({ ...s, jobs: jobs.get(s.number) ?? [] })) };
    if (this.runCache.size >= 8) this.runCache.delete(this.runCache.keys().next().value!);
    this.runCache.set(key, run);
    return run;
  }

  /**
   * Persists a run's metadata and the given jobs (all of them for a new run), then tells the
   * stream subscribers what changed.
   */
  private saveRun(run: RunRecord, changedJobs: readonly JobRecord[] = [], seq?: number): void {
    const meta = {
      ...run,
      steps: run.steps.map((s) => ({ number: s.number, state: s.state })),
      jobs: run.steps.reduce((n, s) => n + s.jobs.length, 0),
    };
    if (seq !== undefined) {
      this.ctx.storage.sql.exec(
        "INSERT INTO runs(key, seq, state, priority, not_before, simulate, json) VALUES (?, ?, ?, ?, ?, ?, ?)",
        run.key, seq, run.state, run.priority, run.not_before, run.simulate ? 1 : 0, JSON.stringify(meta),
      );
    } else {
      this.ctx.storage.sql.exec(
        "UPDATE runs SET state = ?, priority = ?, not_before = ?, simulate = ?, json = ? WHERE key = ?",
        run.state, run.priority, run.not_before, run.simulate ? 1 : 0, JSON.stringify(meta), run.key,
      );
    }
    const jobs = seq !== undefined ? run.steps.flatMap((s) => s.jobs) : changedJobs;
    for (const job of jobs) {
      const [, step, idx] = /\.(\d+)\.(\d+)$/.exec(job.key)!;
      this.ctx.storage.sql.exec(
        "INSERT INTO run_jobs(run, step, idx, json) VALUES (?, ?, ?, ?) ON CONFLICT(run, step, idx) DO UPDATE SET json = excluded.json",
        run.key, Number(step), Number(idx), JSON.stringify(job),
      );
    }
    this.runCache.set(run.key, run);
    this.streams.publish(run);
    this.stateEvents.observe(run, jobs);
  }

  /**
   * Server-Sent Events for one run: the run now, then every change until it ends. `logsUpTo` as for
   * getRun: the first event of a bigger run has no logs, the log lines that follow do.
   */
  streamRun(key: string, opts: { logsUpTo?: number } = {}): Result<ReadableStream<Uint8Array>> {
    const run = this.loadRun(key);
    if (!run) return refuse(404, "not_found", `no run ${key} in this repository`);
    return ok(this.streams.open(run, { logs: !leavesOutLogs(run, opts.logsUpTo) }));
  }

  /** Builds a run from the scheduled actions; starts it unless `simulate`. */
  async createRun(opts: { simulate: boolean; by: string }): Promise<Result<RunRecord>> {
    let plan;
    try {
      plan = planRun(this.state(), this.templates());
    } catch (err) {
      if (err instanceof AysError) return refuse(409, "plan_failed", err.message);
      throw err;
    }
    if (plan.steps.length === 0) return refuse(409, "nothing_to_run", "nothing to run: no action is scheduled (or all are ok)");
    return ok(await this.addRun(plan.steps, { simulate: opts.simulate, by: opts.by }));
  }

  /**
   * A new run with the jobs of run `key`, step by step: the same services and actions, executed
   * again even where an action is ok (the run is marked `rerun_of`, which forces its jobs), and
   * simulated when the original was. Service states are left alone until a job starts, so a
   * simulated re-run changes nothing until it is started.
   */
  async rerunRun(key: string, by: string): Promise<Result<RunRecord>> {
    const original = this.loadRun(key);
    if (!original) return refuse(404, "not_found", `no run ${key} in this repository`);
    if (!hasEnded(original.state)) {
      const what = original.state === "running" ? "is still running" : "has not ended (it is new: planned, queued or waiting to retry)";
      return refuse(409, "not_ended", `run ${key} ${what}; re-run it once it has ended`);
    }
    const services = this.state().services;
    const gone = [...new Set(original.steps.flatMap((s) => s.jobs).filter((j) => !services[j.service]?.actions[j.action]).map((j) => `${j.service} ${j.action}`))];
    if (gone.length) {
      const shown = gone.slice(0, 5).join(", ") + (gone.length > 5 ? ` and ${gone.length - 5} more` : "");
      return refuse(409, "gone", `cannot re-run ${key}: ${shown} no longer ${gone.length === 1 ? "exists" : "exist"}`);
    }
    // A job repeated gets the input files the original was handed (uploads, a mail's attachments).
    const steps = original.steps.map((s) => ({
      number: s.number,
      jobs: s.jobs.map((j) => ({ service: j.service, actor: j.actor, action: j.action, ...(j.inputs?.length ? { inputs: j.inputs } : {}) })),
    }));
    return ok(await this.addRun(steps, { simulate: original.simulate, by, rerun_of: key }));
  }

  /** Stores a new run of these steps and, unless simulated, moves the queue. */
  private async addRun(
    steps: { number: number; jobs: { service: string; actor: string; action: string; inputs?: JobFile[] }[] }[],
    opts: { simulate: boolean; by: string; rerun_of?: string },
  ): Promise<RunRecord> {
    const seq = this.nextSeq();
    const key = `run-${seq}`;
    const run: RunRecord = {
      key,
      state: "new",
      created: Date.now(),
      simulate: opts.simulate,
      priority: 1,
      not_before: 0,
      attempt: 0,
      by: opts.by,
      ...(opts.rerun_of ? { rerun_of: opts.rerun_of } : {}),
      errors: [],
      steps: steps.map((step) => ({
        number: step.number,
        state: "new",
        jobs: step.jobs.map((job, i) => ({
          key: `${key}.${step.number}.${i + 1}`,
          service: job.service,
          actor: job.actor,
          action: job.action,
          state: "new",
          attempts: 0,
          started: null,
          ended: null,
          logs: [],
          result: null,
          files: [],
          ...(job.inputs ? { inputs: job.inputs } : {}),
        })),
      })),
    };
    this.saveRun(run, [], seq);
    if (!run.simulate) await this.pump();
    return this.loadRun(key)!;
  }

  /** A page of the runs, newest first, before run number `before`; `next` is the `before` of the following page. */
  listRuns(query: { before?: number; limit?: number } = {}): { runs: RunSummary[]; next: number | null } {
    const limit = pageLimit(query.limit);
    const rows = this.ctx.storage.sql
      .exec<{ seq: number; json: string }>("SELECT seq, json FROM runs WHERE seq < ? ORDER BY seq DESC LIMIT ?", query.before ?? Number.MAX_SAFE_INTEGER, limit + 1)
      .toArray();
    const page = cutPage(rows, limit, (r) => r.seq);
    const runs = page.items.map((r) => {
      const run = JSON.parse(r.json) as RunRecord & { jobs: number };
      return { key: run.key, state: run.state, created: run.created, simulate: run.simulate, attempt: run.attempt, steps: run.steps.length, jobs: run.jobs };
    });
    return { runs, next: page.next };
  }

  /**
   * A run, with every job's log; with `logsUpTo`, a run of more jobs than that comes without them
   * (withoutLogs: the run view of a big run fetches them job by job, and need not carry them all to
   * render; `logsUpTo: 0` is the API's `?logs=none`).
   */
  getRun(key: string, opts: { logsUpTo?: number } = {}): Result<RunRecord> {
    const run = this.loadRun(key);
    if (!run) return refuse(404, "not_found", `no run ${key} in this repository`);
    return ok(leavesOutLogs(run, opts.logsUpTo) ? withoutLogs(run) : run);
  }

  /** One job of a run, with its log and files: what the run view fetches when a job is opened. */
  getRunJob(runKey: string, jobKey: string): Result<JobRecord & { run: string; step: number }> {
    const run = this.loadRun(runKey);
    if (!run) return refuse(404, "not_found", `no run ${runKey} in this repository`);
    for (const step of run.steps) {
      const job = step.jobs.find((j) => j.key === jobKey);
      if (job) return ok({ ...job, run: run.key, step: step.number });
    }
    return refuse(404, "not_found", `no job ${jobKey} in run ${runKey}`);
  }

  /** Executes a simulated run (POST on a run key). */
  async startRun(key: string): Promise<Result<RunRecord>> {
    const run = this.loadRun(key);
    if (!run) return refuse(404, "not_found", `no run ${key} in this repository`);
    if (!run.simulate) return refuse(409, "not_simulated", `run ${key} is ${run.state}: only a simulated run can be started`);
    run.simulate = false;
    this.saveRun(run);
    await this.pump();
    return ok(this.loadRun(key)!);
  }

  /**
   * Cancels a run that has not ended. Its running jobs are cancelled too, and their ServiceActors
   * drop them (`cancelJobs`), so no alarm runs them again; their actions go back to `scheduled`.
   */
  async cancelRun(key: string): Promise<Result<RunRecord>> {
    const run = this.loadRun(key);
    if (!run) return refuse(404, "not_found", `no run ${key} in this repository`);
    if (hasEnded(run.state)) return refuse(409, "finished", `run ${key} has already ended (${run.state})`);
    run.state = "cancelled";
    const state = this.state();
    const cancelled: JobRecord[] = [];
    const services = new Set<string>();
    for (const step of run.steps) {
      for (const job of step.jobs) {
        if (job.state !== "new" && job.state !== "running") continue;
        if (job.state === "running") {
          services.add(job.service);
          delete job.live_logs;
          job.ended = Date.now();
          job.logs.push({ epoch: job.ended, level: "warning", category: "msg", log: "cancelled while running" });
          this.applyActionEvent(state, job.service, job.action, { type: "INTERRUPT" });
        }
        job.state = "cancelled";
        cancelled.push(job);
      }
      if (step.state === "new" || step.state === "running") step.state = "cancelled";
    }
    this.saveServices(services);
    this.saveRun(run, cancelled);
    await this.cancelServiceJobs([...services], key, "its run was cancelled");
    void this.pump();
    return ok(run);
  }

  /** Has the ServiceActors end their open jobs of run `runKey` (all of them when null). Best effort: one that cannot be reached is logged. */
  private async cancelServiceJobs(services: string[], runKey: string | null, reason: string): Promise<void> {
    const org = this.meta("org") ?? "";
    const repo = this.meta("name") ?? "";
    await Promise.all(
      services.map((service) =>
        this.env.SERVICE.getByName(`${org}/${repo}/${service}`)
          .cancelJobs(runKey, reason)
          .catch((err: unknown) => console.error(`cancelJobs of ${service} failed`, errorOf(err))),
      ),
    );
  }

  scheduler(): { status: "running" | "idle"; queue_size: number; running: string | null } {
    const running = this.ctx.storage.sql.exec<{ key: string }>("SELECT key FROM runs WHERE state = 'running' LIMIT 1").toArray()[0];
    const queued = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM runs WHERE state = 'new' AND simulate = 0").one();
    return { status: running ? "running" : "idle", queue_size: queued.n, running: running?.key ?? null };
  }

  // === Execution

  /**
   * Moves the queue forward: continues the active run, or starts the next ready one (people's
   * runs first, then retries whose delay has passed). Safe to call at any time and repeatedly.
   */
  private async pump(resend = false): Promise<void> {
    for (;;) {
      const active = this.ctx.storage.sql.exec<{ key: string }>("SELECT key FROM runs WHERE state = 'running' LIMIT 1").toArray()[0];
      let run = active ? this.loadRun(active.key) : undefined;
      if (!run) {
        const next = this.ctx.storage.sql
          .exec<{ key: string }>(
            "SELECT key FROM runs WHERE state = 'new' AND simulate = 0 AND not_before <= ? ORDER BY priority, seq LIMIT 1",
            Date.now(),
          )
          .toArray()[0];
        if (!next) break;
        run = this.loadRun(next.key)!;
        run.state = "running";
        run.attempt += 1;
        this.saveRun(run);
      }
      // `advance` returns "waiting" once jobs are out; their reports call pump again.
      if ((await this.advance(run, resend)) === "waiting") break;
    }
    await this.armAlarm();
  }

  /**
   * Dispatches the current step's open jobs, or closes the step and moves on. Returns "waiting" when
   * jobs are out; their reports (which may arrive while `startJob` calls are still in flight, on the
   * same cached run object) call pump again.
   */
  private async advance(run: RunRecord, resend: boolean): Promise<"waiting" | "ended"> {
    for (;;) {
      if (run.state !== "running") return "ended";
      const step = run.steps.find((s) => s.state === "new" || s.state === "running");
      if (!step) {
        run.state = "ok";
        this.saveRun(run);
        return "ended";
      }
      // Jobs already out are only sent again by the watchdog (`resend`): a report of one job must
      // not re-send every other job of a wide step.
      const toSend = step.jobs.filter((j) => j.state === "new" || (resend && j.state === "running"));
      const stillOut = step.jobs.some((j) => j.state === "running");
      if (toSend.length > 0 || stillOut) {
        const changed = step.state !== "running";
        step.state = "running";
        const sent = toSend.length ? this.prepareDispatch(run, toSend) : [];
        if (sent.length > 0) {
          await this.sendJobs(sent);
          return "waiting";
        }
        if (step.jobs.some((j) => j.state === "running")) {
          if (changed) this.saveRun(run);
          return "waiting";
        }
        continue;
      }
      const failed = step.jobs.filter((j) => j.state === "error");
      if (failed.length === 0) {
        step.state = "ok";
        this.saveRun(run);
        continue;
      }
      this.failStep(run, step.number, failed);
      return "ended";
    }
  }

  /**
   * Marks open jobs running and builds their specs; jobs already done by another run are closed at
   * once. Persists everything before anything is sent.
   */
  private prepareDispatch(run: RunRecord, jobs: JobRecord[]): JobSpec[] {
    const state = this.state();
    const noexec = this.info().noexec;
    const org = this.meta("org") ?? "";
    const repo = this.meta("name") ?? "";
    const specs: JobSpec[] = [];
    for (const job of jobs) {
      const service = state.services[job.service];
      const action = service?.actions[job.action];
      if (!service || !action) {
        this.closeJob(job, "error", [`service ${job.service} or its action ${job.action} no longer exists`], null);
        continue;
      }
      if (job.state === "new") {
        // A re-run runs its jobs again, as if each action had been scheduled with force.
        if (action.state === "ok" && !action.force && !run.rerun_of) {
          this.closeJob(job, "ok", [`${job.action} is already ok on ${job.service}: skipped`], null);
          continue;
        }
        if (action.state === "disabled") {
          this.closeJob(job, "ok", [`${job.action} is disabled on ${job.service}: skipped`], null);
          continue;
        }
        job.state = "running";
        job.attempts += 1;
        job.started = Date.now();
        this.applyActionEvent(state, job.service, job.action, { type: "START" });
      }
      // An action the template's code does not define is the AYS default, a no-op: it is done here
      // rather than sent to a ServiceActor and a sandbox that would do nothing.
      // No-exec mode (the original's `ays noexec`) marks jobs ok without running them, likewise.
      const template = this.templates().get(service.actor);
      const isDefault = !template || template.code === "none" || !template.codeActions.includes(job.action);
      if (noexec || isDefault) {
        this.closeJob(job, "ok", [noexec ? "no-exec mode: marked ok without running" : `${job.action}: AYS default action (no-op)`], null);
        action.lastRun = job.ended;
        if (action.state === "running") this.applyActionEvent(state, job.service, job.action, { type: "SUCCEED" });
        continue;
      }
      const spec = this.jobSpec(org, repo, run.key, job, service, noexec);
      if (spec.inputFiles?.length) job.inputs = spec.inputFiles;
      specs.push(spec);
    }
    this.saveServices(jobs.map((j) => j.service));
    this.saveRun(run, jobs);
    return specs;
  }

  /**
   * Each ServiceActor persists the job before returning, so a lost reply is harmless: the watchdog
   * sends the same spec again and the ServiceActor recognises it by key and attempt.
   */
  private async sendJobs(specs: JobSpec[]): Promise<void> {
    await Promise.all(
      specs.map((spec) =>
        this.env.SERVICE.getByName(spec.actorName)
          .startJob(spec)
          .catch((err: unknown) => console.error(`startJob ${spec.jobKey} failed, the watchdog will retry`, errorOf(err))),
      ),
    );
  }

  /** Everything a ServiceActor needs to run one job; `runKey` is "" for a recurring job. */
  private jobSpec(org: string, repo: string, runKey: string, job: JobRecord, service: ServiceModel, noexec: boolean): JobSpec {
    const template = this.templates().get(service.actor);
    const row = template ? this.templateRow(template.name) : undefined;
    const state = this.state();
    const action = service.actions[job.action]!;
    const settings = template?.actionSettings?.[job.action];
    const dataOf = (key: string) => state.services[key]?.data ?? {};
    return {
      actorName: `${org}/${repo}/${service.key}`,
      repo: { org, name: repo },
      runKey,
      jobKey: job.key,
      attempt: job.attempts,
      action: job.action,
      args: action.args ?? {},
      timeoutSeconds: action.timeout || template?.timeouts[job.action] || (configFromBindings(this.env).jobs.default_timeout ?? DEFAULT_TIMEOUT_SECONDS),
      noexec,
      code: template?.code ?? "none",
      actionsJs: row?.actions_js ?? "",
      egress: template?.egress ?? [],
      schema: template?.schema.fields.map((f) => ({ name: f.name, type: f.type, list: f.list })) ?? [],
      // A re-run's job carries its original's inputs; otherwise those uploaded for the action.
      inputFiles: job.inputs ?? action.inputFiles ?? [],
      ...(settings?.maxParallel ? { maxParallel: settings.maxParallel } : {}),
      ...(settings?.storageHours ? { storageHours: settings.storageHours } : {}),
      service: {
        key: service.key,
        role: service.role,
        name: service.instance,
        actor: service.actor,
        data: service.data,
        parent: service.parent ? { key: service.parent, data: dataOf(service.parent) } : null,
        producers: service.producers.map((p) => ({ key: p, role: state.services[p]?.role ?? p.split("!")[0]!, data: dataOf(p) })),
      },
    };
  }

  private closeJob(job: JobRecord, state: "ok" | "error", lines: string[], result: JobRecord["result"]): void {
    job.state = state;
    job.ended = Date.now();
    job.started ??= job.ended;
    job.result = result;
    for (const line of lines) job.logs.push({ epoch: job.ended, level: state === "ok" ? "info" : "error", category: "msg", log: line });
  }

  private applyActionEvent(state: RepositoryState, key: string, actionName: string, event: ActionEvent): void {
    const action = state.services[key]?.actions[actionName];
    if (!action) return;
    try {
      const next = nextActionState(action.state, action.errorCount, event);
      action.state = next.state;
      action.errorCount = next.errorCount;
      if (event.type === "SUCCEED") delete action.force;
    } catch (err) {
      // A report that no longer fits (the action was disabled meanwhile): keep the newer state.
      console.warn(`action ${key} ${actionName}: ${errorOf(err)}`);
    }
  }

  /** Log lines of a running job, as they happen (for the live stream). */
  jobLog(runKey: string, jobKey: string, attempt: number, entries: LogEntry[]): void {
    const run = this.loadRun(runKey);
    const job = run?.steps.flatMap((s) => s.jobs).find((j) => j.key === jobKey);
    if (!run || !job || job.state !== "running" || job.attempts !== attempt) return;
    job.logs.push(...entries);
    job.live_logs = (job.live_logs ?? 0) + entries.length;
    this.saveRun(run, [job]);
  }

  /** A ServiceActor reports a finished job. Idempotent: a repeated report changes nothing. */
  async jobFinished(runKey: string, jobKey: string, attempt: number, outcome: JobOutcome): Promise<void> {
    const run = this.loadRun(runKey);
    const job = run?.steps.flatMap((s) => s.jobs).find((j) => j.key === jobKey);
    if (!run || !job || job.state !== "running" || job.attempts !== attempt) return;
    job.state = outcome.state;
    job.ended = outcome.ended;
    // The outcome holds every line of the attempt, the live ones first and in the same order.
    if (job.live_logs) job.logs.splice(job.logs.length - job.live_logs);
    delete job.live_logs;
    job.logs.push(...outcome.logs);
    job.result = outcome.result ?? null;
    job.files = outcome.files ?? [];
    if (outcome.errorCode) job.error_code = outcome.errorCode;
    else delete job.error_code;
    const state = this.state();
    const service = state.services[job.service];
    if (service) {
      Object.assign(service.data, outcome.dataPatch);
      const action = service.actions[job.action];
      if (action) {
        action.lastRun = outcome.ended;
        // Uploaded input files served this job; a retry of it still sees them until it succeeds.
        if (outcome.state === "ok") delete action.inputFiles;
      }
      this.applyActionEvent(state, job.service, job.action, { type: outcome.state === "ok" ? "SUCCEED" : "FAIL" });
      this.saveServices([job.service]);
    }
    this.saveRun(run, [job]);
    await this.pump();
  }

  /**
   * A step ended with failed jobs. AYS retries the whole run (jobs already ok are skipped) after a
   * delay picked by the lowest error count among the failed actions; after the last attempt the run
   * ends in error with the failed jobs' last log lines.
   */
  private failStep(run: RunRecord, stepNumber: number, failed: JobRecord[]): void {
    const step = run.steps.find((s) => s.number === stepNumber)!;
    const templates = this.templates();
    const state = this.state();
    // An action's own delays (config.yaml `actions:`) win over the template's `retry`, then AYS's table.
    const settingsOf = (job: JobRecord) => templates.get(job.actor)?.actionSettings?.[job.action];
    const delaysOf = (job: JobRecord) => settingsOf(job)?.delays ?? templates.get(job.actor)?.retry?.delays ?? DEFAULT_RETRY_DELAYS;
    // With `error_codes`, only failures of those kinds are worth another attempt. A job whose
    // runtime died under it again and again (`interrupted`, the ServiceActor's MAX_INTERRUPTIONS)
    // would likely kill it again: it is retried only when error_codes lists `interrupted`.
    const unretryable = failed.filter((job) => {
      const codes = settingsOf(job)?.errorCodes;
      return codes === undefined ? job.error_code === "interrupted" : !codes.includes(job.error_code ?? "");
    });
    for (const job of unretryable) {
      const codes = settingsOf(job)?.errorCodes;
      const what = job.error_code ? `error code ${job.error_code} is` : "a failure without an error code is";
      const log = codes
        ? `not retried: ${what} not in error_codes (${codes.join(", ")})`
        : "not retried: the runtime died under this job each time it ran (error code interrupted; list it in error_codes to retry)";
      job.logs.push({ epoch: Date.now(), level: "error", category: "msg", log });
    }
    const retryable = unretryable.length === 0 && failed.every((job) => job.attempts <= delaysOf(job).length);
    if (retryable && run.state === "running") {
      const lowest = Math.min(...failed.map((j) => state.services[j.service]?.actions[j.action]?.errorCount ?? j.attempts));
      const delays = delaysOf(failed[0]!);
      const delay = delays[Math.min(Math.max(lowest, 1), delays.length) - 1]!;
      for (const job of failed) {
        job.state = "new";
        job.logs.push({ epoch: Date.now(), level: "warning", category: "msg", log: `attempt ${job.attempts} failed; retrying in ${delay} s` });
      }
      step.state = "new";
      run.state = "new";
      run.priority = 10;
      run.not_before = Date.now() + delay * 1000;
      this.saveRun(run, failed);
      return;
    }
    step.state = "error";
    run.state = "error";
    run.errors = failed.map((j) => ({ job: j.key, service: j.service, action: j.action, logs: j.logs.slice(-ERROR_TAIL_LINES) }));
    this.saveRun(run, failed);
  }

  /** One alarm serves the whole queue: the watchdog of the active run, or the next retry's time. */
  private async armAlarm(): Promise<void> {
    const active = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM runs WHERE state = 'running'").one().n;
    const nextRetry = this.ctx.storage.sql
      .exec<{ t: number | null }>("SELECT MIN(not_before) AS t FROM runs WHERE state = 'new' AND simulate = 0")
      .one().t;
    const candidates = [active ? Date.now() + WATCHDOG_MS : null, nextRetry].filter((t): t is number => t !== null);
    if (candidates.length === 0) return this.ctx.storage.deleteAlarm();
    await this.ctx.storage.setAlarm(Math.max(Math.min(...candidates), Date.now()));
  }

  /** Continues the queue and re-sends open jobs: what an eviction interrupted resumes here. */
  override async alarm(): Promise<void> {
    await this.pump(true);
  }
}
