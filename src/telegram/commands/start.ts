/** /start: signs a Telegram user in with their organization account (the `telegram` OAuth purpose, signin.ts). */
import { Composer } from "grammy";
import { authorizeUrl, OAuthError } from "../../auth/oauth.ts";
import { b, escapeHtml, html, i } from "../format.ts";
import { orgActor } from "../ops.ts";
import { say, type Ctx } from "./shared.ts";

/** What a member is told on signing in, and on /start once linked. */
export const COMMAND_SUMMARY = [
  "Let's start:",
  ` - manage your repositories with: /repo`,
  ` - manage your blueprints with: /blueprint`,
  ` - manage your services with: /service`,
  ` - create and follow runs with: /run`,
  "For more information, just type /help :)",
].join("\n");

export const start = new Composer<Ctx>();

start.command("start", async (ctx) => {
  const cp = ctx.cockpit;
  const from = ctx.from!;
  if (cp.link) {
    await say(ctx, `Welcome back ${from.first_name}!\n${COMMAND_SUMMARY}`);
    return;
  }
  if (ctx.chat?.type !== "private") {
    // A sign-in link shown in a group could be completed by someone else, linking them to this user.
    await say(ctx, "Please send me /start in a private chat to sign in.");
    return;
  }
  let url: string;
  try {
    url = await authorizeUrl(cp.config, { kind: "telegram", chat: ctx.chat.id, from: from.id, name: from.first_name }, cp.origin);
  } catch (err) {
    if (err instanceof OAuthError) {
      await say(ctx, `Signing in is not possible right now: ${err.message}`);
      return;
    }
    throw err;
  }
  await orgActor(cp).telegramPending(from.id, ctx.chat.id);
  const org = cp.config.oauth.organization;
  await say(ctx, [
    html(`I don't know you yet, please click on the following link and authorize us to verify you are part of the organization ${b(`'${org}'`)}:`),
    html(`<a href="${escapeHtml(url)}">Sign in to ${escapeHtml(org)}</a>`),
    html(i(`The link works once, for ${cp.config.auth?.state_minutes ?? 10} minutes. I will tell you here when you are in.`)),
  ]);
});
