/**
 * ServiceActor: one per service. Runs the service's jobs (template code in the sandbox), keeps each
 * job's attempts, logs and result, and reports outcomes to its RepositoryActor. Its recurring
 * actions (monitor every minute, say) are timers on its alarm; their jobs run outside any run.
 *
 * A job is persisted before `startJob` returns and started from the alarm, so the caller never waits
 * for template code. The action's code does not run in the alarm handler (15 minutes of wall time
 * on Cloudflare, and a job may run for hours): each execution is a JobExecution Workflow instance
 * (workflow.ts), which hands its outcome back through `executionEnded`. An eviction at any point
 * resumes from storage: a job found `running` whose instance ended without an outcome (or never
 * began, or overran its timeout) was interrupted and runs again, at most MAX_INTERRUPTIONS times (an
 * action that kills its runtime would otherwise crash it for ever); a finished job is never run
 * again, only its report is re-sent until the RepositoryActor has it; an outcome of any execution
 * but the row's current one is dropped. A cancelled run or a deleted repository ends its open jobs
 * here (`cancelJobs`, which also stops their instances), so no alarm runs them again.
 *
 * Each method loads rows (store.ts), decides with pure code (decide.ts), saves, then sends (RPC to
 * the RepositoryActor and OrganizationActor, Telegram through questions.ts, the alarm).
 */
import { DurableObject } from "cloudflare:workers";
import { configFromBindings } from "../../config/index.ts";
import { cutPage, DEFAULT_JOBS_PAGE, JOB_CURSOR, MAX_PAGE, pageLimit } from "../paging.ts";
import type { LogEntry } from "../../runs/model.ts";
import { openSql } from "../sql.ts";
import { afterEarlier, alarmStep, failure, interruptions, line, reschedule, SLOT_POLL_MS, startsNow, wakeAt, WATCHDOG_MARGIN_MS } from "./decide.ts";
import { executionInstanceId, executionTag, type Execution } from "./execution.ts";
import { executionLive, stopExecution } from "./instances.ts";
import { deleteServiceFiles } from "./files.ts";
import type { JobOutcome, JobSpec, JobView, RecurringAction } from "./protocol.ts";
import { Questions } from "./questions.ts";
import { NOT_STARTED, outcomeOf, SERVICE_MIGRATIONS, ServiceStore, specOf, type JobRow, type RecurringRow } from "./store.ts";

const idOf = (row: { key: string; attempt: number }) => `${row.key}#${row.attempt}`;

export class ServiceActor extends DurableObject<Env> {
  /** The tables, opened by the constructor, and again by the first call after destroy() (lazily: a deleted service keeps no storage). */
  #store: ServiceStore | undefined;
  #questions: Questions | undefined;
  /** Reports on their way to the RepositoryActor (from the alarm or a hand-over), so one is not sent twice at once. */
  private readonly reporting = new Set<string>();
  /** Jobs waiting for a `max_parallel` slot: since when, and when to ask again. Lost on eviction, which only means asking at once. */
  private readonly waiting = new Map<string, { since: number; retry: number }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new ServiceStore(openSql(ctx.storage, SERVICE_MIGRATIONS).sql);
  }

  private get store(): ServiceStore {
    return (this.#store ??= new ServiceStore(openSql(this.ctx.storage, SERVICE_MIGRATIONS).sql));
  }

  private get questions(): Questions {
    return (this.#questions ??= new Questions(this.store, this.env));
  }

  /**
   * Keeps the newest `keep` (`[retention] jobs_per_service`) ended job rows and the code they use,
   * and deletes the rest (never a pending, running or waiting job, nor one whose report is still
   * due). The alarm calls it after its jobs, so a recurring action never piles up rows; the hourly
   * sweep reaches every service through its repository (src/retention/sweep.ts).
   */
  prune(keep = configFromBindings(this.env).retention.jobs_per_service): { jobs: number; code: number } {
    return this.store.pruneJobs(keep);
  }

  /**
   * Deletes the service for good (its repository deleted it, or was deleted): its job files in R2,
   * its alarm and its whole storage. `actorName` is this actor's name (`org/repo/role!instance`), which
   * its files' prefix derives from (files.ts). An execution still alive in this instance finds its row gone
   * and drops its outcome. The tables are made again, empty, by the next call (a service of the same name later).
   */
  async destroy(actorName: string): Promise<{ files: number }> {
    const listed = this.store.jobs(Number.MAX_SAFE_INTEGER, null).flatMap((row) => outcomeOf(row)?.files.map((f) => f.key) ?? []);
    const files = await deleteServiceFiles(this.env.FILES, actorName, listed);
    this.waiting.clear();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#store = undefined;
    this.#questions = undefined;
    return { files };
  }

  /** Accepts a job; a repeated call for the same key and attempt is a no-op (or re-offers the report). */
  async startJob(spec: JobSpec): Promise<void> {
    const existing = this.store.job(spec.jobKey, spec.attempt);
    if (!existing) this.store.addJob({ key: spec.jobKey, attempt: spec.attempt, runKey: spec.runKey, action: spec.action }, spec);
    else if (existing.state === "ok" || existing.state === "error") this.store.unreport(spec.jobKey, spec.attempt);
    await this.rearm();
  }

  /**
   * Ends the open jobs (pending, running, waiting for an answer) of run `runKey`, or every open job
   * when it is null (the repository is deleted), as errors that say `reason`, so that no alarm runs
   * them again. Nothing is reported: the run is cancelled or gone. A running job's Workflow instance
   * is stopped (best effort: an outcome it still hands over is dropped) and its slot freed.
   */
  async cancelJobs(runKey: string | null, reason: string): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const row of this.store.unfinished(runKey)) {
      const outcome = afterEarlier(failure(`cancelled: ${reason}`, Date.now()), outcomeOf(row));
      this.store.dropQuestion(row.key, row.attempt);
      this.store.move(row.key, row.attempt, { type: "CANCEL", outcome });
      this.waiting.delete(idOf(row));
      if (row.state === "running") stops.push(stopExecution(this.env, row), this.releaseSlot(specOf(row), row));
    }
    await Promise.all(stops);
    await this.rearm();
  }

  /**
   * Replaces this service's recurring actions. A new action first runs one period from now; an
   * action whose period changed keeps its schedule only if that comes sooner.
   */
  async setRecurring(repo: { org: string; name: string }, service: string, list: RecurringAction[]): Promise<void> {
    this.store.setIdentity(repo.org, repo.name, service);
    this.store.replaceRecurring(reschedule(this.store.recurring(), list, Date.now()));
    await this.rearm();
  }

  recurring(): RecurringRow[] {
    return this.store.recurring();
  }

  /**
   * Queues the recurring actions that are due, as jobs outside any run, and schedules their next
   * time (AYS: one period after this run, however long it takes).
   */
  private async queueDueRecurring(): Promise<void> {
    const now = Date.now();
    const due = this.store.dueRecurring(now);
    const who = this.store.identity();
    if (!due.length || !who) return;
    const repo = this.env.REPOSITORY.getByName(`${who.org}/${who.repo}`);
    for (const { action, period } of due) {
      this.store.setNextDue(action, now + period * 1000);
      const key = `recurring.${action}.${now}`;
      let spec: JobSpec | null;
      try {
        spec = (await repo.recurringJob(who.service, action, key)) as JobSpec | null;
      } catch (err) {
        console.error(`recurring ${action} of ${who.service}: could not reach the repository`, err instanceof Error ? err.message : String(err));
        continue;
      }
      if (spec) this.store.addJob({ key, attempt: 1, runKey: "", action }, spec);
    }
  }

  /** The service's jobs, newest first: run jobs, recurring ones and those events started. */
  jobs(limit = DEFAULT_JOBS_PAGE): JobView[] {
    return this.jobsPage({ limit }).jobs;
  }

  /**
   * A page of jobs(), newest first (jobs not started yet before all others), before the cursor
   * `before` (JOB_CURSOR); `next` is the `before` of the following page.
   */
  jobsPage(query: { before?: string; limit?: number } = {}): { jobs: JobView[]; next: string | null } {
    const limit = pageLimit(query.limit, MAX_PAGE, DEFAULT_JOBS_PAGE);
    const cursor = query.before === undefined ? null : JOB_CURSOR.exec(query.before);
    const rows = this.store.jobs(limit + 1, cursor ? { started: Number(cursor[1]), key: cursor[3]!, attempt: Number(cursor[2]) } : null);
    const page = cutPage(rows, limit, (r) => `${r.started ?? NOT_STARTED}.${r.attempt}.${r.key}`, (r) => r.spec.length + (r.outcome?.length ?? 0));
    return { jobs: page.items.map(view), next: page.next };
  }

  /**
   * The answer to a job's question: the job runs again with it in `job.args.answer`.
   * @returns false when the question is closed (answered already, timed out, or never asked)
   */
  async answer(key: string, attempt: number, id: string, answer: string): Promise<boolean> {
    if (!this.questions.answer(key, attempt, id, answer)) return false;
    await this.rearm();
    return true;
  }

  /**
   * Starts what is due: pending jobs (a Workflow instance each), recurring actions, undelivered
   * questions; runs again a running job whose execution was lost; re-offers unreported outcomes.
   * It never waits for an action's code, so it ends in moments however long the jobs run.
   */
  override async alarm(): Promise<void> {
    const watchdog = this.handlerWatchdog();
    try {
      await this.queueDueRecurring();
      this.questions.expire();
      const tasks = this.store.open().map(async (row) => {
        const step = alarmStep(row, row.state === "running" && (await executionLive(this.env, row)));
        if (step === "give up") await this.giveUp(row);
        else if (step === "run") {
          if (!(await this.takeSlot(row))) return;
          await this.start(row);
        }
        await this.report(row.key, row.attempt);
      });
      // `deliver` claims its question (its next try) before its first await.
      const deliveries = this.questions.due().map((q) => this.questions.deliver(q.key, q.attempt));
      await this.rearm();
      await Promise.all([...tasks, ...deliveries]);
      this.pruneAfterJobs();
      await this.rearm();
    } finally {
      if (watchdog !== undefined) clearTimeout(watchdog);
    }
  }

  /**
   * `[jobs] handler_wall_ms` (tests only): the wall time the platform gives one alarm handler (15
   * minutes on Cloudflare) made short and enforced here as the platform would, by resetting the
   * object, so tests show that no job depends on one handler invocation. Unset, nothing is armed.
   */
  private handlerWatchdog(): ReturnType<typeof setTimeout> | undefined {
    const ms = configFromBindings(this.env).jobs.handler_wall_ms;
    if (ms === undefined) return undefined;
    return setTimeout(() => this.ctx.abort(`the alarm handler ran past its wall time (${ms} ms, [jobs] handler_wall_ms)`), ms);
  }

  /** prune() after the alarm's jobs; a configuration that cannot be read skips it (the next alarm tries again). */
  private pruneAfterJobs(): void {
    try {
      this.prune();
    } catch (err) {
      console.error("job rows not pruned", err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * One alarm covers every job: now for a pending job, a few seconds on for a report the
   * RepositoryActor has not taken yet, timeout + margin for a running job (the watchdog that
   * re-runs it if this instance died while its code ran), and for a job waiting on a question its
   * deadline, or sooner the next try at a question Telegram has not taken yet.
   */
  private async rearm(): Promise<void> {
    const now = Date.now();
    const due = this.store.openOrWaiting().map((r) =>
      wakeAt(r, {
        now,
        timeoutSeconds: r.state === "running" ? specOf(r).timeoutSeconds : 0,
        slotRetry: this.waiting.get(idOf(r))?.retry,
        question: r.state === "waiting" ? this.store.question(r.key, r.attempt) : undefined,
      }),
    );
    for (const r of this.store.recurring()) due.push(r.next_due);
    if (due.length === 0) return this.ctx.storage.deleteAlarm();
    await this.ctx.storage.setAlarm(Math.max(Math.min(...due), now));
  }

  /** Wakes this actor at once: a `max_parallel` slot it waits for was freed. */
  async wake(): Promise<void> {
    for (const wait of this.waiting.values()) wait.retry = Date.now();
    await this.rearm();
  }

  private slotOf(spec: JobSpec, row: JobRow) {
    return {
      org: this.env.ORGANIZATION.getByName(spec.repo.org),
      scope: `${spec.service.actor}.${spec.action}`,
      holder: `${spec.actorName}#${idOf(row)}`,
    };
  }

  /** Takes a `max_parallel` slot for the job, or leaves it pending and asks again later. */
  private async takeSlot(row: JobRow): Promise<boolean> {
    const spec = specOf(row);
    if (!spec.maxParallel) return true;
    const { org, scope, holder } = this.slotOf(spec, row);
    const expires = Date.now() + spec.timeoutSeconds * 1000 + WATCHDOG_MARGIN_MS;
    if (await org.acquireSlot(scope, holder, spec.maxParallel, expires, spec.actorName)) return true;
    const since = this.waiting.get(idOf(row))?.since ?? Date.now();
    this.waiting.set(idOf(row), { since, retry: Date.now() + SLOT_POLL_MS });
    return false;
  }

  /** Frees the job's `max_parallel` slot, if it has one. */
  private async releaseSlot(spec: JobSpec, row: JobRow): Promise<void> {
    if (!spec.maxParallel) return;
    const { org, scope, holder } = this.slotOf(spec, row);
    // A release that does not arrive is not fatal: the slot lapses at its expiry.
    await org.releaseSlot(scope, holder).catch((err: unknown) => console.error(`release of ${scope} slot failed`, err instanceof Error ? err.message : String(err)));
  }

  /** Fails a job whose executions died MAX_INTERRUPTIONS times, without running it again. */
  private async giveUp(row: JobRow): Promise<void> {
    const outcome: JobOutcome = { ...failure(`interrupted ${interruptions(row)} times (the runtime died: memory?)`, Date.now()), errorCode: "interrupted" };
    // A job that asked a question ran before: its earlier lines stay in front.
    this.store.move(row.key, row.attempt, { type: "GIVE_UP", outcome: afterEarlier(outcome, outcomeOf(row)) }, "running");
    // The dead execution's slot would otherwise stay taken until it lapses.
    await this.releaseSlot(specOf(row), row);
  }

  /**
   * Starts a pending job, or again one whose execution was lost: the row is `running` (and the count
   * of starts on disk) before its Workflow instance is created, so a restart knows it began.
   */
  private async start(row: JobRow): Promise<void> {
    const spec = specOf(row);
    const id = idOf(row);
    // Cancelled (or started by another alarm) while it waited for a slot: not to be started, and the slot it may just have taken is free.
    const now = this.store.job(row.key, row.attempt);
    if (now?.state !== row.state || now.started !== row.started) return this.releaseSlot(spec, row);
    const started = Date.now();
    const starts = startsNow(row);
    this.store.move(row.key, row.attempt, { type: row.state === "running" ? "RESUME" : "START", started, starts });
    const notes: LogEntry[] = [];
    if (row.state === "running") notes.push(line(started, "warning", "msg", "the previous execution was interrupted (eviction); ran again"));
    const waited = this.waiting.get(id);
    this.waiting.delete(id);
    if (waited) {
      const seconds = ((started - waited.since) / 1000).toFixed(1);
      notes.push(line(started, "info", "msg", `waited ${seconds} s for a slot (max_parallel ${spec.maxParallel} of ${spec.service.actor}.${spec.action} in the organization)`));
    }
    // The count is on disk before the action can run: if the execution dies, the restart knows.
    await this.ctx.storage.sync();
    const execution = executionTag({ starts, started });
    const instance = await executionInstanceId(spec.actorName, row.key, row.attempt, execution);
    // A create that fails leaves the row running without an instance: the alarm (retried by the
    // platform when this throws) finds it lost and starts it again.
    await this.env.JOB_EXECUTIONS.create({
      id: instance,
      // The job row keeps the outcome; the instance is only needed while it runs (and to look into a failure).
      retention: { successRetention: "1 day", errorRetention: "7 days" },
      params: { actor: spec.actorName, key: row.key, attempt: row.attempt, execution, timeoutSeconds: spec.timeoutSeconds, notes },
    });
  }

  /** The spec a JobExecution runs, or null when `execution` is no longer the row's (cancelled, superseded). */
  executionSpec(key: string, attempt: number, execution: string): JobSpec | null {
    const row = this.store.job(key, attempt);
    return row?.state === "running" && executionTag(row) === execution ? specOf(row) : null;
  }

  /**
   * What a JobExecution came to: saved (or the job parks on its question), its slot freed, and
   * reported. A repeated hand-over, or one of an execution that is not the row's any more (its run
   * was cancelled, or it was found lost and started again), changes nothing.
   * @returns whether the outcome was taken
   */
  async executionEnded(key: string, attempt: number, execution: string, outcome: Execution): Promise<boolean> {
    const current = () => {
      const row = this.store.job(key, attempt);
      return row?.state === "running" && executionTag(row) === execution ? row : undefined;
    };
    const row = current();
    if (!row) return false;
    const spec = specOf(row);
    // A job that asked a question ran before: its earlier lines stay in front.
    afterEarlier(outcome, outcomeOf(row));
    // Waiting for a person's answer, or done: either way the max_parallel slot is free again.
    await this.releaseSlot(spec, row);
    if (!current()) return false;
    const { question, ...done } = outcome;
    if (done.state === "ok" && question) await this.questions.ask(row, spec, done, question);
    else this.store.move(key, attempt, { type: done.state === "ok" ? "SUCCEED" : "FAIL", outcome: done });
    await this.report(key, attempt);
    await this.rearm();
    return true;
  }

  private async report(key: string, attempt: number): Promise<void> {
    const row = this.store.job(key, attempt);
    const outcome = row ? outcomeOf(row) : null;
    if (!row || row.reported === 1 || !outcome || (row.state !== "ok" && row.state !== "error")) return;
    const spec = specOf(row);
    const id = idOf(row);
    if (this.reporting.has(id)) return;
    this.reporting.add(id);
    try {
      const repo = this.env.REPOSITORY.getByName(`${spec.repo.org}/${spec.repo.name}`);
      if (row.run_key === "") await repo.looseJobFinished(spec.service.key, spec.action, outcome, spec.jobKey);
      else await repo.jobFinished(spec.runKey, key, attempt, outcome);
      this.store.markReported(key, attempt);
    } catch (err) {
      console.error(`report of ${key} failed; retrying`, err instanceof Error ? err.message : String(err));
    } finally {
      this.reporting.delete(id);
    }
  }
}

function view(r: JobRow): JobView {
  const outcome = outcomeOf(r);
  return {
    key: r.key,
    run: r.run_key,
    action: r.action,
    attempt: r.attempt,
    state: r.state,
    started: r.started,
    ended: r.ended,
    logs: outcome?.logs ?? [],
    result: outcome?.result ?? null,
  };
}
