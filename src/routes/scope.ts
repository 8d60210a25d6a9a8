/** What a request acts on and as whom, for the operations (src/operations) the routes call. */
import type { Context } from "hono";
import { audit, type Actor } from "../operations/audit.ts";
import type { Scope } from "../operations/repository.ts";
import type { AppEnv } from "./env.ts";

/** The configured organization, with the Worker's bindings. */
export function scopeOf(c: Context<AppEnv>): Scope {
  return { env: c.env, org: c.get("config").oauth.organization };
}

/** The caller: the console's session tokens come from the web channel; any other token is a direct API client. */
export function actorOf(c: Context<AppEnv>): Actor {
  const caller = c.get("caller");
  return { by: caller.user, channel: caller.session ? "web" : "api" };
}

/** Records what the caller did in the audit log, after the answer: a failed record does not fail the request. */
export function auditRequest(c: Context<AppEnv>, type: string, repo: string | null, message: string, data?: Record<string, unknown>): void {
  c.executionCtx.waitUntil(audit(scopeOf(c), actorOf(c), type, repo, message, data));
}
