import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../routes/env.ts";
import { ApiError } from "../operations/errors.ts";
import { ACCESS_COOKIE as CF_ACCESS_COOKIE, ACCESS_HEADER } from "./providers/cloudflare-access.ts";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "./session.ts";

// hono's check: a state-changing request a page on another site could send without a CORS preflight
// (a form, or fetch with a simple content type) must name this origin in Origin or Sec-Fetch-Site.
// JSON and DELETE requests from elsewhere need a preflight, which this Worker never grants.
const originCheck = csrf();

async function checkOrigin(c: Context<AppEnv>, what: string): Promise<void> {
  try {
    await originCheck(c, async () => {});
  } catch (err) {
    if (!(err instanceof HTTPException) || err.status !== 403) throw err;
    const origin = c.req.header("origin") ?? "none";
    throw new ApiError(403, "csrf", `cross-origin request refused: a ${c.req.method} ${what} must come from this cockpit's own pages (Origin: ${origin})`);
  }
}

/**
 * CSRF protection for requests that a browser authenticates with the session cookies, or with
 * Cloudflare Access's token (Access adds its header to whatever the browser sends with its cookie,
 * another site's form too). Requests with an `Authorization` header are left alone: another site
 * cannot make a browser send one, and the header wins over the cookie (see tokenFromRequest).
 */
export const csrfForCookies = createMiddleware<AppEnv>(async (c, next) => {
  const byCookie =
    !c.req.header("authorization") &&
    (c.req.header(ACCESS_HEADER) !== undefined || [ACCESS_COOKIE, REFRESH_COOKIE, CF_ACCESS_COOKIE].some((name) => getCookie(c, name) !== undefined));
  if (byCookie) await checkOrigin(c, "with the session cookie");
  await next();
});

/** The same check on a route that must only ever be posted by the cockpit's pages (signing in). */
export const sameOriginOnly = createMiddleware<AppEnv>(async (c, next) => {
  await checkOrigin(c, "to this route");
  await next();
});
