import { env } from "cloudflare:workers";
import { importPKCS8, SignJWT, type JWTPayload } from "jose";

export const ORG = "MyID";

let key: Promise<CryptoKey> | undefined;

/** Mints an ItsYou.online-style ES384 token with the key pair generated for this test run. */
export async function mintToken(
  overrides: { claims?: JWTPayload; expiresIn?: string | number; issuer?: string; audience?: string[] } = {},
): Promise<string> {
  key ??= importPKCS8(env.TEST_JWT_PRIVATE_KEY, "ES384");
  const jwt = new SignJWT({ username: "alice", scope: [`user:memberof:${ORG}`], ...overrides.claims })
    .setProtectedHeader({ alg: "ES384", typ: "JWT" })
    .setIssuer(overrides.issuer ?? "itsyouonline")
    .setAudience(overrides.audience ?? [ORG])
    .setIssuedAt();
  jwt.setExpirationTime(overrides.expiresIn ?? "1h");
  return jwt.sign(await key);
}

/** A fetch into the Worker under test with a member's bearer token. */
export async function api(path: string, init: RequestInit & { json?: unknown; token?: string } = {}): Promise<Response> {
  const { exports } = await import("cloudflare:workers");
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${init.token ?? (await mintToken())}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`http://cockpit.test${path}`, { ...init, headers, body }));
}
