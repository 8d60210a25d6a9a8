/** The identity provider `[oauth] provider` names. */
import { cloudflareAccess } from "./cloudflare-access.ts";
import { github } from "./github.ts";
import { itsYouOnline } from "./itsyouonline.ts";
import { oidc } from "./oidc.ts";
import type { IdentityProvider, OAuthSettings } from "./types.ts";

/**
 * `local` is the OpenID provider `cockpit start` runs and points `oidc` at (src/cli/local-provider.ts),
 * so a Worker sees `oidc` for it; given `local` as such it speaks OpenID to `[oauth] issuer` all the same.
 */
export function identityProvider(oauth: OAuthSettings): IdentityProvider {
  switch (oauth.provider) {
    case "itsyouonline":
      return itsYouOnline;
    case "github":
      return github;
    case "cloudflare-access":
      return cloudflareAccess;
    default:
      return oidc;
  }
}
