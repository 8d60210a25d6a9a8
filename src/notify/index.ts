/**
 * What jobs say to people, through the ChatActors (src/telegram/chat-actor.ts) over RPC: no grammY,
 * no Bot API, so the actors and the sandbox may import it (a leaf: it imports only the config).
 *
 * `job.notify(message, to?)` from a template action (the original's `ask_telegram` without an
 * answer): the message goes to a linked member's chat (`{user}`), to a chat the bot is in
 * (`{chat}`), or, with no `to`, to every linked member, as the original's broadcast did.
 * `job.ask`: a question with one button per answer, in a linked member's chat (askQuestion).
 */
import { configFromBindings } from "../config/index.ts";

export type NotifyTarget = { user: string } | { chat: number } | null;

/** Checks what an action passed as `to`; throws a TypeError the action sees. */
export function notifyTarget(to: unknown): NotifyTarget {
  if (to === null || to === undefined) return null;
  if (typeof to === "object") {
    const t = to as Record<string, unknown>;
    if (typeof t.user === "string" && t.user && Object.keys(t).length === 1) return { user: t.user };
    if (Number.isSafeInteger(t.chat) && Object.keys(t).length === 1) return { chat: t.chat as number };
  }
  throw new TypeError('job.notify: `to` must be {user: "name"} (a linked member), {chat: id} or left out (every linked member)');
}

/** Where an answer goes back to: the job's ServiceActor, job and question. */
export interface QuestionTarget {
  actor: string;
  key: string;
  attempt: number;
  id: string;
}

/**
 * A question that cannot be asked however often it is tried: no bot, a member who never sent
 * /start, a chat that blocked the bot, a request Telegram refuses. Any other failure (Telegram down,
 * a 5xx, a 429 beyond the wait, the network) is a plain Error, worth trying again.
 */
export class NotAskable extends Error {
  override name = "NotAskable";
}

/** A question Telegram did not take this time; `retryAfter` (seconds) when Telegram said how long to wait. */
export class NotDelivered extends Error {
  override name = "NotDelivered";
  readonly retryAfter: number | undefined;
  constructor(message: string, retryAfter?: number) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

/** How a ChatActor's attempt to show a question went (a value, not a throw: custom errors lose their class over RPC). */
export type QuestionDelivery = { ok: true } | { ok: false; permanent: boolean; reason: string; retryAfter?: number };

/**
 * Asks a linked member a job's question in their chat, with one button per answer.
 * @throws NotAskable when retrying cannot help; any other error when it may
 */
export async function askQuestion(env: Env, q: QuestionTarget & { service: string; text: string; to: { user: string }; buttons: string[] }): Promise<void> {
  const config = configFromBindings(env);
  if (!config.bot?.active) throw new NotAskable("job.ask: the Telegram bot is not configured ([bot])");
  const links = await env.ORGANIZATION.getByName(config.oauth.organization).telegramUsers();
  const link = links.find((l) => l.user === q.to.user);
  if (!link) throw new NotAskable(`job.ask: user ${q.to.user} is not known to the bot: they need to send /start to the bot first`);
  const sent = await env.CHAT.getByName(String(link.chat)).askQuestion(link.chat, link.id, `❓ ${q.service}: ${q.text}`, q.buttons, { actor: q.actor, key: q.key, attempt: q.attempt, id: q.id });
  if (sent.ok) return;
  if (sent.permanent) throw new NotAskable(`job.ask: ${sent.reason}`);
  throw new NotDelivered(sent.reason, sent.retryAfter);
}

/** @returns how many chats the message went to */
export async function notify(env: Env, serviceKey: string, text: string, target: NotifyTarget): Promise<number> {
  const config = configFromBindings(env);
  if (!config.bot?.active) throw new Error("job.notify: the Telegram bot is not configured ([bot])");
  let chats: number[];
  if (target && "chat" in target) chats = [target.chat];
  else {
    const links = await env.ORGANIZATION.getByName(config.oauth.organization).telegramUsers();
    const chosen = target ? links.filter((l) => l.user === target.user) : links;
    if (target && !chosen.length) throw new Error(`job.notify: user ${target.user} is not known to the bot: they need to send /start to the bot first`);
    chats = [...new Set(chosen.map((l) => l.chat))];
  }
  for (const chat of chats) await env.CHAT.getByName(String(chat)).tell(chat, `🔔 ${serviceKey}: ${text}`);
  return chats.length;
}
