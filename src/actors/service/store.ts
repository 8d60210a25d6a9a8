/**
 * All SQL of the ServiceActor: its tables (as migrations, see src/actors/sql.ts), the job rows,
 * the recurring schedule, the service's identity and job.ask questions. It decides nothing.
 */
import { LifecycleError } from "../../runs/lifecycle.ts";
import { NEW_JOB_ROW, nextJobRowState, type JobRowState } from "../../runs/job-row.ts";
import type { SandboxQuestion } from "../../sandbox/types.ts";
import { sha256Hex } from "../sha256.ts";
import { addMissingColumns, type Migration } from "../sql.ts";
import type { JobOutcome, JobSpec } from "./protocol.ts";

/**
 * The ServiceActor's tables, oldest step first. The first is every shape services stored before
 * versions: questions before delivery was retried gain its columns (theirs had been delivered),
 * jobs before interruptions were counted gain the counter (a running one had started once).
 */
export const SERVICE_MIGRATIONS: readonly Migration[] = [
  (sql) => {
    sql.exec(`
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
    addMissingColumns(sql, "questions", {
      delivered: "INTEGER NOT NULL DEFAULT 1",
      tries: "INTEGER NOT NULL DEFAULT 0",
      next_try: "INTEGER",
      failure: "TEXT",
    });
    addMissingColumns(sql, "jobs", { starts: "INTEGER NOT NULL DEFAULT 0" });
  },
  // 2: each distinct actions.js is stored once, in `code` keyed by its SHA-256; a job row refers to
  // it (code_sha) instead of carrying a copy in its spec. Rows stored before move their copy there.
  // Written to run again harmlessly, like a first migration: tests (and tools) take today's storage
  // "back before versions" by dropping `_meta`, which runs every step again.
  (sql) => {
    sql.exec("CREATE TABLE IF NOT EXISTS code(sha TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID");
    addMissingColumns(sql, "jobs", { code_sha: "TEXT" });
    const rows = sql.exec<{ key: string; attempt: number; spec: string }>("SELECT key, attempt, spec FROM jobs WHERE code_sha IS NULL").toArray();
    for (const row of rows) {
      const spec = JSON.parse(row.spec) as JobSpec;
      sql.exec("UPDATE jobs SET spec = ?, code_sha = ? WHERE key = ? AND attempt = ?", JSON.stringify(withoutCode(spec)), putCode(sql, spec.actionsJs), row.key, row.attempt);
    }
  },
];

/** A spec as a job row stores it: its code is in the `code` table. */
function withoutCode(spec: JobSpec): Omit<JobSpec, "actionsJs"> {
  const { actionsJs: _code, ...rest } = spec;
  return rest;
}

/** Stores `text` once in the `code` table. @returns its key, or null for no code */
function putCode(sql: SqlStorage, text: string | undefined): string | null {
  if (!text) return null;
  const sha = sha256Hex(text);
  sql.exec("INSERT INTO code(sha, text) VALUES (?, ?) ON CONFLICT(sha) DO NOTHING", sha, text);
  return sha;
}

/** A job row with its code, as job(), unfinished(), open() and openOrWaiting() read it. */
const WITH_CODE = "SELECT jobs.*, code.text AS code FROM jobs LEFT JOIN code ON code.sha = jobs.code_sha";

export type JobRow = {
  key: string;
  attempt: number;
  run_key: string;
  action: string;
  state: JobRowState;
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
  /** The SHA-256 of the job's actions.js in the `code` table; null: the job has none. */
  code_sha: string | null;
  /** The actions.js itself, where the query joins it (WITH_CODE). */
  code?: string | null;
};

export type QuestionRow = {
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

export type RecurringRow = { action: string; period: number; next_due: number };

/** Where jobs not started yet sort among the others' start times (first, newest first). */
export const NOT_STARTED = 9_000_000_000_000_000;

/** A job row's stored JSON, parsed. */
export const specOf = (row: JobRow): JobSpec => {
  const spec = JSON.parse(row.spec) as JobSpec;
  spec.actionsJs = row.code ?? spec.actionsJs ?? "";
  return spec;
};
export const outcomeOf = (row: JobRow): JobOutcome | null => (row.outcome ? (JSON.parse(row.outcome) as JobOutcome) : null);

/**
 * A change of a job row's state (src/runs/job-row.ts) and what it writes with it: an execution's
 * start (and how many have started), the outcome that ends the job, the lines so far of a job that
 * asked a question, the spec (with the answer) a waiting job runs again with.
 */
export type JobRowChange =
  | { type: "START" | "RESUME"; started: number; starts: number }
  | { type: "SUCCEED" | "FAIL" | "GIVE_UP" | "CANCEL"; outcome: JobOutcome }
  | { type: "ASK"; partial: JobOutcome }
  | { type: "ANSWER"; spec: JobSpec };

const OPEN = "state IN ('pending', 'running') OR (state IN ('ok', 'error') AND reported = 0)";

export class ServiceStore {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  // --- jobs

  job(key: string, attempt: number): JobRow | undefined {
    return this.sql.exec<JobRow>(`${WITH_CODE} WHERE key = ? AND attempt = ?`, key, attempt).toArray()[0];
  }

  addJob(job: { key: string; attempt: number; runKey: string; action: string }, spec: JobSpec): void {
    this.sql.exec(
      "INSERT INTO jobs(key, attempt, run_key, action, state, spec, code_sha) VALUES (?, ?, ?, ?, ?, ?, ?)",
      job.key, job.attempt, job.runKey, job.action, NEW_JOB_ROW, JSON.stringify(withoutCode(spec)), putCode(this.sql, spec.actionsJs),
    );
  }

  /**
   * Keeps the newest `keep` ended job rows (ok or error, their outcome reported) and deletes the
   * older ones, then the code no row refers to any more. Pending, running and waiting rows, and
   * ended ones whose report is still to be sent, are never deleted.
   * @returns how many job and code rows were deleted
   */
  pruneJobs(keep: number): { jobs: number; code: number } {
    const jobs = this.sql.exec(
      `DELETE FROM jobs WHERE rowid IN (
         SELECT rowid FROM jobs WHERE state IN ('ok', 'error') AND reported = 1 ORDER BY ended DESC, rowid DESC LIMIT -1 OFFSET ?)`,
      keep,
    ).rowsWritten;
    const code = jobs === 0 ? 0 : this.sql.exec("DELETE FROM code WHERE sha NOT IN (SELECT code_sha FROM jobs WHERE code_sha IS NOT NULL)").rowsWritten;
    return { jobs, code };
  }

  /** Rows and bytes of the tables that grow with jobs (the storage benchmark). */
  footprint(): { jobs: number; code: number; bytes: number } {
    const jobs = this.sql.exec<{ n: number; b: number | null }>("SELECT COUNT(*) AS n, SUM(LENGTH(spec) + COALESCE(LENGTH(outcome), 0)) AS b FROM jobs").one();
    const code = this.sql.exec<{ n: number; b: number | null }>("SELECT COUNT(*) AS n, SUM(LENGTH(text)) AS b FROM code").one();
    return { jobs: jobs.n, code: code.n, bytes: (jobs.b ?? 0) + (code.b ?? 0) };
  }

  /** Offers a finished job's report again. */
  unreport(key: string, attempt: number): void {
    this.sql.exec("UPDATE jobs SET reported = 0 WHERE key = ? AND attempt = ?", key, attempt);
  }

  markReported(key: string, attempt: number): void {
    this.sql.exec("UPDATE jobs SET reported = 1 WHERE key = ? AND attempt = ?", key, attempt);
  }

  /** Pending, running and waiting jobs of run `runKey`, or of every run when it is null. */
  unfinished(runKey: string | null): JobRow[] {
    return this.sql.exec<JobRow>(`${WITH_CODE} WHERE state IN ('pending', 'running', 'waiting') AND (? IS NULL OR run_key = ?)`, runKey, runKey).toArray();
  }

  /** Jobs the alarm has work for: to run, to watch, or whose report the RepositoryActor has not taken. */
  open(): JobRow[] {
    return this.sql.exec<JobRow>(`${WITH_CODE} WHERE ${OPEN}`).toArray();
  }

  /** open() and the jobs waiting for an answer: every job the alarm must wake for. */
  openOrWaiting(): JobRow[] {
    return this.sql.exec<JobRow>(`${WITH_CODE} WHERE state = 'waiting' OR ${OPEN}`).toArray();
  }

  /**
   * Moves a job row through its lifecycle (src/runs/job-row.ts), writing what the change carries:
   * the only way a job row's state changes. `onlyFrom`: only while the job is still in that state
   * (it may have been cancelled meanwhile), else nothing is written.
   * @returns whether the row moved
   * @throws LifecycleError when the job row's state does not take the change (or there is no such row)
   */
  move(key: string, attempt: number, change: JobRowChange, onlyFrom?: JobRowState): boolean {
    const current = this.sql.exec<{ state: JobRowState }>("SELECT state FROM jobs WHERE key = ? AND attempt = ?", key, attempt).toArray()[0]?.state;
    if (current === undefined) throw new LifecycleError(`no job ${key}#${attempt}`);
    if (onlyFrom !== undefined && current !== onlyFrom) return false;
    const state = nextJobRowState(current, { type: change.type });
    const where = "WHERE key = ? AND attempt = ?";
    switch (change.type) {
      case "START":
      case "RESUME":
        this.sql.exec(`UPDATE jobs SET state = ?, started = ?, starts = ? ${where}`, state, change.started, change.starts, key, attempt);
        break;
      case "ASK":
        // The lines so far are kept; the job has not ended.
        this.sql.exec(`UPDATE jobs SET state = ?, outcome = ?, ended = NULL ${where}`, state, JSON.stringify(change.partial), key, attempt);
        break;
      case "ANSWER":
        this.sql.exec(`UPDATE jobs SET state = ?, spec = ? ${where}`, state, JSON.stringify(withoutCode(change.spec)), key, attempt);
        break;
      default: {
        const { outcome } = change;
        if (outcome.state !== state) throw new LifecycleError(`${change.type} ends a job row ${state}, not with an ${outcome.state} outcome`);
        // A cancelled job's run is cancelled or gone: nobody is to be told.
        this.sql.exec(`UPDATE jobs SET state = ?, outcome = ?, ended = ?, reported = ? ${where}`, state, JSON.stringify(outcome), outcome.ended, change.type === "CANCEL" ? 1 : 0, key, attempt);
      }
    }
    return true;
  }

  setOutcome(key: string, attempt: number, outcome: JobOutcome): void {
    this.sql.exec("UPDATE jobs SET outcome = ? WHERE key = ? AND attempt = ?", JSON.stringify(outcome), key, attempt);
  }

  /** Up to `limit` jobs, newest first (not started yet first), after the cursor position if given. */
  jobs(limit: number, before: { started: number; key: string; attempt: number } | null): JobRow[] {
    const order = `COALESCE(started, ${NOT_STARTED})`;
    const where = before ? `WHERE (${order}, key, attempt) < (?, ?, ?)` : "";
    const params = before ? [before.started, before.key, before.attempt] : [];
    return this.sql.exec<JobRow>(`SELECT * FROM jobs ${where} ORDER BY ${order} DESC, key DESC, attempt DESC LIMIT ?`, ...params, limit).toArray();
  }

  /** Waiting jobs without a question: nothing could ever end their wait. */
  orphanedWaits(): { key: string; attempt: number }[] {
    return this.sql
      .exec<{ key: string; attempt: number }>(
        "SELECT j.key, j.attempt FROM jobs j LEFT JOIN questions q ON q.key = j.key AND q.attempt = j.attempt WHERE j.state = 'waiting' AND q.key IS NULL",
      )
      .toArray();
  }

  // --- recurring actions and the service they belong to

  recurring(): RecurringRow[] {
    return this.sql.exec<RecurringRow>("SELECT * FROM recurring ORDER BY action").toArray();
  }

  replaceRecurring(rows: readonly RecurringRow[]): void {
    this.sql.exec("DELETE FROM recurring");
    for (const r of rows) this.sql.exec("INSERT INTO recurring(action, period, next_due) VALUES (?, ?, ?)", r.action, r.period, r.next_due);
  }

  dueRecurring(now: number): { action: string; period: number }[] {
    return this.sql.exec<{ action: string; period: number }>("SELECT action, period FROM recurring WHERE next_due <= ?", now).toArray();
  }

  setNextDue(action: string, at: number): void {
    this.sql.exec("UPDATE recurring SET next_due = ? WHERE action = ?", at, action);
  }

  setIdentity(org: string, repo: string, service: string): void {
    this.sql.exec(
      "INSERT INTO identity(id, org, repo, service) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET org = excluded.org, repo = excluded.repo, service = excluded.service",
      org, repo, service,
    );
  }

  identity(): { org: string; repo: string; service: string } | undefined {
    return this.sql.exec<{ org: string; repo: string; service: string }>("SELECT org, repo, service FROM identity WHERE id = 1").toArray()[0];
  }

  // --- job.ask questions

  question(key: string, attempt: number): QuestionRow | undefined {
    return this.sql.exec<QuestionRow>("SELECT * FROM questions WHERE key = ? AND attempt = ?", key, attempt).toArray()[0];
  }

  /** Stores a new question, not delivered yet, its first try due `now`. */
  putQuestion(key: string, attempt: number, id: string, deadline: number, question: SandboxQuestion, now: number): void {
    this.sql.exec(
      `INSERT INTO questions(key, attempt, id, deadline, question, delivered, tries, next_try, failure) VALUES (?, ?, ?, ?, ?, 0, 0, ?, NULL)
       ON CONFLICT(key, attempt) DO UPDATE SET id = excluded.id, deadline = excluded.deadline, question = excluded.question,
         delivered = 0, tries = 0, next_try = excluded.next_try, failure = NULL`,
      key, attempt, id, deadline, JSON.stringify(question), now,
    );
  }

  dropQuestion(key: string, attempt: number): void {
    this.sql.exec("DELETE FROM questions WHERE key = ? AND attempt = ?", key, attempt);
  }

  /** Questions Telegram has not taken yet whose next try is due. */
  undelivered(now: number): { key: string; attempt: number }[] {
    return this.sql
      .exec<{ key: string; attempt: number }>("SELECT key, attempt FROM questions WHERE delivered = 0 AND next_try <= ? AND deadline > ?", now, now)
      .toArray();
  }

  expired(now: number): QuestionRow[] {
    return this.sql.exec<QuestionRow>("SELECT * FROM questions WHERE deadline <= ?", now).toArray();
  }

  /** Notes a try at sending (its number) and when the next may be. */
  noteTry(key: string, attempt: number, tries: number, nextTry: number): void {
    this.sql.exec("UPDATE questions SET tries = ?, next_try = ? WHERE key = ? AND attempt = ?", tries, nextTry, key, attempt);
  }

  markDelivered(key: string, attempt: number): void {
    this.sql.exec("UPDATE questions SET delivered = 1, failure = NULL WHERE key = ? AND attempt = ?", key, attempt);
  }

  noteFailure(key: string, attempt: number, failure: string, nextTry: number): void {
    this.sql.exec("UPDATE questions SET failure = ?, next_try = ? WHERE key = ? AND attempt = ?", failure, nextTry, key, attempt);
  }
}
