/**
 * JobExecution: one execution of a job's action, as a Cloudflare Workflow instance (one instance per
 * execution). The ServiceActor's alarm handler gets 15 minutes of wall time on Cloudflare, a job's
 * timeout may be 6 hours; a Workflow step has no wall-time limit, only its CPU time is bounded (see
 * the README, "Limits that bound a job"). So the actor keeps the job row and only starts the
 * instance; the instance asks the actor for the job's spec, runs the action in the sandbox, and hands
 * the outcome back (`executionEnded`), which the actor saves and reports as it always did.
 *
 * The step is never retried by the Workflow engine: an action runs once per execution. An execution
 * that dies (the step's runtime, or the hand-over that never arrives) leaves the row `running`; the
 * actor's watchdog sees its instance ended (or overdue) and runs the job again, at most
 * MAX_INTERRUPTIONS times, as after any crash.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { LogEntry } from "../../runs/model.ts";
import { failure, WATCHDOG_MARGIN_MS } from "./decide.ts";
import { execute, liveLog, type Execution } from "./execution.ts";

/** What a JobExecution instance is created with: which execution of which job (the spec stays with the actor). */
export interface ExecutionParams {
  /** The ServiceActor's name (`org/repo/role!instance`). */
  actor: string;
  key: string;
  attempt: number;
  /** Which execution of the job row this is (`executionTag`): an outcome of any other is dropped. */
  execution: string;
  timeoutSeconds: number;
  /** Lines the actor wrote when it started the execution (it waited for a slot, the last one was interrupted). */
  notes: LogEntry[];
}

/** How often, and after how long, an ended execution tries again to hand its outcome to the actor. */
const HAND_OVER_RETRY_MS = [500, 1_000, 2_000, 4_000, 8_000, 16_000];

export class JobExecution extends WorkflowEntrypoint<Env, ExecutionParams> {
  override async run(event: Readonly<WorkflowEvent<ExecutionParams>>, step: WorkflowStep): Promise<string> {
    const params = event.payload;
    // The step's own timeout (the engine's default is 10 minutes) lets the sandbox's timeout speak first.
    const config = { retries: { limit: 0, delay: 0 }, timeout: params.timeoutSeconds * 1000 + WATCHDOG_MARGIN_MS };
    return step.do("execute", config, () => runExecution(this.env, params));
  }
}

/** Runs the action once and hands its outcome to the ServiceActor; `dropped` when the actor no longer wants it. */
async function runExecution(env: Env, params: ExecutionParams): Promise<string> {
  const { actor, key, attempt, execution, notes } = params;
  // Cancelled, or superseded by another execution, before this one began: nothing to run.
  const spec = await env.SERVICE.getByName(actor).executionSpec(key, attempt, execution);
  if (!spec) return "dropped";
  const live = liveLog(env, spec);
  for (const note of notes) live.push(note);
  let outcome: Execution;
  try {
    outcome = await execute(env, spec, (entry) => live.push(entry));
  } catch (err) {
    outcome = failure(`job crashed: ${err instanceof Error ? err.message : String(err)}`, Date.now());
  }
  await live.close();
  outcome.logs.unshift(...notes);
  return (await handOver(env, params, outcome)) ? outcome.state : "dropped";
}

/**
 * Gives the outcome to the actor, trying again for about half a minute (a stub that threw is broken
 * for good, so each try gets a new one). If it never arrives the step fails, and the actor's watchdog
 * counts the execution as interrupted.
 */
async function handOver(env: Env, params: ExecutionParams, outcome: Execution): Promise<boolean> {
  for (let tries = 0; ; tries++) {
    try {
      return await env.SERVICE.getByName(params.actor).executionEnded(params.key, params.attempt, params.execution, outcome);
    } catch (err) {
      const wait = HAND_OVER_RETRY_MS[tries];
      if (wait === undefined) throw err;
      console.error(`outcome of ${params.key}#${params.attempt} not taken; trying again`, err instanceof Error ? err.message : String(err));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
