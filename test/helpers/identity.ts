/**
 * Cockpit with another `[oauth]` than the worker project's: the same bindings (actors, queues, R2,
 * the `[auth]` secrets), with COCKPIT_CONFIG's `[oauth]` table replaced, sent through the Worker's
 * own default export. The config is cached by binding values, so each env validates once.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import worker from "../../src/index.ts";
import type { CockpitConfigInput } from "../../src/config/index.ts";
import { Browser } from "./browser.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** From test/node/identity-fakes-setup.ts: GitHub on 127.0.0.1 and its OAuth app. */
    githubFake: { root: string; clientId: string; clientSecret: string };
    /** From test/node/identity-fakes-setup.ts: a Cloudflare Access team on 127.0.0.1 and its application's AUD. */
    accessFake: { origin: string; aud: string };
  }
}

export const githubFake = inject("githubFake");
export const accessFake = inject("accessFake");

type OAuthTable = CockpitConfigInput["oauth"];

/** The worker project's bindings with `[oauth]` = `oauth` (and the client secret as its own binding). */
export function envWithOAuth(oauth: OAuthTable): Env {
  const plain = JSON.parse(env.COCKPIT_CONFIG!) as Record<string, unknown>;
  const { client_secret, ...rest } = oauth;
  plain.oauth = rest;
  const bindings: Record<string, unknown> = { ...env, COCKPIT_CONFIG: JSON.stringify(plain) };
  if (client_secret === undefined) delete bindings.OAUTH_CLIENT_SECRET;
  else bindings.OAUTH_CLIENT_SECRET = client_secret;
  return bindings as unknown as Env;
}

/** Sends a request through the Worker with `bindings`, waiting for what it left running. */
export function workerWith(bindings: Env): (request: Request) => Promise<Response> {
  return async (request) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch!(request as Request<unknown, IncomingRequestCfProperties>, bindings, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/** A browser whose requests reach the Worker running with `bindings`. */
export function browserWith(bindings: Env): Browser {
  return new Browser(workerWith(bindings));
}
