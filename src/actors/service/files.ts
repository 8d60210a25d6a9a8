/**
 * Where a service's job files live in R2: every result file of its jobs is under one prefix of its
 * own, `jobs/<scope>.<jobKey>-<attempt>/out/<name>` (the scope is derived from the ServiceActor's
 * name), so deleting the service deletes them by listing that prefix. Job keys (`run-1.1.1`) repeat
 * across repositories and services: without the scope, two services' files would share keys.
 */
import { deletePrefix } from "../../files/prefix.ts";
import { sha256Hex } from "../sha256.ts";

/** 80 bits of the SHA-256 of the ServiceActor's name (`org/repo/role!instance`). */
export function filesScope(actorName: string): string {
  return sha256Hex(actorName).slice(0, 20);
}

/** The job key the sandbox writes result files under: jobs/<this>/out/<name>. */
export function sandboxJobKey(spec: { actorName: string; jobKey: string; attempt: number }): string {
  return `${filesScope(spec.actorName)}.${spec.jobKey}-${spec.attempt}`;
}

/**
 * Deletes every job file of the service: those under its prefix, and `listed` (the keys its job rows
 * name, for files written before the prefix existed).
 */
export async function deleteServiceFiles(bucket: R2Bucket, actorName: string, listed: readonly string[]): Promise<number> {
  const { deleted } = await deletePrefix(bucket, `jobs/${filesScope(actorName)}.`, { pages: Number.MAX_SAFE_INTEGER });
  const legacy = [...new Set(listed)].filter((key) => key.startsWith("jobs/") && !key.startsWith(`jobs/${filesScope(actorName)}.`));
  for (let i = 0; i < legacy.length; i += 1000) await bucket.delete(legacy.slice(i, i + 1000));
  return deleted + legacy.length;
}
