/** /cancel: forgets the question the bot asked this person (conversation.ts). */
import { Composer } from "grammy";
import { say, type Ctx } from "./shared.ts";

export const cancel = new Composer<Ctx>();

cancel.command("cancel", async (ctx) => {
  await say(ctx, ctx.cockpit.host.cancel() ? "OK, forgotten." : "There was nothing to cancel.");
});
