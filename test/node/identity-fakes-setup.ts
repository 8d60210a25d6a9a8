/**
 * Global setup of the `worker` project: GitHub (test/node/github-fake.ts) and a Cloudflare Access
 * team (test/node/access-fake.ts) on 127.0.0.1, each at a port of its own. Tests in workerd run
 * Cockpit with `provider = "github"` or `"cloudflare-access"` pointed at them (test/helpers/identity.ts)
 * and read where they are with `inject`.
 */
import type { TestProject } from "vitest/node";
import { startAccessFake } from "./access-fake.ts";
import { startGitHubFake } from "./github-fake.ts";

declare module "vitest" {
  export interface ProvidedContext {
    githubFake: { root: string; clientId: string; clientSecret: string };
    accessFake: { origin: string; aud: string };
  }
}

export default async function setup(project: TestProject) {
  const github = await startGitHubFake();
  const access = await startAccessFake();
  project.provide("githubFake", { root: github.root, clientId: github.clientId, clientSecret: github.clientSecret });
  project.provide("accessFake", { origin: access.origin, aud: access.aud });
  return async () => {
    await github.stop();
    await access.stop();
  };
}
