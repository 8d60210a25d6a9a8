/**
 * Creating and deleting a repository touches two actors (the organization's index and the
 * repository itself); every channel (REST, Telegram) goes through these so they stay one way.
 */

export function repositoryActor(env: Env, org: string, name: string) {
  return env.REPOSITORY.getByName(`${org}/${name}`);
}

/** @returns false when a repository of that name exists already (nothing is changed) */
export async function createRepository(env: Env, org: string, name: string, opts: { git_url?: string; no_exec?: boolean } = {}): Promise<boolean> {
  const git_url = opts.git_url ?? "";
  if (!(await env.ORGANIZATION.getByName(org).addRepository(name, git_url))) return false;
  const stub = repositoryActor(env, org, name);
  await stub.init(org, name, git_url);
  if (opts.no_exec) await stub.setNoExec(true);
  return true;
}

/** Stops and forgets the repository's services and runs, then drops it from the index. */
export async function deleteRepository(env: Env, org: string, name: string): Promise<boolean> {
  const index = env.ORGANIZATION.getByName(org);
  if (!(await index.getRepository(name))) return false;
  await repositoryActor(env, org, name).destroy();
  await index.removeRepository(name);
  return true;
}
