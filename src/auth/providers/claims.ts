/**
 * Reading OpenID claims: membership from a claim (a dotted path such as `realm_access.roles`, or a
 * namespaced URL claim such as `https://example.com/groups`), and the person's user name.
 */
import type { JWTPayload } from "jose";
import type { OAuthSettings } from "./types.ts";

export type Claims = Record<string, unknown>;

/** The value at `path`: the claim of that exact name first (URL claims hold dots), else the dotted path. */
export function claimAt(claims: Claims, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const part of path.split(".")) {
    if (!value || typeof value !== "object" || !Object.hasOwn(value, part)) return undefined;
    value = (value as Claims)[part];
  }
  return value;
}

/** What the organization's members carry in `member_claim`: the organization, or one of `member_values`. */
export function memberValues(oauth: OAuthSettings): string[] {
  return [oauth.organization, ...oauth.member_values];
}

/**
 * `true` or `false` when the claims say, `undefined` when they lack `member_claim` (ask userinfo).
 * The claim may be a string or a list of strings.
 */
export function membershipIn(claims: Claims, oauth: OAuthSettings): boolean | undefined {
  const value = claimAt(claims, oauth.member_claim);
  if (value === undefined || value === null) return undefined;
  const held = typeof value === "string" ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  const wanted = memberValues(oauth);
  return held.some((v) => wanted.includes(v));
}

/** `username_claim`, then `email`, then `sub`. */
export function userNameIn(claims: Claims, oauth: OAuthSettings): string | undefined {
  for (const name of [oauth.username_claim, "email", "sub"]) {
    const value = claimAt(claims, name);
    if (typeof value === "string" && value.trim()) return value.trim();
  }
  return undefined;
}

/**
 * A token issued to a client for itself (client credentials), not to a person: no `sub`, or `sub`
 * equal to its client id (RFC 9068), or a provider's own marker (Auth0's `gty`, Keycloak's
 * `service-account-` users). Returns the client's id, or undefined for a person's token.
 */
export function clientOf(payload: JWTPayload): string | undefined {
  const client = typeof payload.client_id === "string" ? payload.client_id : typeof payload.azp === "string" ? payload.azp : undefined;
  const username = typeof payload.preferred_username === "string" ? payload.preferred_username : "";
  if (payload.sub === undefined) return client ?? "client";
  if (client && payload.sub === client) return client;
  if (payload.gty === "client-credentials") return client ?? payload.sub;
  if (username.startsWith("service-account-")) return client ?? username.slice("service-account-".length);
  return undefined;
}
