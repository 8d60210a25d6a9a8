/**
 * What the bot does to repositories, blueprints, services and runs: the same actor methods and
 * operations (src/operations) the REST routes call, audited under the member's name on the `telegram` channel.
 * The answers that cross RPC with types workers-types cannot map are given their types back here.
 */
import { MAX_PAGE } from "../actors/paging.ts";
import { createRepository, deleteRepository, repositoryActor } from "../actors/repository-lifecycle.ts";
import type { ServiceQuery, ServiceView } from "../actors/repository/views.ts";
import type { Result } from "../actors/results.ts";
import { audit as record } from "../operations/audit.ts";
import { organization } from "../operations/repository.ts";
import type { Cockpit } from "./context.ts";

export function orgActor(cp: Cockpit) {
  return organization(cp);
}

export function repoActor(cp: Cockpit, repo: string) {
  return repositoryActor(cp.env, cp.org, repo);
}

export type RepoActor = ReturnType<typeof repoActor>;

export async function audit(cp: Cockpit, type: string, repo: string | null, message: string, data?: Record<string, unknown>): Promise<void> {
  await record(cp, { by: cp.link?.user ?? "telegram", channel: "telegram" }, type, repo, message, data);
}

export { createRepository, deleteRepository };

export { runResult } from "../operations/results.ts";

/** A page of the services; workers-types cannot map their open-ended `data` across RPC, this restores the type. */
export async function servicesPage(actor: RepoActor, query: ServiceQuery): Promise<{ services: ServiceView[]; next: string | null }> {
  return (await actor.listServices(query)) as unknown as { services: ServiceView[]; next: string | null };
}

/** The services a blueprint created, read page by page. */
export async function servicesOfBlueprint(actor: RepoActor, name: string): Promise<ServiceView[]> {
  const found: ServiceView[] = [];
  let after: string | undefined;
  do {
    const page = await servicesPage(actor, { limit: MAX_PAGE, ...(after ? { after } : {}) });
    found.push(...page.services.filter((s) => s.blueprint === name));
    after = page.next ?? undefined;
  } while (after);
  return found;
}

/** `role!instance` names one service, `@role` every service of a role (the original's keys; the first MAX_PAGE of them). */
export async function matchServices(actor: RepoActor, key: string): Promise<ServiceView[]> {
  if (key.startsWith("@")) return (await servicesPage(actor, { role: key.slice(1), limit: MAX_PAGE })).services;
  const bang = key.indexOf("!");
  if (bang < 1) return [];
  const found = (await actor.getService(key.slice(0, bang), key.slice(bang + 1))) as unknown as Result<ServiceView>;
  return found.ok ? [found.value] : [];
}
