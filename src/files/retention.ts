/**
 * Retention of stored files. Objects that may not live forever carry an `expires` date in their
 * custom metadata when they are written: raw mail and attachments (`[mail] retention_days`) and job
 * result files (config.yaml `max_storage_hours`). The Worker's cron trigger sweeps them here.
 */

/** Pages of 1,000 keys one sweep looks at; the next cron run picks up where a long bucket left off. */
const MAX_PAGES = 50;

export interface SweepReport {
  scanned: number;
  deleted: number;
  /** Whether the whole bucket was looked at (false: more pages remain for the next sweep). */
  complete: boolean;
}

/** Deletes every object whose `expires` metadata lies before `now`. */
export async function sweepExpiredFiles(bucket: R2Bucket, now = Date.now()): Promise<SweepReport> {
  let cursor: string | undefined;
  let scanned = 0;
  let deleted = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    // `include` is what makes R2 return custom metadata in a listing.
    const listing = await bucket.list({ limit: 1000, include: ["customMetadata"], ...(cursor ? { cursor } : {}) });
    scanned += listing.objects.length;
    const expired = listing.objects
      .filter((object) => {
        const expires = object.customMetadata?.expires;
        return expires !== undefined && Date.parse(expires) < now;
      })
      .map((object) => object.key);
    if (expired.length > 0) {
      await bucket.delete(expired);
      deleted += expired.length;
    }
    if (!listing.truncated) return { scanned, deleted, complete: true };
    cursor = listing.cursor;
  }
  return { scanned, deleted, complete: false };
}
