import { env, exports } from "cloudflare:workers";
import { EncryptJWT, importPKCS8, SignJWT } from "jose";
import { describe, it } from "vitest";
import { derivedKey } from "../../src/auth/keys.ts";
import { ORG } from "../helpers/auth.ts";
import { Browser } from "../helpers/browser.ts";

const YEAR = 365 * 86_400;
const now = () => Math.floor(Date.now() / 1000);

async function get(path: string, token: string) {
  const res = await exports.default.fetch(new Request(`http://cockpit.test${path}`, { headers: { authorization: `Bearer ${token}` } }));
  return { status: res.status, body: (await res.json()) as { error?: string; code?: string } };
}

/** A provider (ItsYou.online-style) token signed with this run's test key, issued at `iat`. */
async function providerToken(iat: number): Promise<string> {
  return new SignJWT({ username: "alice", scope: [`user:memberof:${ORG}`] })
    .setProtectedHeader({ alg: "ES384", typ: "JWT" })
    .setIssuer("itsyouonline")
    .setAudience([ORG])
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(await importPKCS8(env.TEST_JWT_PRIVATE_KEY, "ES384"));
}

/** A cockpit access token for an open session, signed with the Worker's [auth] signing_key (Ed25519 in tests). */
async function accessToken(session: string, iat: number): Promise<string> {
  return new SignJWT({ kind: "user", sid: session })
    .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt" })
    .setIssuer("cockpit")
    .setAudience(ORG)
    .setSubject("alice")
    .setIssuedAt(iat)
    .setExpirationTime(iat + 600)
    .sign(await importPKCS8(env.AUTH_SIGNING_KEY!, "EdDSA"));
}

/** The current refresh token of a session, sealed as the cockpit seals it (src/auth/refresh-token.ts), issued at `iat`. */
async function refreshToken(session: string, token: string, expires: number, iat: number): Promise<string> {
  return new EncryptJWT({ sid: session })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: "cockpit-refresh" })
    .setJti(token)
    .setIssuedAt(iat)
    .setExpirationTime(Math.floor(expires / 1000))
    .encrypt(await derivedKey(env.AUTH_SECRET!, "cockpit refresh token v1"));
}

function refresh(jwe: string) {
  const browser = new Browser();
  browser.jar.set("cockpit_refresh", { value: jwe, path: "/auth", attributes: "" });
  return browser.fetch("/auth/refresh", { method: "POST" });
}

describe("a token's iat", () => {
  it("a year ahead is refused with 401 and the reason; 30 s ahead (clock skew) is accepted: provider tokens", async ({ expect }) => {
    const future = await get("/ays/repository", await providerToken(now() + YEAR));
    expect(future).toEqual({ status: 401, body: { error: "issued in the future (iat more than 60 s ahead)", code: "unauthorized" } });
    expect((await get("/ays/repository", await providerToken(now() + 30))).status).toBe(200);
  });

  it("is checked the same way on the cockpit's own access tokens", async ({ expect }) => {
    const { session } = await env.ORGANIZATION.getByName(ORG).openSession("alice", "user", "web");
    const future = await get("/ays/repository", await accessToken(session, now() + YEAR));
    expect(future).toEqual({ status: 401, body: { error: "issued in the future (iat more than 60 s ahead)", code: "unauthorized" } });
    expect((await get("/ays/repository", await accessToken(session, now() + 30))).status).toBe(200);
  });

  it("is checked the same way on refresh tokens", async ({ expect }) => {
    const org = env.ORGANIZATION.getByName(ORG);
    const first = await org.openSession("alice", "user", "web");
    const future = await refresh(await refreshToken(first.session, first.token, first.expires, now() + YEAR));
    expect(future.status).toBe(401);
    expect(((await future.json()) as { error: string }).error).toBe("refresh token issued in the future: sign in again");

    const second = await org.openSession("alice", "user", "web");
    const skewed = await refresh(await refreshToken(second.session, second.token, second.expires, now() + 30));
    expect(skewed.status).toBe(200);
  });
});
