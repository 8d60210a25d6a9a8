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
}

export interface IdentityProvider {
  /** Fresh secrets for one sign-in (kept in its state until the callback). */
  newSecrets(): SignInSecrets;
  /** The provider's authorize link. @throws SignInRefusal (e.g. `provider_unavailable`) */
  authorizeUrl(oauth: OAuthSettings, request: AuthorizeRequest): Promise<string>;
  /**
   * Exchanges the code and checks membership; `onStep` hears each step as it starts.
   * @returns the member's user name
   * @throws SignInRefusal
   */
  exchange(oauth: OAuthSettings, exchange: CodeExchange, onStep: (step: SignInStep) => void): Promise<string>;
  /** Verifies an API bearer token of this provider. @throws AuthError with a reason fit for a 401 */
  verifyBearer(token: string, oauth: OAuthSettings): Promise<Caller>;
}
