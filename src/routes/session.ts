/**
 * The console's sign-in and session routes: `GET /login` starts the OAuth flow for the web purpose,
 * the callback's `web` handler starts a session, and `/auth/*` refreshes and ends it.
 */
import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { signingKeys } from "../auth/access-token.ts";
import { sameOriginOnly } from "../auth/csrf.ts";
import { requireMember } from "../auth/middleware.ts";
import { authorizeUrl, OAuthError } from "../auth/oauth.ts";
import { AuthError } from "../auth/jwt.ts";
import { ACCESS_COOKIE as CF_ACCESS_COOKIE, ACCESS_HEADER, AccessRefusal, accessAssertion, accessCaller, accessLogoutUrl, NOT_BEHIND_ACCESS } from "../auth/providers/cloudflare-access.ts";
import { endSessionUrl, ProviderUnavailable } from "../auth/providers/oidc.ts";
import { messagePage, type PurposeHandler } from "../auth/sign-in-purpose.ts";
import { endSession, isSignInBrowser, markSignInBrowser, redeemSignInTicket, refreshSession, startSession } from "../auth/session.ts";
import type { AppEnv } from "./env.ts";
import { recordRefusal } from "./oauth.ts";
import { ApiError } from "../operations/errors.ts";
import { ErrorSchema } from "./schemas.ts";
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
  async authorized(c, purpose, user, grant) {
    try {
      await startSession(c, user, "web", grant);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return messagePage(c, 503, "Sign-in refused", err.message);
    }
    return c.redirect(safeNext(purpose.next), 303);
  },
};

/**
 * `/login` behind Cloudflare Access: Access has signed the person in already, so the request's own
 * Access token says who they are; a member goes on to `next`, anyone else sees why (and the audit
 * log has it). No session of Cockpit's own: every request carries the token.
 */
async function accessLogin(c: Context<AppEnv>, next: string): Promise<Response> {
  const oauth = c.get("config").oauth;
  const org = c.env.ORGANIZATION.getByName(oauth.organization);
  try {
    const assertion = accessAssertion(c.req.header(ACCESS_HEADER), getCookie(c, CF_ACCESS_COOKIE));
    if (!assertion) throw new AccessRefusal("token_invalid", NOT_BEHIND_ACCESS);
    const caller = await accessCaller(assertion, oauth);
    await org.recordLogin(caller.user, "web", "web console");
    return c.redirect(next, 302);
  } catch (err) {
    if (!(err instanceof AccessRefusal)) throw err;
    const purpose = { kind: "web", next } as const;
    await recordRefusal(c, new OAuthError(err.code, err.message, purpose), purpose);
    return messagePage(c, err.code === "not_member" ? 403 : err.code === "provider_unavailable" ? 503 : 401, "Sign-in refused", err.message);
  }
}

export function createSessionRoutes() {
  const app = new Hono<AppEnv>();

  app.get("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.get("config").oauth.provider === "cloudflare-access") return accessLogin(c, next);
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

  // After signing out of the console: sign out at the OpenID provider too, and come back signed out.
  app.get("/auth/provider-logout", async (c) => {
    const oauth = c.get("config").oauth;
    const back = new URL("/console/signed-out", c.req.url).toString();
    let url: string | undefined;
    try {
      url =
        oauth.provider === "cloudflare-access"
          ? accessLogoutUrl(oauth)
          : oauth.provider === "itsyouonline" || oauth.provider === "github"
            ? undefined
            : await endSessionUrl(oauth, back);
    } catch (err) {
      if (!(err instanceof ProviderUnavailable)) throw err;
      return messagePage(c, 503, "Sign-out unavailable", `${err.message}: try again in a minute`);
    }
    if (!url) return messagePage(c, 404, "Nothing to sign out of", "the identity provider offers no sign-out (no end_session_endpoint): sign out on its own site");
    return c.redirect(url, 302);
  });

  /** Who the session (or bearer token) belongs to, and when its access token expires. */
  app.get("/auth/session", requireMember, (c) => {
    const { user, kind, exp, session } = c.get("caller");
    return c.json({ user, kind, exp, session: session ?? null }, 200, { "cache-control": "no-store" });
  });

  return app;
}

const SessionView = z
  .object({ user: z.string(), exp: z.number().openapi({ description: "access token expiry (epoch s)" }), refresh_exp: z.number() })
  .openapi("SessionView");

/**
 * Puts the session routes in /openapi.json. They stay plain hono routes: each answers a browser with
 * redirects and pages as well as scripts with JSON, which a single zod response schema cannot say.
 */
export function describeSessionRoutes(registry: OpenAPIHono["openAPIRegistry"]): void {
  const json = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });
  const cookies = "Reads the `cockpit_refresh` cookie (Path=/auth) that sign-in set; sets new `jwt` and `cockpit_refresh` cookies.";
  const next = z.string().optional().openapi({ description: "a path on this origin: answer with a 303 redirect there instead of JSON" });
  registry.registerPath({
    method: "get",
    path: "/login",
    tags: ["session"],
    summary: "Starts the OAuth2 sign-in for the console",
    request: { query: z.object({ next: z.string().optional().openapi({ description: "where to land after signing in (a path on this origin)" }) }) },
    responses: { 302: { description: "to the identity provider's authorize page" }, 503: { description: "sign-in is not configured ([oauth], [auth])" } },
  });
  registry.registerPath({
    method: "get",
    path: "/oauth/callback",
    tags: ["session"],
    summary: "The identity provider's redirect: verifies the state, exchanges the code, checks membership",
    request: { query: z.object({ code: z.string(), state: z.string() }) },
    responses: {
      200: { description: "a progress page (browsers), then the session; or the Telegram confirmation page" },
      303: { description: "to `next` with the session cookies set (clients that do not ask for HTML)" },
      400: { description: "a wrong, expired or replayed state" },
      403: { description: "not a member of the organization" },
      502: { description: "the code exchange at the provider failed" },
      503: { description: "sign-in is not configured" },
    },
  });
  registry.registerPath({
    method: "post",
    path: "/auth/refresh",
    tags: ["session"],
    summary: "Rotates the refresh token and issues a new access token",
    description: `${cookies} Presenting a refresh token that was already rotated revokes the whole session (reuse detection). Past \`[auth] recheck_minutes\` since membership was last proven, the identity provider is asked again first: a person it no longer counts as a member loses the session (401 session_ended); a provider that cannot answer leaves it open.`,
    request: { query: z.object({ next }) },
    responses: {
      200: json(SessionView, "the renewed session"),
      303: { description: "with `?next=`: to `next` once renewed (or after a rotation race), to `/login?next=` when the session is over" },
      401: json(ErrorSchema, "no, invalid, expired, reused or revoked refresh token, or session_ended: no longer a member at the provider's re-check"),
      409: json(ErrorSchema, "rotation_race: another tab rotated this token a moment ago; its cookie is the current one"),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/auth/logout",
    tags: ["session"],
    summary: "Ends the session: revokes its refresh tokens and clears the cookies",
    request: { query: z.object({ next }) },
    responses: {
      200: json(z.object({ signed_out: z.boolean() }), "whether a session was open"),
      303: { description: "with `?next=`: to `next` (a path on this origin; another one is replaced by /console)" },
    },
  });
  registry.registerPath({
    method: "post",
    path: "/auth/session",
    tags: ["session"],
    summary: "The sign-in progress page's last step: its sealed, single-use ticket becomes the session cookies",
    request: { body: { content: { "application/x-www-form-urlencoded": { schema: z.object({ ticket: z.string() }) } } } },
    responses: {
      303: { description: "to the page the sign-in started from, with the session cookies set" },
      400: { description: "an HTML page: the ticket is invalid, expired, used already or from another browser" },
      403: { description: "posted from another origin" },
    },
  });
  registry.registerPath({
    method: "get",
    path: "/auth/resume",
    tags: ["session"],
    summary: "The page a console page sends a browser to when its access token expired: renews the session and goes back",
    request: { query: z.object({ next: z.string().optional().openapi({ description: "where to go back to (a path on this origin)" }) }) },
    responses: { 200: { description: "an HTML page whose script posts /auth/refresh", content: { "text/html": { schema: z.string() } } } },
  });
  registry.registerPath({
    method: "get",
    path: "/auth/provider-logout",
    tags: ["session"],
    summary: "Signs out at the OpenID provider too (RP-Initiated Logout), back to /console/signed-out",
    responses: {
      302: { description: "to the provider's end_session_endpoint" },
      404: { description: "the provider offers no sign-out, or it is ItsYou.online" },
      503: { description: "the provider's discovery document cannot be read" },
    },
  });
  registry.registerPath({
    method: "get",
    path: "/auth/session",
    tags: ["session"],
    summary: "Who the session or bearer token belongs to",
    security: [{ Bearer: [] }],
    responses: {
      200: json(z.object({ user: z.string(), kind: z.string(), exp: z.number(), session: z.string().nullable() }), "the caller"),
      401: json(ErrorSchema, "missing, invalid or ended session"),
    },
  });
}
