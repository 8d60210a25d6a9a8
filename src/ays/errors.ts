/**
 * The one error type of the AYS engine. Every rejection names the file it came from (a blueprint,
 * a template file, or a pseudo-file such as "run"), the key inside it, and why, so that a user who
 * only sees the message can find and fix the offending line.
 */
export interface AysErrorInit {
  file: string;
  key?: string;
  reason: string;
  line?: number;
  column?: number;
}

export class AysError extends Error {
  readonly file: string;
  readonly key?: string;
  readonly reason: string;
  readonly line?: number;
  readonly column?: number;

  constructor(init: AysErrorInit) {
    super(formatAysError(init));
    this.name = "AysError";
    this.file = init.file;
    this.reason = init.reason;
    // Assigned only when present so that `"key" in err` and JSON output stay honest.
    if (init.key !== undefined) this.key = init.key;
    if (init.line !== undefined) this.line = init.line;
    if (init.column !== undefined) this.column = init.column;
  }
}

/** `${file}[:${line}:${column}]: [${key}: ]${reason}` */
export function formatAysError(init: AysErrorInit): string {
  let where = init.file;
  if (init.line !== undefined) {
    where += `:${init.line}`;
    if (init.column !== undefined) where += `:${init.column}`;
  }
  return init.key !== undefined && init.key !== ""
    ? `${where}: ${init.key}: ${init.reason}`
    : `${where}: ${init.reason}`;
}

export function isAysError(err: unknown): err is AysError {
  return err instanceof AysError;
}
