import { getCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../routes/app.ts";
import { ApiError } from "../routes/errors.ts";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "./session.ts";

// hono's check: a state-changing request a page on another site could send without a CORS preflight
// (a form, or fetch with a simple content type) must name this origin in Origin or Sec-Fetch-Site.
// JSON and DELETE requests from elsewhere need a preflight, which this Worker never grants.
const originCheck = csrf();

/**
 * CSRF protection for requests that a browser authenticates with the session cookies. Requests with
 * an `Authorization` header are left alone: another site cannot make a browser send one, and the
 * header wins over the cookie (see tokenFromRequest).
 */
export const csrfForCookies = createMiddleware<AppEnv>(async (c, next) => {
  const byCookie = !c.req.header("authorization") && (getCookie(c, ACCESS_COOKIE) !== undefined || getCookie(c, REFRESH_COOKIE) !== undefined);
  if (byCookie) {
    try {
      await originCheck(c, async () => {});
    } catch (err) {
      if (!(err instanceof HTTPException) || err.status !== 403) throw err;
      const origin = c.req.header("origin") ?? "none";
      throw new ApiError(403, "csrf", `cross-origin request refused: a ${c.req.method} with the session cookie must come from this cockpit's own pages (Origin: ${origin})`);
    }
  }
  await next();
});
