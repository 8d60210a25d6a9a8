/**
 * The OrganizationActor's part of bounded storage: the hourly sweep deletes what `[retention]` no
 * longer keeps of its event and audit log, its login history and its ended sessions, a bounded
 * number of rows per sweep, and hands out the repositories to visit next, a page per sweep.
 */
import type { RetentionConfig } from "../config/schema.ts";
import { payloadKeyOfLogEntry } from "../events/payloads.ts";

/** Rows one sweep deletes at most per table; a longer backlog is finished by the next sweeps. */
export const ROWS_PER_SWEEP = 20_000;
/** Repositories one sweep visits; the next sweep goes on after the last one (then starts over). */
export const REPOSITORIES_PER_SWEEP = 100;
const BATCH = 1000;
const DAY_MS = 86_400_000;
const RESUME_KEY = "retention_resume_after";

export interface OrganizationPruneReport {
  events: number;
  logins: number;
  sessions: number;
  /** The repositories this sweep visits. */
  repositories: string[];
}

/**
 * Deletes rows of `table` (an AUTOINCREMENT `id`, and `time` in epoch ms) older than `before`,
 * oldest first. Rows are appended as time goes, so only the oldest ids need looking at: each batch
 * takes the first BATCH ids, and the deletion stops at the first batch that is not all old.
 */
function pruneLog(sql: SqlStorage, table: "logins", before: number): number {
  let deleted = 0;
  while (deleted < ROWS_PER_SWEEP) {
    const n = sql.exec(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} ORDER BY id LIMIT ?) AND time < ?`, BATCH, before).rowsWritten;
    deleted += n;
    if (n < BATCH) break;
  }
  return deleted;
}

/**
 * Deletes log entries older than `before`, like pruneLog, and first the payloads in R2 of the events
 * among them that went by reference (src/events/payloads.ts): a failed R2 delete leaves the entries
 * for the next sweep rather than their payloads behind for good.
 */
async function pruneEvents(sql: SqlStorage, files: R2Bucket, before: number): Promise<number> {
  let deleted = 0;
  while (deleted < ROWS_PER_SWEEP) {
    const rows = sql
      .exec<{ id: number; data: string | null }>("SELECT id, data FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?) AND time < ? ORDER BY id", BATCH, before)
      .toArray();
    if (rows.length === 0) break;
    const keys = rows.flatMap((r) => {
      const key = r.data?.includes('"payload_ref"') ? payloadKeyOfLogEntry(JSON.parse(r.data) as Record<string, unknown>) : undefined;
      return key ? [key] : [];
    });
    if (keys.length) await files.delete(keys);
    const n = sql.exec("DELETE FROM events WHERE id <= ? AND time < ?", rows.at(-1)!.id, before).rowsWritten;
    deleted += n;
    if (rows.length < BATCH) break;
  }
  return deleted;
}

export async function pruneOrganization(storage: DurableObjectStorage, files: R2Bucket, retention: RetentionConfig, now: number): Promise<OrganizationPruneReport> {
  const sql = storage.sql;
  const events = await pruneEvents(sql, files, now - retention.events_days * DAY_MS);
  const logins = pruneLog(sql, "logins", now - retention.logins_days * DAY_MS);
  const endedBefore = now - retention.ended_sessions_days * DAY_MS;
  // A session that expired without being ended counts as ended when it expired.
  const sessions = sql.exec(
    "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE (ended IS NOT NULL AND ended < ?) OR expires < ? LIMIT ?)",
    endedBefore, endedBefore, ROWS_PER_SWEEP,
  ).rowsWritten;
  const after = storage.kv.get<string>(RESUME_KEY) ?? "";
  const repositories = sql
    .exec<{ name: string }>("SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?", after, REPOSITORIES_PER_SWEEP)
    .toArray()
    .map((r) => r.name);
  if (repositories.length === REPOSITORIES_PER_SWEEP) storage.kv.put(RESUME_KEY, repositories.at(-1)!);
  else storage.kv.delete(RESUME_KEY);
  return { events, logins, sessions, repositories };
}
