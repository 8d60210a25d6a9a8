/**
 * The OAuth2 authorization-code flow shared by every way a person signs in: the Telegram bot's
 * `/start` and the web console's `/login` (ays-original.md §3.2). A feature asks for an authorize URL
 * for its *purpose*; `GET /oauth/callback` (src/routes/oauth.ts) finishes the flow and hands the
 * verified member back to that feature.
 *
 * Unlike the original there is no blocking wait and no state kept in memory: the state is an
 * encrypted, expiring token naming the purpose, and it can be used once.
 */
import { EncryptJWT, errors, jwtDecrypt } from "jose";
import type { CockpitConfig } from "../config/index.ts";
import { AuthError, issuedInFuture, verifyToken } from "./jwt.ts";
import { derivedKey } from "./keys.ts";

/** Who asked for the sign-in, and where its result goes. */
export type OAuthPurpose =
  /** `/start` in a chat: `from` is the Telegram user id that will be linked. */
  | { kind: "telegram"; chat: number; from: number; name?: string }
  /**
   * The console's `/login`: `next` is the same-origin path to return to; `browser` is the nonce of the
   * `/login` cookie, so only the browser that started a sign-in can finish it (no login CSRF).
   */
  | { kind: "web"; next: string; browser?: string };

export type OAuthPurposeKind = OAuthPurpose["kind"];

export type OAuthErrorCode =
  | "not_configured"
  | "state_invalid"
  | "state_expired"
  | "state_replayed"
  | "denied"
  | "exchange_failed"
  | "not_member";

/** A refused sign-in. `message` is fit to show the person; `purpose` is known once the state was read. */
export class OAuthError extends Error {
  override name = "OAuthError";
  readonly code: OAuthErrorCode;
  readonly purpose: OAuthPurpose | undefined;

  constructor(code: OAuthErrorCode, message: string, purpose?: OAuthPurpose) {
    super(message);
    this.code = code;
    this.purpose = purpose;
  }
}

/** The verified outcome of a callback. */
export interface Authorization {
  purpose: OAuthPurpose;
  /** The member's user name at the provider. */
  user: string;
}

const STATE_KEY_LABEL = "cockpit oauth state v1";

function requireSecret(config: CockpitConfig): string {
  const secret = config.auth?.secret;
  if (!secret) throw new OAuthError("not_configured", "sign-in is not configured: set [auth] secret (a Worker secret, AUTH_SECRET)");
  return secret;
}

function redirectUri(config: CockpitConfig, origin: string): string {
  return config.oauth.redirect_uri ?? new URL("/oauth/callback", origin).toString();
}

function endpoints(oauth: CockpitConfig["oauth"]) {
  const base = oauth.itsyouonlinehost.replace(/\/+$/, "");
  return {
    authorize: oauth.authorize_url ?? `${base}/v1/oauth/authorize`,
    token: oauth.token_url ?? `${base}/v1/oauth/access_token`,
  };
}

/**
 * The provider's authorize link for `purpose`, asking for membership of the organization.
 * @param origin the cockpit's public origin, used when `[oauth] redirect_uri` is not set
 * @throws OAuthError `not_configured` without `[auth] secret`
 */
export async function authorizeUrl(config: CockpitConfig, purpose: OAuthPurpose, origin: string): Promise<string> {
  const key = await derivedKey(requireSecret(config), STATE_KEY_LABEL);
  const state = await new EncryptJWT({ p: purpose })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${config.auth!.state_minutes}m`)
    .encrypt(key);
  const url = new URL(endpoints(config.oauth).authorize);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", config.oauth.client_id);
  url.searchParams.set("redirect_uri", redirectUri(config, origin));
  url.searchParams.set("scope", `user:memberof:${config.oauth.organization}`);
  url.searchParams.set("state", state);
  return url.toString();
}

/** What the callback's state says, once decrypted and checked for expiry (not yet for reuse). */
export async function readState(config: CockpitConfig, state: string | undefined): Promise<{ purpose: OAuthPurpose; id: string; expires: number }> {
  if (!state) throw new OAuthError("state_invalid", "the sign-in link is incomplete (no state): start again");
  const key = await derivedKey(requireSecret(config), STATE_KEY_LABEL);
  let payload;
  try {
    ({ payload } = await jwtDecrypt(state, key, { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"], requiredClaims: ["jti", "exp"] }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) {
      throw new OAuthError("state_expired", `the sign-in link expired (it is valid ${config.auth!.state_minutes} minutes): start again`, err.payload.p as OAuthPurpose);
    }
    throw new OAuthError("state_invalid", "the sign-in link is not one this cockpit made: start again");
  }
  if (issuedInFuture(payload)) throw new OAuthError("state_invalid", "the sign-in link is dated in the future: start again", payload.p as OAuthPurpose);
  return { purpose: payload.p as OAuthPurpose, id: payload.jti!, expires: payload.exp! * 1000 };
}

interface TokenResponse {
  access_token?: unknown;
  scope?: unknown;
  info?: { username?: unknown };
  username?: unknown;
  error?: unknown;
  error_description?: unknown;
}

function scopesOf(scope: unknown): string[] {
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === "string");
  if (typeof scope === "string") return scope.split(/[\s,]+/).filter(Boolean);
  return [];
}

/** The steps of a sign-in after the state was read, as a progress page shows them. */
export type SignInStep = "exchange" | "membership";

/**
 * Exchanges the code at the provider and checks membership of the organization: either the granted
 * scope names it (ItsYou.online's answer, with `info.username`), or the access token is itself a JWT
 * that `verifyToken` accepts. `onStep` hears each step as it starts.
 * @throws OAuthError `exchange_failed` or `not_member`
 */
export async function exchangeCode(
  config: CockpitConfig,
  code: string,
  state: string,
  origin: string,
  purpose: OAuthPurpose,
  onStep: (step: SignInStep) => void = () => {},
): Promise<string> {
  const oauth = config.oauth;
  if (!oauth.client_secret) {
    throw new OAuthError("not_configured", "sign-in is not configured: set [oauth] client_secret (a Worker secret, OAUTH_CLIENT_SECRET)", purpose);
  }
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    client_id: oauth.client_id,
    client_secret: oauth.client_secret,
    redirect_uri: redirectUri(config, origin),
    state,
  });
  let answer: TokenResponse;
  onStep("exchange");
  try {
    const response = await fetch(endpoints(oauth).token, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    answer = (await response.json().catch(() => ({}))) as TokenResponse;
    if (!response.ok || typeof answer.access_token !== "string") {
      const why = typeof answer.error_description === "string" ? answer.error_description : typeof answer.error === "string" ? answer.error : `HTTP ${response.status}`;
      throw new OAuthError("exchange_failed", `the identity provider refused the sign-in code (${why}): start again`, purpose);
    }
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    throw new OAuthError("exchange_failed", "the identity provider could not be reached: try again in a minute", purpose);
  }
  onStep("membership");
  const notMember = new OAuthError("not_member", `you are not a member of the organization '${oauth.organization}'`, purpose);
  const username = typeof answer.info?.username === "string" ? answer.info.username : typeof answer.username === "string" ? answer.username : undefined;
  if (username && scopesOf(answer.scope).includes(`user:memberof:${oauth.organization}`)) return username;
  try {
    const caller = await verifyToken(answer.access_token as string, oauth);
    if (caller.kind === "user") return caller.user;
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
  }
  throw notMember;
}
