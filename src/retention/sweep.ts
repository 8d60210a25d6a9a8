/**
 * The hourly retention sweep (the Worker's cron, src/index.ts): storage stays bounded by `[retention]`.
 *
 * How it reaches every actor without one invocation doing unbounded work: the cron asks the
 * OrganizationActor to prune its own log, logins and sessions (at most ROWS_PER_SWEEP rows a table)
 * and to hand out the next page of repositories (REPOSITORIES_PER_SWEEP, resuming where the last
 * sweep stopped); each of those RepositoryActors prunes its old runs (RUNS_PER_SWEEP) and tells each
 * of its ServiceActors to prune its job rows. The cron invocation thus makes one call per
 * repository of its page; each repository one per service it holds, which it already does to sync
 * recurring actions. Job rows, the storage that grows fastest (a one-minute monitor: 1,440 a day),
 * are also pruned by each ServiceActor's own alarm after its jobs, so they never wait for the sweep.
 */
import { configFromBindings } from "../config/index.ts";

/** RepositoryActors the sweep calls at once. */
const FAN_OUT = 10;

export interface RetentionSweepReport {
  events: number;
  logins: number;
  sessions: number;
  repositories: number;
  runs: number;
  runJobs: number;
  services: number;
  jobs: number;
  code: number;
  /** Repositories and services that could not be reached; the next sweeps try again. */
  failed: string[];
}

export async function sweepRetention(env: Env, now = Date.now()): Promise<RetentionSweepReport> {
  const config = configFromBindings(env);
  const org = config.oauth.organization;
  const own = await env.ORGANIZATION.getByName(org).pruneRetention(config.retention, now);
  const report: RetentionSweepReport = {
    events: own.events, logins: own.logins, sessions: own.sessions,
    repositories: 0, runs: 0, runJobs: 0, services: 0, jobs: 0, code: 0, failed: [],
  };
  for (let i = 0; i < own.repositories.length; i += FAN_OUT) {
    await Promise.all(
      own.repositories.slice(i, i + FAN_OUT).map(async (name) => {
        try {
          const pruned = await env.REPOSITORY.getByName(`${org}/${name}`).prune(config.retention, now);
          report.repositories++;
          report.runs += pruned.runs;
          report.runJobs += pruned.runJobs;
          report.services += pruned.services;
          report.jobs += pruned.jobs;
          report.code += pruned.code;
          report.failed.push(...pruned.failed.map((s) => `${name}/${s}`));
        } catch (err) {
          console.error(`retention: repository ${name} not pruned`, err instanceof Error ? err.message : String(err));
          report.failed.push(name);
        }
      }),
    );
  }
  return report;
}
