/**
 * Any OpenID Connect provider (`provider = "oidc"`, and `local`, which `cockpit start` points here):
 * discovery from `{issuer}/.well-known/openid-configuration`, the authorization code flow with PKCE
 * (S256) and a nonce, the ID token verified with the provider's JWKS, and membership read from a
 * claim (`member_claim`) of the ID token or else of userinfo: never from a granted scope, which a
 * standard provider grants to whoever consents.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { AuthError, ISSUED_IN_FUTURE, issuedInFuture, type Caller } from "../jwt.ts";
import { clientOf, membershipIn, userNameIn, type Claims } from "./claims.ts";
import { SignInRefusal, type IdentityProvider, type OAuthSettings, type ProviderGrant, type RecheckResult } from "./types.ts";

/** Every asymmetric JWS algorithm; never `none` or HS* (a client secret is not a signing key). */
export const ASYMMETRIC_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** How long a discovery document is kept, and how long a bearer token's userinfo answer. */
export const DISCOVERY_TTL_MS = 10 * 60_000;
export const USERINFO_TTL_MS = 60_000;
const USERINFO_CACHE_MAX = 500;
export const FETCH_TIMEOUT_MS = 10_000;

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
  scopes_supported?: string[];
}

/** The provider cannot be used right now (down, or its discovery document is wrong). */
export class ProviderUnavailable extends Error {
  override name = "ProviderUnavailable";
}

const discoveries = new Map<string, { until: number; doc: Promise<Discovery> }>();
const keySets = new Map<string, JWTVerifyGetKey>();
const userinfoCache = new Map<string, { until: number; claims: Claims }>();

const trimSlash = (s: string) => s.replace(/\/+$/, "");

/** The issuer's discovery document, cached per isolate for DISCOVERY_TTL_MS (a failure is not cached). */
export function discover(issuer: string, now = Date.now()): Promise<Discovery> {
  const cached = discoveries.get(issuer);
  if (cached && cached.until > now) return cached.doc;
  const doc = fetchDiscovery(issuer);
  discoveries.set(issuer, { until: now + DISCOVERY_TTL_MS, doc });
  doc.catch(() => discoveries.delete(issuer));
  return doc;
}

async function fetchDiscovery(issuer: string): Promise<Discovery> {
  const url = `${trimSlash(issuer)}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (err) {
    throw new ProviderUnavailable(`the identity provider ${issuer} cannot be reached (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!response.ok) throw new ProviderUnavailable(`the identity provider ${issuer} answered HTTP ${response.status} for its discovery document`);
  const doc = (await response.json().catch(() => undefined)) as Partial<Discovery> | undefined;
  if (!doc || typeof doc !== "object") throw new ProviderUnavailable(`the identity provider ${issuer} sent a discovery document that is not JSON`);
  if (typeof doc.issuer !== "string" || trimSlash(doc.issuer) !== trimSlash(issuer)) {
    throw new ProviderUnavailable(`the discovery document of ${issuer} names another issuer (${String(doc.issuer)}): check [oauth] issuer`);
  }
  for (const key of ["authorization_endpoint", "token_endpoint", "jwks_uri"] as const) {
    if (typeof doc[key] !== "string") throw new ProviderUnavailable(`the discovery document of ${issuer} has no ${key}`);
  }
  return doc as Discovery;
}

function keySet(jwksUri: string): JWTVerifyGetKey {
  let set = keySets.get(jwksUri);
  if (!set) {
    set = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: FETCH_TIMEOUT_MS });
    keySets.set(jwksUri, set);
  }
  return set;
}

/** Forgets cached discovery documents and userinfo answers (tests). */
export function forgetProviderCaches(): void {
  discoveries.clear();
  keySets.clear();
  userinfoCache.clear();
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

export async function s256(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

/** What a token is, why it was refused: for the person's page, the chat, the audit log and a 401. */
export function describeJwtError(err: unknown, what: string, expected: { issuer: string; audience: string }): string {
  if (err instanceof errors.JWTExpired) return `${what} expired`;
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return `${what} has the wrong issuer (${String(err.payload.iss)}; expected ${expected.issuer})`;
    if (err.claim === "aud") return `${what} has the wrong audience (${JSON.stringify(err.payload.aud ?? null)}; expected ${expected.audience})`;
    if (err.claim === "exp") return `${what} has no exp`;
    if (err.claim === "nbf") return `${what} is not valid yet (nbf)`;
    return `${what} has an invalid claim ${err.claim}`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return `${what} has a bad signature`;
  if (err instanceof errors.JOSEAlgNotAllowed) return `${what} uses an algorithm Cockpit does not accept`;
  if (err instanceof errors.JWKSNoMatchingKey) return `${what} has a bad signature: signed with a key the provider does not publish`;
  if (err instanceof errors.JWKSMultipleMatchingKeys) return `${what} names no key (kid) and the provider publishes several`;
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return `cannot fetch the provider's keys (JWKS) to verify ${what}`;
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return `${what} is malformed`;
  if (err instanceof TypeError) return `${what} has a bad signature (its key does not fit its algorithm)`;
  return `${what} is invalid`;
}

/** Checks the header's algorithm first, so an HS256 or `none` token is named as such. */
function checkAlg(token: string, what: string): void {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new AuthError(`${what} is malformed`);
  }
  if (typeof alg !== "string" || !ASYMMETRIC_ALGS.includes(alg)) {
    throw new AuthError(`${what} uses algorithm ${String(alg ?? "(none)")}: Cockpit accepts only asymmetric signatures (RS*, PS*, ES*, EdDSA)`);
  }
}

async function verifyJwt(token: string, doc: Discovery, audience: string, what: string): Promise<JWTPayload> {
  checkAlg(token, what);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySet(doc.jwks_uri), { algorithms: ASYMMETRIC_ALGS, issuer: doc.issuer, audience, requiredClaims: ["exp"] }));
  } catch (err) {
    throw new AuthError(describeJwtError(err, what, { issuer: doc.issuer, audience }));
  }
  if (issuedInFuture(payload)) throw new AuthError(`${what}: ${ISSUED_IN_FUTURE}`);
  return payload;
}

/** The provider could not answer (unreachable, 5xx): a re-check keeps access and asks again later. */
class UserinfoUnavailable extends AuthError {}

async function userinfo(doc: Discovery, accessToken: string): Promise<Claims> {
  if (!doc.userinfo_endpoint) throw new AuthError("the provider has no userinfo endpoint to ask for the membership claim");
  let response: Response;
  try {
    response = await fetch(doc.userinfo_endpoint, {
      headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch {
    throw new UserinfoUnavailable("the provider's userinfo endpoint cannot be reached");
  }
  if (response.status >= 500) throw new UserinfoUnavailable(`the provider's userinfo endpoint failed (HTTP ${response.status})`);
  if (!response.ok) {
    const why = response.headers.get("www-authenticate")?.match(/error_description="([^"]{0,200})"/)?.[1];
    throw new AuthError(`the provider's userinfo endpoint refused the token (HTTP ${response.status}${why ? `: ${why}` : ""})`);
  }
  const claims = (await response.json().catch(() => undefined)) as Claims | undefined;
  if (!claims || typeof claims !== "object") throw new AuthError("the provider's userinfo answer is not JSON");
  return claims;
}

function audienceOf(oauth: OAuthSettings): string {
  return oauth.audience ?? oauth.client_id;
}

async function discovered(oauth: OAuthSettings): Promise<Discovery> {
  try {
    return await discover(oauth.issuer);
  } catch (err) {
    if (err instanceof ProviderUnavailable) throw new SignInRefusal("provider_unavailable", `${err.message}: try again in a minute`);
    throw err;
  }
}

interface TokenAnswer {
  access_token?: unknown;
  id_token?: unknown;
  refresh_token?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/** The provider's own words (`error: error_description`), kept short and on one line. */
export function providerSays(answer: { error?: unknown; error_description?: unknown }, status: number): string {
  const parts = [answer.error, answer.error_description].filter((p): p is string => typeof p === "string" && p !== "");
  const text = parts.length ? parts.join(": ") : `HTTP ${status}`;
  return text.replace(/\s+/g, " ").slice(0, 300);
}

/** POSTs `body` to the token endpoint with the client's authentication (basic, post, or none: a public client). */
function tokenRequest(oauth: OAuthSettings, doc: Discovery, body: URLSearchParams): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  const methods = doc.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
  if (!oauth.client_secret) body.set("client_id", oauth.client_id);
  else if (methods.includes("client_secret_basic") || !methods.includes("client_secret_post")) {
    headers.authorization = `Basic ${btoa(`${encodeURIComponent(oauth.client_id)}:${encodeURIComponent(oauth.client_secret)}`)}`;
  } else {
    body.set("client_id", oauth.client_id);
    body.set("client_secret", oauth.client_secret);
  }
  return fetch(doc.token_endpoint, { method: "POST", headers, body, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
}

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

export const oidc: IdentityProvider = {
  newSecrets: () => ({ verifier: randomString(), nonce: randomString() }),

  async authorizeUrl(oauth, { redirectUri, state, secrets }) {
    const doc = await discovered(oauth);
    const url = new URL(doc.authorization_endpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", oauth.client_id);
    url.searchParams.set("redirect_uri", redirectUri);
    // offline_access (a refresh token) when offered, so that membership can be asked again later;
    // OpenID Connect Core §11 wants prompt=consent with it (oidc-provider drops the scope without).
    const offline = doc.scopes_supported?.includes("offline_access") ? ["offline_access"] : [];
    url.searchParams.set("scope", [...new Set(["openid", "profile", "email", ...oauth.scopes, ...offline])].join(" "));
    if (offline.length) url.searchParams.set("prompt", "consent");
    url.searchParams.set("state", state);
    url.searchParams.set("nonce", secrets.nonce!);
    url.searchParams.set("code_challenge", await s256(secrets.verifier!));
    url.searchParams.set("code_challenge_method", "S256");
    return url.toString();
  },

  async exchange(oauth, { code, redirectUri, secrets }, onStep) {
    if (!secrets.verifier || !secrets.nonce) throw new SignInRefusal("token_invalid", "the sign-in link carries no PKCE verifier or nonce: start again");
    const doc = await discovered(oauth);
    onStep("exchange");
    const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: secrets.verifier });
    let answer: TokenAnswer;
    try {
      const response = await tokenRequest(oauth, doc, body);
      answer = (await response.json().catch(() => ({}))) as TokenAnswer;
      if (!response.ok) throw new SignInRefusal("exchange_failed", `the identity provider refused the sign-in code (${providerSays(answer, response.status)}): start again`);
    } catch (err) {
      if (err instanceof SignInRefusal) throw err;
      throw new SignInRefusal("provider_unavailable", "the identity provider's token endpoint could not be reached: try again in a minute");
    }
    if (typeof answer.id_token !== "string") throw new SignInRefusal("token_invalid", "the identity provider sent no ID token (is the openid scope allowed for this client?)");
    onStep("membership");
    let claims: Claims;
    try {
      const payload = await verifyJwt(answer.id_token, doc, oauth.client_id, "the ID token");
      if (payload.nonce !== secrets.nonce) throw new AuthError("the ID token's nonce does not match this sign-in (a replayed or mixed-up sign-in)");
      if (typeof payload.sub !== "string") throw new AuthError("the ID token names no subject (sub)");
      claims = payload as Claims;
      if (membershipIn(claims, oauth) === undefined) {
        if (typeof answer.access_token !== "string") throw new AuthError(`the ID token has no ${oauth.member_claim} claim and no access token came to ask userinfo`);
        const info = await userinfo(doc, answer.access_token);
        if (info.sub !== payload.sub) throw new AuthError("the provider's userinfo answer is about another subject than the ID token");
        claims = { ...info, ...payload };
      }
    } catch (err) {
      if (err instanceof AuthError) throw new SignInRefusal("token_invalid", `the sign-in was refused: ${err.message}`);
      throw err;
    }
    const user = userNameIn(claims, oauth)!;
    if (!membershipIn(claims, oauth)) {
      throw new SignInRefusal("not_member", `${user} is not a member of the organization '${oauth.organization}' (the ${oauth.member_claim} claim does not list it)`);
    }
    const grant: ProviderGrant = { sub: claims.sub as string, refresh_token: text(answer.refresh_token), access_token: text(answer.access_token) };
    return { user, grant };
  },

  recheck: (oauth, grant) => recheckOidc(oauth, grant),

  async verifyBearer(token, oauth) {
    let doc: Discovery;
    try {
      doc = await discover(oauth.issuer);
    } catch (err) {
      if (err instanceof ProviderUnavailable) throw new AuthError(`cannot verify the token: ${err.message}`);
      throw err;
    }
    const payload = await verifyJwt(token, doc, audienceOf(oauth), "the token");
    const client = clientOf(payload);
    let claims = payload as Claims;
    let member = membershipIn(claims, oauth);
    if (member === undefined && client === undefined) {
      // A person's access token without the claim: ask userinfo with it, briefly cached.
      claims = { ...(await cachedUserinfo(doc, token, payload)), ...payload };
      member = membershipIn(claims, oauth);
    }
    const who = client ?? userNameIn(claims, oauth) ?? "(unknown)";
    if (!member) throw new AuthError(`not a member of ${oauth.organization}: the ${oauth.member_claim} claim of ${who}'s token does not list it`);
    const caller: Caller = client !== undefined ? { user: client, kind: "organization", exp: payload.exp! } : { user: who, kind: "user", exp: payload.exp! };
    return caller;
  },
};

/**
 * Where to send the browser to sign out at the provider too (OpenID RP-Initiated Logout): its
 * `end_session_endpoint` with the client id and where to come back, which the provider must know
 * (a registered post-logout redirect URI). Undefined when the provider offers none.
 * @throws ProviderUnavailable when its discovery document cannot be read
 */
export async function endSessionUrl(oauth: OAuthSettings, backTo: string): Promise<string | undefined> {
  const doc = await discover(oauth.issuer);
  if (!doc.end_session_endpoint) return undefined;
  const url = new URL(doc.end_session_endpoint);
  url.searchParams.set("client_id", oauth.client_id);
  url.searchParams.set("post_logout_redirect_uri", backTo);
  return url.toString();
}

async function cachedUserinfo(doc: Discovery, token: string, payload: JWTPayload): Promise<Claims> {
  const now = Date.now();
  const hit = userinfoCache.get(token);
  if (hit && hit.until > now) return hit.claims;
  const claims = await userinfo(doc, token);
  if (claims.sub !== payload.sub) throw new AuthError("the provider's userinfo answer is about another subject than the token");
  if (userinfoCache.size >= USERINFO_CACHE_MAX) userinfoCache.delete(userinfoCache.keys().next().value!);
  userinfoCache.set(token, { until: Math.min(now + USERINFO_TTL_MS, payload.exp! * 1000), claims });
  return claims;
}

/**
 * Membership asked again: the refresh token spent at the token endpoint (a rotated one kept), the
 * new ID token checked to be the same person, the member claim read from it or from userinfo
 * (with the new access token, or the one kept at sign-in when there is no refresh token).
 */
async function recheckOidc(oauth: OAuthSettings, grant: ProviderGrant | undefined): Promise<RecheckResult> {
  if (!grant?.refresh_token && !grant?.access_token) return { status: "unsupported", reason: "the provider gave no refresh or access token at sign-in to ask with" };
  let doc: Discovery;
  try {
    doc = await discover(oauth.issuer);
  } catch (err) {
    if (err instanceof ProviderUnavailable) return { status: "unavailable", reason: err.message };
    throw err;
  }
  const next: ProviderGrant = { ...grant };
  let claims: Claims = {};
  if (grant.refresh_token) {
    let response: Response;
    let answer: TokenAnswer;
    try {
      response = await tokenRequest(oauth, doc, new URLSearchParams({ grant_type: "refresh_token", refresh_token: grant.refresh_token }));
      answer = (await response.json().catch(() => ({}))) as TokenAnswer;
    } catch {
      return { status: "unavailable", reason: "the identity provider's token endpoint could not be reached" };
    }
    if (!response.ok) {
      const said = providerSays(answer, response.status);
      // invalid_grant: the refresh token is revoked, expired, or its person gone. Anything else is not about the person.
      if (answer.error === "invalid_grant") return { status: "ended", reason: `the identity provider no longer accepts the sign-in (${said})` };
      return { status: "unavailable", reason: `the identity provider's token endpoint refused the refresh (${said})` };
    }
    next.refresh_token = text(answer.refresh_token) ?? grant.refresh_token;
    next.access_token = text(answer.access_token) ?? grant.access_token;
    if (typeof answer.id_token === "string") {
      try {
        claims = (await verifyJwt(answer.id_token, doc, oauth.client_id, "the refreshed ID token")) as Claims;
      } catch (err) {
        if (err instanceof AuthError) return { status: "unavailable", reason: err.message };
        throw err;
      }
      if (grant.sub && claims.sub !== grant.sub) return { status: "ended", reason: "the refreshed ID token is about another person than the sign-in" };
    }
  }
  if (membershipIn(claims, oauth) === undefined) {
    if (!next.access_token) return { status: "unavailable", reason: `no ${oauth.member_claim} claim came back, and no access token to ask userinfo with` };
    try {
      const info = await userinfo(doc, next.access_token);
      if (grant.sub && info.sub !== grant.sub) return { status: "ended", reason: "the provider's userinfo answer is about another person than the sign-in" };
      claims = { ...info, ...claims };
    } catch (err) {
      if (err instanceof UserinfoUnavailable) return { status: "unavailable", reason: err.message };
      if (err instanceof AuthError) return { status: "ended", reason: err.message };
      throw err;
    }
  }
  if (!membershipIn(claims, oauth)) {
    return { status: "ended", reason: `no longer a member of the organization '${oauth.organization}' (the ${oauth.member_claim} claim does not list it)` };
  }
  return { status: "member", grant: next };
}
