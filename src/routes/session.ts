/**
 * The console's sign-in and session routes: `GET /login` starts the OAuth flow for the web purpose,
 * the callback's `web` handler starts a session, and `/auth/*` refreshes and ends it.
 */
import { Hono } from "hono";
import { signingKeys } from "../auth/access-token.ts";
import { sameOriginOnly } from "../auth/csrf.ts";
import { requireMember } from "../auth/middleware.ts";
import { authorizeUrl, OAuthError } from "../auth/oauth.ts";
import { AuthError } from "../auth/jwt.ts";
import { endSession, isSignInBrowser, markSignInBrowser, redeemSignInTicket, refreshSession, startSession } from "../auth/session.ts";
import type { AppEnv } from "./app.ts";
import { messagePage, type PurposeHandler } from "./oauth.ts";
import { ApiError } from "./errors.ts";
import { resumePage, signInProgress } from "./sign-in-page.ts";

/** Where a sign-in lands when it was not asked to go anywhere: the console's home. */
export const DEFAULT_NEXT = "/console";

/**
 * `next` as a path on this origin, or the console's home: a sign-in link must never send the browser
 * to another site (`//evil.test`, `/\evil.test`, `https://…` all resolve elsewhere and are dropped).
 */
export function safeNext(raw: string | undefined | null): string {
  if (!raw || raw.length > 2000 || !raw.startsWith("/") || /[\u0000-\u001f\\]/.test(raw)) return DEFAULT_NEXT;
  const base = "http://cockpit.invalid";
  const url = new URL(raw, base);
  if (url.origin !== base) return DEFAULT_NEXT;
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * The callback's handler for console sign-ins. A browser (it asks for HTML) watches the progress
 * page; any other client gets the session cookies with a plain redirect.
 */
export const webSignIn: PurposeHandler<"web"> = {
  async admit(c, purpose) {
    if (!isSignInBrowser(c, purpose.browser)) {
      throw new OAuthError("state_invalid", "this sign-in was started in another browser, or its cookie expired: start again", purpose);
    }
    // A session could not be issued: say so before the code is spent and the login recorded.
    await signingKeys(c.get("config")).catch((err: unknown) => {
      throw err instanceof AuthError ? new OAuthError("not_configured", err.message, purpose) : err;
    });
  },
  progress(c, purpose, finish) {
    if (!c.req.header("accept")?.includes("text/html")) return undefined;
    return signInProgress(c, purpose, finish);
  },
  async authorized(c, purpose, user) {
    try {
      await startSession(c, user, "web");
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return messagePage(c, 503, "Sign-in refused", err.message);
    }
    return c.redirect(safeNext(purpose.next), 303);
  },
};

export function createSessionRoutes() {
  const app = new Hono<AppEnv>();

  app.get("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    try {
      const link = await authorizeUrl(c.get("config"), { kind: "web", next, browser: markSignInBrowser(c) }, new URL(c.req.url).origin);
      return c.redirect(link, 302);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      return messagePage(c, 503, "Sign-in unavailable", err.message);
    }
  });

  // The progress page's last step: a sealed, single-use ticket becomes the session cookies.
  app.post("/auth/session", sameOriginOnly, async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const ticket = typeof form.ticket === "string" ? form.ticket : "";
    try {
      return c.redirect(safeNext(await redeemSignInTicket(c, ticket)), 303);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return messagePage(c, 400, "Sign-in refused", err.message);
    }
  });

  // JSON for scripts; with `?next=/path` (the resume page's form) it lands on a page: `next`, or /login.
  app.post("/auth/refresh", async (c) => {
    const next = c.req.query("next");
    if (next === undefined) return c.json(await refreshSession(c), 200, { "cache-control": "no-store" });
    const target = safeNext(next);
    try {
      await refreshSession(c);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // 409: another tab just rotated the token, and this browser's cookie jar has the new one.
      return c.redirect(err.status === 409 ? target : `/login?next=${encodeURIComponent(target)}`, 303);
    }
    return c.redirect(target, 303);
  });

  app.get("/auth/resume", (c) => resumePage(c, safeNext(c.req.query("next"))));

  // JSON for scripts; a plain form may pass `?next=/path` to land on a page instead.
  app.post("/auth/logout", async (c) => {
    const ended = await endSession(c);
    const next = c.req.query("next");
    if (next !== undefined) return c.redirect(safeNext(next), 303);
    return c.json({ signed_out: ended }, 200);
  });

  /** Who the session (or bearer token) belongs to, and when its access token expires. */
  app.get("/auth/session", requireMember, (c) => {
    const { user, kind, exp, session } = c.get("caller");
    return c.json({ user, kind, exp, session: session ?? null }, 200, { "cache-control": "no-store" });
  });

  return app;
}
