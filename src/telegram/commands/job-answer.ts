/**
 * The buttons of a job's question (`job.ask`, sent by the ChatActor): a press hands the answer to
 * the job's ServiceActor. Never a command anyone can type.
 */
import { Composer } from "grammy";
import { b, html } from "../format.ts";
import { say, type Ctx } from "./shared.ts";

export const ANSWER_COMMAND = "job.answer";

export const jobAnswers = new Composer<Ctx>();

jobAnswers.filter(
  (ctx) => ctx.pressed?.command === ANSWER_COMMAND,
  async (ctx) => {
    const [actor, key, attempt, id, answer] = ctx.pressed!.args as [string, string, string, string, string];
    const taken = await ctx.cockpit.env.SERVICE.getByName(actor).answer(key, Number(attempt), id, answer);
    await ctx.answerCallbackQuery(taken ? { text: `Answer sent: ${answer}` } : { text: "This question is closed (answered already, or it timed out).", show_alert: true });
    if (taken) await say(ctx, [html(`Answer sent: ${b(answer)}`)]);
  },
);
