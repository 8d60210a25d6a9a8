/**
 * `/start` in the bot with provider = "oidc": the chat's sign-in link goes to the real OpenID
 * provider (PKCE, nonce), and the callback links a member or tells the chat why not.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, it } from "vitest";
import { converse, fakeBotApi, oauthCallback, reply, signInLink, textUpdate, type FakeBotApi } from "../helpers/telegram.ts";
import { atProvider, ORG, oidc } from "./support.ts";

let bot: FakeBotApi;
beforeEach(() => {
  bot = fakeBotApi();
});
afterEach(() => bot.restore());

const org = () => env.ORGANIZATION.getByName(ORG);

/** Back from the provider to the cockpit's callback, as the phone's browser goes. */
function back(url: URL): Promise<Response> {
  return oauthCallback(Object.fromEntries(url.searchParams));
}

describe("/start with an OpenID provider", () => {
  it("links a member through the provider's sign-in, and welcomes them in the chat", async ({ expect }) => {
    const alice = { id: 7001, first_name: "Alice" };
    const start = await converse(bot, textUpdate(alice, "/start"), alice.id, "Sign in to");
    const link = signInLink(start);
    expect(`${link.origin}${link.pathname}`).toBe(`${oidc.issuer}/auth`);
    expect(link.searchParams.get("code_challenge_method")).toBe("S256");
    expect(link.searchParams.get("nonce")).toBeTruthy();
    const page = await back(await atProvider(link, "alice"));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Signed in as alice");
    await reply(bot, alice.id, "You have been authorized. Welcome!");
    expect(await org().telegramUser(alice.id)).toMatchObject({ user: "alice", chat: alice.id });
  });

  it("refuses a non-member, saying why on the page, in the chat and in the audit log", async ({ expect }) => {
    const mallory = { id: 7002, first_name: "Mallory" };
    const start = await converse(bot, textUpdate(mallory, "/start"), mallory.id, "Sign in to");
    const page = await back(await atProvider(signInLink(start), "mallory"));
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("mallory is not a member of the organization &#39;MyID&#39;");
    await reply(bot, mallory.id, "Sign-in refused: mallory is not a member of the organization 'MyID' (the groups claim does not list it)");
    expect(await org().telegramUser(mallory.id)).toBeNull();
    const { events } = await org().events({ type: "signin.failed", newest: true, limit: 1 });
    expect(events[0]).toMatchObject({ channel: "telegram", by: `telegram user ${mallory.id}`, data: { code: "not_member" } });
  });

  it("tells the chat when the sign-in link comes back twice", async ({ expect }) => {
    const dan = { id: 7003, first_name: "Dan" };
    const start = await converse(bot, textUpdate(dan, "/start"), dan.id, "Sign in to");
    const returned = await atProvider(signInLink(start), "alice");
    expect((await back(returned)).status).toBe(200);
    await reply(bot, dan.id, "You have been authorized");
    const before = bot.sent(dan.id).length;
    const replay = await back(returned);
    expect(replay.status).toBe(400);
    await reply(bot, dan.id, "Sign-in refused: this sign-in link was used already", before);
  });
});
