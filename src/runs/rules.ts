/**
 * The run queue's two policies: which jobs are skipped, and whether (and when) a failed step's run
 * is tried again.
 */
import type { ServiceAction } from "../ays/index.ts";
import { DEFAULT_RETRY_DELAYS, type JobRecord, type RunRecord } from "./model.ts";
import type { RunContext, Services } from "./services.ts";

/** Why a job is not executed but closed ok: its action is already ok (unless forced, or the run is a re-run), or disabled. */
export function skipReason(run: Pick<RunRecord, "rerun_of">, job: Pick<JobRecord, "service" | "action">, action: ServiceAction): string | null {
  // A re-run runs its jobs again, as if each action had been scheduled with force.
  if (action.state === "ok" && !action.force && !run.rerun_of) return `${job.action} is already ok on ${job.service}: skipped`;
  if (action.state === "disabled") return `${job.action} is disabled on ${job.service}: skipped`;
  return null;
}

/**
 * The retry policy for a step's failed jobs: the delay before the run is tried again, or null when it
 * ends in error, and the log line of each job not worth another attempt. An action's own delays
 * (config.yaml `actions:`) win over the template's `retry`, then AYS's table; the delay is picked by
 * the lowest error count among the failed actions; a job is tried at most 1 + delays times.
 */
export function retryPolicy(failed: readonly JobRecord[], ctx: Pick<RunContext, "templates">, services: Services): { delay: number | null; notRetried: Map<string, string> } {
  const settingsOf = (job: JobRecord) => ctx.templates.get(job.actor)?.actionSettings?.[job.action];
  const delaysOf = (job: JobRecord) => settingsOf(job)?.delays ?? ctx.templates.get(job.actor)?.retry?.delays ?? DEFAULT_RETRY_DELAYS;
  // With `error_codes`, only failures of those kinds are worth another attempt. A job whose
  // runtime died under it again and again (`interrupted`, the ServiceActor's MAX_INTERRUPTIONS)
  // would likely kill it again: it is retried only when error_codes lists `interrupted`.
  const notRetried = new Map<string, string>();
  for (const job of failed) {
    const codes = settingsOf(job)?.errorCodes;
    const unretryable = codes === undefined ? job.error_code === "interrupted" : !codes.includes(job.error_code ?? "");
    if (!unretryable) continue;
    const what = job.error_code ? `error code ${job.error_code} is` : "a failure without an error code is";
    notRetried.set(job.key, codes
      ? `not retried: ${what} not in error_codes (${codes.join(", ")})`
      : "not retried: the runtime died under this job each time it ran (error code interrupted; list it in error_codes to retry)");
  }
  if (notRetried.size > 0 || !failed.every((job) => job.attempts <= delaysOf(job).length)) return { delay: null, notRetried };
  const lowest = Math.min(...failed.map((j) => services[j.service]?.actions[j.action]?.errorCount ?? j.attempts));
  const delays = delaysOf(failed[0]!);
  return { delay: delays[Math.min(Math.max(lowest, 1), delays.length) - 1]!, notRetried };
}
