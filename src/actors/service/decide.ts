/**
 * The ServiceActor's decisions, pure: what the alarm does with an open job, when it must wake next,
 * how recurring actions are rescheduled, when an undelivered question is sent again. No storage, no
 * clock of their own (`now` is given), so they are unit-tested without workerd.
 */
import type { LogEntry } from "../../runs/model.ts";
import type { JobOutcome, JobView, RecurringAction } from "./protocol.ts";

/**
 * How many executions of one job attempt may die under it (the Workflow step's runtime crashed,
 * its outcome never arrived) before it fails with "interrupted N times": a lost execution now and
 * then is survived, an action that exhausts memory is not re-run for ever. The run does not retry such a failure either, unless
 * the action's `error_codes` lists `interrupted`.
 */
export const MAX_INTERRUPTIONS = 3;
/** How soon an unreported outcome is offered again when the RepositoryActor could not be reached. */
export const REPORT_RETRY_MS = 5_000;
/** Slack on top of a job's timeout before an execution that has not ended is presumed lost. */
export const WATCHDOG_MARGIN_MS = 30_000;
/**
 * How often the alarm looks at a running job's Workflow instance: one that died without handing over
 * its outcome is found this soon, not only at the job's timeout.
 */
export const EXECUTION_POLL_MS = 60_000;
/** How often a job waiting for a `max_parallel` slot asks again (a freed slot also wakes it at once). */
export const SLOT_POLL_MS = 5_000;
/**
 * Seconds before a question Telegram did not take is sent again, by failed attempt: short at first
 * (a 502 rarely lasts), then at most every five minutes until the question's deadline.
 */
export const DELIVERY_RETRY_S = [2, 5, 15, 60, 300];

/** What of a stored job the decisions look at. */
export interface JobFacts {
  state: JobView["state"];
  /** Executions started since the job last ran to an end or parked on a question (0 in rows stored before they were counted). */
  starts: number;
  started: number | null;
}

/** A failed outcome that says `message`. */
export function failure(message: string, now: number): JobOutcome {
  return { state: "error", ended: now, logs: [{ epoch: now, level: "error", category: "errormsg", log: message }], result: null, dataPatch: {}, files: [] };
}

/** `outcome` with the lines of an earlier outcome of the same job (it asked a question, say) in front. */
export function afterEarlier<T extends JobOutcome>(outcome: T, earlier: JobOutcome | null): T {
  if (earlier) outcome.logs.unshift(...earlier.logs);
  return outcome;
}

/**
 * What the alarm does with a job: run a pending one, or a running one no live execution holds (it
 * was interrupted), unless that happened MAX_INTERRUPTIONS times (give up); otherwise only offer
 * its report. A running row stored before starts were counted had started once.
 */
export function alarmStep(job: JobFacts, live: boolean): "run" | "give up" | "report" {
  if (job.state === "pending") return "run";
  if (job.state !== "running" || live) return "report";
  return interruptions(job) >= MAX_INTERRUPTIONS ? "give up" : "run";
}

/** Workflow instance states in which an execution may still hand over its outcome. */
const LIVE_EXECUTION = new Set(["queued", "running", "paused", "waiting", "waitingForPause", "unknown"]);

/**
 * What the alarm makes of a running job's execution (its Workflow instance's status, null when no
 * such instance exists): `live` while it may still end, `lost` once it ended without handing over
 * its outcome (its runtime died) or was never created (the actor died first), `overdue` when it is
 * still going past the job's timeout + WATCHDOG_MARGIN_MS (it is stopped and counted as lost).
 */
export function executionVerdict(status: string | null, now: number, deadline: number): "live" | "lost" | "overdue" {
  if (status === null || !LIVE_EXECUTION.has(status)) return "lost";
  return now > deadline ? "overdue" : "live";
}

/** How many executions died under a job found running without one: at least the one that was. */
export function interruptions(job: JobFacts): number {
  return Math.max(job.starts, 1);
}

/** The `starts` count of an execution beginning now: one more than died before it, or 1. */
export function startsNow(job: JobFacts): number {
  return job.state === "running" ? interruptions(job) + 1 : 1;
}

/** The question a waiting job's wake-up depends on, as far as it matters here. */
export interface QuestionFacts {
  deadline: number;
  delivered: number;
  next_try: number | null;
}

/**
 * When the alarm must fire for a job: now for a pending one (or when its slot poll is due), the
 * watchdog (timeout + margin) for a running one, or sooner its next look at the execution, the deadline or the next delivery try for a waiting
 * one (now if its question is gone: the alarm fails it), a few seconds on for an unreported outcome.
 */
export function wakeAt(
  job: JobFacts,
  context: { now: number; timeoutSeconds: number; slotRetry?: number | undefined; question?: QuestionFacts | undefined },
): number {
  const { now } = context;
  if (job.state === "pending") return context.slotRetry ?? now;
  if (job.state === "waiting") {
    const q = context.question;
    if (!q) return now;
    return q.delivered ? q.deadline : Math.min(q.deadline, q.next_try ?? now);
  }
  if (job.state === "running") return Math.min((job.started ?? now) + context.timeoutSeconds * 1000 + WATCHDOG_MARGIN_MS, now + EXECUTION_POLL_MS);
  return now + REPORT_RETRY_MS;
}

/**
 * The recurring schedule after `list` replaces `current`: a new action first runs one period from
 * now; an action whose period changed keeps its next time only if that comes sooner.
 */
export function reschedule(
  current: readonly { action: string; next_due: number }[],
  list: readonly RecurringAction[],
  now: number,
): { action: string; period: number; next_due: number }[] {
  const previous = new Map(current.map((r) => [r.action, r.next_due]));
  return list.map(({ action, period }) => ({ action, period, next_due: Math.min(previous.get(action) ?? Infinity, now + period * 1000) }));
}

/** When to try a question again if its try number `tries` fails: short at first, then every five minutes. */
export function deliveryRetryAt(tries: number, now: number): number {
  return now + DELIVERY_RETRY_S[Math.min(Math.max(tries, 1), DELIVERY_RETRY_S.length) - 1]! * 1000;
}

/** Telegram's own retry_after (seconds, from `now`) wins over the backoff: an earlier try would only be refused again. */
export function honourRetryAfter(retryAt: number, now: number, retryAfterS: number | undefined): number {
  return retryAfterS ? Math.max(retryAt, now + retryAfterS * 1000) : retryAt;
}

/** The error lines of a question nobody answered in time, and why, when it never reached anyone. */
export function expiryLines(q: { delivered: number; failure: string | null; tries: number }, question: { text: string; to: { user: string } }): string[] {
  const undelivered = q.delivered
    ? []
    : [`the question never reached ${question.to.user}${q.failure ? `: ${q.failure}` : ""} (${q.tries} attempt${q.tries === 1 ? "" : "s"})`];
  return [...undelivered, `timeout: nobody answered "${question.text}"`];
}

/** A log line, stamped `now`. */
export function line(now: number, level: LogEntry["level"], category: LogEntry["category"], log: string): LogEntry {
  return { epoch: now, level, category, log };
}
