/**
 * A job reads a secret (job.secrets.get, through src/sandbox/host.ts): the repository's secret of
 * that name, else the organization's, opened here with the Worker's `[secrets]` keys at read time,
 * and the read recorded in the organization's audit log (which job, which name; never the value).
 */
import { configFromBindings } from "../config/index.ts";
import { openSecret } from "../secrets/crypto.ts";
import { secretPlace } from "../secrets/names.ts";

export interface SecretReadingJob {
  repo: { org: string; name: string };
  runKey: string;
  jobKey: string;
  action: string;
  service: { key: string };
}

export async function readJobSecret(env: Env, job: SecretReadingJob, name: string): Promise<string> {
  const keys = configFromBindings(env).secrets;
  if (!keys) throw new Error("job.secrets.get: this cockpit has no [secrets] key, so it holds no secrets");
  const { org, name: repo } = job.repo;
  const organization = env.ORGANIZATION.getByName(org);
  let from: "repository" | "organization" = "repository";
  let reply = await env.REPOSITORY.getByName(`${org}/${repo}`).secrets({ op: "get", name });
  if (reply.op === "get" && reply.sealed === null) {
    from = "organization";
    reply = await organization.secrets({ op: "get", name });
  }
  const sealed = reply.op === "get" ? reply.sealed : null;
  if (!sealed) throw new Error(`job.secrets.get: no secret ${name} in repository ${repo} or in the organization`);
  const value = await openSecret(keys, secretPlace(org, from === "repository" ? repo : null, name), sealed);
  await organization.record({
    type: "secret.read",
    repo,
    by: `job ${job.jobKey}`,
    channel: "system",
    message: `job ${job.jobKey} (${job.service.key} ${job.action}) read secret ${name} of the ${from}`,
    data: { job: job.jobKey, run: job.runKey || null, service: job.service.key, action: job.action, secret: name, from },
  });
  return value;
}
