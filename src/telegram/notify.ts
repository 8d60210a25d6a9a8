/**
 * `job.notify(message, to?)` from a template action (the original's `ask_telegram` without an
 * answer): the message goes to a linked member's chat (`{user}`), to a chat the bot is in
 * (`{chat}`), or, with no `to`, to every linked member, as the original's broadcast did.
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

/** Asks a linked member a job's question in their chat, with one button per answer. */
export async function askQuestion(env: Env, q: QuestionTarget & { service: string; text: string; to: { user: string }; buttons: string[] }): Promise<void> {
  const config = configFromBindings(env);
  if (!config.bot?.active) throw new Error("job.ask: the Telegram bot is not configured ([bot])");
  const links = await env.ORGANIZATION.getByName(config.oauth.organization).telegramUsers();
  const link = links.find((l) => l.user === q.to.user);
  if (!link) throw new Error(`job.ask: user ${q.to.user} is not known to the bot: they need to send /start to the bot first`);
  await env.CHAT.getByName(String(link.chat)).askQuestion(link.chat, link.id, `❓ ${q.service}: ${q.text}`, q.buttons, { actor: q.actor, key: q.key, attempt: q.attempt, id: q.id });
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
