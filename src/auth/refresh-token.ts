/**
 * Refresh tokens: a JWE (`dir` + A256GCM, key derived from `[auth] secret`), so the browser holds an
 * opaque string. Inside is only which session (family) and which generation of it this token is; the
 * OrganizationActor decides whether that generation is still the current one (see `rotateSession`).
 */
import { EncryptJWT, errors, jwtDecrypt } from "jose";
import type { CockpitConfig } from "../config/index.ts";
import { AuthError, issuedInFuture } from "./jwt.ts";
import { derivedKey } from "./keys.ts";

const REFRESH_KEY_LABEL = "cockpit refresh token v1";

export interface RefreshClaims {
  /** The session: every token rotated from one sign-in shares it, and revoking it revokes them all. */
  session: string;
  /** This generation's id; only the newest one of a session may be exchanged. */
  token: string;
}

/** `[auth] secret`, which keys everything the cockpit hands out sealed. @throws AuthError without it */
export function authSecret(config: CockpitConfig): string {
  const secret = config.auth?.secret;
  if (!secret) throw new AuthError("sign-in is not configured: set [auth] secret (a Worker secret, AUTH_SECRET)");
  return secret;
}

/** Seals `claims` until `expires` (ms since the epoch). */
export async function sealRefreshToken(config: CockpitConfig, claims: RefreshClaims, expires: number): Promise<string> {
  const key = await derivedKey(authSecret(config), REFRESH_KEY_LABEL);
  return new EncryptJWT({ sid: claims.session })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: "cockpit-refresh" })
    .setJti(claims.token)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expires / 1000))
    .encrypt(key);
}

/**
 * Opens a refresh token: only one this cockpit sealed, unaltered and unexpired, is accepted.
 * @throws AuthError with a reason fit for a 401 body
 */
export async function openRefreshToken(config: CockpitConfig, jwe: string): Promise<RefreshClaims> {
  const key = await derivedKey(authSecret(config), REFRESH_KEY_LABEL);
  try {
    const { payload } = await jwtDecrypt(jwe, key, {
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
      typ: "cockpit-refresh",
      requiredClaims: ["jti", "exp"],
    });
    if (typeof payload.sid !== "string") throw new AuthError("refresh token names no session");
    if (issuedInFuture(payload)) throw new AuthError("refresh token issued in the future: sign in again");
    return { session: payload.sid, token: payload.jti! };
  } catch (err) {
    if (err instanceof AuthError) throw err;
    if (err instanceof errors.JWTExpired) throw new AuthError("refresh token expired: sign in again");
    throw new AuthError("refresh token is not one this cockpit issued: sign in again");
  }
}
