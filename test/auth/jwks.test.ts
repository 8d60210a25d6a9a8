import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, it, vi } from "vitest";
import { AuthError, verifyToken } from "../../src/auth/jwt.ts";
import type { CockpitConfig } from "../../src/config/index.ts";

// An OpenID provider other than ItsYou.online: its keys come from a JWKS URL. The provider is
// not reachable from tests, so its JWKS endpoint is answered by a spy on fetch.
const JWKS_URL = "https://id.example.test/.well-known/jwks.json";
const oauth = {
  client_id: "cockpit",
  organization: "acme",
  issuer: "https://id.example.test",
  jwks_url: JWKS_URL,
  itsyouonlinehost: "https://itsyou.online",
} as CockpitConfig["oauth"];

afterEach(() => vi.restoreAllMocks());

describe("tokens verified against [oauth].jwks_url", () => {
  it("accepts a member's token, fetching the JWKS once and caching it", async ({ expect }) => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url !== JWKS_URL) throw new Error(`unexpected fetch ${url}`);
      return Response.json({ keys: [jwk] });
    });
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(oauth.issuer).setAudience("acme").setExpirationTime("5m").sign(privateKey);

    expect(await verifyToken(await sign({ username: "carol", scope: ["user:memberof:acme"] }), oauth)).toMatchObject({ user: "carol", kind: "user" });
    expect(await verifyToken(await sign({ username: "dave", scope: "openid user:memberof:acme" }), oauth)).toMatchObject({ user: "dave" });
    await expect(verifyToken(await sign({ username: "eve", scope: ["user:memberof:other"] }), oauth)).rejects.toThrow(new AuthError("not a member of acme"));
    expect(fetchSpy).toHaveBeenCalledTimes(1);

    const stranger = await generateKeyPair("ES256");
    const forged = await new SignJWT({ username: "eve", scope: ["user:memberof:acme"] })
      .setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(oauth.issuer).setAudience("acme").setExpirationTime("5m").sign(stranger.privateKey);
    await expect(verifyToken(forged, oauth)).rejects.toThrow("bad signature");
  });
});
