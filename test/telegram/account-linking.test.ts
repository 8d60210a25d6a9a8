import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, mintToken, ORG } from "../helpers/auth.ts";
import { Browser } from "../helpers/browser.ts";
import { converse, deliver, linkUser, oauthCallback, reply, signInLink, textUpdate, withFakes } from "../helpers/telegram.ts";

const fakes = withFakes();

const org = () => env.ORGANIZATION.getByName(ORG);

describe("/start and the OAuth callback", () => {
  it("links a member: authorize link with the org scope, callback, welcome in the chat", async ({ expect }) => {
    const carol = { id: 5001, first_name: "Carol" };
    const start = await converse(fakes.bot, textUpdate(carol, "/start"), carol.id, "Sign in to");
    expect(start.payload.parse_mode).toBe("HTML");
    expect(start.payload.text).toContain("I don't know you yet, please click on the following link");
    const link = signInLink(start);
    expect(`${link.origin}${link.pathname}`).toBe("https://itsyou.online/v1/oauth/authorize");
    expect(link.searchParams.get("client_id")).toBe("MyID");
    expect(link.searchParams.get("redirect_uri")).toBe("http://127.0.0.1:5000/oauth/callback");
    expect(link.searchParams.get("scope")).toBe(`user:memberof:${ORG}`);

    const page = await oauthCallback({ code: fakes.provider.grant({ username: "carol" }), state: link.searchParams.get("state")! });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Signed in as carol");
    const welcome = await reply(fakes.bot, carol.id, "You have been authorized. Welcome!");
    expect(welcome.payload.text).toContain("/repo");
    expect(await org().telegramUser(carol.id)).toMatchObject({ user: "carol", chat: carol.id, current_repo: null });

    // Linked now: /start says welcome back, and commands work.
    await converse(fakes.bot, textUpdate(carol, "/start"), carol.id, "Welcome back Carol!");
    await converse(fakes.bot, textUpdate(carol, "/repo list"), carol.id, "No repo selected now.");
  });

  it("refuses a non-member, with a page and a message in the chat", async ({ expect }) => {
    const eve = { id: 5002, first_name: "Eve" };
    const start = await converse(fakes.bot, textUpdate(eve, "/start"), eve.id, "Sign in to");
    const page = await oauthCallback({ code: fakes.provider.grant({ username: "eve", member: false }), state: signInLink(start).searchParams.get("state")! });
    expect(page.status).toBe(403);
    await reply(fakes.bot, eve.id, "Sign-in refused: you are not a member of the organization 'MyID'");
    expect(await org().telegramUser(eve.id)).toBeNull();
    await converse(fakes.bot, textUpdate(eve, "/repo"), eve.id, "I don't know you yet, please use /start");
  });

  it("tells the chat when a sign-in link is used twice", async ({ expect }) => {
    const dan = { id: 5003, first_name: "Dan" };
    const start = await converse(fakes.bot, textUpdate(dan, "/start"), dan.id, "Sign in to");
    const state = signInLink(start).searchParams.get("state")!;
    expect((await oauthCallback({ code: fakes.provider.grant({ username: "dan" }), state })).status).toBe(200);
    await reply(fakes.bot, dan.id, "You have been authorized");
    const before = fakes.bot.sent(dan.id).length;
    const replay = await oauthCallback({ code: fakes.provider.grant({ username: "mallory" }), state });
    expect(replay.status).toBe(400);
    await reply(fakes.bot, dan.id, "Sign-in refused: this sign-in link was used already", before);
    expect(await org().telegramUser(dan.id)).toMatchObject({ user: "dan" });
  });

  it("asks for a private chat before showing a sign-in link in a group", async ({ expect }) => {
    const gus = { id: 5004, first_name: "Gus" };
    const reply = await converse(fakes.bot, textUpdate(gus, "/start", -100777), -100777, "private chat");
    expect(reply.payload.text).not.toContain("href");
  });
});

describe("who may use the bot", () => {
  it("answers /help to anyone, and everything else from an unlinked user with the /start hint", async ({ expect }) => {
    const stranger = { id: 5100, first_name: "Stranger" };
    await converse(fakes.bot, textUpdate(stranger, "/help"), stranger.id, "/blueprint");
    for (const text of ["/repo", "/blueprint list", "/run create", "/errors", "hello"]) {
      const answer = await converse(fakes.bot, textUpdate(stranger, text), stranger.id, "I don't know you yet");
      expect(answer.payload.text).toBe("I don't know you yet, please use /start");
    }
    expect((await org().listRepositories()).map((r) => r.name)).toEqual([]);
  });

  it("in a group, answers an unlinked member's commands but not their chatter", async ({ expect }) => {
    const talker = { id: 5101, first_name: "Talker" };
    const group = -100510;
    await deliver(textUpdate(talker, "nice weather", group));
    await converse(fakes.bot, textUpdate(talker, "/repo@cockpit_test_bot list", group), group, "I don't know you yet");
    expect(fakes.bot.sent(group)).toEqual(["I don't know you yet, please use /start"]);
  });
});

describe("cockpit clean_cache (POST /telegram/admin/clean-cache)", () => {
  /** What ItsYou.online issues to the organization's own client credentials. */
  const organizationToken = () => mintToken({ claims: { username: undefined, scope: [], globalid: ORG } });

  it("forgets linked users, their repositories and pending sign-ins: everyone must /start again", async ({ expect }) => {
    const fay = { id: 5200, first_name: "Fay" };
    await linkUser(fakes.bot, fakes.provider, fay, "fay");
    await converse(fakes.bot, textUpdate(fay, "/repo create cachetest"), fay.id, "created");
    const hal = { id: 5201, first_name: "Hal" };
    const pending = await converse(fakes.bot, textUpdate(hal, "/start"), hal.id, "Sign in to");

    expect((await deliver(textUpdate(fay, "/repo"), "nope")).status).toBe(401);
    const cleaned = await api("/telegram/admin/clean-cache", { method: "POST", token: await organizationToken() });
    expect(cleaned.status).toBe(200);
    expect(await cleaned.json()).toMatchObject({ users: expect.any(Number), pending: expect.any(Number) });

    expect(await org().telegramUser(fay.id)).toBeNull();
    await converse(fakes.bot, textUpdate(fay, "/repo list"), fay.id, "I don't know you yet, please use /start");
    // Hal's sign-in was pending: finishing it now is refused, and he is told to start again.
    const page = await oauthCallback({ code: fakes.provider.grant({ username: "hal" }), state: signInLink(pending).searchParams.get("state")! });
    expect(page.status).toBe(400);
    await reply(fakes.bot, hal.id, "send /start to the bot again");
    expect(await org().telegramUser(hal.id)).toBeNull();
    // The repository itself stays; only the selection is gone.
    expect((await org().listRepositories()).map((r) => r.name)).toContain("cachetest");
  });

  it("refuses a member's token and a console session with 403 naming the token it needs, a missing or invalid one with 401", async ({ expect }) => {
    const ida = { id: 5300, first_name: "Ida" };
    await linkUser(fakes.bot, fakes.provider, ida, "ida");
    const cleanCache = (token?: string) => api("/telegram/admin/clean-cache", { method: "POST", ...(token === undefined ? {} : { token }) });
    const refused = async (res: Response) => ({ status: res.status, body: (await res.json()) as { error: string; code: string } });

    const member = await refused(await cleanCache());
    expect(member.status).toBe(403);
    expect(member.body.code).toBe("forbidden");
    expect(member.body.error).toContain(`this needs the organization's own token: a JWT with globalid ${ORG}`);
    expect(member.body.error).toContain("cockpit token --organization");
    expect(member.body.error).toContain("a member's token (alice) is not enough");
    // Another organization's globalid next to the membership scope is still a member's token here.
    const elsewhere = await refused(await cleanCache(await mintToken({ claims: { globalid: "OtherOrg" } })));
    expect(elsewhere).toMatchObject({ status: 403, body: { code: "forbidden" } });

    const browser = new Browser();
    const login = await browser.fetch("/login?next=/console/runs");
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    expect((await browser.fetch(`/oauth/callback?${new URLSearchParams({ code: fakes.provider.grant({ username: "ida" }), state })}`)).status).toBe(303);
    const session = await refused(await browser.fetch("/telegram/admin/clean-cache", { method: "POST" }));
    expect(session.status).toBe(403);
    expect(session.body.error).toContain("a console session of ida is not enough");

    const bare = await exports.default.fetch(new Request("http://cockpit.test/telegram/admin/clean-cache", { method: "POST" }));
    expect(bare.status).toBe(401);
    expect((await refused(await cleanCache("not-a-token"))).body.code).toBe("unauthorized");
    const foreign = await refused(await cleanCache(await mintToken({ claims: { username: undefined, scope: [], globalid: ORG }, audience: ["OtherOrg"] })));
    expect(foreign).toMatchObject({ status: 401, body: { code: "unauthorized" } });

    // Refused means untouched: Ida is still linked.
    expect(await org().telegramUser(ida.id)).toMatchObject({ user: "ida" });
  });
});
