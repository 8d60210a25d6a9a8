import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../operations/errors.ts";
import type { AppEnv } from "../routes/env.ts";
import { isCockpitToken, verifyAccessToken } from "./access-token.ts";
import { AuthError, tokenFromRequest, type Caller } from "./jwt.ts";
import { identityProvider } from "./providers/index.ts";
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
  const token = tokenFromRequest(c.req.header("authorization"), getCookie(c, ACCESS_COOKIE));
  if (isCockpitToken(token)) {
    const caller = await verifyAccessToken(token, config);
    await checkSessionOpen(c, caller);
    return caller;
  }
  const caller = await identityProvider(config.oauth).verifyBearer(token, config.oauth);
  const org = c.env.ORGANIZATION.getByName(config.oauth.organization);
  c.executionCtx.waitUntil(org.memberSeen(caller.user, caller.kind, "api").catch(() => undefined));
  return caller;
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
  c.set("caller", await apiCaller(c));
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
    const needed =
      c.get("config").oauth.provider === "itsyouonline"
        ? `a JWT with globalid ${org}, as ItsYou.online issues to ${org}'s client credentials (locally: cockpit token --organization)`
        : `a client-credentials token of the provider whose ${c.get("config").oauth.member_claim} claim lists ${org} (locally: cockpit token --organization)`;
    throw new ApiError(403, "forbidden", `this needs the organization's own token: ${needed}; ${who} is not enough`);
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
    return c.redirect(`/auth/resume?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
  }
  await next();
});
