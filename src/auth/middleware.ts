import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../routes/errors.ts";
import type { AppEnv } from "../routes/app.ts";
import { AuthError, tokenFromRequest, verifyToken } from "./jwt.ts";

/**
 * Guards `/ays/*`: a bearer JWT (scheme in any case) or the `jwt` cookie, verified and checked for
 * membership of the configured organization. The member is recorded for the audit log.
 */
export const requireMember = createMiddleware<AppEnv>(async (c, next) => {
  const oauth = c.get("config").oauth;
  try {
    const token = tokenFromRequest(c.req.header("authorization"), getCookie(c, "jwt"));
    const caller = await verifyToken(token, oauth);
    c.set("caller", caller);
  } catch (err) {
    if (err instanceof AuthError) throw new ApiError(401, "unauthorized", err.message);
    throw err;
  }
  const caller = c.get("caller");
  const org = c.env.ORGANIZATION.getByName(oauth.organization);
  c.executionCtx.waitUntil(org.memberSeen(caller.user, caller.kind, "api").catch(() => undefined));
  await next();
});
