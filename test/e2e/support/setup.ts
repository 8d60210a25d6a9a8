/**
 * The e2e project's global setup: one Cockpit (wrangler dev) and one real OpenID provider for all
 * browser tests, torn down at the end. Tests read the addresses with `inject("e2e")`.
 */
import type { TestProject } from "vitest/node";
import { ensureChromium } from "./chromium.ts";
import { memberToken, startE2eCockpit } from "./cockpit.ts";

export interface E2eContext {
  base: string;
  provider: string;
  /** A member's (alice's) access token from the provider, valid for two hours. */
  token: string;
  /** The same, expired a minute ago. */
  expiredToken: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2eContext;
  }
}

export default async function setup(project: TestProject) {
  ensureChromium();
  const e2e = await startE2eCockpit();
  project.provide("e2e", {
    base: e2e.cockpit.base,
    provider: e2e.provider.issuer,
    token: await memberToken(e2e.provider),
    expiredToken: await memberToken(e2e.provider, "alice", Math.floor(Date.now() / 1000) - 60),
  });
  return () => e2e.stop();
}
