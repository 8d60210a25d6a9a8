/**
 * What every identity provider offers the sign-in flow (src/auth/oauth.ts) and the API guard
 * (src/auth/middleware.ts). A leaf module: providers and their callers import it, it imports no route.
 */
import type { CockpitConfig } from "../../config/index.ts";
import type { Caller } from "../jwt.ts";

export type OAuthSettings = CockpitConfig["oauth"];

/** Secrets of one sign-in, sealed in its encrypted state: the PKCE verifier and the OpenID nonce. */
export interface SignInSecrets {
  verifier?: string;
  nonce?: string;
}

/** The steps of a sign-in after the state was read, as a progress page shows them. */
export type SignInStep = "exchange" | "membership";

/** Why a provider refused a sign-in; src/auth/oauth.ts adds the purpose and shows `message`. */
export type RefusalCode = "not_configured" | "provider_unavailable" | "exchange_failed" | "token_invalid" | "not_member";

/** A refused sign-in, before it is tied to its purpose. `message` is fit to show the person (never a token). */
export class SignInRefusal extends Error {
  override name = "SignInRefusal";
  readonly code: RefusalCode;

  constructor(code: RefusalCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface AuthorizeRequest {
  redirectUri: string;
  state: string;
  secrets: SignInSecrets;
}

export interface CodeExchange {
  code: string;
  /** The raw state, which ItsYou.online wants back at the token endpoint. */
  state: string;
  redirectUri: string;
  secrets: SignInSecrets;
  /** Behind Cloudflare Access: the callback request's own Access token (its header, or cookie). */
  accessAssertion?: string;
}

/**
 * What a provider needs to ask about a person again later (src/auth/recheck.ts): kept sealed with
 * `[auth] secret` (src/auth/provider-grant.ts), never logged, never in an answer.
 */
export interface ProviderGrant {
  /** The person's subject at the provider (OpenID `sub`): a refreshed identity must be the same one. */
  sub?: string;
  /** The provider's refresh token (OpenID `offline_access`), spent and replaced at each re-check. */
  refresh_token?: string;
  /** An access token to ask userinfo (OpenID) or the provider's API (GitHub) with. */
  access_token?: string;
}

/** A verified member: their user name, and what a re-check of their membership will need. */
export interface SignedIn {
  user: string;
  grant?: ProviderGrant;
}

/**
 * What the provider said when membership was asked again:
 * - `member`: still a member (`grant`, when present, replaces the stored one: a rotated refresh token);
 * - `ended`: the provider refused the grant (`invalid_grant`, a refused token) or the claim no longer
 *   holds: access ends;
 * - `unavailable`: the provider could not answer (down, 5xx, timeout): access stays, ask again next time;
 * - `unsupported`: there is no way to ask (no grant was kept, or the provider offers none): access
 *   lasts only as long as its own expiry allows.
 * `reason` is fit for the audit log and the person (never a token).
 */
export type RecheckResult =
  | { status: "member"; grant?: ProviderGrant }
  | { status: "ended" | "unavailable" | "unsupported"; reason: string };

export interface IdentityProvider {
  /** Fresh secrets for one sign-in (kept in its state until the callback). */
  newSecrets(): SignInSecrets;
  /** The provider's authorize link. @throws SignInRefusal (e.g. `provider_unavailable`) */
  authorizeUrl(oauth: OAuthSettings, request: AuthorizeRequest): Promise<string>;
  /**
   * Exchanges the code and checks membership; `onStep` hears each step as it starts.
   * @returns the member, with what a later re-check needs
   * @throws SignInRefusal
   */
  exchange(oauth: OAuthSettings, exchange: CodeExchange, onStep: (step: SignInStep) => void): Promise<SignedIn>;
  /**
   * Asks the provider again whether the person of `grant` is still a member (a console refresh, a
   * linked chat's message, at most every `[auth] recheck_minutes`). Never throws for the provider's
   * answers: a refusal is `ended`, trouble reaching it `unavailable`.
   */
  recheck(oauth: OAuthSettings, grant: ProviderGrant | undefined): Promise<RecheckResult>;
  /** Verifies an API bearer token of this provider. @throws AuthError with a reason fit for a 401 */
  verifyBearer(token: string, oauth: OAuthSettings): Promise<Caller>;
}
