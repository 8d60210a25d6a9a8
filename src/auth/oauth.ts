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
import { issuedInFuture } from "./jwt.ts";
import { derivedKey } from "./keys.ts";
import { identityProvider } from "./providers/index.ts";
import { SignInRefusal, type RefusalCode, type SignedIn, type SignInSecrets, type SignInStep } from "./providers/types.ts";

export type { SignInStep } from "./providers/types.ts";

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

export type OAuthErrorCode = RefusalCode | "state_invalid" | "state_expired" | "state_replayed" | "denied";

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

/**
 * The provider's authorize link for `purpose` (src/auth/providers/: ItsYou.online asks for the
 * membership scope; OpenID adds PKCE and a nonce, both sealed in the encrypted state).
 * @param origin the cockpit's public origin, used when `[oauth] redirect_uri` is not set
 * @throws OAuthError `not_configured` without `[auth] secret`, `provider_unavailable` when the
 *   provider's discovery document cannot be read
 */
export async function authorizeUrl(config: CockpitConfig, purpose: OAuthPurpose, origin: string): Promise<string> {
  const key = await derivedKey(requireSecret(config), STATE_KEY_LABEL);
  const provider = identityProvider(config.oauth);
  const secrets = provider.newSecrets();
  const state = await new EncryptJWT({ p: purpose, ...(secrets.verifier || secrets.nonce ? { s: secrets } : {}) })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${config.auth!.state_minutes}m`)
    .encrypt(key);
  try {
    return await provider.authorizeUrl(config.oauth, { redirectUri: redirectUri(config, origin), state, secrets });
  } catch (err) {
    if (err instanceof SignInRefusal) throw new OAuthError(err.code, err.message, purpose);
    throw err;
  }
}

/** What the callback's state says, once decrypted and checked for expiry (not yet for reuse). */
export async function readState(
  config: CockpitConfig,
  state: string | undefined,
): Promise<{ purpose: OAuthPurpose; id: string; expires: number; secrets: SignInSecrets }> {
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
  return { purpose: payload.p as OAuthPurpose, id: payload.jti!, expires: payload.exp! * 1000, secrets: (payload.s as SignInSecrets | undefined) ?? {} };
}

/**
 * Exchanges the code at the provider and checks membership of the organization, the way
 * `[oauth] provider` says (src/auth/providers/): ItsYou.online's granted scope, or an OpenID
 * provider's ID token and membership claim. `state` is the callback's raw state, which carries the
 * sign-in's PKCE verifier and nonce. `onStep` hears each step as it starts.
 * @returns the member, and what a later re-check of membership needs (to be sealed: src/auth/provider-grant.ts)
 * @throws OAuthError naming the cause (`exchange_failed`, `token_invalid`, `not_member`, ...)
 */
export async function exchangeCode(
  config: CockpitConfig,
  code: string,
  state: string,
  origin: string,
  purpose: OAuthPurpose,
  onStep: (step: SignInStep) => void = () => {},
  accessAssertion?: string,
): Promise<SignedIn> {
  const { secrets } = await readState(config, state);
  try {
    return await identityProvider(config.oauth).exchange(config.oauth, { code, state, redirectUri: redirectUri(config, origin), secrets, ...(accessAssertion ? { accessAssertion } : {}) }, onStep);
  } catch (err) {
    if (err instanceof SignInRefusal) throw new OAuthError(err.code, err.message, purpose);
    throw err;
  }
}
