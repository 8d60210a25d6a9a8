import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { button, callbackUpdate, converse, deliver, linkUser, reply, textUpdate, withFakes } from "../helpers/telegram.ts";
import { until } from "../helpers/until.ts";
import { MESSAGE_LIMIT, renderMessages, html, pre, escapeHtml } from "../../src/telegram/format.ts";
import { botInfo } from "../../src/telegram/bot.ts";
import { runProgress } from "../../src/telegram/render.ts";

const fakes = withFakes();

describe("POST /telegram/webhook", () => {
  it("answers 401 without the secret header, or with a wrong one, and handles nothing", async ({ expect }) => {
    const who = { id: 6001, first_name: "Ivy" };
    const none = await deliver(textUpdate(who, "/help"), null);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: "unauthorized" });
    expect((await deliver(textUpdate(who, "/help"), "local-dev-webhook-secreT")).status).toBe(401);
    // The right secret goes through; the refused ones never reached the chat.
    await converse(fakes.bot, textUpdate(who, "/help"), who.id, "What I can do");
    expect(fakes.bot.sent(who.id)).toHaveLength(1);
  });

  it("refuses a body that is not an update", async ({ expect }) => {
    expect((await deliver({ hello: "world" })).status).toBe(400);
    expect((await deliver({ update_id: "7" })).status).toBe(400);
    // Nested deeper than the JSON routes take (src/routes/json-bodies.ts): a 400 naming the limit.
    let deep: Record<string, unknown> = {};
    for (let n = 0; n < 100; n++) deep = { n: deep };
    const tooDeep = await deliver({ update_id: 8, deep });
    expect(tooDeep.status).toBe(400);
    expect(await tooDeep.json()).toMatchObject({ code: "too_deep" });
  });

  it("ignores a replayed update_id", async ({ expect }) => {
    const who = { id: 6002, first_name: "Jo" };
    const update = textUpdate(who, "/help");
    const first = await deliver(update);
    expect(await first.json()).toEqual({ ok: true });
    await reply(fakes.bot, who.id, "What I can do");
    const again = await deliver(update);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    // A later update of the same chat is handled after the replay would have been: still one answer each.
    await deliver(textUpdate(who, "/help"));
    const answers = await until(async () => fakes.bot.sent(who.id).filter((t) => t.includes("What I can do")), (a) => a.length >= 2);
    expect(answers).toHaveLength(2);
  });

  it("keeps answering other chats while one chat's messages keep failing", async ({ expect }) => {
    const broken = { id: 6003, first_name: "Broken" };
    const fine = { id: 6004, first_name: "Fine" };
    for (let n = 0; n < 3; n++) {
      fakes.bot.script("sendMessage", (p) => (p.chat_id === broken.id ? { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" } : undefined));
    }
    expect((await deliver(textUpdate(broken, "/help"))).status).toBe(200);
    await converse(fakes.bot, textUpdate(fine, "/help"), fine.id, "What I can do");
    const attempts = fakes.bot.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === broken.id);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
  });

  it("waits out a 429 for retry_after seconds and sends the message", async ({ expect }) => {
    const who = { id: 6005, first_name: "Kim" };
    fakes.bot.script("sendMessage", (p) => (p.chat_id === who.id ? { ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } } : undefined));
    const started = Date.now();
    await deliver(textUpdate(who, "/help"));
    const tries = await until(async () => fakes.bot.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === who.id), (t) => t.length >= 2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(tries).toHaveLength(2);
    expect(tries[0]!.payload).toEqual(tries[1]!.payload);
  });
});

describe("buttons", () => {
  it("refuses forged callback data and a button pressed by someone it was not shown to", async ({ expect }) => {
    const lea = { id: 6100, first_name: "Lea" };
    const max = { id: 6101, first_name: "Max" };
    await linkUser(fakes.bot, fakes.provider, lea, "lea");
    await linkUser(fakes.bot, fakes.provider, max, "max");
    const group = -100600;

    const forged = callbackUpdate(lea, "repo delete everything --yes", lea.id);
    await deliver(forged);
    const refusal = await until(async () => fakes.bot.calls.find((c) => c.method === "answerCallbackQuery" && c.payload.callback_query_id === forged.callback_query.id), Boolean);
    expect(refusal!.payload).toMatchObject({ show_alert: true, text: expect.stringContaining("not valid") });

    await converse(fakes.bot, textUpdate(lea, "/repo create shared", group), group, "created");
    const menu = await converse(fakes.bot, textUpdate(lea, "/repo delete shared", group), group, "Delete repository");
    const press = callbackUpdate(max, button(menu, "Yes, delete shared"), group);
    await deliver(press);
    const notYours = await until(async () => fakes.bot.calls.find((c) => c.method === "answerCallbackQuery" && c.payload.callback_query_id === press.callback_query.id), Boolean);
    expect(notYours!.payload.text).toContain("shown to someone else");
    expect(await env.ORGANIZATION.getByName("MyID").getRepository("shared")).not.toBeNull();

    // Lea's own press still works: rights are checked again at the press, and they hold.
    await converse(fakes.bot, callbackUpdate(lea, button(menu, "Yes, delete shared"), group), group, "Repo <code>shared</code> removed");
    expect(await env.ORGANIZATION.getByName("MyID").getRepository("shared")).toBeNull();
  });

  it("re-checks the link when a button is pressed", async ({ expect }) => {
    const ned = { id: 6102, first_name: "Ned" };
    await linkUser(fakes.bot, fakes.provider, ned, "ned");
    const menu = await converse(fakes.bot, textUpdate(ned, "/repo"), ned.id, "What do you want to do?");
    await env.ORGANIZATION.getByName("MyID").telegramForget();
    const press = callbackUpdate(ned, button(menu, "List"));
    await deliver(press);
    const answer = await until(async () => fakes.bot.calls.find((c) => c.method === "answerCallbackQuery" && c.payload.callback_query_id === press.callback_query.id), Boolean);
    expect(answer!.payload.text).toBe("I don't know you yet, please use /start");
  });
});

describe("what the bot knows about itself", () => {
  it("comes from [bot] username without a getMe call, else from one cached getMe", async ({ expect }) => {
    const config = { active: true, token: "42:abc", api_root: "https://api.telegram.org", username: "cockpit_bot" };
    const info = await botInfo(config);
    expect(info).toMatchObject({ id: 42, is_bot: true, username: "cockpit_bot" });
    expect(fakes.bot.calls).toEqual([]);

    const asked = await botInfo({ active: true, token: "123456789:replace-me", api_root: "https://api.telegram.org" });
    const again = await botInfo({ active: true, token: "123456789:replace-me", api_root: "https://api.telegram.org" });
    expect(asked.username).toBe("cockpit_test_bot");
    expect(again).toBe(asked);
    expect(fakes.bot.calls.filter((c) => c.method === "getMe").length).toBeLessThanOrEqual(1);
  });
});

describe("outgoing text", () => {
  it("keeps the progress of a run of many steps in one message", ({ expect }) => {
    const job = (n: number, state: "ok" | "new") => ({ key: `r.${n}`, service: `svc!${"x".repeat(40)}${n}`, actor: "svc", action: "install", state, attempts: 0, started: null, ended: null, logs: [], result: null, files: [] });
    const steps = Array.from({ length: 400 }, (_, n) => ({ number: n + 1, state: n < 100 ? ("ok" as const) : ("new" as const), jobs: [job(n, n < 100 ? "ok" : "new")] }));
    const run = { key: "run-9", state: "running" as const, created: 0, simulate: false, priority: 1, not_before: 0, attempt: 1, by: "x", steps, errors: [] };
    const messages = renderMessages(runProgress("big", run));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain("100 of 400 steps done");
    expect(messages[0]).toContain("100/400 jobs done");
  });

  it("is HTML-escaped and split under 4096 characters without breaking a tag", ({ expect }) => {
    const log = Array.from({ length: 900 }, (_, n) => `line ${n} <b>&amp; stuff</b>`).join("\n");
    const messages = renderMessages([html(`${escapeHtml("a_b*c <x>")}`), pre(log)]);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
      expect(m.match(/<pre>/g)?.length ?? 0).toBe(m.match(/<\/pre>/g)?.length ?? 0);
      expect(m).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(messages[0]).toBe("a_b*c &lt;x&gt;");
    // Nothing lost or doubled: the <pre> pieces put together are the log.
    const text = messages.slice(1).join("").replace(/<\/?pre>/g, "");
    expect(text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")).toBe(log);
  });
});
