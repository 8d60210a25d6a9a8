/**
 * What the ServiceActor takes and gives: a job to run (from its RepositoryActor), the outcome it
 * reports back, recurring actions, and the view of a job that the API and the console show.
 */
import type { SandboxFieldDef, SandboxFile, SandboxService } from "../../sandbox/index.ts";
import type { JobFile, Json, LogEntry } from "../run-model.ts";

export interface JobSpec {
  /** The ServiceActor's name: `org/repo/role!instance`. */
  actorName: string;
  repo: { org: string; name: string };
  runKey: string;
  jobKey: string;
  attempt: number;
  action: string;
  args: Record<string, unknown>;
  timeoutSeconds: number;
  noexec: boolean;
  code: "js" | "py" | "none";
  actionsJs: string;
  egress: string[];
  schema: SandboxFieldDef[];
  service: SandboxService;
  /** Files the job may read (an email's attachments, for one), stored in R2. */
  inputFiles?: SandboxFile[];
  /** config.yaml `actions.<action>.max_parallel`: jobs of this action running at once in the organization. */
  maxParallel?: number;
  /** config.yaml `actions.<action>.max_storage_hours`: how long the job's result files are kept. */
  storageHours?: number;
}

export interface RecurringAction {
  action: string;
  /** Seconds between two runs. */
  period: number;
}

export interface JobOutcome {
  state: "ok" | "error";
  ended: number;
  logs: LogEntry[];
  result: Json;
  dataPatch: Record<string, unknown>;
  files: JobFile[];
  /** What kind of failure this was, for config.yaml `error_codes` (see ActionOutcome.error.code). */
  errorCode?: string;
}

export interface JobView {
  key: string;
  run: string;
  action: string;
  attempt: number;
  /** `waiting`: the action asked a question (job.ask) and runs again with the answer. */
  state: "pending" | "running" | "waiting" | "ok" | "error";
  started: number | null;
  ended: number | null;
  logs: LogEntry[];
  result: Json;
}
