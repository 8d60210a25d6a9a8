/** /unlink: the person unlinks their own Telegram account from their member (the next /start links it again). */
import { Composer } from "grammy";
import { orgActor } from "../ops.ts";
import { say, type Ctx } from "./shared.ts";

export const unlink = new Composer<Ctx>();

unlink.command("unlink", async (ctx) => {
  const cp = ctx.cockpit;
  const was = await orgActor(cp).telegramUnlink(ctx.from!.id);
  cp.link = null;
  await say(ctx, was ? `Unlinked: this Telegram account no longer acts as ${was.user} of ${cp.org}. Use /start to sign in again.` : "You were not linked. Use /start to sign in.");
});
