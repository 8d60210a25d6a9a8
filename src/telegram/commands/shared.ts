/**
 * What every command family uses: replies with buttons, the current repository, and `command()`,
 * which makes a typed command and a pressed button run the same handler after the same checks.
 */
import { Composer } from "grammy";
import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import { sendBlocks } from "../bot.ts";
import type { ButtonAction, CockpitContext } from "../context.ts";
import type { Question } from "../conversation.ts";
import { code, escapeHtml, html, type Block } from "../format.ts";
import { orgActor } from "../ops.ts";

export type Ctx = CockpitContext;
/** A command: its arguments split at spaces, and the raw text after the command. */
export type Handler = (ctx: Ctx, args: string[], raw: string) => Promise<void>;
/** A button: label, then the command line it stands for. */
export type Button = [label: string, command: string, ...args: string[]];
/** How a family takes the answers to its questions (conversation.ts), one function per kind. */
export type Answers<K extends Question["kind"]> = { [Q in K]: (ctx: Ctx, question: Extract<Question, { kind: Q }>, text: string) => Promise<void> };

const NO_REPO = "You are not working on a repository yet: use /repo to select or create one.";

// === Replies

/** Sends a reply; @returns the id of its last message. */
export function send(ctx: Ctx, blocks: Block[] | string, buttons?: Button[][]): Promise<number | undefined> {
  const list = typeof blocks === "string" ? [html(escapeHtml(blocks))] : blocks;
  return sendBlocks(ctx.api, ctx.cockpit.host.chat, list, buttons ? keyboard(ctx, buttons) : undefined);
}

export async function say(ctx: Ctx, blocks: Block[] | string, buttons?: Button[][]): Promise<void> {
  await send(ctx, blocks, buttons);
}

/** Commands that act on the user's current repository; their buttons remember which one it was. */
const REPO_SCOPED = new Set(["blueprint", "service", "run"]);

function keyboard(ctx: Ctx, rows: Button[][]): InlineKeyboardMarkup {
  const user = ctx.from!.id;
  const repo = currentRepo(ctx);
  const action = (command: string, args: string[]): ButtonAction => ({ command, args, ...(repo && REPO_SCOPED.has(command) ? { repo } : {}) });
  return {
    inline_keyboard: rows
      .filter((row) => row.length)
      .map((row) =>
        row.map(([label, command, ...args]): InlineKeyboardButton => ({ text: label, callback_data: ctx.cockpit.host.button(user, action(command, args)) })),
      ),
  };
}

/** Rows of up to `width` buttons. */
export function grid(buttons: Button[], width = 3): Button[][] {
  const rows: Button[][] = [];
  for (let n = 0; n < buttons.length; n += width) rows.push(buttons.slice(n, n + width));
  return rows;
}

/** What a command offers when given no arguments: its verbs as buttons, two to a row. */
export async function menu(ctx: Ctx, title: string, command: string, verbs: string[]): Promise<void> {
  await say(ctx, [html(title)], grid(verbs.map((verb): Button => [verb[0]!.toUpperCase() + verb.slice(1), command, verb]), 2));
}

/** Refusals from an actor, told as they are (they name what is wrong). */
export async function refused(ctx: Ctx, error: string): Promise<void> {
  await say(ctx, [html(`Sorry: ${escapeHtml(error)}`)]);
}

/** Waits for this person's next message as the answer to `question`. */
export function ask(ctx: Ctx, question: Question): void {
  ctx.cockpit.host.ask(question, ctx.from!.id);
}

// === The current repository

export function currentRepo(ctx: Ctx): string | null {
  return ctx.cockpit.link?.current_repo ?? null;
}

/** The current repository, or a reply saying there is none. */
export async function needRepo(ctx: Ctx): Promise<string | null> {
  const name = currentRepo(ctx);
  if (name && (await orgActor(ctx.cockpit).getRepository(name))) return name;
  if (name) await orgActor(ctx.cockpit).telegramSelect(ctx.from!.id, null);
  await say(ctx, NO_REPO);
  return null;
}

// === Commands and their buttons

function splitArgs(raw: string): string[] {
  return raw.trim().split(/\s+/).filter(Boolean);
}

/** The command a message is, for the bus (`/repo@MyBot create x` → `repo`); null for plain text. */
export function commandOf(text: string | undefined): string | null {
  const m = /^\/([A-Za-z0-9_]{1,64})(?:@\w+)?(?:\s|$)/.exec(text ?? "");
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * `/name ARGS` and the buttons standing for it, both run by `handler`. A button is only a stored
 * command line (checked upstream: known, and pressed by the person it was shown to), so pressing
 * it runs exactly what typing it would; a button shown for another repository than the current one
 * is refused. Either way a pending question is dropped, so an old prompt never eats the next message.
 */
export function command(name: string, handler: Handler): Composer<Ctx> {
  const composer = new Composer<Ctx>();
  composer.command(name, async (ctx) => {
    ctx.cockpit.host.cancel();
    await handler(ctx, splitArgs(ctx.match), ctx.match);
  });
  composer.filter(
    (ctx) => ctx.pressed?.command === name,
    async (ctx) => {
      const pressed = ctx.pressed!;
      const shownFor = pressed.repo;
      const current = currentRepo(ctx);
      if (shownFor && current !== shownFor) {
        await ctx.answerCallbackQuery();
        await say(ctx, [html(`That button is for repository ${code(shownFor)}, but you are working on ${current ? code(current) : "no repository"} now: /repo select ${escapeHtml(shownFor)}, then press it again.`)]);
        return;
      }
      await ctx.answerCallbackQuery();
      ctx.cockpit.host.cancel();
      await handler(ctx, pressed.args, pressed.args.join(" "));
    },
  );
  return composer;
}
