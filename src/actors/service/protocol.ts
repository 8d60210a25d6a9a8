/**
 * What the ServiceActor takes and gives: a job to run (from its RepositoryActor), the outcome it
 * reports back, recurring actions, and the view of a job that the API and the console show.
 */
import type { JobRowState } from "../../runs/job-row.ts";
import type { Json, LogEntry } from "../../runs/model.ts";

/** The job spec, outcome and recurring actions are the run queue's protocol, defined in src/runs. */
export type { JobOutcome, JobSpec, RecurringAction } from "../../runs/protocol.ts";

export interface JobView {
  key: string;
  run: string;
  action: string;
  attempt: number;
  /** `waiting`: the action asked a question (job.ask) and runs again with the answer. */
  state: JobRowState;
  started: number | null;
  ended: number | null;
  logs: LogEntry[];
  result: Json;
}
