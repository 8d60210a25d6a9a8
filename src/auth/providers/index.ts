/** The identity provider `[oauth] provider` names. */
import { itsYouOnline } from "./itsyouonline.ts";
import { oidc } from "./oidc.ts";
import type { IdentityProvider, OAuthSettings } from "./types.ts";

/**
 * `local` is the OpenID provider `cockpit start` runs and points `oidc` at (src/cli/local-provider.ts),
 * so a Worker sees `oidc` for it; given `local` as such it speaks OpenID to `[oauth] issuer` all the same.
 */
export function identityProvider(oauth: OAuthSettings): IdentityProvider {
  return oauth.provider === "itsyouonline" ? itsYouOnline : oidc;
}
