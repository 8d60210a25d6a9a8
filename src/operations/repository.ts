/**
 * Reaching an organization's actors from any channel (the `/ays` API, the console, the bot): the
 * OrganizationActor, and the RepositoryActor of a repository the organization has.
 */
import { repositoryActor } from "../actors/repository-lifecycle.ts";
import { ApiError } from "./errors.ts";

/** Which organization an operation acts on: the Worker's bindings and its name (the bot's Cockpit is one). */
export interface Scope {
  env: Env;
  org: string;
}

export function organization(scope: Scope) {
  return scope.env.ORGANIZATION.getByName(scope.org);
}

/** The RepositoryActor of an existing repository; 404 for one the organization does not have. */
export async function repository(scope: Scope, name: string) {
  const entry = await organization(scope).getRepository(name);
  if (!entry) throw new ApiError(404, "not_found", `no repository ${name}`);
  return repositoryActor(scope.env, scope.org, name);
}
