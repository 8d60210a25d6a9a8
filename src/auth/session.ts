/**
 * Browser sessions: after sign-in the browser holds a short-lived access JWT in the `jwt` cookie
 * (what `/ays` reads) and a rotating refresh token, scoped to `/auth`, to get the next one.
 * The OrganizationActor keeps the sessions (src/actors/sessions.ts), so they can be revoked.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { EncryptJWT, errors, jwtDecrypt } from "jose";
import type { Channel } from "../actors/organization.ts";
import { ApiError } from "../operations/errors.ts";
import type { AppEnv } from "../routes/env.ts";
import { ACCESS_TTL_SECONDS, isCockpitToken, issueAccessToken, signingKeys, verifyAccessToken } from "./access-token.ts";
import { AuthError, issuedInFuture, type Caller } from "./jwt.ts";
import { derivedKey } from "./keys.ts";
import { TokenCache } from "./providers/token-cache.ts";
import { recheckIntervalMs, recheckMembership } from "./recheck.ts";
import { authSecret, openRefreshToken, sealRefreshToken } from "./refresh-token.ts";

export const ACCESS_COOKIE = "jwt";
export const REFRESH_COOKIE = "cockpit_refresh";
/** The refresh token is sent only to the routes that spend it, never with every API call. */
export const REFRESH_PATH = "/auth";

type Ctx = Context<AppEnv>;

// `Secure` always: browsers treat http://127.0.0.1 and localhost as secure contexts, so local use works.
const baseCookie = { httpOnly: true, secure: true, sameSite: "Lax" } satisfies CookieOptions;

/** What a signed-in browser is told about its session. */
export interface SessionView {
  user: string;
  /** When the access token expires (seconds since the epoch): refresh before then. */
  exp: number;
  /** When the refresh token expires (seconds since the epoch): sign in again after. */
  refresh_exp: number;
}

function org(c: Ctx) {
  return c.env.ORGANIZATION.getByName(c.get("config").oauth.organization);
}

async function setSessionCookies(c: Ctx, generation: { session: string; token: string; expires: number; user: string; kind: string }): Promise<SessionView> {
  const config = c.get("config");
  const kind = generation.kind === "organization" ? "organization" : "user";
  const access = await issueAccessToken(config, { user: generation.user, kind, session: generation.session });
  const refresh = await sealRefreshToken(config, { session: generation.session, token: generation.token }, generation.expires);
  const refreshSeconds = Math.floor((generation.expires - Date.now()) / 1000);
  setCookie(c, ACCESS_COOKIE, access.token, { ...baseCookie, path: "/", maxAge: ACCESS_TTL_SECONDS });
  setCookie(c, REFRESH_COOKIE, refresh, { ...baseCookie, path: REFRESH_PATH, maxAge: refreshSeconds });
  return { user: generation.user, exp: access.exp, refresh_exp: Math.floor(generation.expires / 1000) };
}

export function clearSessionCookies(c: Ctx): void {
  deleteCookie(c, ACCESS_COOKIE, { ...baseCookie, path: "/" });
  deleteCookie(c, REFRESH_COOKIE, { ...baseCookie, path: REFRESH_PATH });
}

/**
 * Starts a session for a member who just signed in and sets its cookies. `grant` (sealed) is what
 * the provider needs to be asked about the member again at later refreshes.
 * @throws AuthError when the cockpit has no usable `[auth]` keys (checked before anything is stored)
 */
export async function startSession(c: Ctx, user: string, channel: Channel = "web", grant?: string): Promise<SessionView> {
  const config = c.get("config");
  // Fail on a missing or broken key now, not after a session row was written.
  await signingKeys(config);
  await sealRefreshToken(config, { session: "check", token: "check" }, Date.now() + 1000);
  const generation = await org(c).openSession(user, "user", channel, grant ?? null);
  deleteCookie(c, LOGIN_COOKIE, { ...baseCookie, path: "/" });
  return setSessionCookies(c, generation);
}

/**
 * `POST /auth/refresh`: exchanges the refresh cookie for a new access token and a new refresh token.
 * When the member's membership was proven longer than `[auth] recheck_minutes` ago, the provider is
 * asked again first (src/auth/recheck.ts): a member it no longer knows loses the session here; a
 * provider that cannot answer leaves it open, to be asked at the next refresh.
 * @throws ApiError 401 (cookies cleared) when the token is missing, forged, expired, reused or its
 *   session ended; 409 when another request rotated it a moment ago
 */
export async function refreshSession(c: Ctx): Promise<SessionView> {
  const config = c.get("config");
  const cookie = getCookie(c, REFRESH_COOKIE);
  if (!cookie) throw new ApiError(401, "no_session", "no refresh token (cookie cockpit_refresh): sign in at /login");
  let claims;
  try {
    await signingKeys(config);
    claims = await openRefreshToken(config, cookie);
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    clearSessionCookies(c);
    throw new ApiError(401, "unauthorized", err.message);
  }
  const result = await org(c).rotateSession(claims.session, claims.token, recheckIntervalMs(config));
  if (!result.ok) {
    if (result.code === "rotation_race") throw new ApiError(409, result.code, result.error);
    forgetSessionCheck(claims.session);
    clearSessionCookies(c);
    throw new ApiError(401, result.code, result.error);
  }
  if (result.recheck) {
    const outcome = await recheckMembership(config, result.recheck.grant, result.user);
    if (!(await org(c).sessionRechecked(claims.session, outcome))) {
      forgetSessionCheck(claims.session);
      clearSessionCookies(c);
      const why = outcome.status === "member" ? "the session ended" : outcome.reason;
      throw new ApiError(401, "session_ended", `session ended: ${why}: sign in again`);
    }
  }
  return setSessionCookies(c, result);
}

/**
 * `POST /auth/logout`: ends the session named by the refresh cookie (or, without one, by the access
 * cookie) and clears both cookies. Signing out twice, or without a session, is not an error.
 * @returns whether a session was open
 */
export async function endSession(c: Ctx): Promise<boolean> {
  const config = c.get("config");
  let session: string | undefined;
  const refresh = getCookie(c, REFRESH_COOKIE);
  if (refresh) session = await openRefreshToken(config, refresh).then((claims) => claims.session, () => undefined);
  const access = getCookie(c, ACCESS_COOKIE);
  if (!session && access && isCockpitToken(access)) {
    session = await verifyAccessToken(access, config).then((caller) => caller.session, () => undefined);
  }
  clearSessionCookies(c);
  if (!session) return false;
  forgetSessionCheck(session);
  return (await org(c).endSession(session)) !== null;
}

/**
 * How long an isolate trusts the OrganizationActor's word that a session is open. A session ended
 * elsewhere (signed out, revoked by another member, a reused refresh token) is refused by every
 * isolate within this time, and at once by the isolate that ended it; the console's pages and API
 * calls of open sessions stop queueing on the one actor for each request.
 */
export const SESSION_CHECK_MS = 30_000;
const openSessions = new TokenCache<true>(2000);

/** This isolate stops trusting its last check of the session (it was just ended here). */
export function forgetSessionCheck(session: string): void {
  openSessions.delete(session);
}

/**
 * Checks that a cockpit access token's session is still open, and notes the member as seen (one
 * round trip to the actor, at most every SESSION_CHECK_MS per session and isolate).
 * @throws AuthError once the session was signed out or revoked
 */
export async function checkSessionOpen(c: Ctx, caller: Caller & { session: string }): Promise<void> {
  const now = Date.now();
  if (openSessions.get(caller.session, now)) return;
  if (!(await org(c).sessionSeen(caller.session, caller.user, caller.kind))) throw new AuthError("session ended: sign in again");
  openSessions.set(caller.session, true, now + SESSION_CHECK_MS);
}

/** Holds the nonce tying a sign-in to the browser that started it (checked at the callback). */
export const LOGIN_COOKIE = "cockpit_login";

/** Starts a sign-in in this browser: sets the login cookie and returns its nonce for the OAuth state. */
export function markSignInBrowser(c: Ctx): string {
  const nonce = crypto.randomUUID();
  const minutes = c.get("config").auth?.state_minutes ?? 10;
  setCookie(c, LOGIN_COOKIE, nonce, { ...baseCookie, path: "/", maxAge: minutes * 60 });
  return nonce;
}

/** True when this request comes from the browser that started the sign-in carrying `nonce`. */
export function isSignInBrowser(c: Ctx, nonce: string | undefined): boolean {
  return !!nonce && getCookie(c, LOGIN_COOKIE) === nonce;
}

const TICKET_KEY_LABEL = "cockpit sign-in ticket v1";
const TICKET_TTL_SECONDS = 120;

export interface SignInTicket {
  user: string;
  next: string;
  browser: string;
  /** The provider grant for re-checks, sealed already. */
  grant?: string;
}

/**
 * A finished sign-in, sealed for the browser to hand back: the progress page streams while the code is
 * exchanged, so its cookies cannot be set there; the page posts this ticket to `/auth/session` instead.
 */
export async function sealSignInTicket(c: Ctx, ticket: SignInTicket): Promise<string> {
  const key = await derivedKey(authSecret(c.get("config")), TICKET_KEY_LABEL);
  return new EncryptJWT({ u: ticket.user, n: ticket.next, b: ticket.browser, ...(ticket.grant ? { g: ticket.grant } : {}) })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: "cockpit-ticket" })
    .setJti(crypto.randomUUID())
    .setExpirationTime(`${TICKET_TTL_SECONDS}s`)
    .encrypt(key);
}

/**
 * `POST /auth/session`: redeems a ticket once, in the browser that signed in, and starts the session.
 * @returns where to go next
 * @throws AuthError when the ticket is forged, expired, used, or from another browser
 */
export async function redeemSignInTicket(c: Ctx, jwe: string): Promise<string> {
  const key = await derivedKey(authSecret(c.get("config")), TICKET_KEY_LABEL);
  let payload;
  try {
    ({ payload } = await jwtDecrypt(jwe, key, { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"], typ: "cockpit-ticket", requiredClaims: ["jti", "exp"] }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new AuthError("the sign-in took too long to finish: start again");
    throw new AuthError("not a sign-in ticket this cockpit issued: start again");
  }
  if (issuedInFuture(payload)) throw new AuthError("the sign-in ticket is dated in the future: start again");
  const ticket = { user: String(payload.u), next: String(payload.n), browser: String(payload.b), grant: typeof payload.g === "string" ? payload.g : undefined };
  // The same single-use register as OAuth states: ids are random, so the two never collide.
  if (!(await org(c).useOAuthState(payload.jti!, payload.exp! * 1000))) throw new AuthError("this sign-in was completed already");
  if (!isSignInBrowser(c, ticket.browser)) throw new AuthError("this sign-in was finished in another browser: start again");
  await startSession(c, ticket.user, "web", ticket.grant);
  return ticket.next;
}
