/**
 * The JobExecution Workflow instance of a running job row (workflow.ts): whether it may still hand
 * over its outcome, and stopping it. The ServiceActor's alarm asks; cancelJobs stops.
 */
import { executionVerdict, WATCHDOG_MARGIN_MS } from "./decide.ts";
import { executionInstanceId, executionTag } from "./execution.ts";
import { specOf, type JobRow } from "./store.ts";

/** The Workflow instance of a running row's current execution. */
async function instanceOf(env: Env, row: JobRow): Promise<WorkflowInstance> {
  return env.JOB_EXECUTIONS.get(await executionInstanceId(specOf(row).actorName, row.key, row.attempt, executionTag(row)));
}

/**
 * Whether a running row's execution may still hand over its outcome. One past the job's timeout
 * (+ margin) is stopped and counted as lost; a status that cannot be read now counts as live (the
 * watchdog asks again), unless the instance does not exist.
 */
export async function executionLive(env: Env, row: JobRow): Promise<boolean> {
  let status: string | null;
  try {
    status = (await (await instanceOf(env, row)).status()).status;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!/not.?found/i.test(message)) {
      console.error(`status of ${row.key}#${row.attempt}'s execution unknown`, message);
      return true;
    }
    status = null;
  }
  const deadline = (row.started ?? 0) + specOf(row).timeoutSeconds * 1000 + WATCHDOG_MARGIN_MS;
  const verdict = executionVerdict(status, Date.now(), deadline);
  if (verdict === "overdue") await stopExecution(env, row);
  return verdict === "live";
}

/** Stops a running row's Workflow instance, if it still runs (best effort). */
export async function stopExecution(env: Env, row: JobRow): Promise<void> {
  try {
    await (await instanceOf(env, row)).terminate();
  } catch {
    // Ended already, or never created: nothing to stop.
  }
}
