/**
 * One execution of a job's action: template code in the sandbox (or the no-exec, actions.py and
 * default-action answers), and its log lines forwarded live to the run's stream.
 */
import { configFromBindings } from "../../config/index.ts";
import { eventArgParts } from "../../events/payloads.ts";
import { runAction, type SandboxQuestion } from "../../sandbox/index.ts";
import type { Json, LogEntry } from "../../runs/model.ts";
import { readJobSecret } from "../secret-read.ts";
import { failure, line } from "./decide.ts";
import { sandboxJobKey } from "./files.ts";
import type { JobOutcome, JobSpec } from "./protocol.ts";

/** How long log lines of a running job are gathered before they go to the run's live stream. */
const LIVE_LOG_FLUSH_MS = 200;

/** What an execution gives: an outcome, or (an `ok` one with) a question the action asked. */
export type Execution = JobOutcome & { question?: SandboxQuestion };

/** Runs the job's action once; `onLog` sees each line as it is written. */
export async function execute(env: Env, spec: JobSpec, onLog: (entry: LogEntry) => void): Promise<Execution> {
  const now = Date.now();
  const ok = (log: string): JobOutcome => ({ state: "ok", ended: now, logs: [line(now, "info", "msg", log)], result: null, dataPatch: {}, files: [] });
  if (spec.noexec) return ok("no-exec mode: marked ok without running");
  if (spec.code === "py") return failure("actions.py cannot run; provide actions.js", now);
  if (spec.code === "none") return ok(`${spec.action}: AYS default action (no-op)`);
  const outcome = await runAction(env, {
    // Result files go under the service's own prefix (files.ts), which its deletion removes.
    jobKey: sandboxJobKey(spec),
    code: spec.actionsJs,
    action: spec.action,
    service: spec.service,
    args: spec.args,
    schema: spec.schema,
    egress: spec.egress,
    timeoutMs: spec.timeoutSeconds * 1000,
    cpuMs: configFromBindings(env).jobs.cpu_ms,
    inputFiles: spec.inputFiles ?? [],
    // A job an event started reads the parts of the event that wait in R2 (src/events/payloads.ts).
    argParts: spec.jobKey.startsWith("event.") ? eventArgParts(spec.args) : [],
    ...(spec.storageHours ? { filesExpireAt: Date.now() + spec.storageHours * 3_600_000 } : {}),
    // config.yaml `secrets:`: read with job.secrets.get, opened and audited at read time (src/actors/secret-read.ts).
    secrets: spec.secrets ?? [],
  }, { onLog, readSecret: (name) => readJobSecret(env, spec, name) });
  const result: Execution = {
    state: outcome.state, ended: Date.now(), logs: outcome.logs, result: (outcome.result ?? null) as Json, dataPatch: outcome.dataPatch, files: outcome.resultFiles,
    ...(outcome.question ? { question: outcome.question } : {}),
  };
  if (outcome.error?.code) result.errorCode = outcome.error.code;
  return result;
}

/**
 * Forwards a running job's log lines to its RepositoryActor in small batches, so the run's live
 * stream shows them as they happen. Best effort: the outcome carries every line anyway.
 */
export function liveLog(env: Env, spec: JobSpec): { push(entry: LogEntry): void; close(): Promise<void> } {
  if (!spec.runKey) return { push: () => undefined, close: async () => undefined };
  const repo = env.REPOSITORY.getByName(`${spec.repo.org}/${spec.repo.name}`);
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
