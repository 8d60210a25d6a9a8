/**
 * One execution of a job's action: template code in the sandbox (or the no-exec, actions.py and
 * default-action answers), its log lines forwarded live to the run's stream, and the name of the
 * Workflow instance it runs in (workflow.ts).
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
 * Which execution of a job row is running: its start count and start time, both on the row once it
 * is `running`. A job that asked a question starts again from 1, so the time tells those apart.
 */
export function executionTag(row: { starts: number; started: number | null }): string {
  return `${row.starts}.${row.started ?? 0}`;
}

/**
 * The Workflow instance id of one execution: deterministic (the alarm finds the instance of a row it
 * finds running), within the 64 characters and `[a-zA-Z0-9_-]` an id may have, and unique per
 * service, job, attempt and execution.
 */
export async function executionInstanceId(actor: string, key: string, attempt: number, tag: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${actor}\n${key}\n${attempt}\n${tag}`));
  return `job-${[...new Uint8Array(digest)].slice(0, 24).map((b) => b.toString(16).padStart(2, "0")).join("")}`;
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
