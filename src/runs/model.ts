/**
 * The run and job records a RepositoryActor keeps (AYS 8.2 `Run`, `RunStep`, `Job`), in the shape the
 * REST API shows them.
 */
/** A JSON value: what a job's result may be (it crosses RPC and is stored as JSON). */
export type Json = string | number | boolean | null | Record<string, unknown>;

export type RunState = "new" | "running" | "ok" | "error" | "cancelled";

const ENDED_STATES: ReadonlySet<string> = new Set<RunState>(["ok", "error", "cancelled"]);

/** Whether a run (or a job: the same states) has ended: ok, error or cancelled. */
export function hasEnded(state: string): boolean {
  return ENDED_STATES.has(state);
}
export type JobState = "new" | "running" | "ok" | "error" | "cancelled";

export interface LogEntry {
  epoch: number;
  level: string;
  category: string;
  log: string;
}

/** A file a job wrote, stored in R2 (env.FILES) under `key`. */
export interface JobFile {
  name: string;
  key: string;
  size: number;
  contentType?: string;
}

export interface JobRecord {
  key: string;
  service: string;
  actor: string;
  action: string;
  state: JobState;
  attempts: number;
  started: number | null;
  ended: number | null;
  logs: LogEntry[];
  result: Json;
  /** Result files of the job's last attempt. */
  files: JobFile[];
  /** Input files handed to the job (uploads with the action, or an email's attachments). */
  inputs?: JobFile[];
  /** The last attempt's failure kind (`timeout`, or the thrown error's `code`), matched by `error_codes`. */
  error_code?: string;
  /** Log lines of the running attempt received live; the outcome replaces them. */
  live_logs?: number;
  /** In a run read without its logs (withoutLogs): how many lines `logs` would hold. */
  log_count?: number;
}

export interface StepRecord {
  number: number;
  state: RunState;
  jobs: JobRecord[];
}

export interface RunRecord {
  key: string;
  state: RunState;
  created: number;
  simulate: boolean;
  /** 1 for runs people asked for, 10 for automatic retries: people go first (AYS RunScheduler). */
  priority: number;
  /** Epoch ms before which a queued retry must not start. */
  not_before: number;
  /** How many times the run has been started (1 + retries). */
  attempt: number;
  by: string;
  /** The run this one repeats (POST …/aysrun/{key}/rerun): its jobs run even where the action is ok. */
  rerun_of?: string;
  steps: StepRecord[];
  /** For a run that ended in error: the failing jobs' last log lines. */
  errors: { job: string; service: string; action: string; logs: LogEntry[] }[];
  /** Set when the jobs' logs were left out (withoutLogs): empty `logs` then say nothing. */
  logs_omitted?: true;
}

/**
 * A copy of the run whose jobs carry no log lines, only their number (`log_count`), flagged
 * `logs_omitted`: what a view of a big run reads, fetching a job's log when it is opened. The next
 * line a stream sends for a job has index `log_count`. A copy, because the cached run is shared.
 */
export function withoutLogs(run: RunRecord): RunRecord {
  return {
    ...run,
    logs_omitted: true,
    steps: run.steps.map((s) => ({ ...s, jobs: s.jobs.map((j) => ({ ...j, logs: [], log_count: j.logs.length })) })),
  };
}

/** AYS RunScheduler's retry table ("total 46min 10sec"); the engine owns it. */
export { DEFAULT_RETRY_DELAYS } from "../ays/index.ts";
/** AYS default job timeout when the action has none (Job.execute). */
export const DEFAULT_TIMEOUT_SECONDS = 3000;
/** How many log lines of a failed job the run view repeats. */
export const ERROR_TAIL_LINES = 10;
