/**
 * What a RepositoryActor does for bounded storage: the hourly sweep prunes its old runs and has
 * each of its ServiceActors prune its job rows; deleting services deletes their ServiceActors'
 * storage and job files, and deleting the repository the files uploaded to its jobs. The limits
 * are `[retention]` (src/config/schema.ts).
 */
import type { ServiceModel } from "../../ays/index.ts";
import type { RetentionConfig } from "../../config/schema.ts";
import type { RepositoryStore } from "./store.ts";

/** Runs one sweep deletes at most, per repository: a longer backlog is finished by the next sweeps. */
export const RUNS_PER_SWEEP = 500;
/** ServiceActors called at once. */
const FAN_OUT = 50;

export interface RepositoryPruneReport {
  runs: number;
  runJobs: number;
  services: number;
  jobs: number;
  code: number;
  /** Services that could not be reached (they are pruned by their own alarm, or the next sweep). */
  failed: string[];
}

const DAY_MS = 86_400_000;

/** Calls `fn` on every item, FAN_OUT at a time. */
async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += FAN_OUT) await Promise.all(items.slice(i, i + FAN_OUT).map(fn));
}

/**
 * Whether a service's ServiceActor may hold job rows: one of its actions ran, runs or recurs. Asking
 * the others would only give storage to actors that never had any.
 */
export function mayHaveJobs(service: ServiceModel): boolean {
  return Object.values(service.actions).some((a) => a.lastRun !== null || a.state === "running" || a.period > 0);
}

/** Prunes the repository's runs older than `runs_days` and has each of its services that may hold job rows prune itself. */
export async function pruneRepository(
  env: Env,
  store: RepositoryStore,
  where: { org: string; repo: string },
  retention: RetentionConfig,
  now: number,
): Promise<RepositoryPruneReport> {
  const { runs, jobs: runJobs } = store.pruneRuns(now - retention.runs_days * DAY_MS, RUNS_PER_SWEEP);
  const report: RepositoryPruneReport = { runs, runJobs, services: 0, jobs: 0, code: 0, failed: [] };
  const services = Object.values(store.state().services).filter(mayHaveJobs).map((s) => s.key);
  await inBatches(services, async (key) => {
    try {
      const pruned = await env.SERVICE.getByName(`${where.org}/${where.repo}/${key}`).prune(retention.jobs_per_service);
      report.services++;
      report.jobs += pruned.jobs;
      report.code += pruned.code;
    } catch (err) {
      console.error(`prune of ${key} failed`, err instanceof Error ? err.message : String(err));
      report.failed.push(key);
    }
  });
  return report;
}

/** Deletes the ServiceActors of these services: their storage, alarm and job files. */
export async function destroyServices(env: Env, where: { org: string; repo: string }, keys: readonly string[]): Promise<void> {
  await inBatches(keys, async (key) => {
    const name = `${where.org}/${where.repo}/${key}`;
    await env.SERVICE.getByName(name).destroy(name);
  });
}

/** Deletes these stored files, a thousand keys per call (R2's most). */
export async function deleteFiles(bucket: R2Bucket, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}
