/**
 * The e2e project's global setup: one Cockpit (wrangler dev) and one fake identity provider for all
 * browser tests, torn down at the end. Tests read the addresses with `inject("e2e")`.
 */
import type { TestProject } from "vitest/node";
import { ensureChromium } from "./chromium.ts";
import { startE2eCockpit } from "./cockpit.ts";

export interface E2eContext {
  base: string;
  provider: string;
  /** A member's provider-style token (as ItsYou.online issues them), valid for two hours. */
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
    provider: e2e.provider.base,
    token: await e2e.cockpit.mint({ username: "alice" }),
    expiredToken: await e2e.cockpit.mint({ username: "alice" }, Math.floor(Date.now() / 1000) - 60),
  });
  return () => e2e.stop();
}
