/**
 * What a RepositoryActor sends its ServiceActors: jobs to run and runs to drop. Both are best effort
 * and safe to repeat: the watchdog alarm sends again what is still open.
 */
import type { JobSpec } from "../../runs/protocol.ts";

function errorOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * How many jobs go out at once: a step is dispatched this many jobs per decision, and a list of specs
 * (the watchdog's re-send of a wide step) is sent this many RPCs at a time, so one repository never
 * has a thousand calls in flight or holds its isolate while they are made (issue 18).
 */
export const DISPATCH_CHUNK = 50;

/**
 * Each ServiceActor persists the job before returning, so a lost reply is harmless: the watchdog
 * sends the same spec again and the ServiceActor recognises it by key and attempt.
 */
export async function sendJobs(env: Env, specs: JobSpec[]): Promise<void> {
  for (let i = 0; i < specs.length; i += DISPATCH_CHUNK) {
    await Promise.all(
      specs.slice(i, i + DISPATCH_CHUNK).map((spec) =>
        env.SERVICE.getByName(spec.actorName)
          .startJob(spec)
          .catch((err: unknown) => console.error(`startJob ${spec.jobKey} failed, the watchdog will retry`, errorOf(err))),
      ),
    );
  }
}

/**
 * Has the ServiceActors of repository `repoPath` (`org/repo`) end their open jobs of run `runKey`
 * (all of them when null). One that cannot be reached is logged.
 */
export async function cancelServiceJobs(env: Env, repoPath: string, services: string[], runKey: string | null, reason: string): Promise<void> {
  await Promise.all(
    services.map((service) =>
      env.SERVICE.getByName(`${repoPath}/${service}`)
        .cancelJobs(runKey, reason)
        .catch((err: unknown) => console.error(`cancelJobs of ${service} failed`, errorOf(err))),
    ),
  );
}
