/**
 * The bot's commands (ays-original.md §3), one grammY Composer per family in commands/: /start,
 * /help, /cancel, /unlink, /repo, /blueprint, /service, /run, /errors and /errorsof, and the answers to a
 * job's question. This file only puts them in order around what they share: the linked-user guard,
 * the check of a pressed button, and plain text, which answers the question this person was asked.
 *
 * A command with missing arguments offers buttons or asks a question; a button is only a stored
 * command line, so pressing it runs exactly what typing it would, after the same checks.
 */
import { Composer } from "grammy";
import type { ButtonAction, Cockpit } from "./context.ts";
import type { Question } from "./conversation.ts";
import { blueprintAnswers, blueprints } from "./commands/blueprint.ts";
import { cancel } from "./commands/cancel.ts";
import { errors, errorsAnswers } from "./commands/errors.ts";
import { help } from "./commands/help.ts";
import { jobAnswers } from "./commands/job-answer.ts";
import { repoAnswers, repos } from "./commands/repo.ts";
import { runs } from "./commands/run.ts";
import { serviceAnswers, services } from "./commands/service.ts";
import { commandOf, say, type Answers, type Ctx } from "./commands/shared.ts";
import { start } from "./commands/start.ts";
import { unlink } from "./commands/unlink.ts";

export const NOT_LINKED = "I don't know you yet, please use /start";

/** Every kind of question is answered by the family that asks it (the compiler checks none is missing). */
const ANSWERS: Answers<Question["kind"]> = { ...repoAnswers, ...blueprintAnswers, ...serviceAnswers, ...errorsAnswers };

/** Everyone else is told to /start first: a button press with an alert, a message with a reply. */
const linkedOnly = new Composer<Ctx>(async (ctx, next) => {
  if (ctx.cockpit.link) return next();
  if (ctx.callbackQuery) {
    await ctx.answerCallbackQuery({ text: NOT_LINKED, show_alert: true });
    return;
  }
  // In a group, only a command addressed to the bot gets the hint: chatter from others is not for us.
  if (ctx.message && ctx.chat && (ctx.chat.type === "private" || commandOf(ctx.message.text))) await say(ctx, NOT_LINKED);
});

/** A pressed button's meaning is looked up once; the families then see it as `ctx.pressed`. */
const pressedButton = new Composer<Ctx>();
pressedButton.on("callback_query:data", async (ctx, next) => {
  const pressed = ctx.cockpit.host.pressed(ctx.callbackQuery.data);
  if (!pressed) {
    await ctx.answerCallbackQuery({ text: "This button is not valid (any more). Send the command again.", show_alert: true });
    return;
  }
  if (pressed.user !== ctx.from.id) {
    await ctx.answerCallbackQuery({ text: "This button was shown to someone else.", show_alert: true });
    return;
  }
  ctx.pressed = pressed.action;
  await next();
});

/** What no family took: a button of no command, an unknown command, or the answer to a question. */
const leftOver = new Composer<Ctx>();
leftOver.on("callback_query:data", async (ctx) => {
  await ctx.answerCallbackQuery({ text: "This button is not valid (any more).", show_alert: true });
});
leftOver.on("message:text", async (ctx) => {
  const text = ctx.message.text;
  if (commandOf(text)) {
    await say(ctx, "Sorry, I didn't understand that command. /help lists what I can do.");
    return;
  }
  const question = ctx.cockpit.host.pending(ctx.from.id);
  if (question) return (ANSWERS[question.kind] as (ctx: Ctx, question: Question, text: string) => Promise<void>)(ctx, question, text);
  if (ctx.chat.type === "private") await say(ctx, "I am not waiting for an answer from you. /help lists what I can do.");
});

/** Every update's route through the bot: public commands, then the linked-user guard, then the rest. */
export function commands(): Composer<Ctx> {
  const bot = new Composer<Ctx>();
  bot.use(start, help);
  bot.use(linkedOnly);
  bot.use(cancel, unlink, pressedButton);
  bot.use(repos, blueprints, services, runs, errors, jobAnswers);
  bot.use(leftOver);
  return bot;
}

export { commandOf };
export { COMMAND_SUMMARY } from "./commands/start.ts";
export { ANSWER_COMMAND } from "./commands/job-answer.ts";
export { RERUN_LABEL, rerunAction } from "./commands/run.ts";
export type { ButtonAction, Cockpit };
