/**
 * What the bot does to repositories, blueprints, services and runs: the same actor methods the
 * REST routes (src/routes/ays.ts) call, audited under the member's name on the `telegram` channel.
 */
import { createRepository, deleteRepository, repositoryActor } from "../actors/repositories.ts";
import type { Result } from "../actors/results.ts";
import type { RunRecord } from "../runs/model.ts";
import type { Cockpit } from "./context.ts";

export function orgActor(cp: Cockpit) {
  return cp.env.ORGANIZATION.getByName(cp.org);
}

export function repoActor(cp: Cockpit, repo: string) {
  return repositoryActor(cp.env, cp.org, repo);
}

export async function audit(cp: Cockpit, type: string, repo: string | null, message: string, data?: Record<string, unknown>): Promise<void> {
  await orgActor(cp)
    .record({ type, repo, by: cp.link?.user ?? "telegram", channel: "telegram", message, data: data ?? null })
    .catch((err: unknown) => console.error("audit failed", String(err)));
}

export { createRepository, deleteRepository };

/** Runs cross RPC as JSON whose open-ended `result` workers-types cannot map; this restores the type. */
export function runResult(result: unknown): Result<RunRecord> {
  return result as Result<RunRecord>;
}
