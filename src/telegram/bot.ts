/**
 * The Bot API side: a grammY bot built for each update (Workers keep no live objects between
 * requests), `[bot] api_root` honoured so a local Bot API server can stand in, and 429 answers
 * retried after Telegram's `retry_after`.
 */
import { Api, Bot, GrammyError, HttpError, type Context, type RawApi, type Transformer } from "grammy";
import type { InlineKeyboardMarkup, UserFromGetMe } from "grammy/types";
import type { CockpitConfig } from "../config/index.ts";
import { renderMessages, type Block } from "./format.ts";

export type BotConfig = NonNullable<CockpitConfig["bot"]>;

/** The longest wait a 429 may ask for before the call gives up (the chat's queue retries later). */
const MAX_RETRY_AFTER_S = 30;
const MAX_429_RETRIES = 3;

/** Honours 429 Too Many Requests: waits `retry_after` seconds and tries again, a few times. */
export const retryAfter: Transformer<RawApi> = async (prev, method, payload, signal) => {
  for (let attempt = 0; ; attempt++) {
    const result = await prev(method, payload, signal);
    if (result.ok || result.error_code !== 429 || attempt >= MAX_429_RETRIES) return result;
    const seconds = result.parameters?.retry_after ?? 1;
    if (seconds > MAX_RETRY_AFTER_S) return result;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
};

/** One isolate serves many chats: getMe is asked once per token, and again only after a failure. */
const infoCache = new Map<string, Promise<UserFromGetMe>>();

/**
 * What grammY needs to know about the bot (its user name matches `/cmd@name` in groups): built from
 * `[bot] username` when set, else asked once with getMe and cached.
 */
export function botInfo(bot: BotConfig): Promise<UserFromGetMe> {
  if (bot.username) {
    return Promise.resolve({
      id: Number(bot.token.split(":")[0]),
      is_bot: true,
      first_name: bot.username,
      username: bot.username,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    });
  }
  const key = `${bot.api_root}\u0000${bot.token}`;
  let info = infoCache.get(key);
  if (!info) {
    info = makeApi(bot).getMe();
    infoCache.set(key, info);
    info.catch(() => infoCache.delete(key));
  }
  return info;
}

export function makeApi(bot: BotConfig): Api {
  const api = new Api(bot.token, { apiRoot: bot.api_root });
  api.config.use(retryAfter);
  return api;
}

export async function makeBot<C extends Context>(bot: BotConfig, ContextConstructor: new (...args: ConstructorParameters<typeof Context>) => C): Promise<Bot<C>> {
  const made = new Bot<C>(bot.token, { botInfo: await botInfo(bot), client: { apiRoot: bot.api_root }, ContextConstructor });
  made.api.config.use(retryAfter);
  return made;
}

/** The URL a `getFile` path is downloaded from (it contains the token: never log or store it). */
export function fileUrl(bot: BotConfig, filePath: string): string {
  return `${bot.api_root.replace(/\/+$/, "")}/file/bot${bot.token}/${filePath}`;
}

/**
 * Sends blocks as one or more HTML messages (split at Telegram's limit); the keyboard goes on the
 * last one, under everything it refers to.
 * @returns the id of the last message sent
 */
export async function sendBlocks(api: Api, chat: number, blocks: Block[], keyboard?: InlineKeyboardMarkup): Promise<number | undefined> {
  const messages = renderMessages(blocks);
  let last: number | undefined;
  for (const [n, text] of messages.entries()) {
    const markup = n === messages.length - 1 && keyboard ? { reply_markup: keyboard } : {};
    const sent = await api.sendMessage(chat, text, { parse_mode: "HTML", link_preview_options: { is_disabled: true }, ...markup });
    last = sent.message_id;
  }
  return last;
}

/**
 * Sorts a failed sendMessage: Telegram's 4xx answers (but 429) do not change on a retry, its 429s
 * and 5xx and an unreachable Telegram may. The reason never carries the bot token.
 */
export function deliveryFailure(err: unknown, token: string): { permanent: boolean; reason: string; retryAfter?: number } {
  const scrub = (text: string) => (token ? text.split(token).join("<token>") : text);
  if (err instanceof GrammyError) {
    const said = scrub(`${err.error_code}: ${err.description}`);
    if (err.error_code === 403) return { permanent: true, reason: `the chat does not accept the bot's messages, blocked or left (Telegram ${said})` };
    // A 429 the bot did not wait out itself (retry_after over its limit) says when to come back.
    const retryAfter = err.error_code === 429 ? err.parameters.retry_after : undefined;
    if (err.error_code === 429 || err.error_code >= 500) return { permanent: false, reason: `Telegram failed (${said})`, ...(retryAfter ? { retryAfter } : {}) };
    return { permanent: true, reason: `Telegram refused the question (${said})` };
  }
  if (err instanceof HttpError) {
    const cause = err.error instanceof Error ? err.error.message : String(err.error);
    return { permanent: false, reason: `Telegram could not be reached (${scrub(cause)})` };
  }
  return { permanent: false, reason: scrub(err instanceof Error ? err.message : String(err)) };
}
