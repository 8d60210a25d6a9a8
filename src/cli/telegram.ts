import { COMMAND_LIST } from "../telegram/command-list.ts";
import { CommandError, requireOption, UsageError, type Command } from "./command.ts";
import { readConfigFile } from "./config-file.ts";

/** Calls one Bot API method; the token is in the URL, so it never appears in an error message. */
async function callBotApi(apiRoot: string, token: string, method: string, payload: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${apiRoot.replace(/\/+$/, "")}/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new CommandError(`${method}: cannot reach the Bot API at ${apiRoot} (${(err as Error).cause ?? (err as Error).message})`);
  }
  const answer = (await response.json().catch(() => ({}))) as { ok?: boolean; result?: unknown; description?: string };
  if (!answer.ok) throw new CommandError(`${method}: Telegram refused: ${answer.description ?? `HTTP ${response.status}`}`);
  return answer.result;
}

/**
 * Registers `url` as the bot's webhook, with `[bot] webhook_secret` as its secret token, and the
 * command menu, at `[bot] api_root`. Shared by `cockpit telegram set-webhook` and `cockpit deploy`.
 */
export async function setTelegramWebhook(bot: { api_root: string; token: string; webhook_secret: string }, url: URL, dropPending = false): Promise<void> {
  await callBotApi(bot.api_root, bot.token, "setWebhook", {
    url: url.toString(),
    secret_token: bot.webhook_secret,
    allowed_updates: ["message", "callback_query"],
    drop_pending_updates: dropPending,
  });
  await callBotApi(bot.api_root, bot.token, "setMyCommands", { commands: COMMAND_LIST });
}

/** A bare origin (https://cockpit.example.com) gets the webhook path appended. */
export function webhookUrl(url: URL): URL {
  const out = new URL(url);
  if (out.pathname === "/") out.pathname = "/telegram/webhook";
  return out;
}

export const telegramCommand: Command = {
  name: "telegram",
  help: `Usage: cockpit telegram set-webhook --config FILE --url URL [--drop-pending]

Registers the Cockpit's webhook with Telegram for the bot of [bot].token, at [bot].api_root
(Telegram's, or a local Bot API server): setWebhook with URL and [bot].webhook_secret as the
secret token (Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; the Cockpit answers 401
without it), then setMyCommands with the command menu: ${COMMAND_LIST.map((c) => c.command).join(", ")}.

URL is where the Worker is reachable; a bare origin (https://cockpit.example.com) gets the
webhook path /telegram/webhook appended. Telegram's cloud only calls https URLs.

Options:
  --config FILE     the cockpit TOML file (required; needs [bot] with token and webhook_secret)
  --url URL         the public webhook URL (required)
  --drop-pending    drop the updates Telegram kept while no webhook was set
  -h, --help        this text`,
  options: {
    config: { type: "string", short: "c" },
    url: { type: "string" },
    "drop-pending": { type: "boolean" },
  },
  allowPositionals: true,
  async run(args) {
    const [sub, ...extra] = args.positionals;
    if (sub !== "set-webhook" || extra.length) throw new UsageError(sub ? `unknown subcommand "${[sub, ...extra].join(" ")}"` : "expected the subcommand set-webhook");
    const file = requireOption(args, "config");
    const config = await readConfigFile(file);
    const bot = config.bot;
    if (!bot) throw new CommandError(`${file}: [bot] is missing: add the bot's token from @BotFather`);
    if (!bot.webhook_secret) throw new CommandError(`${file}: [bot].webhook_secret is required: the webhook refuses updates without it`);
    let url: URL;
    try {
      url = new URL(requireOption(args, "url"));
    } catch {
      throw new UsageError("--url: expected an absolute URL such as https://cockpit.example.com/telegram/webhook");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError("--url: expected an http(s) URL");
    url = webhookUrl(url);
    await setTelegramWebhook({ ...bot, webhook_secret: bot.webhook_secret }, url, Boolean(args.values["drop-pending"]));
    console.log(`webhook set: ${url} (with the secret token from ${file})`);
    console.log(`commands set: ${COMMAND_LIST.map((c) => `/${c.command}`).join(" ")}`);
    if (url.protocol === "http:" && bot.api_root.startsWith("https://api.telegram.org")) {
      console.error("warning: Telegram's cloud Bot API only delivers to https URLs");
    }
    return 0;
  },
};
