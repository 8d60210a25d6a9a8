import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../operations/errors.ts";
import type { AppEnv } from "../routes/env.ts";
import { isCockpitToken, verifyAccessToken } from "./access-token.ts";
import { apiKeyCaller, isApiKey } from "./api-keys.ts";
import { AuthError, tokenFromRequest, type Caller } from "./jwt.ts";
import { ACCESS_COOKIE as CF_ACCESS_COOKIE, ACCESS_HEADER, AccessRefusal, accessAssertion, accessCaller, NOT_BEHIND_ACCESS } from "./providers/cloudflare-access.ts";
import { identityProvider } from "./providers/index.ts";
import { TokenCache } from "./providers/token-cache.ts";
import { ACCESS_COOKIE, checkSessionOpen } from "./session.ts";

/**
 * Who is calling: a bearer JWT (scheme in any case) or the `jwt` cookie, verified and checked for
 * membership of the configured organization. Two kinds are accepted: the provider's tokens
 * (`[oauth] issuer`) and the cockpit's own session tokens (issuer `cockpit`), whose session must
 * still be open. The member is recorded as seen.
 * @throws AuthError with a reason fit for a 401 body
 */
async function authenticate(c: Context<AppEnv>): Promise<Caller> {
  const config = c.get("config");
  if (config.oauth.provider === "cloudflare-access" && !c.req.header("authorization")) {
    // Behind Access every request carries its token; a `jwt` cookie alone is no way in.
    const assertion = accessAssertion(c.req.header(ACCESS_HEADER), getCookie(c, CF_ACCESS_COOKIE));
    if (!assertion) throw new AccessRefusal("token_invalid", NOT_BEHIND_ACCESS);
    return seen(c, await accessCaller(assertion, config.oauth));
  }
  const token = tokenFromRequest(c.req.header("authorization"), getCookie(c, ACCESS_COOKIE));
  if (isApiKey(token)) return apiKeyCaller(c, token);
  if (isCockpitToken(token)) {
    const caller = await verifyAccessToken(token, config);
    await checkSessionOpen(c, caller);
    return caller;
  }
  return seen(c, await identityProvider(config.oauth).verifyBearer(token, config.oauth));
}

/**
 * A member's `last_seen` through the API is written at most this often per isolate: a script
 * calling the API in a loop does not queue a write on the OrganizationActor for each call.
 */
export const SEEN_EVERY_MS = 5 * 60_000;
const recentlySeen = new TokenCache<true>(2000);

/** Notes a provider's caller as seen, after the answer (at most every SEEN_EVERY_MS). */
function seen(c: Context<AppEnv>, caller: Caller): Caller {
  const key = `${caller.kind}\n${caller.user}`;
  const now = Date.now();
  if (recentlySeen.get(key, now)) return caller;
  recentlySeen.set(key, true, now + SEEN_EVERY_MS);
  const org = c.env.ORGANIZATION.getByName(c.get("config").oauth.organization);
  c.executionCtx.waitUntil(org.memberSeen(caller.user, caller.kind, "api").catch(() => recentlySeen.delete(key)));
  return caller;
}

/** What the organization's own token is, per provider, for the 403 of requireOrganization. */
function organizationTokenIs(config: AppEnv["Variables"]["config"]): string {
  const org = config.oauth.organization;
  switch (config.oauth.provider) {
    case "itsyouonline":
      return `a JWT with globalid ${org}, as ItsYou.online issues to ${org}'s client credentials (locally: cockpit token --organization)`;
    case "github":
      return "a token of the organization itself, which GitHub does not issue: with provider = \"github\" every token is a person's";
    case "cloudflare-access":
      return "a Cloudflare Access service token that the Access application's policy lets through (CF-Access-Client-Id and CF-Access-Client-Secret)";
    default:
      return `a client-credentials token of the provider whose ${config.oauth.member_claim} claim lists ${org} (locally: cockpit token --organization)`;
  }
}

/** `authenticate` for the API: a refused token is `401 {error, code: "unauthorized"}`. */
async function apiCaller(c: Context<AppEnv>): Promise<Caller> {
  try {
    return await authenticate(c);
  } catch (err) {
    if (err instanceof AuthError) throw new ApiError(401, "unauthorized", err.message);
    throw err;
  }
}

/** Guards `/ays/*`: a caller who is not a member gets `401 {error, code: "unauthorized"}`. */
export const requireMember = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await apiCaller(c);
  // A key made for one repository reaches that repository's routes only.
  const repo = caller.apiKey?.repo;
  if (repo && !c.req.path.startsWith(`/ays/repository/${repo}/`) && c.req.path !== `/ays/repository/${repo}`) {
    throw new ApiError(403, "forbidden", `API key ${caller.apiKey!.name} is limited to repository ${repo}`);
  }
  c.set("caller", caller);
  await next();
});

/**
 * Guards what only the organization itself may do (`cockpit clean_cache`): a provider token whose
 * `globalid` is the organization, which ItsYou.online issues to the organization's own client
 * credentials (an API key of the organization). A member's token names the member in `username`
 * and carries no `globalid`, and a console session is always a person's: both get
 * `403 {error, code: "forbidden"}`. No token or an invalid one stays a 401.
 */
export const requireOrganization = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await apiCaller(c);
  const org = c.get("config").oauth.organization;
  // ItsYou.online: `globalid` = the organization; OpenID: a client-credentials token with the membership claim.
  const ownToken = caller.kind === "organization" && (caller.user === org || c.get("config").oauth.provider !== "itsyouonline");
  if (!ownToken || caller.session !== undefined) {
    const who = caller.session !== undefined ? `a console session of ${caller.user}` : `a member's token (${caller.user})`;
    throw new ApiError(403, "forbidden", `this needs the organization's own token: ${organizationTokenIs(c.get("config"))}; ${who} is not enough`);
  }
  c.set("caller", caller);
  await next();
});

/**
 * Guards the console's pages: a browser without a valid session token is sent to `/auth/resume`,
 * which refreshes it and comes back (or goes on to `/login`), so pages never show a bare 401.
 */
export const requireSignedIn = createMiddleware<AppEnv>(async (c, next) => {
  try {
    c.set("caller", await authenticate(c));
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    const url = new URL(c.req.url);
    // Access has no session to refresh: /login reads its token again, says why, and logs the refusal.
    if (err instanceof AccessRefusal) return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
    return c.redirect(`/auth/resume?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
  }
  await next();
});
