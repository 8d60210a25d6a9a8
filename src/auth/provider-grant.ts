/**
 * The provider grant a re-check needs (its refresh token, an access token, the person's subject),
 * sealed at rest: a JWE (`dir` + A256GCM) under a key derived from `[auth] secret`, like the OAuth
 * state and the refresh tokens, so the OrganizationActor only ever stores an opaque string.
 */
import { EncryptJWT, jwtDecrypt } from "jose";
import type { CockpitConfig } from "../config/index.ts";
import { derivedKey } from "./keys.ts";
import type { ProviderGrant } from "./providers/types.ts";
import { authSecret } from "./refresh-token.ts";

const GRANT_KEY_LABEL = "cockpit provider grant v1";
const TYP = "cockpit-grant";

/** Seals `grant` (undefined when there is nothing to keep). @throws AuthError without `[auth] secret` */
export async function sealGrant(config: CockpitConfig, grant: ProviderGrant | undefined): Promise<string | undefined> {
  if (!grant || (!grant.refresh_token && !grant.access_token)) return undefined;
  const key = await derivedKey(authSecret(config), GRANT_KEY_LABEL);
  const { sub, refresh_token, access_token } = grant;
  return new EncryptJWT({ g: { sub, refresh_token, access_token } }).setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: TYP }).setIssuedAt().encrypt(key);
}

/** Opens a sealed grant; undefined when it cannot be read (another `[auth] secret`, or none was kept). */
export async function openGrant(config: CockpitConfig, sealed: string | null | undefined): Promise<ProviderGrant | undefined> {
  if (!sealed) return undefined;
  try {
    const key = await derivedKey(authSecret(config), GRANT_KEY_LABEL);
    const { payload } = await jwtDecrypt(sealed, key, { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"], typ: TYP });
    const g = payload.g as Record<string, unknown> | undefined;
    if (!g || typeof g !== "object") return undefined;
    const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
    return { sub: text(g.sub), refresh_token: text(g.refresh_token), access_token: text(g.access_token) };
  } catch {
    return undefined;
  }
}
