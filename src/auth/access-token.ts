/**
 * The cockpit's own access tokens: short-lived JWTs signed with `[auth] signing_key` (Ed25519 or
 * P-256), handed to a browser after sign-in and accepted by the `/ays` API next to provider tokens.
 */
import { decodeJwt, errors, exportJWK, importJWK, importPKCS8, jwtVerify, SignJWT, type CryptoKey } from "jose";
import type { CockpitConfig } from "../config/index.ts";
import { AuthError, ISSUED_IN_FUTURE, issuedInFuture, type Caller } from "./jwt.ts";

/** `iss` of every token the cockpit signs; provider tokens carry `[oauth] issuer` instead. */
export const COCKPIT_ISSUER = "cockpit";
/** RFC 9068's media type for access tokens, so a token made for another use is never taken for one. */
const ACCESS_TYP = "at+jwt";
/** Ten minutes: short enough that a copied token is soon worthless, long enough to refresh rarely. */
export const ACCESS_TTL_SECONDS = 600;

interface SigningKeys {
  alg: "EdDSA" | "ES256";
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

// One import per isolate and key: PKCS#8 parsing is costly and the secret never changes while it lives.
const imported = new Map<string, Promise<SigningKeys>>();

async function importKeys(pem: string): Promise<SigningKeys> {
  for (const alg of ["EdDSA", "ES256"] as const) {
    let privateKey: CryptoKey;
    try {
      privateKey = await importPKCS8(pem, alg, { extractable: true });
    } catch {
      continue;
    }
    // The public half comes from the private JWK without `d`; the private key stays unexported.
    const { d: _d, ...publicJwk } = await exportJWK(privateKey);
    const publicKey = (await importJWK(publicJwk, alg)) as CryptoKey;
    return { alg, privateKey: (await importPKCS8(pem, alg)) as CryptoKey, publicKey };
  }
  throw new AuthError("sign-in is not configured: [auth] signing_key is not an Ed25519 or P-256 PKCS#8 key");
}

/**
 * The imported signing keys.
 * @throws AuthError when `[auth] signing_key` is missing or not a usable key
 */
export function signingKeys(config: CockpitConfig): Promise<SigningKeys> {
  const pem = config.auth?.signing_key;
  if (!pem) return Promise.reject(new AuthError("sign-in is not configured: set [auth] signing_key (a Worker secret, AUTH_SIGNING_KEY)"));
  let keys = imported.get(pem);
  if (!keys) {
    keys = importKeys(pem);
    keys.catch(() => imported.delete(pem));
    imported.set(pem, keys);
  }
  return keys;
}

export interface AccessGrant {
  user: string;
  kind: Caller["kind"];
  /** The session (refresh-token family) the token belongs to; ending it ends the token too. */
  session: string;
}

/** Signs an access token for `grant`; `exp` is seconds since the epoch. */
export async function issueAccessToken(config: CockpitConfig, grant: AccessGrant): Promise<{ token: string; exp: number }> {
  const { alg, privateKey } = await signingKeys(config);
  const exp = Math.floor(Date.now() / 1000) + ACCESS_TTL_SECONDS;
  const token = await new SignJWT({ kind: grant.kind, sid: grant.session })
    .setProtectedHeader({ alg, typ: ACCESS_TYP })
    .setIssuer(COCKPIT_ISSUER)
    .setAudience(config.oauth.organization)
    .setSubject(grant.user)
    .setIssuedAt()
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(privateKey);
  return { token, exp };
}

/** True when the token claims to be the cockpit's own (unverified: only picks the key to check it with). */
export function isCockpitToken(token: string): boolean {
  try {
    return decodeJwt(token).iss === COCKPIT_ISSUER;
  } catch {
    return false;
  }
}

/**
 * Verifies a cockpit access token: signature (algorithm pinned to the key's), issuer, audience,
 * type, expiry and an `iat` not in the future. Whether its session is still open is the caller's check (it needs the actor).
 * @throws AuthError with a reason fit for a 401 body
 */
export async function verifyAccessToken(token: string, config: CockpitConfig): Promise<Caller & { session: string }> {
  const { alg, publicKey } = await signingKeys(config);
  let payload;
  try {
    ({ payload } = await jwtVerify(token, publicKey, {
      algorithms: [alg],
      issuer: COCKPIT_ISSUER,
      audience: config.oauth.organization,
      typ: ACCESS_TYP,
      requiredClaims: ["exp", "sub", "sid"],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new AuthError("expired");
    if (err instanceof errors.JWSSignatureVerificationFailed) throw new AuthError("bad signature");
    if (err instanceof errors.JOSEAlgNotAllowed) throw new AuthError(`unsupported alg: expected ${alg}`);
    if (err instanceof errors.JWTClaimValidationFailed) throw new AuthError(`invalid claim ${err.claim}`);
    throw new AuthError("malformed token");
  }
  if (issuedInFuture(payload)) throw new AuthError(ISSUED_IN_FUTURE);
  const kind = payload.kind === "organization" ? "organization" : "user";
  if (typeof payload.sid !== "string") throw new AuthError("invalid claim sid");
  return { user: payload.sub!, kind, exp: payload.exp!, session: payload.sid };
}
