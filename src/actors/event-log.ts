/**
 * The organization's event and audit log (who did what, when, through which channel): its rows are
 * the OrganizationActor's `events` table; these read and write them.
 */
import { cutPage, LOG_PAGE_MAX, pageLimit } from "./paging.ts";

export type Channel = "api" | "web" | "telegram" | "email" | "webhook" | "system";

export interface AuditEntry {
  id: number;
  time: number;
  type: string;
  repo: string | null;
  by: string;
  channel: Channel;
  message: string;
  data: Record<string, unknown> | null;
}

export interface EventQuery {
  type?: string;
  repo?: string;
  /** Only entries with an id greater than this (cursor pagination, oldest first). */
  after?: number;
  /** Only entries with an id less than this (cursor pagination, with `newest`). */
  before?: number;
  /** Only entries at or after this time (epoch ms). */
  since?: number;
  /** Only entries before this time (epoch ms). */
  until?: number;
  /** Newest first, paged with `before`: what a person looking at the log wants first. */
  newest?: boolean;
  limit?: number;
}

/** Appends one entry. @returns its id */
export function recordEvent(sql: SqlStorage, entry: Omit<AuditEntry, "id" | "time">): number {
  return sql
    .exec<{ id: number }>(
      "INSERT INTO events(time, type, repo, by, channel, message, data) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      Date.now(), entry.type, entry.repo, entry.by, entry.channel, entry.message,
      entry.data ? JSON.stringify(entry.data) : null,
    )
    .one().id;
}

/** Every event type the log holds, for filters to offer. */
export function eventTypes(sql: SqlStorage): string[] {
  return sql.exec<{ type: string }>("SELECT DISTINCT type FROM events ORDER BY type").toArray().map((r) => r.type);
}

/**
 * One page of the log, oldest first after the cursor (or newest first before it, with `newest`);
 * `next` is the cursor for the following page.
 */
export function readEvents(sql: SqlStorage, query: EventQuery): { events: AuditEntry[]; next: number | null } {
  const limit = pageLimit(query.limit, LOG_PAGE_MAX);
  const where: string[] = ["id > ?"];
  const params: SqlStorageValue[] = [query.after ?? 0];
  if (query.before !== undefined) (where.push("id < ?"), params.push(query.before));
  if (query.type) (where.push("type = ?"), params.push(query.type));
  if (query.repo) (where.push("repo = ?"), params.push(query.repo));
  if (query.since !== undefined) (where.push("time >= ?"), params.push(query.since));
  if (query.until !== undefined) (where.push("time < ?"), params.push(query.until));
  const rows = sql
    .exec<{ id: number; time: number; type: string; repo: string | null; by: string; channel: string; message: string; data: string | null }>(
      `SELECT * FROM events WHERE ${where.join(" AND ")} ORDER BY id ${query.newest ? "DESC" : ""} LIMIT ?`,
      ...params, limit + 1,
    )
    .toArray();
  const page = cutPage(rows, limit, (r) => r.id);
  const events = page.items.map((r) => ({
    ...r,
    channel: r.channel as Channel,
    data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
  }));
  return { events, next: page.next };
}
