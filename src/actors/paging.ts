/**
 * One way of paging a list an actor answers: at most `limit` items after a cursor, and `next`, the
 * cursor of the following page (null on the last one), as the organization's event log pages.
 * Nothing a list route asks an actor for may grow without bound: a Durable Object RPC answer is
 * limited to 32 MiB.
 */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
/** A service's jobs carry their logs: a page holds fewer unless asked. */
export const DEFAULT_JOBS_PAGE = 50;
/** The organization's audit log and login history page at most this many entries. */
export const LOG_PAGE_MAX = 500;

/** The page size asked for, kept within 1..max (DEFAULT_PAGE when none was asked for). */
export function pageLimit(limit: number | undefined, max = MAX_PAGE, fallback = DEFAULT_PAGE): number {
  return Math.min(Math.max(Math.trunc(limit ?? fallback), 1), max);
}

/**
 * About how many bytes one page may carry: a page of fat items (services with large data, jobs with
 * long logs) ends sooner, so that no answer nears the RPC limit however large its items are.
 */
export const PAGE_BYTES = 8 * 1024 * 1024;

/**
 * Cuts rows read with `limit + 1` to a page: its items, and the cursor of the last one if more follow.
 * With `sizeOf`, the page also ends before the item that would take it past PAGE_BYTES (it holds at
 * least one item).
 */
export function cutPage<T, C>(
  rows: readonly T[],
  limit: number,
  cursorOf: (last: T) => C,
  sizeOf?: (row: T) => number,
): { items: T[]; next: C | null } {
  let end = Math.min(limit, rows.length);
  if (sizeOf) {
    let bytes = 0;
    for (let i = 0; i < end; i++) {
      bytes += sizeOf(rows[i]!);
      if (i > 0 && bytes > PAGE_BYTES) end = i;
    }
  }
  const items = rows.slice(0, end);
  return { items, next: rows.length > end ? cursorOf(items[items.length - 1]!) : null };
}

/** The cursor of a service's jobs (ServiceActor.jobsPage): `started.attempt.key` of the last job of a page. */
export const JOB_CURSOR = /^(\d{1,16})\.(\d{1,9})\.(.{1,300})$/;
