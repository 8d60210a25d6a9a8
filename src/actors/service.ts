/**
 * ServiceActor: one per service. Runs the service's jobs (template code in the sandbox), keeps each
 * job's attempts, logs and result, and reports outcomes to its RepositoryActor. Its recurring
 * actions (monitor every minute, say) are timers on its alarm; their jobs run outside any run.
 *
 * A job is persisted before `startJob` returns and executed from the alarm, so the caller never waits
 * for template code and an eviction at any point resumes from storage: a job found `running` with
 * no live execution was interrupted and runs again, at most MAX_INTERRUPTIONS times (an action that
 * kills its runtime would otherwise crash it for ever); a finished job is never run again, only its
 * report is re-sent until the RepositoryActor has it. A cancelled run or a deleted repository ends
 * its open jobs here (`cancelJobs`), so no alarm runs them again.
 */
import { DurableObject } from "cloudflare:workers";
import { configFromBindings } from "../config/index.ts";
import { runAction, type ActionOutcome, type SandboxQuestion } from "../sandbox/index.ts";
import { askQuestion, NotAskable, NotDelivered } from "../telegram/notify.ts";
import { cutPage, DEFAULT_JOBS_PAGE, JOB_CURSOR, MAX_PAGE, pageLimit } from "./paging.ts";
import type { Json, LogEntry } from "../runs/model.ts";
import type { JobOutcome, JobSpec, RecurringAction } from "../runs/protocol.ts";
import { addMissingColumns } from "./sql.ts";

export interface JobView {
  key: string;
  run: string;
  action: string;
  attempt: number;
  /** `waiting`: the action asked a question (job.ask) and runs again with the answer. */
  state: "pending" | "running" | "waiting" | "ok" | "error";
  started: number | null;
  ended: number | null;
  logs: LogEntry[];
  result: Json;
}

type QuestionRow = {
  key: string;
  attempt: number;
  id: string;
  deadline: number;
  /** The SandboxQuestion, as JSON. */
  question: string;
  /** 1 once Telegram took the question; until then the alarm tries again at `next_try`. */
  delivered: number;
  tries: number;
  next_try: number | null;
  /** Why the last try failed. */
  failure: string | null;
};

type JobRow = {
  key: string;
  attempt: number;
  run_key: string;
  action: string;
  state: JobView["state"];
  spec: string;
  outcome: string | null;
  reported: number;
  started: number | null;
  ended: number | null;
  /**
   * Executions started since the job last ran to an end (or parked on a question), counted before
   * the action is invoked: found `running` with no live execution, every one of them died.
   */
  starts: number;
};

/**
 * How many executions of one job attempt may die under it (the runtime crashed or was evicted
 * mid-job) before it fails with "interrupted N times": an eviction now and then is survived, an action
 * that exhausts memory is not re-run for ever. The run does not retry such a failure either, unless
 * the action's `error_codes` lists `interrupted`.
 */
const MAX_INTERRUPTIONS = 3;

/** Where jobs not started yet sort among the others' start times (first, newest first). */
const NOT_STARTED = 9_000_000_000_000_000;

/** How soon an unreported outcome is offered again when the RepositoryActor could not be reached. */
const REPORT_RETRY_MS = 5_000;
/** Slack on top of a job's timeout before an execution that has not ended is presumed lost. */
const WATCHDOG_MARGIN_MS = 30_000;
/** How long log lines of a running job are gathered before they go to the run's live stream. */
const LIVE_LOG_FLUSH_MS = 200;
/** How often a job waiting for a `max_parallel` slot asks again (a freed slot also wakes it at once). */
const SLOT_POLL_MS = 5_000;
/**
 * Seconds before a question Telegram did not take is sent again, by failed attempt: short at first
 * (a 502 rarely lasts), then at most every five minutes until the question's deadline.
 */
const DELIVERY_RETRY_S = [2, 5, 15, 60, 300];

export class ServiceActor extends DurableObject<Env> {
  /** Executions alive in this instance; a `running` row without one was cut off by an eviction. */
  private readonly live = new Set<string>();
  /** Jobs waiting for a `max_parallel` slot: since when, and when to ask again. Lost on eviction, which only means asking at once. */
  private readonly waiting = new Map<string, { since: number; retry: number }>();
  /** Questions being sent to Telegram right now, so an alarm meanwhile does not send them twice. */
  private readonly delivering = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS jobs(key TEXT NOT NULL, attempt INTEGER NOT NULL, run_key TEXT NOT NULL,
        action TEXT NOT NULL, state TEXT NOT NULL, spec TEXT NOT NULL, outcome TEXT, reported INTEGER NOT NULL DEFAULT 0,
        started INTEGER, ended INTEGER, PRIMARY KEY (key, attempt));
      CREATE INDEX IF NOT EXISTS jobs_open ON jobs(state, reported);
      CREATE TABLE IF NOT EXISTS recurring(action TEXT PRIMARY KEY, period INTEGER NOT NULL, next_due INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS questions(key TEXT NOT NULL, attempt INTEGER NOT NULL, id TEXT NOT NULL, deadline INTEGER NOT NULL,
        question TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 1, tries INTEGER NOT NULL DEFAULT 0, next_try INTEGER, failure TEXT,
        PRIMARY KEY (key, attempt));
      CREATE TABLE IF NOT EXISTS identity(id INTEGER PRIMARY KEY CHECK (id = 1), org TEXT NOT NULL, repo TEXT NOT NULL, service TEXT NOT NULL);
    `);
    // Questions stored before delivery was retried gain its columns; theirs had been delivered.
    addMissingColumns(ctx.storage.sql, "questions", {
      delivered: "INTEGER NOT NULL DEFAULT 1",
      tries: "INTEGER NOT NULL DEFAULT 0",
      next_try: "INTEGER",
      failure: "TEXT",
    });
    // Jobs stored before interruptions were counted gain the counter (a running one had started once).
    addMissingColumns(ctx.storage.sql, "jobs", { starts: "INTEGER NOT NULL DEFAULT 0" });
  }

  /** Accepts a job; a repeated call for the same key and attempt is a no-op (or re-offers the report). */
  async startJob(spec: JobSpec): Promise<void> {
    const existing = this.row(spec.jobKey, spec.attempt);
    if (!existing) {
      this.ctx.storage.sql.exec(
        "INSERT INTO jobs(key, attempt, run_key, action, state, spec) VALUES (?, ?, ?, ?, 'pending', ?)",
        spec.jobKey, spec.attempt, spec.runKey, spec.action, JSON.stringify(spec),
      );
    } else if (existing.state === "ok" || existing.state === "error") {
      this.ctx.storage.sql.exec("UPDATE jobs SET reported = 0 WHERE key = ? AND attempt = ?", spec.jobKey, spec.attempt);
    }
    await this.rearm();
  }

  /**
   * Ends the open jobs (pending, running, waiting for an answer) of run `runKey`, or every open job
   * when it is null (the repository is deleted), as errors that say `reason`, so that no alarm runs
   * them again. Nothing is reported: the run is cancelled or gone. An execution still alive in this
   * instance cannot be stopped; its outcome is dropped when it ends.
   */
  async cancelJobs(runKey: string | null, reason: string): Promise<void> {
    const rows = this.ctx.storage.sql
      .exec<JobRow>("SELECT * FROM jobs WHERE state IN ('pending', 'running', 'waiting') AND (? IS NULL OR run_key = ?)", runKey, runKey)
      .toArray();
    const slots: Promise<void>[] = [];
    for (const row of rows) {
      const id = `${row.key}#${row.attempt}`;
      const earlier = row.outcome ? (JSON.parse(row.outcome) as JobOutcome).logs : [];
      const outcome = this.failure(`cancelled: ${reason}`);
      outcome.logs.unshift(...earlier);
      this.ctx.storage.sql.exec("DELETE FROM questions WHERE key = ? AND attempt = ?", row.key, row.attempt);
      this.ctx.storage.sql.exec(
        "UPDATE jobs SET state = 'error', outcome = ?, ended = ?, reported = 1 WHERE key = ? AND attempt = ?",
        JSON.stringify(outcome), outcome.ended, row.key, row.attempt,
      );
      this.waiting.delete(id);
      // A live execution frees its slot when it ends; a dead one's slot is freed here.
      if (row.state === "running" && !this.live.has(id)) slots.push(this.releaseSlot(JSON.parse(row.spec) as JobSpec, row));
    }
    await Promise.all(slots);
    await this.rearm();
  }

  /**
   * Replaces this service's recurring actions. A new action first runs one period from now; an
   * action whose period changed keeps its schedule only if that comes sooner.
   */
  async setRecurring(repo: { org: string; name: string }, service: string, list: RecurringAction[]): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT INTO identity(id, org, repo, service) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET org = excluded.org, repo = excluded.repo, service = excluded.service",
      repo.org, repo.name, service,
    );
    const now = Date.now();
    const current = new Map(this.recurring().map((r) => [r.action, r]));
    this.ctx.storage.sql.exec("DELETE FROM recurring");
    for (const { action, period } of list) {
      const previous = current.get(action);
      const nextDue = Math.min(previous?.next_due ?? Infinity, now + period * 1000);
      this.ctx.storage.sql.exec("INSERT INTO recurring(action, period, next_due) VALUES (?, ?, ?)", action, period, nextDue);
    }
    await this.rearm();
  }

  recurring(): { action: string; period: number; next_due: number }[] {
    return this.ctx.storage.sql.exec<{ action: string; period: number; next_due: number }>("SELECT * FROM recurring ORDER BY action").toArray();
  }

  private identity(): { org: string; repo: string; service: string } | undefined {
    return this.ctx.storage.sql.exec<{ org: string; repo: string; service: string }>("SELECT org, repo, service FROM identity WHERE id = 1").toArray()[0];
  }

  /**
   * Queues the recurring actions that are due, as jobs outside any run, and schedules their next
   * time (AYS: one period after this run, however long it takes).
   */
  private async queueDueRecurring(): Promise<void> {
    const now = Date.now();
    const due = this.ctx.storage.sql.exec<{ action: string; period: number }>("SELECT action, period FROM recurring WHERE next_due <= ?", now).toArray();
    const who = this.identity();
    if (!due.length || !who) return;
    const repo = this.env.REPOSITORY.getByName(`${who.org}/${who.repo}`);
    for (const { action, period } of due) {
      this.ctx.storage.sql.exec("UPDATE recurring SET next_due = ? WHERE action = ?", now + period * 1000, action);
      const key = `recurring.${action}.${now}`;
      let spec: JobSpec | null;
      try {
        spec = (await repo.recurringJob(who.service, action, key)) as JobSpec | null;
      } catch (err) {
        console.error(`recurring ${action} of ${who.service}: could not reach the repository`, err instanceof Error ? err.message : String(err));
        continue;
      }
      if (!spec) continue;
      this.ctx.storage.sql.exec(
        "INSERT INTO jobs(key, attempt, run_key, action, state, spec) VALUES (?, 1, '', ?, 'pending', ?)",
        key, action, JSON.stringify(spec),
      );
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
    const order = `COALESCE(started, ${NOT_STARTED})`;
    const where = cursor ? `WHERE (${order}, key, attempt) < (?, ?, ?)` : "";
    const params = cursor ? [Number(cursor[1]), cursor[3]!, Number(cursor[2])] : [];
    const rows = this.ctx.storage.sql
      .exec<JobRow>(`SELECT * FROM jobs ${where} ORDER BY ${order} DESC, key DESC, attempt DESC LIMIT ?`, ...params, limit + 1)
      .toArray();
    const page = cutPage(rows, limit, (r) => `${r.started ?? NOT_STARTED}.${r.attempt}.${r.key}`, (r) => r.spec.length + (r.outcome?.length ?? 0));
    return { jobs: page.items.map((r) => this.view(r)), next: page.next };
  }

  private view(r: JobRow): JobView {
    const outcome = r.outcome ? (JSON.parse(r.outcome) as JobOutcome) : undefined;
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

  private row(key: string, attempt: number): JobRow | undefined {
    return this.ctx.storage.sql.exec<JobRow>("SELECT * FROM jobs WHERE key = ? AND attempt = ?", key, attempt).toArray()[0];
  }

  override async alarm(): Promise<void> {
    await this.queueDueRecurring();
    this.expireQuestions();
    const open = this.ctx.storage.sql
      .exec<JobRow>("SELECT * FROM jobs WHERE state IN ('pending', 'running') OR (state IN ('ok', 'error') AND reported = 0)")
      .toArray();
    // `execute` marks its row running before its first await, so once the tasks exist every job
    // started here is `running` and the re-arm below is the watchdog for this very execution.
    const tasks = open.map(async (row) => {
      if (row.state === "pending" || (row.state === "running" && !this.live.has(`${row.key}#${row.attempt}`))) {
        if (row.state === "running" && Math.max(row.starts, 1) >= MAX_INTERRUPTIONS) await this.giveUp(row);
        else if (!(await this.takeSlot(row))) return;
        else await this.execute(row);
      }
      await this.report(row.key, row.attempt);
    });
    // Like `execute`, `deliver` claims its question (its next try) before its first await.
    const deliveries = this.dueQuestions().map((q) => this.deliver(q.key, q.attempt));
    await this.rearm();
    await Promise.all([...tasks, ...deliveries]);
    await this.rearm();
  }

  /**
   * One alarm covers every job: now for a pending job, a few seconds on for a report the
   * RepositoryActor has not taken yet, timeout + margin for a running job (the watchdog that
   * re-runs it if this instance died while its code ran), and for a job waiting on a question its
   * deadline, or sooner the next try at a question Telegram has not taken yet.
   */
  private async rearm(): Promise<void> {
    const rows = this.ctx.storage.sql
      .exec<JobRow>("SELECT * FROM jobs WHERE state IN ('pending', 'running', 'waiting') OR (state IN ('ok', 'error') AND reported = 0)")
      .toArray();
    const now = Date.now();
    const due = rows.map((r) => {
      if (r.state === "pending") return this.waiting.get(`${r.key}#${r.attempt}`)?.retry ?? now;
      if (r.state === "waiting") {
        const q = this.question(r.key, r.attempt);
        if (!q) return now;
        return q.delivered ? q.deadline : Math.min(q.deadline, q.next_try ?? now);
      }
      if (r.state === "running") return (r.started ?? now) + (JSON.parse(r.spec) as JobSpec).timeoutSeconds * 1000 + WATCHDOG_MARGIN_MS;
      return now + REPORT_RETRY_MS;
    });
    for (const r of this.recurring()) due.push(r.next_due);
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
      holder: `${spec.actorName}#${row.key}#${row.attempt}`,
    };
  }

  /** Takes a `max_parallel` slot for the job, or leaves it pending and asks again later. */
  private async takeSlot(row: JobRow): Promise<boolean> {
    const spec = JSON.parse(row.spec) as JobSpec;
    if (!spec.maxParallel) return true;
    const id = `${row.key}#${row.attempt}`;
    const { org, scope, holder } = this.slotOf(spec, row);
    const expires = Date.now() + spec.timeoutSeconds * 1000 + WATCHDOG_MARGIN_MS;
    if (await org.acquireSlot(scope, holder, spec.maxParallel, expires, spec.actorName)) return true;
    const since = this.waiting.get(id)?.since ?? Date.now();
    this.waiting.set(id, { since, retry: Date.now() + SLOT_POLL_MS });
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
    const spec = JSON.parse(row.spec) as JobSpec;
    const outcome: JobOutcome = { ...this.failure(`interrupted ${Math.max(row.starts, 1)} times (the runtime died: memory?)`), errorCode: "interrupted" };
    // A job that asked a question ran before: its earlier lines stay in front.
    if (row.outcome) outcome.logs.unshift(...(JSON.parse(row.outcome) as JobOutcome).logs);
    this.ctx.storage.sql.exec(
      "UPDATE jobs SET state = 'error', outcome = ?, ended = ?, reported = 0 WHERE key = ? AND attempt = ? AND state = 'running'",
      JSON.stringify(outcome), outcome.ended, row.key, row.attempt,
    );
    // The dead execution's slot would otherwise stay taken until it lapses.
    await this.releaseSlot(spec, row);
  }

  private async execute(row: JobRow): Promise<void> {
    const spec = JSON.parse(row.spec) as JobSpec;
    const id = `${row.key}#${row.attempt}`;
    const interrupted = row.state === "running";
    // Cancelled while it waited for a slot: not to be run, and the slot it may just have taken is free.
    if (this.row(row.key, row.attempt)?.state !== row.state) return this.releaseSlot(spec, row);
    this.live.add(id);
    const started = Date.now();
    const starts = interrupted ? Math.max(row.starts, 1) + 1 : 1;
    this.ctx.storage.sql.exec("UPDATE jobs SET state = 'running', started = ?, starts = ? WHERE key = ? AND attempt = ?", started, starts, row.key, row.attempt);
    const live = this.liveLog(spec);
    const notes: LogEntry[] = [];
    if (interrupted) notes.push({ epoch: started, level: "warning", category: "msg", log: "the previous execution was interrupted (eviction); ran again" });
    const waited = this.waiting.get(id);
    this.waiting.delete(id);
    if (waited) {
      const seconds = ((started - waited.since) / 1000).toFixed(1);
      notes.push({ epoch: started, level: "info", category: "msg", log: `waited ${seconds} s for a slot (max_parallel ${spec.maxParallel} of ${spec.service.actor}.${spec.action} in the organization)` });
    }
    for (const note of notes) live.push(note);
    let outcome: JobOutcome & { question?: SandboxQuestion };
    try {
      // The count is on disk before the action runs: if the action kills the runtime, the restart knows.
      await this.ctx.storage.sync();
      outcome = await this.run(spec, (entry) => live.push(entry));
    } catch (err) {
      outcome = this.failure(`job crashed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.live.delete(id);
    }
    await live.close();
    outcome.logs.unshift(...notes);
    // A job that asked a question ran before: its earlier lines stay in front.
    if (row.outcome) outcome.logs.unshift(...(JSON.parse(row.outcome) as JobOutcome).logs);
    // Waiting for a person's answer, or done: either way the max_parallel slot is free again.
    await this.releaseSlot(spec, row);
    // Cancelled meanwhile (its run, or its repository): the outcome is dropped, nobody waits for it.
    if (this.row(row.key, row.attempt)?.state !== "running") return;
    if (outcome.state === "ok" && outcome.question) return this.ask(row, spec, outcome, outcome.question);
    const { question: _question, ...done } = outcome;
    this.ctx.storage.sql.exec(
      "UPDATE jobs SET state = ?, outcome = ?, ended = ?, reported = 0 WHERE key = ? AND attempt = ?",
      done.state, JSON.stringify(done), done.ended, row.key, row.attempt,
    );
  }

  // === job.ask: the job waits, durably, for a person's answer (the original's ask_telegram)

  private question(key: string, attempt: number): QuestionRow | undefined {
    return this.ctx.storage.sql.exec<QuestionRow>("SELECT * FROM questions WHERE key = ? AND attempt = ?", key, attempt).toArray()[0];
  }

  /**
   * Parks the job as `waiting` and asks the question in Telegram. The wait lives in SQLite and the
   * alarm, so it survives eviction; it never outlasts the job's own timeout. A question Telegram
   * does not take is tried again from the alarm (see `deliver`).
   */
  private async ask(row: JobRow, spec: JobSpec, outcome: JobOutcome & { question?: SandboxQuestion }, question: SandboxQuestion): Promise<void> {
    const seconds = Math.min(question.timeoutSeconds, spec.timeoutSeconds);
    const { question: _q, ...partial } = outcome;
    const now = Date.now();
    this.ctx.storage.sql.exec(
      "UPDATE jobs SET state = 'waiting', outcome = ?, ended = NULL WHERE key = ? AND attempt = ?",
      JSON.stringify(partial), row.key, row.attempt,
    );
    this.ctx.storage.sql.exec(
      `INSERT INTO questions(key, attempt, id, deadline, question, delivered, tries, next_try, failure) VALUES (?, ?, ?, ?, ?, 0, 0, ?, NULL)
       ON CONFLICT(key, attempt) DO UPDATE SET id = excluded.id, deadline = excluded.deadline, question = excluded.question,
         delivered = 0, tries = 0, next_try = excluded.next_try, failure = NULL`,
      row.key, row.attempt, crypto.randomUUID(), now + seconds * 1000, JSON.stringify(question), now,
    );
    await this.deliver(row.key, row.attempt);
  }

  /** Questions Telegram has not taken yet whose next try is due. */
  private dueQuestions(): { key: string; attempt: number }[] {
    const now = Date.now();
    return this.ctx.storage.sql
      .exec<{ key: string; attempt: number }>("SELECT key, attempt FROM questions WHERE delivered = 0 AND next_try <= ? AND deadline > ?", now, now)
      .toArray();
  }

  /**
   * One attempt at sending a waiting job's question. Telegram taking it starts the wait for the
   * answer; a failure no retry can cure (NotAskable) fails the job at once; any other is noted on
   * the job and tried again later, with backoff, until the question's deadline.
   */
  private async deliver(key: string, attempt: number): Promise<void> {
    const id = `${key}#${attempt}`;
    const row = this.row(key, attempt);
    const asked = this.question(key, attempt);
    if (this.delivering.has(id) || row?.state !== "waiting" || !asked || asked.delivered) return;
    const spec = JSON.parse(row.spec) as JobSpec;
    const question = JSON.parse(asked.question) as SandboxQuestion;
    const tries = asked.tries + 1;
    let retryAt = Date.now() + DELIVERY_RETRY_S[Math.min(tries, DELIVERY_RETRY_S.length) - 1]! * 1000;
    // Claimed before the first await: an alarm meanwhile, or an eviction mid-send, tries again only at retryAt.
    this.ctx.storage.sql.exec("UPDATE questions SET tries = ?, next_try = ? WHERE key = ? AND attempt = ?", tries, retryAt, key, attempt);
    this.delivering.add(id);
    let failure: unknown;
    let failed = false;
    try {
      await askQuestion(this.env, { actor: spec.actorName, key, attempt, id: asked.id, service: spec.service.key, ...question });
    } catch (err) {
      failed = true;
      failure = err;
    } finally {
      this.delivering.delete(id);
    }
    // Closed meanwhile (answered through a message whose sending only looked failed): nothing to add.
    if (this.question(key, attempt)?.id !== asked.id) return;
    const to = question.to.user;
    if (!failed) {
      this.ctx.storage.sql.exec("UPDATE questions SET delivered = 1, failure = NULL WHERE key = ? AND attempt = ?", key, attempt);
      const left = Math.max(0, Math.round((asked.deadline - Date.now()) / 1000));
      const after = tries > 1 ? `delivered at attempt ${tries}; ` : "";
      await this.note(key, attempt, "info", "msg", `asked ${to}: ${question.text} (${after}waiting up to ${left} s)`);
      return;
    }
    if (failure instanceof NotAskable) {
      this.ctx.storage.sql.exec("DELETE FROM questions WHERE key = ? AND attempt = ?", key, attempt);
      this.failWaiting(key, attempt, [failure.message]);
      return;
    }
    const reason = failure instanceof Error ? failure.message : String(failure);
    // Telegram's own retry_after wins over the backoff: an earlier try would only be refused again.
    if (failure instanceof NotDelivered && failure.retryAfter) retryAt = Math.max(retryAt, Date.now() + failure.retryAfter * 1000);
    this.ctx.storage.sql.exec("UPDATE questions SET failure = ?, next_try = ? WHERE key = ? AND attempt = ?", reason, retryAt, key, attempt);
    const next = retryAt < asked.deadline ? `trying again in ${Math.round((retryAt - Date.now()) / 1000)} s` : "no time left for another try";
    await this.note(key, attempt, "warning", "msg", `the question to ${to} was not delivered (attempt ${tries}): ${reason}; ${next}`);
  }

  /**
   * Adds a line to a waiting job's stored logs, and to its run's live view (best effort: the
   * outcome carries the line anyway).
   */
  private async note(key: string, attempt: number, level: LogEntry["level"], category: LogEntry["category"], log: string): Promise<void> {
    const row = this.row(key, attempt);
    if (row?.state !== "waiting" || !row.outcome) return;
    const entry: LogEntry = { epoch: Date.now(), level, category, log };
    const outcome = JSON.parse(row.outcome) as JobOutcome;
    outcome.logs.push(entry);
    this.ctx.storage.sql.exec("UPDATE jobs SET outcome = ? WHERE key = ? AND attempt = ?", JSON.stringify(outcome), key, attempt);
    const spec = JSON.parse(row.spec) as JobSpec;
    if (!spec.runKey) return;
    await this.env.REPOSITORY.getByName(`${spec.repo.org}/${spec.repo.name}`).jobLog(spec.runKey, key, attempt, [entry]).catch(() => undefined);
  }

  /** Ends a waiting job as failed, its earlier lines kept and `messages` last. */
  private failWaiting(key: string, attempt: number, messages: string[]): void {
    const row = this.row(key, attempt);
    if (row?.state !== "waiting") return;
    const now = Date.now();
    const earlier = row.outcome ? (JSON.parse(row.outcome) as JobOutcome) : this.failure("");
    const outcome: JobOutcome = {
      ...earlier,
      state: "error",
      ended: now,
      logs: [...(row.outcome ? earlier.logs : []), ...messages.map((log): LogEntry => ({ epoch: now, level: "error", category: "errormsg", log }))],
    };
    this.ctx.storage.sql.exec(
      "UPDATE jobs SET state = 'error', outcome = ?, ended = ?, reported = 0 WHERE key = ? AND attempt = ?",
      JSON.stringify(outcome), now, key, attempt,
    );
  }

  /**
   * The answer to a job's question: the job runs again with it in `job.args.answer`.
   * @returns false when the question is closed (answered already, timed out, or never asked)
   */
  async answer(key: string, attempt: number, id: string, answer: string): Promise<boolean> {
    const row = this.row(key, attempt);
    const asked = this.question(key, attempt);
    if (!row || row.state !== "waiting" || !asked || asked.id !== id) return false;
    const question = JSON.parse(asked.question) as SandboxQuestion;
    if (!question.buttons.includes(answer)) return false;
    const spec = JSON.parse(row.spec) as JobSpec;
    spec.args = { ...spec.args, answer };
    this.ctx.storage.sql.exec("DELETE FROM questions WHERE key = ? AND attempt = ?", key, attempt);
    this.ctx.storage.sql.exec("UPDATE jobs SET state = 'pending', spec = ? WHERE key = ? AND attempt = ?", JSON.stringify(spec), key, attempt);
    await this.rearm();
    return true;
  }

  /** A question nobody answered in time fails its job with "timeout" (and why, when it never reached anyone). */
  private expireQuestions(): void {
    const due = this.ctx.storage.sql.exec<QuestionRow>("SELECT * FROM questions WHERE deadline <= ?", Date.now()).toArray();
    for (const q of due) {
      this.ctx.storage.sql.exec("DELETE FROM questions WHERE key = ? AND attempt = ?", q.key, q.attempt);
      const question = JSON.parse(q.question) as SandboxQuestion;
      const undelivered = q.delivered
        ? []
        : [`the question never reached ${question.to.user}${q.failure ? `: ${q.failure}` : ""} (${q.tries} attempt${q.tries === 1 ? "" : "s"})`];
      this.failWaiting(q.key, q.attempt, [...undelivered, `timeout: nobody answered "${question.text}"`]);
    }
    // A waiting job must have its question; without one nothing could ever end the wait (and the
    // alarm would fire for it again and again), so it fails rather than hang.
    const orphans = this.ctx.storage.sql
      .exec<{ key: string; attempt: number }>(
        "SELECT j.key, j.attempt FROM jobs j LEFT JOIN questions q ON q.key = j.key AND q.attempt = j.attempt WHERE j.state = 'waiting' AND q.key IS NULL",
      )
      .toArray();
    for (const o of orphans) this.failWaiting(o.key, o.attempt, ["the job was waiting for an answer, but its question is gone; run it again"]);
  }

  /**
   * Forwards a running job's log lines to its RepositoryActor in small batches, so the run's live
   * stream shows them as they happen. Best effort: the outcome carries every line anyway.
   */
  private liveLog(spec: JobSpec): { push(entry: LogEntry): void; close(): Promise<void> } {
    if (!spec.runKey) return { push: () => undefined, close: async () => undefined };
    const repo = this.env.REPOSITORY.getByName(`${spec.repo.org}/${spec.repo.name}`);
    let buffer: LogEntry[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let chain: Promise<void> = Promise.resolve();
    const flush = () => {
      timer = undefined;
      const batch = buffer;
      buffer = [];
      if (!batch.length) return;
      chain = chain.then(() => repo.jobLog(spec.runKey, spec.jobKey, spec.attempt, batch)).catch(() => undefined);
    };
    return {
      push(entry) {
        buffer.push(entry);
        timer ??= setTimeout(flush, LIVE_LOG_FLUSH_MS);
      },
      async close() {
        if (timer) clearTimeout(timer);
        flush();
        await chain;
      },
    };
  }

  private failure(message: string): JobOutcome {
    const now = Date.now();
    return { state: "error", ended: now, logs: [{ epoch: now, level: "error", category: "errormsg", log: message }], result: null, dataPatch: {}, files: [] };
  }

  private async run(spec: JobSpec, onLog: (entry: LogEntry) => void): Promise<JobOutcome & { question?: SandboxQuestion }> {
    const now = Date.now();
    if (spec.noexec) {
      return { state: "ok", ended: now, logs: [{ epoch: now, level: "info", category: "msg", log: "no-exec mode: marked ok without running" }], result: null, dataPatch: {}, files: [] };
    }
    if (spec.code === "py") return this.failure("actions.py cannot run; provide actions.js");
    if (spec.code === "none") {
      return { state: "ok", ended: now, logs: [{ epoch: now, level: "info", category: "msg", log: `${spec.action}: AYS default action (no-op)` }], result: null, dataPatch: {}, files: [] };
    }
    const outcome: ActionOutcome = await runAction(this.env, {
      jobKey: `${spec.jobKey}-${spec.attempt}`,
      code: spec.actionsJs,
      action: spec.action,
      service: spec.service,
      args: spec.args,
      schema: spec.schema,
      egress: spec.egress,
      timeoutMs: spec.timeoutSeconds * 1000,
      cpuMs: configFromBindings(this.env).jobs.cpu_ms,
      inputFiles: spec.inputFiles ?? [],
      ...(spec.storageHours ? { filesExpireAt: Date.now() + spec.storageHours * 3_600_000 } : {}),
    }, { onLog });
    const result: JobOutcome & { question?: SandboxQuestion } = {
      state: outcome.state, ended: Date.now(), logs: outcome.logs, result: (outcome.result ?? null) as Json, dataPatch: outcome.dataPatch, files: outcome.resultFiles,
      ...(outcome.question ? { question: outcome.question } : {}),
    };
    if (outcome.error?.code) result.errorCode = outcome.error.code;
    return result;
  }

  private async report(key: string, attempt: number): Promise<void> {
    const row = this.row(key, attempt);
    if (!row || row.reported === 1 || !row.outcome || (row.state !== "ok" && row.state !== "error")) return;
    const spec = JSON.parse(row.spec) as JobSpec;
    const outcome = JSON.parse(row.outcome) as JobOutcome;
    try {
      const repo = this.env.REPOSITORY.getByName(`${spec.repo.org}/${spec.repo.name}`);
      if (row.run_key === "") await repo.looseJobFinished(spec.service.key, spec.action, outcome);
      else await repo.jobFinished(spec.runKey, key, attempt, outcome);
      this.ctx.storage.sql.exec("UPDATE jobs SET reported = 1 WHERE key = ? AND attempt = ?", key, attempt);
    } catch (err) {
      console.error(`report of ${key} failed; retrying`, err instanceof Error ? err.message : String(err));
    }
  }
}
