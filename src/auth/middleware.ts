import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../routes/errors.ts";
import type { AppEnv } from "../routes/app.ts";
import { isCockpitToken, verifyAccessToken } from "./access-token.ts";
import { AuthError, tokenFromRequest, verifyToken } from "./jwt.ts";
import { ACCESS_COOKIE, checkSessionOpen } from "./session.ts";

/**
 * Guards `/ays/*`: a bearer JWT (scheme in any case) or the `jwt` cookie, verified and checked for
 * membership of the configured organization. Two kinds are accepted: the provider's tokens
 * (`[oauth] issuer`) and the cockpit's own session tokens (issuer `cockpit`), whose session must
 * still be open. The member is recorded for the audit log.
 */
export const requireMember = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.get("config");
  const org = c.env.ORGANIZATION.getByName(config.oauth.organization);
  try {
    const token = tokenFromRequest(c.req.header("authorization"), getCookie(c, ACCESS_COOKIE));
    if (isCockpitToken(token)) {
      const caller = await verifyAccessToken(token, config);
      await checkSessionOpen(c, caller);
      c.set("caller", caller);
    } else {
      const caller = await verifyToken(token, config.oauth);
      c.set("caller", caller);
      c.executionCtx.waitUntil(org.memberSeen(caller.user, caller.kind, "api").catch(() => undefined));
    }
  } catch (err) {
    if (err instanceof AuthError) throw new ApiError(401, "unauthorized", err.message);
    throw err;
  }
  await next();
});
