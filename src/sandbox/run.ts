/**
 * runAction(): loads a template's actions.js into a dynamic isolate and runs one action in it.
 *
 * The isolate gets no bindings (`env: {}`) and no network (`globalOutbound: null`). The job context
 * crosses the boundary as an RPC argument: the cockpit calls the bootstrap's `run(host, call)` with
 * a JobHost (an RpcTarget living here). The loader's `env` cannot carry an RpcTarget ("Remote RPC
 * references can only be serialized for RPC"). Each job gets a fresh isolate, shared with nothing.
 */
import { ACTIONS_MODULE, BOOTSTRAP_MODULE, bootstrapSource } from "./bootstrap.ts";
import { JobHost, JobRecord } from "./host.ts";
import { InstrumentError, instrument, type Instrumented } from "./instrument.ts";
import { SANDBOX_LIMITS } from "./limits.ts";
import { validateRequest } from "./request.ts";
import type { ActionOutcome, ActionRequest, SandboxFieldDef, SandboxLogEntry, SandboxService, SecretReader } from "./types.ts";

/** The cockpit's own compatibility date (wrangler.toml): local workerd accepts no newer one. */
const COMPATIBILITY_DATE = "2026-11-01";

interface SandboxCall {
  action: string;
  service: SandboxService;
  args: Record<string, unknown>;
  schema: SandboxFieldDef[];
  inputFiles: { name: string; size: number; contentType?: string }[];
  /** Where each part of args read through host.argPart goes (the R2 keys stay here). */
  argParts: string[][];
  timeoutMs: number;
  cpuMs: number;
}

interface SandboxError {
  name: string;
  message: string;
  stack?: string;
  timeout?: boolean;
  /** Locally: the action held the thread for longer than its CPU budget. */
  cpu?: boolean;
  code?: string;
}

/** An error code from the sandbox is shown and matched against config, so only a short plain word passes. */
const ERROR_CODE = /^[\w.:-]{1,64}$/;

/** What the bootstrap's run() returns. */
interface SandboxResult {
  ok: boolean;
  resultJson?: string;
  defaulted?: boolean;
  loadFailed?: boolean;
  error?: SandboxError;
}

interface SandboxEntrypoint {
  run(host: JobHost, call: SandboxCall): Promise<SandboxResult>;
}

/**
 * Rewrites `actions.js:LINE:COLUMN` positions of the instrumented code into the user's own, and
 * drops stack frames of the bootstrap (the guard), which mean nothing to the template's author.
 */
function userPositions(text: string, instrumented: Instrumented): string {
  return text
    .split("\n")
    .filter((line) => !/^\s+at .*cockpit-sandbox\.js/.test(line))
    .join("\n")
    .replace(/actions\.js:(\d+):(\d+)/g, (_, line: string, column: string) => {
      return `${ACTIONS_MODULE}:${line}:${instrumented.originalColumn(Number(line), Number(column))}`;
    });
}

function timeoutMessage(timeoutMs: number): string {
  return `timeout after ${timeoutMs / 1000} s`;
}

function cpuMessage(cpuMs: number): string {
  return `CPU limit: the action used its ${cpuMs / 1000} s of CPU time ([jobs] cpu_ms), computing without waiting for anything`;
}

/** Runs `request.action` of `request.code` in a sandbox and reports what it did. */
export async function runAction(
  env: Env,
  request: ActionRequest,
  options: { onLog?: (entry: SandboxLogEntry) => void; readSecret?: SecretReader } = {},
): Promise<ActionOutcome> {
  validateRequest(request);
  const record = new JobRecord();
  record.onLog = options.onLog;
  const finish = (state: "ok" | "error", rawResult: unknown, rawError?: ActionOutcome["error"]): ActionOutcome => {
    // Every secret value the job received is masked in what it gives back (log lines are, as they come).
    const result = record.mask(rawResult);
    const error = record.mask(rawError);
    if (error) {
      record.add("error", "errormsg", error.message);
      if (error.stack) record.add("error", "trace", error.stack);
    }
    record.close();
    const outcome: ActionOutcome = {
      state,
      result,
      logs: record.logs,
      dataPatch: record.mask(record.dataPatch),
      resultFiles: [...record.resultFiles.values()],
    };
    if (error) outcome.error = error;
    else if (state === "ok" && record.question) outcome.question = record.question;
    return outcome;
  };

  // cpuMs is what stops a busy loop in production; local workerd accepts it but does not enforce it,
  // so the bootstrap's guard (instrument.ts) stops code that holds the thread that long without
  // waiting. CPU time never exceeds wall time, so the timeout bounds it too.
  const cpuMs = Math.max(1, Math.min(Math.ceil(request.timeoutMs), request.cpuMs ?? SANDBOX_LIMITS.defaultCpuMs, SANDBOX_LIMITS.maxCpuMs));
  let instrumented: Instrumented;
  try {
    instrumented = instrument(request.code, `./${BOOTSTRAP_MODULE}`);
  } catch (err) {
    if (!(err instanceof InstrumentError)) throw err;
    return finish("error", null, { message: `${ACTIONS_MODULE} could not be loaded: SyntaxError: ${err.message}` });
  }

  // Every job gets an isolate of its own (load(), never cached): module-level state, patched
  // globals and built-ins die with the job, so nothing one job leaves behind reaches another job,
  // of this repository or of any other one running the same code.
  const worker = env.LOADER.load({
    compatibilityDate: COMPATIBILITY_DATE,
    mainModule: BOOTSTRAP_MODULE,
    modules: { [BOOTSTRAP_MODULE]: bootstrapSource(instrumented.guard), [ACTIONS_MODULE]: instrumented.code },
    env: {},
    globalOutbound: null,
    limits: { cpuMs },
  });
  // The limit is part of the worker code: each job has its own, so the entrypoint needs no second one.
  const entrypoint = worker.getEntrypoint() as unknown as SandboxEntrypoint;
  const host = new JobHost(env, request, record, options.readSecret);
  const call: SandboxCall = {
    action: request.action,
    service: request.service,
    args: request.args,
    schema: request.schema,
    // R2 keys stay here; the action names its input files.
    inputFiles: request.inputFiles.map(({ name, size, contentType }) => (contentType === undefined ? { name, size } : { name, size, contentType })),
    argParts: (request.argParts ?? []).map((part) => part.at),
    timeoutMs: request.timeoutMs,
    cpuMs,
  };

  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<{ timeout: true }>((resolve) => {
    timer = setTimeout(() => resolve({ timeout: true }), request.timeoutMs);
  });
  // The call's own promise is never left unhandled: after a timeout nobody awaits it any more.
  const running = Promise.resolve(entrypoint.run(host, call)).then(
    (result) => ({ result }),
    (failure: unknown) => ({ failure }),
  );
  const settled = await Promise.race([running, deadline]);
  clearTimeout(timer);

  // When the isolate held the thread past the deadline, both may be ready at once: the limit wins.
  if ("timeout" in settled || Date.now() - started > request.timeoutMs) {
    return finish("error", null, { message: timeoutMessage(request.timeoutMs), timeout: true, code: "timeout" });
  }

  if ("failure" in settled) {
    const message = userPositions(settled.failure instanceof Error ? settled.failure.message : String(settled.failure), instrumented);
    if (!record.started && message.startsWith("Failed to start Worker")) {
      const reason = message.replace(/^Failed to start Worker:\s*/, "").replace(/^Uncaught /, "");
      return finish("error", null, { message: `${ACTIONS_MODULE} could not be loaded: ${reason}` });
    }
    // workerd cancels an invocation that waits on nothing that could ever settle it.
    if (/had hung and would never generate a response/.test(message)) {
      return finish("error", null, { message: "the action can never finish: it awaits a promise that nothing will settle" });
    }
    // The isolate died under the job (production: a CPU or memory limit), or never started.
    if (/exceeded cpu/i.test(message)) return finish("error", null, { message: cpuMessage(cpuMs), timeout: true, code: "timeout" });
    return finish("error", null, {
      message: record.started ? `the sandbox failed while running the action: ${message}` : `the sandbox could not start: ${message}`,
    });
  }

  const outcome = settled.result;
  if (!outcome.ok) {
    const error = outcome.error ?? { name: "Error", message: "the action failed" };
    if (error.cpu) {
      return finish("error", null, { message: cpuMessage(cpuMs), timeout: true, code: "timeout" });
    }
    if (error.timeout) {
      return finish("error", null, { message: timeoutMessage(request.timeoutMs), timeout: true, code: "timeout" });
    }
    // The cockpit refused what the sandbox sent although the sandbox's own checks passed it.
    if (record.violations.length > 0) {
      return finish("error", null, { message: `the sandbox sent data the cockpit refused: ${record.violations.join("; ")}` });
    }
    const stack = error.stack === undefined ? undefined : userPositions(error.stack, instrumented);
    const message = outcome.loadFailed ? `${ACTIONS_MODULE} could not be loaded: ${error.name}: ${error.message}` : error.message;
    const code = !outcome.loadFailed && typeof error.code === "string" && ERROR_CODE.test(error.code) ? error.code : undefined;
    return finish("error", null, { message, ...(stack === undefined ? {} : { stack }), ...(code === undefined ? {} : { code }) });
  }

  if (record.violations.length > 0) {
    return finish("error", null, { message: `the sandbox sent data the cockpit refused: ${record.violations.join("; ")}` });
  }
  const json = outcome.resultJson ?? "null";
  if (json.length > SANDBOX_LIMITS.maxResultBytes) {
    return finish("error", null, { message: `the action's return value is larger than ${SANDBOX_LIMITS.maxResultBytes} bytes of JSON` });
  }
  if (outcome.defaulted) {
    record.add("info", "msg", `action "${request.action}" is not defined in ${ACTIONS_MODULE}; the AYS default (a no-op) ran`);
  }
  let result: unknown;
  try {
    result = JSON.parse(json) as unknown;
  } catch {
    // Only an action that replaced JSON.stringify in its own isolate gets here.
    return finish("error", null, { message: "the sandbox sent a return value that is not JSON" });
  }
  return finish("ok", result);
}
