/**
 * Cockpit behind a Cloudflare Access application (`provider = "cloudflare-access"`): Access signs
 * people in before a request reaches the Worker and sends its application token with every request,
 * in the `Cf-Access-Jwt-Assertion` header (and, from browsers, the `CF_Authorization` cookie). The
 * token is verified against the team's keys (`https://{team_domain}/cdn-cgi/access/certs`, RS256),
 * issuer `https://{team_domain}`, audience `[oauth] access_aud`. A person is a member when their
 * Access groups (`member_claim`, default `groups`: in the token when Access puts it there, else in
 * the identity at `/cdn-cgi/access/get-identity`) hold the organization or one of `member_values`.
 * A service token (`common_name`, no `email`) is a client, like an OpenID client-credentials token.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { AuthError, ISSUED_IN_FUTURE, issuedInFuture, type Caller } from "../jwt.ts";
import { claimAt, memberValues, userNameIn, type Claims } from "./claims.ts";
import { describeJwtError, FETCH_TIMEOUT_MS } from "./oidc.ts";
import { TokenCache, tokenHash } from "./token-cache.ts";
import { SignInRefusal, type IdentityProvider, type OAuthSettings, type RefusalCode } from "./types.ts";

/** Where Access puts its application token on every request it lets through. */
export const ACCESS_HEADER = "cf-access-jwt-assertion";
/** The browser's copy of the token; Cloudflare documents it as a fallback only (it is not always sent). */
export const ACCESS_COOKIE = "CF_Authorization";
/** How long an identity fetched from get-identity is kept. */
export const ACCESS_IDENTITY_TTL_MS = 60_000;

/** What a request without an assertion is told. */
export const NOT_BEHIND_ACCESS =
  "no Cloudflare Access token: Cockpit is set up to sit behind Cloudflare Access (provider = \"cloudflare-access\"), which sends Cf-Access-Jwt-Assertion with every request it lets through, and this request has none (open Cockpit at the hostname the Access application protects)";

/** An Access token refused, with the sign-in refusal it stands for. */
export class AccessRefusal extends AuthError {
  override name = "AccessRefusal";
  readonly code: Extract<RefusalCode, "token_invalid" | "not_member" | "provider_unavailable">;

  constructor(code: AccessRefusal["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** `https://{team_domain}`, or the loopback `http://` origin a test gave (the schema takes no other `http://`). */
export function accessOrigin(oauth: OAuthSettings): string {
  const domain = (oauth.team_domain ?? "").replace(/\/+$/, "");
  return /^https?:\/\//.test(domain) ? domain : `https://${domain}`;
}

/** The request's Access token: the header, else the `CF_Authorization` cookie. */
export function accessAssertion(header: string | undefined, cookie: string | undefined): string | undefined {
  const value = header?.trim() || cookie?.trim();
  return value ? value : undefined;
}

const keySets = new Map<string, JWTVerifyGetKey>();
const identities = new TokenCache<Claims>();

function keySet(origin: string): JWTVerifyGetKey {
  let set = keySets.get(origin);
  if (!set) {
    set = createRemoteJWKSet(new URL(`${origin}/cdn-cgi/access/certs`), { timeoutDuration: FETCH_TIMEOUT_MS });
    keySets.set(origin, set);
  }
  return set;
}

async function verifyAssertion(token: string, oauth: OAuthSettings): Promise<JWTPayload> {
  const what = "the Cloudflare Access token";
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new AccessRefusal("token_invalid", `${what} is malformed`);
  }
  if (alg !== "RS256") throw new AccessRefusal("token_invalid", `${what} uses algorithm ${String(alg ?? "(none)")}: Access signs RS256, and Cockpit accepts nothing else from it`);
  const issuer = accessOrigin(oauth);
  const audience = oauth.access_aud!;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySet(issuer), { algorithms: ["RS256"], issuer, audience, requiredClaims: ["exp"] }));
  } catch (err) {
    // The keys could not be fetched (the team's certs unreachable, or not a JWKS): not the token's fault.
    const unreachable = err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError || err instanceof TypeError);
    if (unreachable) throw new AccessRefusal("provider_unavailable", `Cloudflare Access's keys (${issuer}/cdn-cgi/access/certs) cannot be fetched to verify ${what}: try again in a minute`);
    throw new AccessRefusal("token_invalid", describeJwtError(err, what, { issuer, audience }));
  }
  if (issuedInFuture(payload)) throw new AccessRefusal("token_invalid", `${what}: ${ISSUED_IN_FUTURE}`);
  return payload;
}

/** The person's identity as Access keeps it (its `groups` come from the identity provider behind Access). */
async function identityOf(oauth: OAuthSettings, token: string, payload: JWTPayload): Promise<Claims> {
  const hash = await tokenHash(token);
  const kept = identities.get(hash);
  if (kept) return kept;
  let response: Response;
  try {
    response = await fetch(`${accessOrigin(oauth)}/cdn-cgi/access/get-identity`, {
      headers: { cookie: `${ACCESS_COOKIE}=${token}`, accept: "application/json" },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch {
    throw new AccessRefusal("provider_unavailable", "Cloudflare Access's get-identity endpoint cannot be reached to read the groups: try again in a minute");
  }
  if (!response.ok) throw new AccessRefusal(response.status >= 500 ? "provider_unavailable" : "token_invalid", `Cloudflare Access refused to give the identity for the token (get-identity answered HTTP ${response.status})`);
  const identity = (await response.json().catch(() => undefined)) as Claims | undefined;
  if (!identity || typeof identity !== "object") throw new AccessRefusal("token_invalid", "Cloudflare Access's get-identity answer is not JSON");
  if (typeof payload.email === "string" && identity.email !== payload.email) throw new AccessRefusal("token_invalid", "Cloudflare Access's identity is about another person than the token");
  identities.set(hash, identity, Math.min(Date.now() + ACCESS_IDENTITY_TTL_MS, payload.exp! * 1000));
  return identity;
}

/**
 * The groups at `member_claim`: Access passes an identity provider's groups as strings, or as
 * objects with `id`, `name` and `email` (Okta, Entra ID, Google Workspace). `undefined` when absent.
 */
function groupsIn(claims: Claims, oauth: OAuthSettings): string[] | undefined {
  const value = claimAt(claims, oauth.member_claim);
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => {
    if (typeof item === "string") return [item];
    if (item && typeof item === "object") return ["name", "id", "email"].map((k) => (item as Claims)[k]).filter((v): v is string => typeof v === "string");
    return [];
  });
}

/**
 * Verifies an Access token and says who it is: a member (kind `user`, named by `username_claim`,
 * then `email`), or a service token's client (kind `organization`, named by its `common_name`).
 * @throws AccessRefusal (an AuthError) naming the cause
 */
export async function accessCaller(token: string, oauth: OAuthSettings): Promise<Caller> {
  const payload = await verifyAssertion(token, oauth);
  const exp = payload.exp!;
  if (typeof payload.common_name === "string" && payload.common_name !== "" && typeof payload.email !== "string") {
    // Access let this service token through its application's policy: a client, not a person.
    return { user: payload.common_name, kind: "organization", exp };
  }
  const user = userNameIn(payload as Claims, oauth);
  if (!user) throw new AccessRefusal("token_invalid", "the Cloudflare Access token names no person (no email, no sub)");
  let groups = groupsIn(payload as Claims, oauth);
  if (groups === undefined) groups = groupsIn(await identityOf(oauth, token, payload), oauth);
  const org = oauth.organization;
  if (groups === undefined) {
    throw new AccessRefusal(
      "not_member",
      `Cloudflare Access gives no ${oauth.member_claim} for ${user} (not in its token, not in its identity), so Cockpit cannot tell whether ${user} is a member of ${org}: let the identity provider behind Access send groups, or set [oauth] member_claim to a claim Access does carry`,
    );
  }
  const wanted = memberValues(oauth);
  if (!groups.some((g) => wanted.includes(g))) throw new AccessRefusal("not_member", `${user} is not a member of the organization '${org}' (their Access ${oauth.member_claim} do not list it)`);
  return { user, kind: "user", exp };
}

const NO_SIGN_IN_LINK =
  "with provider = \"cloudflare-access\" Cloudflare Access signs people in before they reach Cockpit: this is no sign-in link Cockpit made; open /console through Access, or send /start to the bot again";

/** The code a sign-in link behind Access carries: Access itself signs the person in on the way. */
export const ACCESS_CODE = "cf-access";

/**
 * The console needs no sign-in link behind Access (every request carries its token), but the bot's
 * `/start` does: its link is Cockpit's own callback, which Access lets through only once the person
 * signed in, with their token on the request; exchange() then takes the member from that token.
 */
export const cloudflareAccess: IdentityProvider = {
  newSecrets: () => ({}),
  async authorizeUrl(_oauth, { redirectUri, state }) {
    const url = new URL(redirectUri);
    url.searchParams.set("code", ACCESS_CODE);
    url.searchParams.set("state", state);
    return url.toString();
  },
  async exchange(oauth, { code, accessAssertion: assertion }, onStep) {
    if (code !== ACCESS_CODE) throw new SignInRefusal("token_invalid", NO_SIGN_IN_LINK);
    if (!assertion) throw new SignInRefusal("token_invalid", NOT_BEHIND_ACCESS);
    onStep("membership");
    try {
      const caller = await accessCaller(assertion, oauth);
      if (caller.kind !== "user") throw new SignInRefusal("not_member", "a Cloudflare Access service token is no person: open the link in a browser signed in to Access");
      return { user: caller.user };
    } catch (err) {
      if (err instanceof AccessRefusal) throw new SignInRefusal(err.code, err.message);
      throw err;
    }
  },
  // Access verifies every request itself, and Cockpit keeps no session of its own for it.
  recheck: () => Promise.resolve({ status: "unsupported", reason: "Cloudflare Access checks every request itself" }),
  verifyBearer: (token, oauth) => accessCaller(token, oauth),
};

/** Where signing out of Access itself goes: the team's logout endpoint. */
export function accessLogoutUrl(oauth: OAuthSettings): string {
  return `${accessOrigin(oauth)}/cdn-cgi/access/logout`;
}
