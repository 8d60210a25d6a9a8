/**
 * A fake Telegram Bot API for workerd tests, and builders for the updates Telegram would send.
 *
 * The Worker, its Durable Objects and the test share one isolate, so replacing `fetch` catches the
 * bot's calls to api.telegram.org (the example config's `[bot] api_root`); every other request goes
 * through. Each call is recorded with its method and JSON payload, and answered like Telegram would.
 * Install it before fakeOAuthProvider() and restore it after, so the two chain.
 */
import { exports } from "cloudflare:workers";
import { afterEach, beforeEach } from "vitest";
import { fakeOAuthProvider } from "./oauth-provider.ts";
import { until } from "./until.ts";

export const BOT_TOKEN = "123456789:replace-me";
export const WEBHOOK_SECRET = "local-dev-webhook-secret";
const API = `https://api.telegram.org/bot${BOT_TOKEN}/`;
const FILES = `https://api.telegram.org/file/bot${BOT_TOKEN}/`;

export const BOT_INFO = {
  id: 123456789,
  is_bot: true,
  first_name: "Cockpit",
  username: "cockpit_test_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Payload = Record<string, any>;
export interface BotCall {
  method: string;
  payload: Payload;
  /** What the fake answered (e.g. the sent message, with its message_id). */
  result?: unknown;
  at: number;
}

type Answer = { ok: true; result: unknown } | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };

export function fakeBotApi() {
  const calls: BotCall[] = [];
  const downloads: string[] = [];
  const files = new Map<string, { path: string; body: string }>();
  /** Per-method answers that replace the default once each (e.g. a 429). */
  const scripted = new Map<string, ((payload: Payload) => Answer | undefined)[]>();
  let nextMessageId = 100;
  const inner = globalThis.fetch;

  const answer = (method: string, payload: Payload): Answer => {
    const script = scripted.get(method);
    while (script?.length) {
      const scriptedAnswer = script.shift()!(payload);
      if (scriptedAnswer) return scriptedAnswer;
    }
    switch (method) {
      case "getMe":
        return { ok: true, result: BOT_INFO };
      case "sendMessage":
        return { ok: true, result: { message_id: nextMessageId++, date: 0, chat: { id: payload.chat_id, type: "private" }, text: payload.text } };
      case "editMessageText":
        return { ok: true, result: { message_id: payload.message_id, date: 0, chat: { id: payload.chat_id, type: "private" }, text: payload.text } };
      case "getFile": {
        const file = files.get(payload.file_id);
        if (!file) return { ok: false, error_code: 400, description: "Bad Request: invalid file_id" };
        return { ok: true, result: { file_id: payload.file_id, file_unique_id: `u-${payload.file_id}`, file_size: file.body.length, file_path: file.path } };
      }
      default:
        return { ok: true, result: true };
    }
  };

  const fake: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(FILES)) {
      const path = request.url.slice(FILES.length);
      downloads.push(path);
      const file = [...files.values()].find((f) => f.path === path);
      return file ? new Response(file.body, { headers: { "content-length": String(new TextEncoder().encode(file.body).length) } }) : new Response("not found", { status: 404 });
    }
    if (!request.url.startsWith(API)) return inner(input, init);
    const method = request.url.slice(API.length);
    const text = await request.text();
    const payload = (text ? JSON.parse(text) : {}) as Payload;
    const call: BotCall = { method, payload, at: Date.now() };
    calls.push(call);
    const result = answer(method, payload);
    if (result.ok) call.result = result.result;
    return Response.json(result, { status: result.ok ? 200 : result.error_code });
  };
  globalThis.fetch = fake;

  return {
    calls,
    downloads,
    /** Messages sent (and edited) to one chat, in order. */
    messages: (chat: number) => calls.filter((c) => (c.method === "sendMessage" || c.method === "editMessageText") && c.payload.chat_id === chat),
    sent: (chat: number) => calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === chat).map((c) => c.payload.text as string),
    /** Answers the next call of `method` with `fn`'s answer (when it gives one) instead of the default. */
    script(method: string, fn: (payload: Payload) => Answer | undefined) {
      scripted.set(method, [...(scripted.get(method) ?? []), fn]);
    },
    /** A document Telegram holds, downloadable through getFile. */
    file(fileId: string, path: string, body: string) {
      files.set(fileId, { path, body });
    },
    restore() {
      globalThis.fetch = inner;
    },
  };
}

export type FakeBotApi = ReturnType<typeof fakeBotApi>;

let updateId = Math.floor(Math.random() * 1_000_000);

export interface Person {
  id: number;
  first_name: string;
  username?: string;
}

function message(from: Person, chat: number, extra: Payload): Payload {
  return {
    message_id: updateId,
    date: Math.floor(Date.now() / 1000),
    from: { ...from, is_bot: false },
    chat: chat === from.id ? { id: chat, type: "private", first_name: from.first_name } : { id: chat, type: "group", title: "ops" },
    ...extra,
  };
}

export function textUpdate(from: Person, text: string, chat = from.id): Payload {
  const entities = text.startsWith("/") ? [{ type: "bot_command", offset: 0, length: text.split(/\s/)[0]!.length }] : undefined;
  return { update_id: ++updateId, message: message(from, chat, { text, ...(entities ? { entities } : {}) }) };
}

export function documentUpdate(from: Person, document: { file_id: string; file_name: string; file_size: number }, chat = from.id): Payload {
  return { update_id: ++updateId, message: message(from, chat, { document: { ...document, file_unique_id: `u-${document.file_id}` } }) };
}

export function callbackUpdate(from: Person, data: string, chat = from.id): Payload {
  return {
    update_id: ++updateId,
    callback_query: { id: `cb${updateId}`, from: { ...from, is_bot: false }, chat_instance: "1", data, message: message(BOT_INFO as unknown as Person, chat, { text: "…" }) },
  };
}

/** POSTs an update to the webhook as Telegram does. */
export function deliver(update: Payload, secret: string | null = WEBHOOK_SECRET): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret !== null) headers["x-telegram-bot-api-secret-token"] = secret;
  return exports.default.fetch(new Request("http://cockpit.test/telegram/webhook", { method: "POST", headers, body: JSON.stringify(update) }));
}

/** Waits for a message to `chat` whose text matches, counting only those after the first `skip`. */
export async function reply(bot: FakeBotApi, chat: number, match: RegExp | string, skip = 0): Promise<BotCall> {
  const test = (c: BotCall) => (typeof match === "string" ? (c.payload.text as string).includes(match) : match.test(c.payload.text as string));
  const found = await until(
    async () => bot.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === chat).slice(skip).find(test),
    (c) => c !== undefined,
    10_000,
    25,
  ).catch(() => {
    throw new Error(`no message to ${chat} matching ${match}; sent: ${JSON.stringify(bot.sent(chat), null, 1)}`);
  });
  return found!;
}

/** The callback data of the button labelled `label` (exactly, or starting with it) in a reply. */
export function button(call: BotCall, label: string): string {
  const rows = (call.payload.reply_markup?.inline_keyboard ?? []) as { text: string; callback_data: string }[][];
  const found = rows.flat().find((b) => b.text === label) ?? rows.flat().find((b) => b.text.startsWith(label));
  if (!found) throw new Error(`no button ${label} in ${JSON.stringify(rows.flat().map((b) => b.text))}`);
  return found.callback_data;
}

/** Sends an update and waits until the bot said something matching. */
export async function converse(bot: FakeBotApi, update: Payload, chat: number, match: RegExp | string): Promise<BotCall> {
  const before = bot.sent(chat).length;
  const res = await deliver(update);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  return reply(bot, chat, match, before);
}

/** The sign-in link of the bot's /start answer. */
export function signInLink(call: BotCall): URL {
  const href = /href="([^"]+)"/.exec(call.payload.text as string)?.[1];
  if (!href) throw new Error(`no link in ${call.payload.text}`);
  return new URL(href.replace(/&amp;/g, "&"));
}

/** The browser's return from the identity provider to the cockpit. */
export function oauthCallback(query: Record<string, string>): Promise<Response> {
  return exports.default.fetch(`http://cockpit.test/oauth/callback?${new URLSearchParams(query)}`);
}

/** /start, then the provider's callback for `user`: the whole linking flow, as a person does it. */
export async function linkUser(bot: FakeBotApi, provider: { grant(g: { username: string; member?: boolean }): string }, person: Person, user: string): Promise<Response> {
  const start = await converse(bot, textUpdate(person, "/start"), person.id, "Sign in to");
  const state = signInLink(start).searchParams.get("state")!;
  const before = bot.sent(person.id).length;
  const page = await oauthCallback({ code: provider.grant({ username: user }), state });
  await reply(bot, person.id, "You have been authorized. Welcome!", before);
  return page;
}

/**
 * The fake Bot API and the fake identity provider around every test of a file, installed and
 * restored in the order that lets them chain. Read `fakes.bot` and `fakes.provider` inside tests.
 */
export function withFakes(): { bot: FakeBotApi; provider: ReturnType<typeof fakeOAuthProvider> } {
  const fakes = {} as { bot: FakeBotApi; provider: ReturnType<typeof fakeOAuthProvider> };
  beforeEach(() => {
    fakes.bot = fakeBotApi();
    fakes.provider = fakeOAuthProvider();
  });
  afterEach(() => {
    fakes.provider.restore();
    fakes.bot.restore();
  });
  return fakes;
}
