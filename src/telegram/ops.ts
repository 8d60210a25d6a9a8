/**
 * What the bot does to repositories, blueprints, services and runs: the same actor methods and
 * operations (src/operations) the REST routes call, audited under the member's name on the `telegram` channel.
 */
import { createRepository, deleteRepository, repositoryActor } from "../actors/repository-lifecycle.ts";
import { audit as record } from "../operations/audit.ts";
import { organization } from "../operations/repository.ts";
import type { Cockpit } from "./context.ts";

export function orgActor(cp: Cockpit) {
  return organization(cp);
}

export function repoActor(cp: Cockpit, repo: string) {
  return repositoryActor(cp.env, cp.org, repo);
}

export async function audit(cp: Cockpit, type: string, repo: string | null, message: string, data?: Record<string, unknown>): Promise<void> {
  await record(cp, { by: cp.link?.user ?? "telegram", channel: "telegram" }, type, repo, message, data);
}

export { createRepository, deleteRepository };
export { runResult } from "../operations/results.ts";
