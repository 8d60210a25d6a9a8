/**
 * RepositoryActor: one per repository. Owns the repo-local actor templates, the blueprints (archived
 * ones included), the service registry (the AYS engine's RepositoryState), and the run queue and
 * history. Every change follows one protocol: load (store.ts), decide with pure code (`ays/`,
 * `runs/`), save, then send (RPC to ServiceActors, the alarm, the run streams and state events).
 *
 * Jobs execute in ServiceActors. A run advances by messages, never by awaiting a job: the
 * RepositoryActor hands a job to its ServiceActor (`startJob`, which returns at once) and the
 * ServiceActor reports back (`jobFinished`). Both sides persist before they talk, and both calls are
 * idempotent, so an eviction on either side loses nothing: the watchdog alarm re-sends what is
 * still open, and a job that already succeeded is never run again.
 */
import { DurableObject } from "cloudflare:workers";
import { configFromBindings } from "../../config/index.ts";
import type { RetentionConfig } from "../../config/schema.ts";
import { AysError, emptyRepository, planRun } from "../../ays/index.ts";
import { withoutSecret, type EventMessage } from "../../events/event.ts";
import { inlineDocument, wantsEvent } from "../../events/filters.ts";
import { eventInputFiles } from "../../events/payloads.ts";
import { DEFAULT_TIMEOUT_SECONDS, hasEnded, withoutLogs, type JobFile, type JobRecord, type LogEntry, type RunRecord } from "../../runs/model.ts";
import type { JobOutcome, JobSpec, RecurringAction } from "../../runs/protocol.ts";
import { decide, newRun, rerunSteps, type Decision, type QueueEvent, type StepPlan } from "../../runs/queue.ts";
import { schedulerStatus } from "../../runs/schedule.ts";
import { applyLooseOutcome, recurringActions, recurringDue, ServicesDraft, startLooseJob, type RunContext } from "../../runs/services.ts";
import { cutPage, pageLimit } from "../paging.ts";
import { ok, refuse, type Result } from "../results.ts";
import { RunStreams } from "../run-stream.ts";
import { openSql } from "../sql.ts";
import { secretOp, type SecretOp, type SecretReply } from "../secrets.ts";
import { StateEvents } from "../state-events.ts";
import { Catalog } from "./catalog.ts";
import { Failures, type FailureRow } from "./failures.ts";
import { deliveryOf } from "./matching.ts";
import { QueuePump } from "./pump.ts";
import { deleteFiles, destroyServices, pruneRepository, type RepositoryPruneReport } from "./retention.ts";
import { cancelServiceJobs, sendJobs } from "./sends.ts";
import { REPOSITORY_MIGRATIONS, RepositoryStore } from "./store.ts";
import {
  leavesOutLogs, runSummary,
  type BlueprintCheck, type BlueprintView, type RunSummary, type ServiceQuery, type ServiceView, type TemplateInput, type TemplateInUse, type TemplateView,
} from "./views.ts";

export class RepositoryActor extends DurableObject<Env> {
  private readonly store: RepositoryStore;
  private readonly catalog: Catalog;
  private readonly streams = new RunStreams();
  private readonly stateEvents = new StateEvents(
    this.env,
    () => ({ org: this.org(), repo: this.repoName() }),
    (event) => wantsEvent(this.store.state(), event, inlineDocument(event)),
    (run, job) => void this.failures.runJob(run, job),
  );
  private readonly queue: QueuePump;
  private failures!: Failures;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RepositoryStore(openSql(ctx.storage, REPOSITORY_MIGRATIONS));
    this.catalog = new Catalog(this.store);
    this.queue = new QueuePump(this.store, ctx.storage, (run, event) => this.decide(run, event), (decision) => this.carryOut(decision));
    this.failures = new Failures(this.store.storage, env, () => ({ org: this.org(), repo: this.repoName() }), (event) => wantsEvent(this.store.state(), event, inlineDocument(event)));
  }

  // === Identity

  private org = (): string => this.store.meta("org") ?? "";
  private repoName = (): string => this.store.meta("name") ?? "";

  init(org: string, name: string, git_url: string): void {
    this.store.setMeta("org", org);
    this.store.setMeta("name", name);
    this.store.setMeta("git_url", git_url);
  }

  info(): { name: string; git_url: string; noexec: boolean } {
    return { name: this.repoName(), git_url: this.store.meta("git_url") ?? "", noexec: this.store.meta("noexec") === "1" };
  }

  /** No-exec mode (the original's `ays noexec`): jobs are marked ok without running. */
  setNoExec(on: boolean): void {
    this.store.setMeta("noexec", on ? "1" : "0");
  }

  /** Forgets everything when the repository is deleted: first its ServiceActors (storage, alarm, job files), its uploads. */
  /** The repository's secrets, sealed (src/actors/secrets.ts). */
  secrets(request: SecretOp): SecretReply { return secretOp(this.ctx.storage.sql, request); }

  async destroy(): Promise<void> {
    const services = Object.keys(this.store.state().services);
    const uploads = this.store.uploadKeys();
    this.store.saveState(emptyRepository());
    await this.syncRecurring();
    await destroyServices(this.env, { org: this.org(), repo: this.repoName() }, services);
    await deleteFiles(this.env.FILES, uploads);
    await this.queue.disarm();
    await this.ctx.storage.deleteAll();
    this.store.forget(this.ctx.storage);
  }

  // === Templates, blueprints and services (catalog.ts); a change of the registry then syncs recurring actions

  listTemplates(): TemplateView[] { return this.catalog.listTemplates(); }
  getTemplate(name: string): Result<TemplateView> { return this.catalog.getTemplate(name); }
  putTemplate(input: TemplateInput): Result<TemplateView> { return this.catalog.putTemplate(input); }
  deleteTemplate(name: string): Result<null> | TemplateInUse { return this.catalog.deleteTemplate(name); }
  listServices(query: ServiceQuery = {}): { services: ServiceView[]; next: string | null } { return this.catalog.listServices(query); }
  /** The producers of each of these services (a run view draws its arrows with them). */
  producersOf(keys: string[]): Record<string, string[]> { return this.catalog.producersOf(keys); }
  getService(role: string, name: string): Result<ServiceView> { return this.catalog.getService(role, name); }
  listBlueprints(archived?: boolean): BlueprintView[] { return this.catalog.listBlueprints(archived); }
  getBlueprint(name: string): Result<BlueprintView> { return this.catalog.getBlueprint(name); }
  checkBlueprint(name: string, content: string): BlueprintCheck { return this.catalog.checkBlueprint(name, content); }
  saveBlueprint(name: string, content: string, mode: "create" | "update"): Result<BlueprintView> { return this.catalog.saveBlueprint(name, content, mode); }
  deleteBlueprint(name: string): Result<null> { return this.catalog.deleteBlueprint(name); }
  setArchived(name: string, archived: boolean): Result<BlueprintView> { return this.catalog.setArchived(name, archived); }

  scheduleServiceAction(role: string, name: string, action: string, force: boolean, inputFiles: JobFile[] = [], args?: Record<string, unknown>): Promise<Result<ServiceView>> { return this.synced(this.catalog.scheduleServiceAction(role, name, action, force, inputFiles, args)); }

  /** Disables or enables one action of a service; a disabled recurring action stops recurring. */
  switchServiceAction(role: string, name: string, action: string, enable: boolean): Promise<Result<ServiceView>> { return this.synced(this.catalog.switchServiceAction(role, name, action, enable)); }

  /** Deletes a service and its children, and their ServiceActors' storage and job files. */
  async deleteService(role: string, name: string): Promise<Result<{ deleted: string[] }>> {
    const result = await this.synced(this.catalog.deleteService(role, name));
    if (result.ok) await destroyServices(this.env, { org: this.org(), repo: this.repoName() }, result.value.deleted);
    return result;
  }

  /** The hourly sweep ([retention]): old runs, then each service's job rows (retention.ts). */
  prune(retention: RetentionConfig, now: number): Promise<RepositoryPruneReport> { return pruneRepository(this.env, this.store, { org: this.org(), repo: this.repoName() }, retention, now); }

  executeBlueprint(name: string): Promise<Result<{ msg: string; created: string[]; changed: string[]; scheduled: number }>> { return this.synced(this.catalog.executeBlueprint(name)); }

  private async synced<T>(result: Result<T>): Promise<Result<T>> {
    if (result.ok) await this.syncRecurring();
    return result;
  }

  // === Recurring actions and events: jobs outside any run

  /** Tells each ServiceActor whose list changed which of its actions recur, and how often. */
  private async syncRecurring(): Promise<void> {
    const state = this.store.state();
    const org = this.org();
    const repo = this.repoName();
    const known = this.store.recurring();
    const calls: Promise<void>[] = [];
    const update = (key: string, list: RecurringAction[]) => {
      const json = JSON.stringify(list);
      if ((known.get(key) ?? "[]") === json) return;
      this.store.setRecurring(key, list.length ? json : null);
      calls.push(this.env.SERVICE.getByName(`${org}/${repo}/${key}`).setRecurring({ org, name: repo }, key, list));
    };
    for (const service of Object.values(state.services)) update(service.key, recurringActions(service));
    for (const key of known.keys()) if (!state.services[key]) update(key, []);
    await Promise.all(calls);
  }

  /** A ServiceActor asks for the job of a recurring action that is due; `null` skips this period (recurringDue). */
  recurringJob(serviceKey: string, action: string, jobKey: string): JobSpec | null {
    if (!recurringDue(this.store.state().services, serviceKey, action)) return null;
    const draft = new ServicesDraft(this.store.state().services);
    const spec = startLooseJob(draft, this.runContext(), serviceKey, action, jobKey);
    this.saveDraft(draft);
    return spec;
  }

  /** The outcome of a job outside any run (recurring, or started by an event): like a run's job; a failure is reported and folded (failures.ts). */
  async looseJobFinished(serviceKey: string, action: string, outcome: JobOutcome, jobKey = `${serviceKey}.${action}`): Promise<void> {
    const running = this.store.state().services[serviceKey]?.actions[action]?.state === "running"; // else a repeated report
    const draft = new ServicesDraft(this.store.state().services);
    applyLooseOutcome(draft, serviceKey, action, outcome);
    this.saveDraft(draft);
    if (running) await this.failures.looseJob(serviceKey, action, jobKey, outcome);
  }

  /** The actions outside runs that are failing now (the bot's /errors). */
  failing(): FailureRow[] { return this.failures.failing(); }

  private saveDraft(draft: ServicesDraft): void {
    for (const warning of draft.warnings) console.warn(warning);
    if (draft.changed.size) this.store.saveServices(draft.services, draft.changed);
  }

  /**
   * Delivers a bus event to the services whose filters match; each listed action runs as a job
   * outside any run, with the event (secret removed) as its args. Delivery is at least once, so an
   * event id already seen is dropped: a redelivered event never starts its actions twice.
   */
  async deliverEvent(event: EventMessage): Promise<{ duplicate: boolean; jobs: string[] }> {
    if (this.store.eventSeen(event.id)) return { duplicate: true, jobs: [] };
    // Filters and their match: conditions on the payload: matching.ts.
    const { matches } = await deliveryOf(this.env, this.store.state(), event);
    if (matches.length === 0) return { duplicate: false, jobs: [] };
    // A mail's attachments, or a GitHub delivery, are the job's input files (job.files.read(name)).
    const inputFiles = await eventInputFiles(this.env, event);
    if (this.store.eventSeen(event.id)) return { duplicate: true, jobs: [] }; // another copy came in during that read
    this.store.rememberEvent(event.id, Date.now());
    const ctx = this.runContext();
    const args = withoutSecret(event) as unknown as Record<string, unknown>;
    const draft = new ServicesDraft(this.store.state().services);
    const specs = matches.map(({ service, action }) => ({ ...startLooseJob(draft, ctx, service, action, `event.${event.id}.${service}.${action}`), args, inputFiles }));
    this.saveDraft(draft);
    try {
      await Promise.all(specs.map((spec) => this.env.SERVICE.getByName(spec.actorName).startJob(spec)));
    } catch (err) {
      // Not delivered: forget the id so the queue's retry is not taken for a duplicate.
      this.store.forgetEvent(event.id);
      throw err;
    }
    return { duplicate: false, jobs: specs.map((s) => s.jobKey) };
  }

  // === Runs

  /**
   * Server-Sent Events for one run: the run now, then every change until it ends. `logsUpTo` as for
   * getRun: the first event of a bigger run has no logs, the log lines that follow do.
   */
  streamRun(key: string, opts: { logsUpTo?: number } = {}): Result<ReadableStream<Uint8Array>> {
    const run = this.store.run(key);
    if (!run) return refuse(404, "not_found", `no run ${key} in this repository`);
    return ok(this.streams.open(run, { logs: !leavesOutLogs(run, opts.logsUpTo) }));
  }

  /** Builds a run from the scheduled actions; starts it unless `simulate`. */
  async createRun(opts: { simulate: boolean; by: string }): Promise<Result<RunRecord>> {
    let plan;
    try {
      plan = planRun(this.store.state(), this.store.templates());
    } catch (err) {
      if (err instanceof AysError) return refuse(409, "plan_failed", err.message);
      throw err;
    }
    if (plan.steps.length === 0) return refuse(409, "nothing_to_run", "nothing to run: no action is scheduled (or all are ok)");
    return ok(await this.addRun(plan.steps, { simulate: opts.simulate, by: opts.by }));
  }

  /**
   * A new run with the jobs of run `key`, step by step, executed again even where an action is ok
   * (the run is marked `rerun_of`), and simulated when the original was. Service states are left
   * alone until a job starts, so a simulated re-run changes nothing until it is started.
   */
  async rerunRun(key: string, by: string): Promise<Result<RunRecord>> {
    const original = this.store.run(key);
    if (!original) return refuse(404, "not_found", `no run ${key} in this repository`);
    const rerun = rerunSteps(original, this.store.state().services);
    if (!rerun.ok) return refuse(409, rerun.code, rerun.error);
    return ok(await this.addRun(rerun.steps, { simulate: original.simulate, by, rerun_of: key }));
  }

  /**
   * Stores a new run of these steps and, unless simulated, has the alarm move the queue: the answer
   * does not wait for a single job to be dispatched, however big the run (issue 18).
   */
  private async addRun(steps: StepPlan, opts: { simulate: boolean; by: string; rerun_of?: string }): Promise<RunRecord> {
    const { run, effects } = newRun(this.store.nextSeq(), steps, opts, Date.now());
    await this.carryOut({ state: { run, services: this.store.state().services }, effects });
    if (!run.simulate) await this.pump({ chunks: 0 });
    return this.store.run(run.key)!;
  }

  /** A page of the runs, newest first, before run number `before`; `next` is the `before` of the following page. */
  listRuns(query: { before?: number; limit?: number } = {}): { runs: RunSummary[]; next: number | null } {
    const limit = pageLimit(query.limit);
    const page = cutPage(this.store.runRows(query.before ?? Number.MAX_SAFE_INTEGER, limit + 1), limit, (r) => r.seq);
    return { runs: page.items.map((r) => runSummary(r.run)), next: page.next };
  }

  /**
   * A run, with every job's log; with `logsUpTo`, a run of more jobs than that comes without them
   * (withoutLogs: the run view of a big run fetches them job by job; `logsUpTo: 0` is `?logs=none`).
   */
  getRun(key: string, opts: { logsUpTo?: number } = {}): Result<RunRecord> {
    const run = this.store.run(key);
    if (!run) return refuse(404, "not_found", `no run ${key} in this repository`);
    return ok(leavesOutLogs(run, opts.logsUpTo) ? withoutLogs(run) : run);
  }

  /** One job of a run, with its log and files: what the run view fetches when a job is opened. */
  getRunJob(runKey: string, jobKey: string): Result<JobRecord & { run: string; step: number }> {
    const run = this.store.run(runKey);
    if (!run) return refuse(404, "not_found", `no run ${runKey} in this repository`);
    for (const step of run.steps) {
      const job = step.jobs.find((j) => j.key === jobKey);
      if (job) return ok({ ...job, run: run.key, step: step.number });
    }
    return refuse(404, "not_found", `no job ${jobKey} in run ${runKey}`);
  }

  /** Executes a simulated run (POST on a run key). */
  async startRun(key: string): Promise<Result<RunRecord>> {
    const run = this.store.run(key);
    if (!run) return refuse(404, "not_found", `no run ${key} in this repository`);
    if (!run.simulate) return refuse(409, "not_simulated", `run ${key} is ${run.state}: only a simulated run can be started`);
    await this.carryOut(this.decide(run, { type: "start" }));
    await this.pump();
    return ok(this.store.run(key)!);
  }

  /**
   * Cancels a run that has not ended. Its running jobs are cancelled too, and their ServiceActors
   * drop them (`cancelJobs`), so no alarm runs them again; their actions go back to `scheduled`.
   */
  async cancelRun(key: string): Promise<Result<RunRecord>> {
    const run = this.store.run(key);
    if (!run) return refuse(404, "not_found", `no run ${key} in this repository`);
    if (hasEnded(run.state)) return refuse(409, "finished", `run ${key} has already ended (${run.state})`);
    const decision = this.decide(run, { type: "cancel" });
    await this.carryOut(decision);
    void this.pump();
    return ok(decision.state.run);
  }

  scheduler(): { status: "running" | "idle"; queue_size: number; running: string | null } {
    return schedulerStatus(this.store.openRuns());
  }

  /** Log lines of a running job, as they happen (for the live stream). */
  async jobLog(runKey: string, jobKey: string, attempt: number, entries: LogEntry[]): Promise<void> {
    const run = this.store.run(runKey);
    if (run) await this.carryOut(this.decide(run, { type: "jobLog", job: jobKey, attempt, entries }));
  }

  /** A ServiceActor reports a finished job. Idempotent: a repeated report changes nothing. */
  async jobFinished(runKey: string, jobKey: string, attempt: number, outcome: JobOutcome): Promise<void> {
    const run = this.store.run(runKey);
    if (!run) return;
    const decision = this.decide(run, { type: "jobFinished", job: jobKey, attempt, outcome });
    if (decision.effects.length === 0) return;
    await this.carryOut(decision);
    await this.pump();
  }

  // === Execution

  private runContext(): RunContext {
    const env = this.env;
    return {
      org: this.org(), repo: this.repoName(), noexec: this.info().noexec, templates: this.store.templates(),
      actionsJs: (name) => this.store.templateRow(name)?.actions_js ?? "",
      // Read when a job is built: a configuration error fails that job's dispatch, not every report.
      get defaultTimeout() {
        return configFromBindings(env).jobs.default_timeout ?? DEFAULT_TIMEOUT_SECONDS;
      },
    };
  }

  private decide(run: RunRecord, event: QueueEvent): Decision {
    return decide({ run, services: this.store.state().services }, event, this.runContext(), Date.now());
  }

  /**
   * Saves what a decision changed (publishing each saved run to its stream and the state events),
   * then sends: jobs to their ServiceActors, cancellations.
   */
  private async carryOut(decision: Decision): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const effect of decision.effects) {
      if (effect.type === "saveRun") {
        this.store.saveRun(effect.run, effect.jobs, effect.seq);
        this.streams.publish(effect.run);
        this.stateEvents.observe(effect.run, effect.jobs);
      } else if (effect.type === "saveServices") this.store.saveServices(decision.state.services, effect.keys);
      else if (effect.type === "warn") console.warn(effect.message);
    }
    for (const effect of decision.effects) {
      if (effect.type === "dispatch") sends.push(sendJobs(this.env, effect.specs));
      else if (effect.type === "cancelJobs") sends.push(this.cancelServiceJobs(effect.services, effect.run, effect.reason));
    }
    if (sends.length) await Promise.all(sends);
  }

  private pump(opts: { resend?: boolean; chunks?: number } = {}): Promise<void> {
    return this.queue.pump(opts);
  }

  private cancelServiceJobs(services: string[], runKey: string | null, reason: string): Promise<void> {
    return cancelServiceJobs(this.env, `${this.org()}/${this.repoName()}`, services, runKey, reason);
  }

  /** The queue's alarm: the watchdog, or the rest of a dispatch (QueuePump). */
  override async alarm(): Promise<void> {
    await this.queue.alarm();
  }
}
