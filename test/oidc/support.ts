/**
 * The worker tests' side of a real OpenID provider (test/node/oidc-setup.ts runs it in Node on
 * 127.0.0.1): a person's browser at the provider's pages, and tokens signed with its keys.
 */
import { importJWK, SignJWT, type JWK, type JWTPayload } from "jose";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** From test/node/oidc-setup.ts: the provider's issuer, client secrets and private signing keys. */
    oidc: { issuer: string; clientSecret: string; outsiderSecret: string; keys: JWK[]; admin: string };
  }
}

export const oidc = inject("oidc");
export const ORG = "MyID";

/** Cookies of the provider's origin, as a browser keeps them (names and values only). */
class Jar {
  readonly cookies = new Map<string, string>();
  keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/**
 * A person at the provider: opens the authorize link, signs in as `user` (or presses Cancel with
 * `null`), and is sent back. Returns the URL the provider sends the browser back to (not opened).
 */
export async function atProvider(authorize: URL | string, user: string | null): Promise<URL> {
  const jar = new Jar();
  const go = async (url: URL, init: RequestInit = {}) => {
    const res = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), cookie: jar.header() }, redirect: "manual" });
    jar.keep(res);
    return res;
  };
  let url = new URL(authorize);
  let res = await go(url);
  for (let hops = 0; hops < 10; hops++) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get("location")!, url);
      if (url.origin !== oidc.issuer) return url;
      res = await go(url);
      continue;
    }
    const page = await res.text();
    if (!url.pathname.startsWith("/interaction/")) throw new Error(`the provider answered ${res.status} at ${url.pathname}: ${page.slice(0, 300)}`);
    const form = new URLSearchParams(user === null ? { decision: "cancel" } : { login: user, decision: "sign-in" });
    res = await go(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
  }
  throw new Error("too many redirects at the provider");
}

/** Signs claims as the provider would, with its key for `alg` (issuer, audience MyID, 1 h unless overridden). */
export async function providerToken(claims: JWTPayload, options: { alg?: "RS256" | "ES256" | "PS256"; issuer?: string; audience?: string; exp?: number | string; kid?: string } = {}): Promise<string> {
  const alg = options.alg ?? "ES256";
  const jwk = oidc.keys.find((k: JWK) => k.alg === alg)!;
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid: options.kid ?? jwk.kid!, typ: "at+jwt" })
    .setIssuer(options.issuer ?? oidc.issuer)
    .setAudience(options.audience ?? ORG)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "1h")
    .sign(await importJWK(jwk, alg));
}

/** A client-credentials token from the provider itself, for the cockpit's API resource. */
export async function clientToken(clientId: string, secret: string): Promise<string> {
  const res = await fetch(`${oidc.issuer}/token`, {
    method: "POST",
    headers: { authorization: `Basic ${btoa(`${clientId}:${secret}`)}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: "urn:cockpit:api", scope: "api" }),
  });
  const answer = (await res.json()) as { access_token?: string; error_description?: string };
  if (!answer.access_token) throw new Error(`no client token: ${answer.error_description}`);
  return answer.access_token;
}

/** Sets a user's groups at the provider (its admin server, test/node/oidc-setup.ts): the next token or userinfo answer says so. */
export async function setGroups(user: string, groups: string[]): Promise<void> {
  const res = await fetch(`${oidc.admin}/users/${encodeURIComponent(user)}/groups`, { method: "PUT", body: JSON.stringify(groups) });
  if (res.status !== 204) throw new Error(`the provider's admin server answered ${res.status} for ${user}`);
}

/** Makes the provider fail (500) whenever it reads `user`, or recover: a provider that is down for them. */
export async function setTrouble(user: string, on: boolean): Promise<void> {
  const res = await fetch(`${oidc.admin}/users/${encodeURIComponent(user)}/trouble`, { method: "PUT", body: JSON.stringify(on) });
  if (res.status !== 204) throw new Error(`the provider's admin server answered ${res.status} for ${user}`);
}
