/**
 * The secret store, as every channel uses it (the `/ays` API, the console): values are sealed here,
 * in the Worker, before any actor sees them, and never come back out (src/actors/secrets.ts).
 * `repo` null is the organization's own secrets.
 */
import type { CockpitConfig } from "../config/schema.ts";
import { sealSecret } from "../secrets/crypto.ts";
import { secretNameProblem, secretPlace, secretValueProblem, MAX_SECRET_BYTES, type SecretInfo } from "../secrets/names.ts";
import { ApiError } from "./errors.ts";
import { organization, repository, type Scope } from "./repository.ts";

async function store(scope: Scope, repo: string | null) {
  return repo === null ? organization(scope) : repository(scope, repo);
}

function keysOf(config: CockpitConfig) {
  if (!config.secrets) throw new ApiError(503, "secrets_not_configured", "this cockpit has no [secrets] key (a Worker secret, SECRETS_KEY): it cannot store secrets");
  return config.secrets;
}

function checkName(name: string): void {
  const problem = secretNameProblem(name);
  if (problem) throw new ApiError(400, "invalid_name", problem);
}

/** Stores a value (sealed), replacing any earlier one. */
export async function putSecret(scope: Scope, config: CockpitConfig, repo: string | null, name: string, value: unknown, by: string): Promise<{ created: boolean; info: SecretInfo }> {
  checkName(name);
  const problem = secretValueProblem(value);
  if (problem) throw new ApiError(problem.includes(`${MAX_SECRET_BYTES} bytes`) ? 413 : 400, problem.includes(`${MAX_SECRET_BYTES} bytes`) ? "too_large" : "invalid_value", problem);
  const keys = keysOf(config);
  const target = await store(scope, repo);
  const sealed = await sealSecret(keys, secretPlace(scope.org, repo, name), value as string);
  const reply = await target.secrets({ op: "put", name, sealed, by });
  if (reply.op !== "put") throw new Error("secret store: unexpected reply");
  if ("refused" in reply) throw new ApiError(409, "too_many", reply.refused);
  return { created: reply.created, info: reply.info };
}

/** Deletes a secret; 404 when there is none of that name. */
export async function deleteSecret(scope: Scope, repo: string | null, name: string): Promise<void> {
  checkName(name);
  const reply = await (await store(scope, repo)).secrets({ op: "delete", name });
  if (reply.op !== "delete" || !reply.deleted) throw new ApiError(404, "not_found", `no secret ${name} ${repo === null ? "in the organization" : `in repository ${repo}`}`);
}

/** Names, who set them and when: never values. */
export async function listSecrets(scope: Scope, repo: string | null): Promise<SecretInfo[]> {
  const reply = await (await store(scope, repo)).secrets({ op: "list" });
  return reply.op === "list" ? reply.secrets : [];
}
