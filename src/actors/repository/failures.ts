/**
 * Failure is never silent: every failed job, in a run or not, becomes a `job` event with command
 * `error` (published when a filter wants it, logged otherwise), an audit entry `job.failed`, and a
 * message to the linked Telegram members (src/notify, the original's broadcast).
 *
 * Jobs outside any run (recurring, event-triggered) fail again and again: their failures are folded
 * per service and action in the `job_failures` table (store.ts migration 2; its first failure notified, then the 10th,
 * 100th, ... or once an hour, as "failing since 09:14 UTC, 37 times"), and the first success after
 * them is notified once as a recovery. load → decide (foldOutcome, pure) → save → send.
 */
import { logOnly, publishMany } from "../../events/bus.ts";
import type { CockpitEvent } from "../../events/event.ts";
import { notify } from "../../notify/index.ts";
import type { JobOutcome } from "../../runs/protocol.ts";
import type { LogEntry } from "../../runs/model.ts";

/** Folded failures are told again at least this often. */
export const REFOLD_MS = 60 * 60 * 1000;

export interface FailureRow {
  service: string;
  action: string;
  /** Epoch ms of the first failure of this streak. */
  since: number;
  count: number;
  /** Epoch ms of the last message about it. */
  notified: number;
  /** The last failure's last log line. */
  reason: string;
}

/** "09:14 UTC" */
export const clock = (ms: number): string => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

/** The last log line of a failed job, what a person reads first. */
export function reasonOf(logs: readonly LogEntry[]): string {
  const last = logs.at(-1)?.log ?? "";
  return last.length > 300 ? `${last.slice(0, 300)}…` : last || "no log";
}

/** What a loose job's outcome does to its streak: the row to keep (null: none) and the message to send (null: none). */
export function foldOutcome(prev: FailureRow | null, key: { service: string; action: string }, outcome: Pick<JobOutcome, "state" | "logs">, now: number): { row: FailureRow | null; notice: string | null } {
  if (outcome.state === "ok") {
    if (!prev) return { row: null, notice: null };
    return { row: null, notice: `✅ ${key.action} recovered after ${prev.count} ${prev.count === 1 ? "failure" : "failures"} (failing since ${clock(prev.since)})` };
  }
  const reason = reasonOf(outcome.logs);
  if (!prev) return { row: { ...key, since: now, count: 1, notified: now, reason }, notice: `❌ ${key.action} failed: ${reason}` };
  const count = prev.count + 1;
  const tell = /^10+$/.test(String(count)) || now - prev.notified >= REFOLD_MS;
  const row = { ...prev, count, reason, notified: tell ? now : prev.notified };
  return { row, notice: tell ? `❌ ${key.action} failing since ${clock(prev.since)}, ${count} times: ${reason}` : null };
}

export class Failures {
  private readonly sql: SqlStorage;
  private readonly env: Env;
  private readonly where: () => { org: string; repo: string };
  private readonly wanted: (event: CockpitEvent) => boolean;

  constructor(sql: SqlStorage, env: Env, where: () => { org: string; repo: string }, wanted: (event: CockpitEvent) => boolean) {
    this.sql = sql;
    this.env = env;
    this.where = where;
    this.wanted = wanted;
  }

  /** The actions outside runs failing now, newest streak first (the bot's /errors). */
  failing(): FailureRow[] {
    return this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM job_failures ORDER BY since DESC").toArray() as unknown as FailureRow[];
  }

  /** A loose job ended: fold it, save, then publish its event, audit and notify (best effort, never throws). */
  async looseJob(service: string, action: string, jobKey: string, outcome: JobOutcome): Promise<void> {
    const prev = (this.sql.exec("SELECT * FROM job_failures WHERE service = ? AND action = ?", service, action).toArray()[0] as unknown as FailureRow | undefined) ?? null;
    const { row, notice } = foldOutcome(prev, { service, action }, outcome, outcome.ended || Date.now());
    if (row) {
      this.sql.exec("INSERT OR REPLACE INTO job_failures(service, action, since, count, notified, reason) VALUES (?, ?, ?, ?, ?, ?)", row.service, row.action, row.since, row.count, row.notified, row.reason);
    } else if (prev) this.sql.exec("DELETE FROM job_failures WHERE service = ? AND action = ?", service, action);
    const sends: Promise<void>[] = [];
    if (outcome.state === "error") sends.push(this.report({ run: "", job: jobKey, service, action, logs: outcome.logs }));
    if (notice) sends.push(this.tell(service, notice));
    await Promise.all(sends);
  }

  /** A job of a run failed (its event is published by StateEvents): audit and notify it. */
  async runJob(run: string, job: { key: string; service: string; action: string; logs: readonly LogEntry[] }): Promise<void> {
    await Promise.all([this.audit(run, job.key, job.service, job.action, job.logs), this.tell(job.service, `❌ ${job.action} failed in ${run}: ${reasonOf(job.logs)}`)]);
  }

  /**
   * A loose job's failure as a `job` event with command `error`. A failure of a job that a job or
   * run event started publishes nothing more (logged only): a filter reacting to failures with an
   * action that fails would otherwise feed itself.
   */
  private async report(job: { run: string; job: string; service: string; action: string; logs: readonly LogEntry[] }): Promise<void> {
    const { org, repo } = this.where();
    if (!org) return;
    const now = Date.now();
    const event: CockpitEvent = {
      id: `job.${repo}.${job.job}`, time: now, org, repo, by: `job ${job.job}`, type: "job", channel: "job", command: "error",
      payload: { repo, run: job.run, job: job.job, service: job.service, action: job.action, state: "error", epoch: Math.floor(now / 1000) },
    };
    const feedsItself = /^event\.job\.|^event\.run\./.test(job.job);
    const out = !feedsItself && this.wanted(event) ? publishMany(this.env, [event]).then(() => undefined) : logOnly(this.env, [event]);
    await Promise.all([
      out.catch((err: unknown) => console.error(`job error event ${event.id} not published`, String(err))),
      this.audit(job.run, job.job, job.service, job.action, job.logs),
    ]);
  }

  private async audit(run: string, job: string, service: string, action: string, logs: readonly LogEntry[]): Promise<void> {
    const { org, repo } = this.where();
    if (!org) return;
    const reason = reasonOf(logs);
    const where = run ? `in ${run}` : "outside any run";
    await this.env.ORGANIZATION.getByName(org)
      .record({ type: "job.failed", repo, by: `job ${job}`, channel: "system", message: `${action} of ${service} failed ${where}: ${reason}`, data: { run, job, service, action, reason } })
      .catch((err: unknown) => console.error("audit of a failed job failed", String(err)));
  }

  /** To every linked member; without a bot (or with nobody linked) the failure is in the log and /errors only. */
  private async tell(service: string, text: string): Promise<void> {
    const { repo } = this.where();
    await notify(this.env, `${repo}/${service}`, text, null).catch((err: unknown) => console.warn(`failure notice not sent: ${err instanceof Error ? err.message : String(err)}`));
  }
}
