/**
 * Verifies the bearer JWTs of the `/ays` API the way the original cockpit did (ays-original.md §4.2),
 * with the algorithm pinned: ES384 against `[oauth].jwt_key`, or the keys of `[oauth].jwks_url`.
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import type { CockpitConfig } from "../config/index.ts";

/** ItsYou.online signs with ES384; a JWKS may also carry the other common asymmetric algorithms. */
const STATIC_KEY_ALGS = ["ES384"];
const JWKS_ALGS = ["ES384", "ES256", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA", "Ed25519"];

/** A refused token; `reason` is safe to show the caller. */
export class AuthError extends Error {
  override name = "AuthError";
}

/**
 * How far ahead of this clock a token's `iat` may lie (the issuer's clock may run a little fast).
 * jose checks `exp` and `nbf`, with no tolerance here, but never an `iat` in the future.
 */
export const CLOCK_SKEW_SECONDS = 60;

/** The refusal of a token dated ahead of this clock by more than the skew. */
export const ISSUED_IN_FUTURE = `issued in the future (iat more than ${CLOCK_SKEW_SECONDS} s ahead)`;

/**
 * True when a verified or decrypted payload says it was issued later than now plus the skew: a
 * token minted with a clock set ahead (or a year ahead on purpose) would otherwise stay usable as
 * long as its `exp` allows. A payload without `iat` passes (jose has checked any `iat` is a number).
 */
export function issuedInFuture(payload: JWTPayload, now = Date.now()): boolean {
  return typeof payload.iat === "number" && payload.iat > Math.floor(now / 1000) + CLOCK_SKEW_SECONDS;
}

export interface Caller {
  /** `username` for a user token, or the organization's `globalid` for a client-credentials token. */
  user: string;
  kind: "user" | "organization";
  /** Seconds since the epoch at which the token expires. */
  exp: number;
  /** Set for the cockpit's own access tokens: the sign-in session they belong to. */
  session?: string;
  /** Set for an API key (src/auth/api-keys.ts): which, and the repository it is limited to, if any. */
  apiKey?: { id: string; name: string; repo: string | null; role: string };
}

// Keys are imported once per isolate: importSPKI and remote JWKS sets are costly and immutable.
const staticKeys = new Map<string, Promise<CryptoKey>>();
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

function keyFor(oauth: CockpitConfig["oauth"]): { key: CryptoKey | JWTVerifyGetKey | Promise<CryptoKey>; algorithms: string[] } {
  if (oauth.jwks_url) {
    let set = remoteKeySets.get(oauth.jwks_url);
    if (!set) {
      set = createRemoteJWKSet(new URL(oauth.jwks_url));
      remoteKeySets.set(oauth.jwks_url, set);
    }
    return { key: set, algorithms: JWKS_ALGS };
  }
  const pem = oauth.jwt_key!;
  let key = staticKeys.get(pem);
  if (!key) {
    key = importSPKI(pem, "ES384");
    key.catch(() => staticKeys.delete(pem));
    staticKeys.set(pem, key);
  }
  return { key, algorithms: STATIC_KEY_ALGS };
}

/**
 * Extracts the token from `Authorization: bearer <jwt>` (any case) or else the `jwt` cookie. The header
 * wins: a page cannot forge it cross-site, so a request that carries it needs no CSRF check.
 */
export function tokenFromRequest(authorization: string | undefined, cookieJwt: string | undefined): string {
  if (!authorization && cookieJwt) return cookieJwt;
  if (!authorization) throw new AuthError("missing token: send Authorization: bearer <JWT>");
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw new AuthError("malformed Authorization header: expected bearer <JWT>");
  return match[1]!;
}

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope;
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === "string");
  if (typeof scope === "string") return scope.split(/[\s,]+/).filter(Boolean);
  return [];
}

/**
 * Verifies a token and checks organization membership.
 * @throws AuthError with a reason fit for a 401 body
 */
export async function verifyToken(token: string, oauth: CockpitConfig["oauth"]): Promise<Caller> {
  const organization = oauth.organization;
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new AuthError("malformed token");
  }
  const { key, algorithms } = keyFor(oauth);
  if (typeof header.alg !== "string" || !algorithms.includes(header.alg)) {
    throw new AuthError(`unsupported alg ${String(header.alg ?? "(none)")}: expected ${algorithms.join(" or ")}`);
  }
  let payload: JWTPayload;
  try {
    const resolved = key instanceof Promise ? await key : key;
    ({ payload } = await jwtVerify(token, resolved as CryptoKey, {
      algorithms,
      issuer: oauth.issuer,
      audience: organization,
      requiredClaims: ["exp"],
    }));
  } catch (err) {
    throw new AuthError(describeJoseError(err, oauth));
  }
  if (issuedInFuture(payload)) throw new AuthError(ISSUED_IN_FUTURE);
  const globalid = typeof payload.globalid === "string" ? payload.globalid : undefined;
  const username = typeof payload.username === "string" ? payload.username : typeof payload.sub === "string" ? payload.sub : undefined;
  if (globalid === organization) return { user: globalid, kind: "organization", exp: payload.exp! };
  if (!scopesOf(payload).includes(`user:memberof:${organization}`)) {
    throw new AuthError(`not a member of ${organization}`);
  }
  if (!username) throw new AuthError("token names no user (username)");
  return { user: username, kind: "user", exp: payload.exp! };
}

function describeJoseError(err: unknown, oauth: CockpitConfig["oauth"]): string {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return `wrong issuer: expected ${oauth.issuer}`;
    if (err.claim === "aud") return `wrong audience: not issued for ${oauth.organization}`;
    if (err.claim === "exp") return "missing exp";
    return `invalid claim ${err.claim}`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad signature";
  if (err instanceof errors.JOSEAlgNotAllowed) return "unsupported alg";
  if (err instanceof errors.JWKSNoMatchingKey) return "bad signature: no matching key in the JWKS";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return "cannot fetch the JWKS to verify the token";
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return "malformed token";
  if (err instanceof TypeError || (err instanceof Error && /key/i.test(err.message))) {
    // A key that does not fit the token (wrong curve, or a jwt_key that is not a P-384 key).
    return "bad signature";
  }
  return "invalid token";
}
