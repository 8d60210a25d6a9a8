/**
 * Retention of stored files. Objects that may not live forever carry an `expires` date in their
 * custom metadata when they are written: raw mail and attachments (`[mail] retention_days`) and job
 * result files (config.yaml `max_storage_hours`). The Worker's cron trigger sweeps them here.
 */

/** Pages of 1,000 keys one sweep looks at; a longer bucket is finished by the next sweeps. */
export const SWEEP_PAGES = 50;

export interface SweepReport {
  scanned: number;
  deleted: number;
  /**
   * Where the next sweep starts (the last key this one looked at), or null when this sweep reached
   * the end of the bucket. Without it, a bucket longer than one sweep would never see its tail.
   */
  resumeAfter: string | null;
}

/** When a stored object stops being served and becomes due for deletion, if ever. */
export function expiryOf(object: R2Object): number | null {
  const expires = object.customMetadata?.expires;
  if (expires === undefined) return null;
  const time = Date.parse(expires);
  return Number.isNaN(time) ? null : time;
}

/** Deletes every object whose `expires` metadata lies before `now`, from `startAfter` on. */
export async function sweepExpiredFiles(
  bucket: R2Bucket,
  {
    now = Date.now(),
    startAfter,
    pages = SWEEP_PAGES,
    pageSize = 1000,
  }: { now?: number; startAfter?: string | null; pages?: number; pageSize?: number } = {},
): Promise<SweepReport> {
  let cursor: string | undefined;
  let scanned = 0;
  let deleted = 0;
  let last: string | null = startAfter ?? null;
  for (let page = 0; page < pages; page++) {
    // `include` is what makes R2 return custom metadata in a listing.
    const listing = await bucket.list({
      limit: pageSize,
      include: ["customMetadata"],
      ...(cursor ? { cursor } : startAfter ? { startAfter } : {}),
    });
    scanned += listing.objects.length;
    const expired = listing.objects.filter((object) => (expiryOf(object) ?? Infinity) < now).map((object) => object.key);
    if (expired.length > 0) {
      await bucket.delete(expired);
      deleted += expired.length;
    }
    if (!listing.truncated) return { scanned, deleted, resumeAfter: null };
    last = listing.objects.at(-1)?.key ?? last;
    cursor = listing.cursor;
  }
  return { scanned, deleted, resumeAfter: last };
}
