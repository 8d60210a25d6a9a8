import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import { authorizeUrl, type OAuthPurpose } from "../../src/auth/oauth.ts";
import { configFromBindings } from "../../src/config/index.ts";
import { mintToken, ORG } from "../helpers/auth.ts";
import { fakeOAuthProvider } from "../helpers/oauth-provider.ts";
import { fakeBotApi } from "../helpers/telegram.ts";

const ORIGIN = "http://cockpit.test";
// The browser nonce matches the login cookie sent with every callback below, as /login sets it.
const web: OAuthPurpose = { kind: "web", next: "/", browser: "this-browser" };

let provider: ReturnType<typeof fakeOAuthProvider>;
// A telegram sign-in greets the chat: the Bot API is faked too, so no test reaches Telegram.
let bot: ReturnType<typeof fakeBotApi>;
beforeEach(() => {
  bot = fakeBotApi();
  provider = fakeOAuthProvider();
});
afterEach(() => {
  provider.restore();
  bot.restore();
  vi.useRealTimers();
});

async function signInLink(purpose: OAuthPurpose = web): Promise<URL> {
  return new URL(await authorizeUrl(configFromBindings(env), purpose, ORIGIN));
}

function callback(query: Record<string, string>): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}/oauth/callback?${new URLSearchParams(query)}`, { redirect: "manual", headers: { cookie: "cockpit_login=this-browser" } });
}

describe("the authorize link", () => {
  it("asks the configured provider for membership of the organization", async ({ expect }) => {
    const link = await signInLink();
    expect(`${link.origin}${link.pathname}`).toBe("https://itsyou.online/v1/oauth/authorize");
    expect(link.searchParams.get("client_id")).toBe("MyID");
    expect(link.searchParams.get("redirect_uri")).toBe("http://127.0.0.1:5000/oauth/callback");
    expect(link.searchParams.get("scope")).toBe(`user:memberof:${ORG}`);
    expect(link.searchParams.get("response_type")).toBe("code");
    // The state is encrypted: nothing about the purpose can be read off it.
    expect(link.searchParams.get("state")).not.toContain("web");
  });
});

describe("GET /oauth/callback", () => {
  it("signs a member in, once, and records the login", async ({ expect }) => {
    const state = (await signInLink({ kind: "telegram", chat: 7, from: 4242 })).searchParams.get("state")!;
    // What the bot's /start records before it hands out such a link (clean_cache can cancel it).
    await env.ORGANIZATION.getByName(ORG).telegramPending(4242, 7);
    const code = provider.grant({ username: "carol" });
    const res = await callback({ code, state });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Signed in as carol");
    expect(provider.exchanges[0]!.get("client_secret")).toBe("replace-me");
    expect(provider.exchanges[0]!.get("redirect_uri")).toBe("http://127.0.0.1:5000/oauth/callback");

    expect(bot.sent(7)).toEqual([expect.stringContaining("You have been authorized. Welcome!")]);
    const { logins } = await env.ORGANIZATION.getByName(ORG).logins({ user: "carol" });
    expect(logins).toMatchObject([{ user: "carol", channel: "telegram", detail: "telegram user 4242" }]);

    const replay = await callback({ code: provider.grant({ username: "mallory" }), state });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("used already");
    expect((await env.ORGANIZATION.getByName(ORG).logins({ user: "mallory" })).logins).toEqual([]);
  });

  it("accepts membership carried by a JWT access token", async ({ expect }) => {
    const state = (await signInLink()).searchParams.get("state")!;
    const code = provider.grant({ username: "ignored", omitScope: true, accessToken: await mintToken({ claims: { username: "dave" } }) });
    const res = await callback({ code, state });
    // The web purpose's handler starts a console session for dave and returns to `next`.
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    expect(res.headers.getSetCookie().find((c) => c.startsWith("jwt="))).toBeDefined();
    expect((await env.ORGANIZATION.getByName(ORG).logins({ user: "dave" })).logins).toHaveLength(1);
  });

  it("names why a JWT access token was refused instead of calling everyone a non-member, and logs it", async ({ expect }) => {
    const state = (await signInLink()).searchParams.get("state")!;
    const code = provider.grant({ username: "ignored", omitScope: true, accessToken: await mintToken({ claims: { username: "dave" }, issuer: "someone-else" }) });
    const res = await callback({ code, state });
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("the identity provider&#39;s access token was refused: wrong issuer: expected itsyouonline");
    const { events } = await env.ORGANIZATION.getByName(ORG).events({ type: "signin.failed", newest: true, limit: 1 });
    expect(events[0]).toMatchObject({ channel: "web", data: { code: "token_invalid", reason: "the identity provider's access token was refused: wrong issuer: expected itsyouonline" } });
  });

  it("refuses a non-member with a clear page", async ({ expect }) => {
    const state = (await signInLink()).searchParams.get("state")!;
    const res = await callback({ code: provider.grant({ username: "eve", member: false }), state });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("not a member of the organization &#39;MyID&#39;");
    expect((await env.ORGANIZATION.getByName(ORG).logins({ user: "eve" })).logins).toEqual([]);
  });

  it("refuses a forged, missing or expired state without calling the provider", async ({ expect }) => {
    const forged = await callback({ code: "x", state: "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAA.BBBB.CCCC" });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("not one this cockpit made");

    const missing = await callback({ code: "x" });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("no state");

    const state = (await signInLink()).searchParams.get("state")!;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 11 * 60_000);
    const expired = await callback({ code: provider.grant({ username: "carol" }), state });
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain("expired");
    expect(provider.exchanges).toEqual([]);
  });

  it("reports a refused code exchange and a denied authorization", async ({ expect }) => {
    const failed = await callback({ code: "not-a-code", state: (await signInLink()).searchParams.get("state")! });
    expect(failed.status).toBe(502);
    expect(await failed.text()).toContain("refused the sign-in code (unknown or used code)");

    const denied = await callback({ error: "access_denied", state: (await signInLink()).searchParams.get("state")! });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain("did not authorize");
  });
});
