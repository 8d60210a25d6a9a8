/**
 * ItsYou.online's dialect, kept as it was for the configs that use it (`provider = "itsyouonline"`,
 * the default): the authorize request asks for the scope `user:memberof:<organization>`, and a
 * member is one the provider granted that scope (its token answer, with `info.username`), or whose
 * access token is a JWT that `verifyToken` (src/auth/jwt.ts) accepts.
 */
import { decodeProtectedHeader } from "jose";
import { AuthError, verifyToken } from "../jwt.ts";
import { SignInRefusal, type IdentityProvider, type OAuthSettings } from "./types.ts";

export function itsYouOnlineEndpoints(oauth: OAuthSettings) {
  const base = oauth.itsyouonlinehost.replace(/\/+$/, "");
  return {
    authorize: oauth.authorize_url ?? `${base}/v1/oauth/authorize`,
    token: oauth.token_url ?? `${base}/v1/oauth/access_token`,
  };
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

function isJwt(token: string): boolean {
  try {
    decodeProtectedHeader(token);
    return true;
  } catch {
    return false;
  }
}

export const itsYouOnline: IdentityProvider = {
  newSecrets: () => ({}),

  async authorizeUrl(oauth, { redirectUri, state }) {
    const url = new URL(itsYouOnlineEndpoints(oauth).authorize);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", oauth.client_id);
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("scope", `user:memberof:${oauth.organization}`);
    url.searchParams.set("state", state);
    return url.toString();
  },

  async exchange(oauth, { code, state, redirectUri }, onStep) {
    if (!oauth.client_secret) {
      throw new SignInRefusal("not_configured", "sign-in is not configured: set [oauth] client_secret (a Worker secret, OAUTH_CLIENT_SECRET)");
    }
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      code,
      client_id: oauth.client_id,
      client_secret: oauth.client_secret,
      redirect_uri: redirectUri,
      state,
    });
    let answer: TokenResponse;
    onStep("exchange");
    try {
      const response = await fetch(itsYouOnlineEndpoints(oauth).token, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      answer = (await response.json().catch(() => ({}))) as TokenResponse;
      if (!response.ok || typeof answer.access_token !== "string") {
        const why = typeof answer.error_description === "string" ? answer.error_description : typeof answer.error === "string" ? answer.error : `HTTP ${response.status}`;
        throw new SignInRefusal("exchange_failed", `the identity provider refused the sign-in code (${why}): start again`);
      }
    } catch (err) {
      if (err instanceof SignInRefusal) throw err;
      throw new SignInRefusal("exchange_failed", "the identity provider could not be reached: try again in a minute");
    }
    onStep("membership");
    const notMember = new SignInRefusal("not_member", `you are not a member of the organization '${oauth.organization}'`);
    const username = typeof answer.info?.username === "string" ? answer.info.username : typeof answer.username === "string" ? answer.username : undefined;
    if (username && scopesOf(answer.scope).includes(`user:memberof:${oauth.organization}`)) return { user: username };
    const token = answer.access_token as string;
    // An opaque token without the scope: the provider did not grant membership.
    if (!isJwt(token)) throw notMember;
    try {
      const caller = await verifyToken(token, oauth);
      if (caller.kind === "user") return { user: caller.user };
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      if (err.message.startsWith("not a member")) throw notMember;
      // Anything else is a token Cockpit refuses, not a person outside the organization: say which.
      throw new SignInRefusal("token_invalid", `the identity provider's access token was refused: ${err.message}`);
    }
    throw notMember;
  },

  // The sign-in's access token is no JWT made with offline_access, the only kind ItsYou.online would
  // refresh (GET /v1/oauth/jwt/refresh), and the service no longer answers: access lasts until its
  // proof is `[auth] recheck_minutes` old (a console session) or `link_days` (a Telegram link).
  recheck: async () => ({ status: "unsupported", reason: "ItsYou.online offers no way to ask about membership again" }),

  verifyBearer: (token, oauth) => verifyToken(token, oauth),
};
