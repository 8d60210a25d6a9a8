/**
 * `GET /oauth/callback`: where the identity provider sends the browser back. It finishes the flow
 * started by `authorizeUrl` (src/auth/oauth.ts) and hands the member to the feature that asked
 * (the bot's `/start`, the console's `/login`), or shows the person a page that says what went wrong.
 */
import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Channel } from "../actors/organization.ts";
import { AuthError } from "../auth/jwt.ts";
import { ACCESS_COOKIE as CF_ACCESS_COOKIE, ACCESS_HEADER, accessAssertion } from "../auth/providers/cloudflare-access.ts";
import { exchangeCode, OAuthError, readState, type OAuthErrorCode, type OAuthPurpose, type OAuthPurposeKind, type SignInStep } from "../auth/oauth.ts";
import { sealGrant } from "../auth/provider-grant.ts";
import { messagePage, type FinishedSignIn, type PurposeHandler, type PurposeHandlers } from "../auth/sign-in-purpose.ts";
import type { AppEnv } from "./env.ts";

const STATUS: Record<OAuthErrorCode, ContentfulStatusCode> = {
  not_configured: 503,
  state_invalid: 400,
  state_expired: 400,
  state_replayed: 400,
  denied: 403,
  exchange_failed: 502,
  not_member: 403,
  provider_unavailable: 503,
  token_invalid: 502,
};

const CHANNEL: Record<OAuthPurposeKind, Channel> = { telegram: "telegram", web: "web" };

function describePurpose(purpose: OAuthPurpose): string {
  return purpose.kind === "telegram" ? `telegram user ${purpose.from}` : "web console";
}

/** The provider's `error` and `error_description` from the callback's query, short and on one line. */
function providerSaid(error: string, description: string | undefined): string {
  return (description ? `${error}: ${description}` : error).replace(/\s+/g, " ").slice(0, 300);
}

/** Every refused sign-in is in the audit log (`signin.failed`, with its code and reason) and the Worker's log. */
export async function recordRefusal(c: Context<AppEnv>, err: OAuthError, purpose: OAuthPurpose | undefined): Promise<void> {
  const channel = purpose ? CHANNEL[purpose.kind] : "web";
  console.warn(`signin.failed ${err.code} (${purpose ? describePurpose(purpose) : "unknown purpose"}): ${err.message}`);
  const org = c.env.ORGANIZATION.getByName(c.get("config").oauth.organization);
  await org
    .record({ type: "signin.failed", repo: null, by: purpose ? describePurpose(purpose) : "unknown", channel, message: `sign-in refused: ${err.message}`, data: { code: err.code, reason: err.message } })
    .catch((e: unknown) => console.error("recording a refused sign-in failed", e instanceof Error ? e.message : String(e)));
}

/** The callback route; each purpose's handler is registered by the feature that starts such sign-ins. */
export function createOAuthRoutes(handlers: PurposeHandlers) {
  const app = new Hono<AppEnv>();
  const handlerOf = (purpose: OAuthPurpose) => handlers[purpose.kind] as PurposeHandler<typeof purpose.kind> | undefined;

  /** Tells the purpose's feature a sign-in was refused; the person's page says why either way. */
  const alreadyTold = new WeakSet<OAuthError>();
  async function told(c: Context<AppEnv>, err: OAuthError, purpose: OAuthPurpose | undefined): Promise<OAuthError> {
    if (alreadyTold.has(err)) return err;
    alreadyTold.add(err);
    const known = err.purpose ?? purpose;
    await recordRefusal(c, err, known);
    const handler = known ? handlerOf(known) : undefined;
    if (known && handler?.refused) {
      // Telling the chat is a courtesy: the page is the answer either way.
      await handler.refused(c, known as never, err).catch((e: unknown) => console.error("oauth refused hook failed", e instanceof Error ? e.message : String(e)));
    }
    return err;
  }

  /** Everything after the state was read and admitted: spend it, exchange the code, record the login. */
  async function finish(c: Context<AppEnv>, read: { purpose: OAuthPurpose; id: string; expires: number }, onStep: (step: SignInStep) => void): Promise<FinishedSignIn> {
    const config = c.get("config");
    const org = c.env.ORGANIZATION.getByName(config.oauth.organization);
    const purpose = read.purpose;
    try {
      if (!(await org.useOAuthState(read.id, read.expires))) {
        throw new OAuthError("state_replayed", "this sign-in link was used already: start again", purpose);
      }
      const providerError = c.req.query("error");
      if (providerError) throw new OAuthError("denied", `the identity provider did not authorize the sign-in (${providerSaid(providerError, c.req.query("error_description"))})`, purpose);
      const code = c.req.query("code");
      if (!code) throw new OAuthError("state_invalid", "the identity provider sent no code: start again", purpose);
      const assertion = accessAssertion(c.req.header(ACCESS_HEADER), getCookie(c, CF_ACCESS_COOKIE));
      const { user, grant } = await exchangeCode(config, code, c.req.query("state")!, new URL(c.req.url).origin, purpose, onStep, assertion);
      // Sealed before anything is recorded: a cockpit that cannot keep it refuses now, not halfway.
      const sealed = await sealGrant(config, grant).catch((err: unknown) => {
        throw err instanceof AuthError ? new OAuthError("not_configured", err.message, purpose) : err;
      });
      await org.recordLogin(user, CHANNEL[purpose.kind], describePurpose(purpose));
      return { user, grant: sealed };
    } catch (err) {
      throw err instanceof OAuthError ? await told(c, err, purpose) : err;
    }
  }

  app.get("/callback", async (c) => {
    let purpose: OAuthPurpose | undefined;
    try {
      const read = await readState(c.get("config"), c.req.query("state"));
      purpose = read.purpose;
      const handler = handlerOf(purpose);
      await handler?.admit?.(c, purpose as never);
      const page = handler?.progress?.(c, purpose as never, (onStep) => finish(c, read, onStep));
      if (page) return page;
      const { user, grant } = await finish(c, read, () => {});
      if (!handler) return messagePage(c, 200, "Signed in", `Signed in as ${user}.`);
      return await handler.authorized(c, purpose as never, user, grant);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      await told(c, err, purpose);
      return messagePage(c, STATUS[err.code], "Sign-in refused", err.message);
    }
  });

  return app;
}
