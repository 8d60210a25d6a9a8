/**
 * `provider = "cloudflare-access"`: Cockpit behind a Cloudflare Access application. Every request's
 * Access token (Cf-Access-Jwt-Assertion, or the CF_Authorization cookie) is verified against the
 * team's keys on 127.0.0.1 (test/node/access-fake.ts), and membership read from the Access groups,
 * driven through the Worker as Access would forward requests.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { JWTPayload } from "jose";
import { authorizeUrl } from "../../src/auth/oauth.ts";
import { configFromBindings } from "../../src/config/index.ts";
import { accessFake, envWithOAuth, workerWith } from "../helpers/identity.ts";

const ORG = "ops";
const bindings = envWithOAuth({ provider: "cloudflare-access", organization: ORG, team_domain: accessFake.origin, access_aud: accessFake.aud });
const send = workerWith(bindings);

interface Mint {
  key?: "team" | "rogue";
  expiresIn?: number;
  issuer?: string;
  audience?: string | string[];
}

/** An application token as Access issues it (the team's key, its issuer, the application's AUD, unless told otherwise). */
async function accessToken(claims: JWTPayload, options: Mint = {}): Promise<string> {
  const res = await fetch(`${accessFake.origin}/_fake/mint`, { method: "POST", body: JSON.stringify({ claims, ...options }) });
  return ((await res.json()) as { token: string }).token;
}

const person = (email: string, extra: JWTPayload = {}) => ({ email, sub: crypto.randomUUID(), identity_nonce: "6ei69kawdKzMIAPF", country: "US", ...extra });

/** A request as Access forwards it: its token in the header (the cookie too, from a browser). */
function viaAccess(path: string, token: string | undefined, { cookieOnly = false, init = {} as RequestInit } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token && !cookieOnly) headers.set("cf-access-jwt-assertion", token);
  if (token) headers.set("cookie", `CF_Authorization=${token}`);
  return send(new Request(`http://cockpit.test${path}`, { ...init, headers, redirect: "manual" }));
}

async function lastFailure(): Promise<{ code: string; reason: string }> {
  const { events } = await env.ORGANIZATION.getByName(ORG).events({ type: "signin.failed", newest: true, limit: 1 });
  return (events[0] as unknown as { data: { code: string; reason: string } }).data;
}

describe("Cockpit behind Cloudflare Access", () => {
  it("lets a member of the organization into the console and the API with Access's token; groups from get-identity", async ({ expect }) => {
    const token = await accessToken(person("alice@acme.test"));
    const page = await viaAccess("/console", token);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("alice@acme.test");
    const who = await viaAccess("/auth/session", token);
    expect(await who.json()).toEqual({ user: "alice@acme.test", kind: "user", exp: expect.any(Number), session: null });
    expect((await viaAccess("/ays/repository", token)).status).toBe(200);
    // Cloudflare documents the cookie as the fallback when the header is not there.
    expect((await viaAccess("/auth/session", token, { cookieOnly: true })).status).toBe(200);
  });

  it("takes a groups claim Access put in the token itself, without asking get-identity", async ({ expect }) => {
    // Bob's identity lists only marketing: the token's own groups claim is what counts when present.
    const res = await viaAccess("/auth/session", await accessToken(person("bob@acme.test", { groups: [ORG] })));
    expect(await res.json()).toMatchObject({ user: "bob@acme.test", kind: "user" });
  });

  it("/login goes on to next for a member, and shows why for anyone else (with signin.failed)", async ({ expect }) => {
    let res = await viaAccess("/login?next=%2Fconsole%2Fevents", await accessToken(person("alice@acme.test")));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/console/events");
    const { logins } = await env.ORGANIZATION.getByName(ORG).logins({ user: "alice@acme.test", limit: 1 });
    expect(logins[0]).toMatchObject({ channel: "web" });

    // The console sends a refused person to /login, which says why.
    const bob = await accessToken(person("bob@acme.test"));
    res = await viaAccess("/console", bob);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?next=%2Fconsole");
    res = await viaAccess("/login?next=%2Fconsole", bob);
    expect(res.status).toBe(403);
    const reason = "bob@acme.test is not a member of the organization 'ops' (their Access groups do not list it)";
    expect(await res.text()).toContain("bob@acme.test is not a member of the organization &#39;ops&#39; (their Access groups do not list it)");
    expect(await lastFailure()).toEqual({ code: "not_member", reason });
    expect(await (await viaAccess("/ays/repository", bob)).json()).toEqual({ error: reason, code: "unauthorized" });
  });

  it("with member_claim = \"aud\", lets in whoever the Access application lets through (the README's way)", async ({ expect }) => {
    const trusting = envWithOAuth({ provider: "cloudflare-access", organization: ORG, team_domain: accessFake.origin, access_aud: accessFake.aud, member_claim: "aud", member_values: [accessFake.aud] });
    const token = await accessToken(person("carol@acme.test"));
    const res = await workerWith(trusting)(new Request("http://cockpit.test/auth/session", { headers: { "cf-access-jwt-assertion": token } }));
    expect(await res.json()).toMatchObject({ user: "carol@acme.test", kind: "user" });
  });

  it("does not let anyone in when Access gives no groups at all, and says so", async ({ expect }) => {
    const res = await viaAccess("/ays/repository", await accessToken(person("carol@acme.test")));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe(
      "Cloudflare Access gives no groups for carol@acme.test (not in its token, not in its identity), so Cockpit cannot tell whether carol@acme.test is a member of ops: let the identity provider behind Access send groups, or set [oauth] member_claim to a claim Access does carry",
    );
  });

  it("refuses a token of another application, another issuer, an expired one and a forged one, each with its cause", async ({ expect }) => {
    const alice = person("alice@acme.test");
    const cases: [Mint, string][] = [
      [{ audience: ["another-application-aud"] }, `the Cloudflare Access token has the wrong audience (["another-application-aud"]; expected ${accessFake.aud})`],
      [{ issuer: "https://elsewhere.cloudflareaccess.com" }, `the Cloudflare Access token has the wrong issuer (https://elsewhere.cloudflareaccess.com; expected ${accessFake.origin})`],
      [{ expiresIn: -120 }, "the Cloudflare Access token expired"],
      [{ key: "rogue" }, "the Cloudflare Access token has a bad signature"],
    ];
    for (const [options, reason] of cases) {
      const token = await accessToken(alice, options);
      const api = await viaAccess("/ays/repository", token);
      expect(api.status).toBe(401);
      expect(await api.json()).toEqual({ error: reason, code: "unauthorized" });
      const login = await viaAccess("/login", token);
      expect(login.status).toBe(401);
      expect(await login.text()).toContain(reason.replace(/"/g, "&quot;"));
      expect(await lastFailure()).toEqual({ code: "token_invalid", reason });
    }
  });

  it("says when the team's keys cannot be fetched (503 at /login), rather than calling the token invalid", async ({ expect }) => {
    const closed = "http://127.0.0.1:9"; // the discard port: nothing listens there
    const away = envWithOAuth({ provider: "cloudflare-access", organization: ORG, team_domain: closed, access_aud: accessFake.aud });
    const token = await accessToken(person("alice@acme.test"), { issuer: closed });
    const res = await workerWith(away)(new Request("http://cockpit.test/login", { headers: { "cf-access-jwt-assertion": token } }));
    expect(res.status).toBe(503);
    expect(await res.text()).toContain(`Cloudflare Access&#39;s keys (${closed}/cdn-cgi/access/certs) cannot be fetched to verify the Cloudflare Access token: try again in a minute`);
  });

  it("answers a request without Access's token with 401: Cockpit expects to sit behind Access", async ({ expect }) => {
    const api = await viaAccess("/ays/repository", undefined);
    expect(api.status).toBe(401);
    const { error } = (await api.json()) as { error: string };
    expect(error).toContain("no Cloudflare Access token: Cockpit is set up to sit behind Cloudflare Access");
    const console = await viaAccess("/console", undefined);
    expect(console.headers.get("location")).toBe("/login?next=%2Fconsole");
    const login = await viaAccess("/login", undefined);
    expect(login.status).toBe(401);
    expect(await login.text()).toContain("sends Cf-Access-Jwt-Assertion with every request it lets through");
  });

  it("treats a service token as a client: allowed where the organization's own token is, a person is not", async ({ expect }) => {
    const service = await accessToken({ common_name: "88bf3b6d86161464f6509f7219099e57.access", sub: "" });
    expect(await (await viaAccess("/auth/session", service)).json()).toMatchObject({ user: "88bf3b6d86161464f6509f7219099e57.access", kind: "organization" });
    const post = { init: { method: "POST", headers: { "content-type": "application/json" }, body: "{}" } };
    const cleaned = await viaAccess("/telegram/admin/clean-cache", service, post);
    expect(cleaned.status).toBe(200);
    const refused = await viaAccess("/telegram/admin/clean-cache", await accessToken(person("alice@acme.test")), post);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toContain("a Cloudflare Access service token that the Access application's policy lets through");
  });

  it("refuses a cross-site form post carried by Access's cookie (CSRF)", async ({ expect }) => {
    const token = await accessToken(person("alice@acme.test"));
    const res = await viaAccess("/auth/logout", token, { init: { method: "POST", headers: { origin: "https://evil.test", "content-type": "application/x-www-form-urlencoded" }, body: "" } });
    expect(res.status).toBe(403);
  });
});

describe("the bot's /start behind Cloudflare Access", () => {
  it("links the chat at Cockpit's own callback, which Access lets through with the person's token", async ({ expect }) => {
    const config = configFromBindings(bindings);
    const purpose = { kind: "telegram" as const, chat: 777001, from: 777001, name: "Alice" };
    // As /start does: the link, then the chat noted as waiting for it.
    const link = new URL(await authorizeUrl(config, purpose, "http://cockpit.test"));
    await env.ORGANIZATION.getByName(ORG).telegramPending(777001, 777001);
    expect(`${link.origin}${link.pathname}`).toBe("http://cockpit.test/oauth/callback");
    expect(link.searchParams.get("code")).toBe("cf-access");

    const page = await viaAccess(link.pathname + link.search, await accessToken(person("alice@acme.test")));
    expect(page.status, await page.clone().text()).toBe(200);
    expect(await env.ORGANIZATION.getByName(ORG).telegramUser(777001)).toMatchObject({ user: "alice@acme.test", chat: 777001 });

    // A link opened without Access's token (not behind Access), and one by a non-member (bob, in marketing): refused, nothing linked.
    const other = { ...purpose, chat: 777002, from: 777002 };
    await env.ORGANIZATION.getByName(ORG).telegramPending(777002, 777002);
    const bare = new URL(await authorizeUrl(config, other, "http://cockpit.test"));
    expect((await viaAccess(bare.pathname + bare.search, undefined)).status).toBe(502);
    const outsider = new URL(await authorizeUrl(config, other, "http://cockpit.test"));
    expect((await viaAccess(outsider.pathname + outsider.search, await accessToken(person("bob@acme.test")))).status).toBe(403);
    expect(await env.ORGANIZATION.getByName(ORG).telegramUser(777002)).toBeNull();
  });
});
