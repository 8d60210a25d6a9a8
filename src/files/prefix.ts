/**
 * Deleting every stored object under a key prefix, a page at a time: what deleting a service
 * (its job files) needs. R2's list returns at most 1,000 keys, and delete takes as many at once.
 */

export interface PrefixDeletion {
  deleted: number;
  /** Whether objects may remain: the page budget ran out first (call again). */
  more: boolean;
}

/** Deletes the objects under `prefix`, at most `pages` pages of `pageSize` keys. */
export async function deletePrefix(bucket: R2Bucket, prefix: string, { pages = 100, pageSize = 1000 }: { pages?: number; pageSize?: number } = {}): Promise<PrefixDeletion> {
  if (!prefix) throw new RangeError("deletePrefix: an empty prefix would delete the whole bucket");
  let deleted = 0;
  for (let page = 0; page < pages; page++) {
    // Always the first page: what was listed before is gone, so no cursor is needed.
    const listing = await bucket.list({ prefix, limit: pageSize });
    const keys = listing.objects.map((o) => o.key);
    if (keys.length) await bucket.delete(keys);
    deleted += keys.length;
    if (!listing.truncated) return { deleted, more: false };
  }
  return { deleted, more: true };
}
