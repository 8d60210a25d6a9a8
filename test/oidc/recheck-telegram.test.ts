/**
 * Telegram links while they last (issue 13), against the real OpenID provider: membership asked
 * again at a message past `[auth] recheck_minutes` (60 here) of the last proof, a link older than
 * `[auth] link_days` (30 here) ended, one person unlinked by an admin (DELETE /ays/telegram/links/{user})
 * or by themselves (/unlink). Time is not waited for: the link's times are moved back in storage.
 */
import { createScheduledController, runInDurableObject } from "cloudflare:test";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, it } from "vitest";
import worker from "../../src/index.ts";
import { NOT_LINKED } from "../../src/telegram/commands.ts";
import { converse, fakeBotApi, oauthCallback, reply, signInLink, textUpdate, type FakeBotApi, type Person } from "../helpers/telegram.ts";
import { atProvider, clientToken, ORG, oidc, providerToken, setGroups } from "./support.ts";

let bot: FakeBotApi;
beforeEach(() => {
  bot = fakeBotApi();
});
afterEach(async () => {
  bot.restore();
  await setGroups("carol", [ORG]);
});

const org = () => env.ORGANIZATION.getByName(ORG);
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** /start in the chat, and the person signs in as `user` at the provider. */
async function link(person: Person, user: string): Promise<void> {
  const start = await converse(bot, textUpdate(person, "/start"), person.id, "Sign in to");
  const back = await atProvider(signInLink(start), user);
  const before = bot.sent(person.id).length;
  const page = await oauthCallback(Object.fromEntries(back.searchParams));
  if (page.status !== 200) throw new Error(`the callback answered ${page.status}: ${await page.text()}`);
  await reply(bot, person.id, "You have been authorized. Welcome!", before);
}

/** Moves the link's times back by `ms`: its last proof, and (with `linked`) its sign-in too. */
function aged(person: Person, ms: number, column: "checked" | "linked" = "checked"): Promise<void> {
  return runInDurableObject(org(), (_actor, state) => {
    state.storage.sql.exec(`UPDATE telegram_users SET ${column} = ${column} - ? WHERE id = ?`, ms, person.id);
  });
}

async function unlinkedEntry(person: Person) {
  const { events } = await org().events({ type: "telegram.unlinked", newest: true, limit: 20 });
  return (events as unknown as AuditEntry[]).find((e) => e.data?.telegram_user === person.id);
}

function api(method: string, path: string, token?: string): Promise<Response> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return exports.default.fetch(new Request(`http://cockpit.test${path}`, { method, headers }));
}

describe("Telegram links: re-checked, expiring, unlinked", () => {
  it("asks the provider again after the hour, and unlinks a member who left the organization; the bot asks for /start", async ({ expect }) => {
    const carol = { id: 7101, first_name: "Carol" };
    await link(carol, "carol");
    const linked = await org().telegramUser(carol.id);
    expect(linked).toMatchObject({ user: "carol", checked: linked!.linked });

    // An hour on, still a member: the message is served and the proof renewed.
    await aged(carol, HOUR + 60_000);
    const before = Date.now();
    await converse(bot, textUpdate(carol, "/repo list"), carol.id, "No repo selected now.");
    expect((await org().telegramUser(carol.id))!.checked).toBeGreaterThanOrEqual(before);

    // Removed at the provider: the next message past the hour ends the link, and says why.
    await setGroups("carol", ["other"]);
    await aged(carol, HOUR + 60_000);
    const sent = bot.sent(carol.id).length;
    await converse(bot, textUpdate(carol, "/repo list"), carol.id, "Your sign-in as carol has ended: no longer a member of the organization 'MyID' (the groups claim does not list it). Please use /start to sign in again.");
    expect(await org().telegramUser(carol.id)).toBeNull();
    // The command itself was not run, and nothing else was said.
    expect(bot.sent(carol.id).length).toBe(sent + 1);
    expect(await unlinkedEntry(carol)).toMatchObject({ by: "system", channel: "telegram", data: { user: "carol", reason: "no longer a member" } });
    expect(JSON.stringify(await unlinkedEntry(carol))).not.toMatch(/refresh_token|access_token|eyJ/);
    // The bot now treats them as a stranger.
    await converse(bot, textUpdate(carol, "/repo list"), carol.id, NOT_LINKED);
  });

  it("the hourly cron asks about links whose people send nothing, and tells the chat of one that ended", async ({ expect }) => {
    const ken = { id: 7106, first_name: "Ken" };
    const leo = { id: 7107, first_name: "Leo" };
    await link(ken, "carol");
    await link(leo, "alice");
    await setGroups("carol", []);
    await aged(ken, HOUR + 60_000);
    await aged(leo, HOUR + 60_000);
    const sent = bot.sent(ken.id).length;
    await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env);
    expect(await org().telegramUser(ken.id)).toBeNull();
    await reply(bot, ken.id, "Your sign-in as carol has ended: no longer a member of the organization 'MyID'", sent);
    // Still a member: asked, proven again, left linked.
    expect((await org().telegramUser(leo.id))!.checked).toBeGreaterThan(Date.now() - 60_000);
  });

  it("ends a link older than link_days at its next message; /start then signs in again", async ({ expect }) => {
    const erin = { id: 7102, first_name: "Erin" };
    await link(erin, "alice");
    await aged(erin, 29 * DAY, "linked");
    await converse(bot, textUpdate(erin, "/help"), erin.id, "What I can do");
    expect(await org().telegramUser(erin.id)).not.toBeNull();

    await aged(erin, 2 * DAY, "linked");
    await converse(bot, textUpdate(erin, "/help"), erin.id, "Your sign-in has ended: a link lasts 30 days. Please use /start to sign in again.");
    expect(await org().telegramUser(erin.id)).toBeNull();
    expect(await unlinkedEntry(erin)).toMatchObject({ data: { user: "alice", reason: "link expired" } });
    // /start right after: no second notice, a fresh sign-in link.
    await converse(bot, textUpdate(erin, "/start"), erin.id, "Sign in to");
  });

  it("DELETE /ays/telegram/links/{user}: the organization's own token unlinks one person, and their chat is told", async ({ expect }) => {
    const frank = { id: 7103, first_name: "Frank" };
    const grace = { id: 7104, first_name: "Grace" };
    await link(frank, "erin");
    await link(grace, "alice");
    const admin = await clientToken(ORG, oidc.clientSecret);

    // No token: 401; a member's token: 403; an unknown user: 404.
    expect((await api("DELETE", "/ays/telegram/links/erin")).status).toBe(401);
    const member = await api("DELETE", "/ays/telegram/links/erin", await providerToken({ sub: "alice", preferred_username: "alice", groups: [ORG] }));
    expect(member.status).toBe(403);
    expect(((await member.json()) as { code: string }).code).toBe("forbidden");
    const unknown = await api("DELETE", "/ays/telegram/links/nobody", admin);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "no Telegram account is linked to nobody", code: "not_found" });
    expect(await org().telegramUser(frank.id)).not.toBeNull();

    const sent = bot.sent(frank.id).length;
    const res = await api("DELETE", "/ays/telegram/links/erin", admin);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: "erin", unlinked: [{ id: frank.id, user: "erin", chat: frank.id }] });
    expect(await org().telegramUser(frank.id)).toBeNull();
    expect(await org().telegramUser(grace.id)).toMatchObject({ user: "alice" });
    await reply(bot, frank.id, "An admin of MyID unlinked this Telegram account from erin. Use /start to sign in again.", sent);
    expect(await unlinkedEntry(frank)).toMatchObject({ by: ORG, data: { user: "erin", reason: "unlinked by an admin" } });
    // Gone already: a second DELETE finds nothing.
    expect((await api("DELETE", "/ays/telegram/links/erin", admin)).status).toBe(404);
    // A control character is no user name: 400, naming the parameter.
    const bad = await api("DELETE", "/ays/telegram/links/bo%01b", admin);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe("invalid_request");

    // The route is in the OpenAPI document, with its answers.
    const doc = (await (await api("GET", "/openapi.json")).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths["/ays/telegram/links/{user}"]!.delete!.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "403", "404"]));
  });

  it("/unlink: the person unlinks their own chat; the bot then asks for /start", async ({ expect }) => {
    const heidi = { id: 7105, first_name: "Heidi" };
    await link(heidi, "alice");
    await converse(bot, textUpdate(heidi, "/unlink"), heidi.id, "Unlinked: this Telegram account no longer acts as alice of MyID. Use /start to sign in again.");
    expect(await org().telegramUser(heidi.id)).toBeNull();
    expect(await unlinkedEntry(heidi)).toMatchObject({ by: "alice", data: { user: "alice", reason: "unlinked by the person" } });
    await converse(bot, textUpdate(heidi, "/repo list"), heidi.id, NOT_LINKED);
    // Unlinked already: /unlink is for linked people only.
    await converse(bot, textUpdate(heidi, "/unlink"), heidi.id, NOT_LINKED);
  });
});
