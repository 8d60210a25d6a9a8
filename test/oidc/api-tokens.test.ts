/**
 * API bearer tokens with provider = "oidc": JWT access tokens of the provider (issuer, audience
 * [oauth] audience = the client_id), any asymmetric algorithm its JWKS offers, membership from the
 * `groups` claim; a client-credentials token is a client, allowed where the organization's own token is.
 */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { claimAt, clientOf, membershipIn, userNameIn } from "../../src/auth/providers/claims.ts";
import { validateConfig } from "../../src/config/index.ts";
import { clientToken, oidc, ORG, providerToken } from "./support.ts";

async function call(path: string, token: string, method = "GET"): Promise<{ status: number; body: { error?: string } & Record<string, unknown> }> {
  const res = await exports.default.fetch(new Request(`http://cockpit.test${path}`, { method, headers: { authorization: `Bearer ${token}` } }));
  return { status: res.status, body: (await res.json()) as { error?: string } };
}

const person = (name: string, groups?: string[]) => ({ sub: name, preferred_username: name, client_id: ORG, ...(groups ? { groups } : {}) });

describe("API bearer tokens from an OpenID provider", () => {
  it("accepts a member's token signed RS256, PS256 or ES256 with the provider's keys", async ({ expect }) => {
    for (const alg of ["RS256", "PS256", "ES256"] as const) {
      const res = await call("/ays/repository", await providerToken(person("alice", [ORG]), { alg }));
      expect(res.status, `${alg}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect((await call("/auth/session", await providerToken(person("alice", [ORG])))).body).toMatchObject({ user: "alice", kind: "user" });
  });

  it("refuses a non-member, and says which check failed: issuer, audience, algorithm, signature, expiry", async ({ expect }) => {
    const refused = async (token: string) => {
      const res = await call("/ays/repository", token);
      expect(res.status).toBe(401);
      return res.body.error;
    };
    expect(await refused(await providerToken(person("mallory", ["other"])))).toBe("not a member of MyID: the groups claim of mallory's token does not list it");
    expect(await refused(await providerToken(person("alice", [ORG]), { issuer: "https://evil.example" }))).toBe(
      `the token has the wrong issuer (https://evil.example; expected ${oidc.issuer})`,
    );
    expect(await refused(await providerToken(person("alice", [ORG]), { audience: "another-app" }))).toBe('the token has the wrong audience ("another-app"; expected MyID)');
    expect(await refused(await providerToken(person("alice", [ORG]), { exp: Math.floor(Date.now() / 1000) - 60 }))).toBe("the token expired");
    // Signed with the ES256 key but naming the RS256 key's id: the signature does not verify.
    const rsKid = oidc.keys.find((k) => k.alg === "RS256")!.kid!;
    const mixed = await providerToken(person("alice", [ORG]), { alg: "ES256", kid: rsKid });
    expect(await refused(mixed)).toMatch(/^the token has a bad signature/);
    // HS256 with the client secret as the key, and `none`: never accepted.
    const [, body] = (await providerToken(person("alice", [ORG]))).split(".");
    const hs = `${btoa(JSON.stringify({ alg: "HS256", typ: "JWT" })).replace(/=+$/, "")}.${body}.c2ln`;
    expect(await refused(hs)).toBe("the token uses algorithm HS256: Cockpit accepts only asymmetric signatures (RS*, PS*, ES*, EdDSA)");
    const none = `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${body}.`;
    expect(await refused(none)).toBe("the token uses algorithm none: Cockpit accepts only asymmetric signatures (RS*, PS*, ES*, EdDSA)");
  });

  it("asks userinfo when a person's token lacks the claim, and says when userinfo refuses", async ({ expect }) => {
    // The provider's userinfo takes only its own access tokens, not one minted for the API resource.
    const res = await call("/ays/repository", await providerToken(person("alice")));
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/^the provider's userinfo endpoint refused the token \(HTTP 401/);
  });

  it("takes a client-credentials token of the provider as a client: allowed where the organization's own token is", async ({ expect }) => {
    const token = await clientToken(ORG, oidc.clientSecret);
    expect((await call("/auth/session", token)).body).toMatchObject({ user: ORG, kind: "organization" });
    expect((await call("/telegram/admin/clean-cache", token, "POST")).status).toBe(200);
    // A member's token is not the organization's.
    const member = await call("/telegram/admin/clean-cache", await providerToken(person("alice", [ORG])), "POST");
    expect(member.status).toBe(403);
    // Another client of the same provider, whose tokens do not carry the organization: not a member.
    const outsider = await call("/ays/repository", await clientToken("outsider", oidc.outsiderSecret));
    expect(outsider.status).toBe(401);
    expect(outsider.body.error).toBe("not a member of MyID: the groups claim of outsider's token does not list it");
  });
});

describe("membership and user name claims", () => {
  const oauth = (extra: Record<string, unknown>) =>
    validateConfig({ oauth: { provider: "oidc", issuer: "https://id.example", client_id: "cockpit", organization: "ops", ...extra } }, "test").oauth;

  it("reads a dotted path, a namespaced URL claim, a string or a list, and member_values", ({ expect }) => {
    const keycloak = oauth({ member_claim: "realm_access.roles" });
    expect(membershipIn({ realm_access: { roles: ["ops", "offline_access"] } }, keycloak)).toBe(true);
    expect(membershipIn({ realm_access: { roles: ["dev"] } }, keycloak)).toBe(false);
    expect(membershipIn({ groups: ["ops"] }, keycloak)).toBeUndefined();
    const namespaced = oauth({ member_claim: "https://cockpit.example/groups" });
    expect(claimAt({ "https://cockpit.example/groups": "ops" }, "https://cockpit.example/groups")).toBe("ops");
    expect(membershipIn({ "https://cockpit.example/groups": "ops" }, namespaced)).toBe(true);
    expect(membershipIn({ groups: "/ops-team" }, oauth({ member_values: ["/ops-team"] }))).toBe(true);
    expect(membershipIn({ groups: ["/ops-team"] }, oauth({}))).toBe(false);
  });

  it("names the person by username_claim, then email, then sub; and tells a client's token from a person's", ({ expect }) => {
    const o = oauth({});
    expect(userNameIn({ preferred_username: "alice", email: "a@x", sub: "1" }, o)).toBe("alice");
    expect(userNameIn({ email: "a@x", sub: "1" }, o)).toBe("a@x");
    expect(userNameIn({ sub: "1" }, o)).toBe("1");
    expect(userNameIn({ upn: "alice@corp", sub: "1" }, oauth({ username_claim: "upn" }))).toBe("alice@corp");
    expect(clientOf({ sub: "svc", client_id: "svc" })).toBe("svc");
    expect(clientOf({ client_id: "svc" })).toBe("svc");
    expect(clientOf({ sub: "uuid-1", azp: "svc", preferred_username: "service-account-svc" })).toBe("svc");
    expect(clientOf({ sub: "alice", client_id: "cockpit" })).toBeUndefined();
  });

  it("validates the keys: issuer required for oidc, jwt_key only for itsyouonline, local needs users", ({ expect }) => {
    expect(() => validateConfig({ oauth: { provider: "oidc", client_id: "c", organization: "o" } }, "t.toml")).toThrow(
      't.toml: [oauth].issuer: required for provider = "oidc": the issuer URL (its /.well-known/openid-configuration is read)',
    );
    expect(() => validateConfig({ oauth: { client_id: "c", organization: "o" } }, "t.toml")).toThrow("t.toml: [oauth].jwt_key: required unless jwks_url is set");
    expect(() => validateConfig({ oauth: { provider: "local", client_id: "c", organization: "o" } }, "t.toml")).toThrow("t.toml: [oauth.local]: required for provider = \"local\"");
    expect(() => validateConfig({ oauth: { provider: "gitlab", client_id: "c", organization: "o" } }, "t.toml")).toThrow(
      "t.toml: [oauth].provider: expected one of itsyouonline, oidc, local, github, cloudflare-access",
    );
    expect(() => validateConfig({ oauth: { provider: "local", client_id: "c", organization: "o", local: { users: [{ name: "a b" }] } } }, "t.toml")).toThrow("[oauth.local].users[0].name");
  });
});
