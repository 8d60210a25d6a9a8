/** /help: what the bot can do (the menu itself is command-list.ts). */
import { Composer } from "grammy";
import { b, html } from "../format.ts";
import { say, type Ctx } from "./shared.ts";

const HELP = [
  b("What I can do"),
  "/start: sign in with your organization account (again after /unlink, or when your sign-in ends)",
  "/repo: select, create, list or delete repositories (/repo create NAME, /repo select NAME, /repo list, /repo delete NAME)",
  "/blueprint: add one by pasting YAML or sending a .yaml file; list, show, execute, archive, restore or delete (/blueprint execute NAME)",
  "/service: list and inspect services (/service inspect web!front or @web for a whole role), execute an action, disable or enable one (/service disable web!front monitor, /service enable web!front monitor), delete one",
  "/run: create a run and follow its progress, simulate one, list, inspect, re-run an ended one or cancel (/run inspect run-3, /run rerun run-3)",
  "/errors: the latest errors of your runs; /errorsof TEXT: only those mentioning TEXT",
  "/cancel: forget the question I asked you",
  "/unlink: unlink this Telegram account from your organization account (/start links it again)",
  "/help: this text",
].join("\n");

export const help = new Composer<Ctx>();

help.command("help", async (ctx) => {
  await say(ctx, [html(HELP)]);
});
