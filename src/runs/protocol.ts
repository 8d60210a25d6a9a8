/**
 * The messages between a RepositoryActor and its ServiceActors: the job it hands over (`startJob`),
 * the outcome reported back (`jobFinished`), and the recurring actions a service runs on its own
 * (`setRecurring`). Plain JSON types, imported by both actors.
 */
import type { SandboxFieldDef, SandboxFile, SandboxService } from "../sandbox/types.ts";
import type { JobFile, Json, LogEntry } from "./model.ts";

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
  /** config.yaml `secrets:`: the secrets the action may read (job.secrets.get). */
  secrets?: string[];
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
