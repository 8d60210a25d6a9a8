/**
 * The sandbox's public types: what a caller (the ServiceActor) hands in and gets back.
 */

export type SandboxLogLevel = "debug" | "info" | "warning" | "error";
export type SandboxLogCategory = "msg" | "out" | "err" | "alert" | "errormsg" | "trace";

export interface SandboxLogEntry {
  /** Milliseconds since the Unix epoch, as everywhere else in the cockpit. */
  epoch: number;
  level: SandboxLogLevel;
  category: SandboxLogCategory;
  log: string;
}

export interface SandboxService {
  key: string;
  role: string;
  name: string;
  actor: string;
  data: Record<string, unknown>;
  parent: { key: string; data: Record<string, unknown> } | null;
  producers: { key: string; role: string; data: Record<string, unknown> }[];
}

export type SandboxFieldType = "Text" | "Int64" | "Int32" | "UInt64" | "Bool" | "Float64" | "Float32" | "Data";

export interface SandboxFieldDef {
  name: string;
  type: SandboxFieldType;
  list: boolean;
}

export interface SandboxFile {
  name: string;
  /** R2 key in env.FILES. */
  key: string;
  size: number;
  contentType?: string;
}

export interface SandboxArgPart {
  at: string[];
  /** R2 key in env.FILES. */
  key: string;
}

export interface ActionRequest {
  /** Unique per job attempt: names the job's R2 result prefix. */
  jobKey: string;
  /** The template's actions.js source (an ES module; every exported function is an action). */
  code: string;
  /** The exported function to call. */
  action: string;
  service: SandboxService;
  args: Record<string, unknown>;
  /** setData patches are validated against these fields. */
  schema: SandboxFieldDef[];
  /** Host names the action may fetch: exact host, or "*.example.com" for its subdomains. */
  egress: string[];
  /** Wall-clock limit for the action. */
  timeoutMs: number;
  /**
   * CPU time the action may use (default SANDBOX_LIMITS.defaultCpuMs, never more than timeoutMs):
   * the Worker Loader's `limits.cpuMs` in production; locally, the longest the action may hold the
   * thread without waiting for anything.
   */
  cpuMs?: number;
  /** Input files, stored in env.FILES. */
  inputFiles: SandboxFile[];
  /**
   * Parts of `args` that wait in env.FILES as JSON (an event's payload too large for the queue, a
   * GitHub delivery's body): each is read and parsed into `args` at the path `at` inside the
   * sandbox, before the action runs.
   */
  argParts?: SandboxArgPart[];
  /** When the job's result files expire (epoch ms; config.yaml `max_storage_hours`); kept otherwise. */
  filesExpireAt?: number;
  /**
   * Secrets the action may read with `job.secrets.get(name)`: its template's config.yaml `secrets:`.
   * The values come from runAction's `readSecret` at read time, and are masked in what the job gives back.
   */
  secrets?: string[];
}

/** Reads one secret's value for the job (runAction's option); throws with a reason the action sees. */
export type SecretReader = (name: string) => Promise<string>;

/** A question the action asked with job.ask: the job waits for the answer, then runs again with it. */
export interface SandboxQuestion {
  text: string;
  /** A linked member (the original's `ask_telegram(username=...)`). */
  to: { user: string };
  buttons: string[];
  timeoutSeconds: number;
}

export interface ActionOutcome {
  state: "ok" | "error";
  /** JSON-serialisable return value of the action (undefined becomes null). */
  result: unknown;
  logs: SandboxLogEntry[];
  /** Merged, validated setData patches. */
  dataPatch: Record<string, unknown>;
  /** Files the action wrote, stored in env.FILES under jobs/<jobKey>/out/<name>. */
  resultFiles: SandboxFile[];
  /**
   * `code` classifies the failure for config.yaml `error_codes`: `timeout`, or the `code` property of
   * the error the action threw (`Object.assign(new Error("..."), { code: "ECONNRESET" })`).
   */
  error?: { message: string; stack?: string; timeout?: boolean; code?: string };
  /** Set when an action that ended ok asked a question: the job is not done, it waits for the answer. */
  question?: SandboxQuestion;
}
