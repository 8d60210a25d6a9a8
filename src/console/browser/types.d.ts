/**
 * What the console's script reads from the `/ays` API and the run stream: only the fields it uses.
 * The Worker's own types (src/actors, src/routes) are not imported, so that this folder is checked
 * with the DOM's types alone.
 */

/** What `api()` throws for an answer that is not 2xx: the API's reason, its status and its body. */
interface ApiFailure extends Error {
  status?: number;
  data?: { error?: string; code?: string } | null;
}

/** The blueprint editor's check (`POST …/blueprint/{bp}/check`), or a refused save's body. */
interface BlueprintCheck {
  valid?: boolean;
  line?: number;
  column?: number;
  key?: string;
  reason?: string;
  error?: string;
}

interface LogLine {
  level: string;
  log: string;
}

/** A log line on the run stream (`log` event). */
interface StreamLogLine extends LogLine {
  job: string;
  index?: number;
}

interface JobFile {
  key: string;
  name: string;
  size: number;
}

interface RunJob {
  key: string;
  service: string;
  action: string;
  state: string;
  attempts: number;
  started?: number | null;
  ended?: number | null;
  inputs?: JobFile[];
  files?: JobFile[];
  logs: LogLine[];
  log_count?: number;
}

interface RunFailure {
  job: string;
  service: string;
  action: string;
  logs?: LogLine[];
}

interface RunView {
  key: string;
  state: string;
  simulate?: boolean;
  logs_omitted?: boolean;
  steps: { jobs: RunJob[] }[];
  errors?: RunFailure[];
}

interface HTMLElement {
  /** A job body's stream lines that arrived while its log was being fetched (run-view.js). */
  pending?: StreamLogLine[] | null;
}
