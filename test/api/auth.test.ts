import { exports } from "cloudflare:workers";
import { env } from "cloudflare:workers";
import { generateKeyPair, importPKCS8, SignJWT } from "jose";
import { describe, it } from "vitest";
import { mintToken, ORG } from "../helpers/auth.ts";

async function get(path: string, headers: Record<string, string>) {
  const res = await exports.default.fetch(new Request(`http://cockpit.test${path}`, { headers }));
  return { status: res.status, body: (await res.json()) as { error: string; code: string } };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

describe("/ays authentication", () => {
  it("accepts a member's token, with the scheme in any case, or as the jwt cookie", async ({ expect }) => {
    const token = await mintToken();
    expect((await get("/ays/repository", bearer(token))).status).toBe(200);
    expect((await get("/ays/repository", { authorization: `bEaReR ${token}` })).status).toBe(200);
    expect((await get("/ays/repository", { cookie: `jwt=${token}` })).status).toBe(200);
  });

  it("accepts the organization's own token (globalid), as ItsYou.online client credentials give", async ({ expect }) => {
    const token = await mintToken({ claims: { username: undefined, scope: [], globalid: ORG } });
    expect((await get("/ays/repository", bearer(token))).status).toBe(200);
  });

  it.for([
    ["no token", {}, "missing token"],
    ["another scheme", { authorization: "Basic YTpi" }, "malformed Authorization header"],
    ["a garbage token", bearer("not.a.jwt"), "malformed token"],
    ["a garbage header", bearer(`${b64url("nope")}.${b64url({})}.sig`), "malformed token"],
    ["alg none", bearer(`${b64url({ alg: "none", typ: "JWT" })}.${b64url({ username: "eve", scope: [`user:memberof:${ORG}`], aud: [ORG], iss: "itsyouonline", exp: 9999999999 })}.`), "unsupported alg none"],
  ] as const)("refuses %s with 401 and a reason", async ([, headers, reason], { expect }) => {
    const res = await get("/ays/repository", headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("unauthorized");
    expect(res.body.error).toContain(reason);
  });

  it("refuses an expired token, a wrong issuer, a wrong audience and a missing exp", async ({ expect }) => {
    const expired = await mintToken({ expiresIn: Math.floor(Date.now() / 1000) - 60 });
    expect((await get("/ays/repository", bearer(expired))).body.error).toBe("expired");
    const issuer = await mintToken({ issuer: "evil" });
    expect((await get("/ays/repository", bearer(issuer))).body.error).toBe("wrong issuer: expected itsyouonline");
    const audience = await mintToken({ audience: ["OtherOrg"] });
    expect((await get("/ays/repository", bearer(audience))).body.error).toBe(`wrong audience: not issued for ${ORG}`);
    const key = await importPKCS8(env.TEST_JWT_PRIVATE_KEY, "ES384");
    const noExp = await new SignJWT({ username: "alice", scope: [`user:memberof:${ORG}`] })
      .setProtectedHeader({ alg: "ES384" }).setIssuer("itsyouonline").setAudience(ORG).sign(key);
    expect((await get("/ays/repository", bearer(noExp))).body.error).toBe("missing exp");
  });

  it("refuses a non-member", async ({ expect }) => {
    const token = await mintToken({ claims: { scope: ["user:memberof:OtherOrg"] } });
    const res = await get("/ays/repository", bearer(token));
    expect(res).toEqual({ status: 401, body: { error: `not a member of ${ORG}`, code: "unauthorized" } });
  });

  it("refuses a bad signature, another curve, and HS256 signed with the public key", async ({ expect }) => {
    const stranger = await generateKeyPair("ES384");
    const forged = await new SignJWT({ username: "eve", scope: [`user:memberof:${ORG}`] })
      .setProtectedHeader({ alg: "ES384" }).setIssuer("itsyouonline").setAudience(ORG).setExpirationTime("1h").sign(stranger.privateKey);
    expect((await get("/ays/repository", bearer(forged))).body.error).toBe("bad signature");

    const p256 = await generateKeyPair("ES256");
    const otherCurve = await new SignJWT({ username: "eve", scope: [`user:memberof:${ORG}`] })
      .setProtectedHeader({ alg: "ES256" }).setIssuer("itsyouonline").setAudience(ORG).setExpirationTime("1h").sign(p256.privateKey);
    expect((await get("/ays/repository", bearer(otherCurve))).body.error).toBe("unsupported alg ES256: expected ES384");

    // The classic confusion attack: HMAC keyed with the public key's PEM text.
    const config = JSON.parse(env.COCKPIT_CONFIG!) as { oauth: { jwt_key: string } };
    const hs = await new SignJWT({ username: "eve", scope: [`user:memberof:${ORG}`] })
      .setProtectedHeader({ alg: "HS256" }).setIssuer("itsyouonline").setAudience(ORG).setExpirationTime("1h")
      .sign(new TextEncoder().encode(config.oauth.jwt_key));
    expect((await get("/ays/repository", bearer(hs))).body.error).toBe("unsupported alg HS256: expected ES384");
  });

  it("does not guard the public routes", async ({ expect }) => {
    expect((await exports.default.fetch("http://cockpit.test/health")).status).toBe(200);
    expect((await exports.default.fetch("http://cockpit.test/openapi.json")).status).toBe(200);
  });
});
