import { CommandError, requireOption, stringOption, UsageError, type Command } from "./command.ts";
import { readConfigFile } from "./config-file.ts";

export const cleanCacheCommand: Command = {
  name: "clean_cache",
  help: `Usage: cockpit clean_cache --config FILE [--url URL] [--token TOKEN]

Makes the Telegram bot forget every linked user, every pending sign-in and every user's current
repository, as the original \`cockpit clean_cache\` did: everyone must /start again. Repositories,
services and runs are not touched.

It asks the running Cockpit (POST /telegram/admin/clean-cache) with the organization's own token,
not a member's: since it signs every member out of the bot, no single member may do it. That is a
JWT whose globalid is [oauth].organization, as ItsYou.online issues to the organization's client
credentials (an API key of the organization); locally, \`cockpit token --organization\` mints one.
A member's token is refused with HTTP 403.

Options:
  --config FILE   the cockpit TOML file (required)
  --url URL       the Cockpit's address (default: http://[api.ays].host:[api.ays].port)
  --token TOKEN   the organization's JWT (default: the COCKPIT_TOKEN environment variable)
  -h, --help      this text`,
  options: {
    config: { type: "string", short: "c" },
    url: { type: "string" },
    token: { type: "string" },
  },
  async run(args) {
    const config = await readConfigFile(requireOption(args, "config"));
    const token = stringOption(args, "token") ?? process.env.COCKPIT_TOKEN;
    if (!token) throw new UsageError("--token (or COCKPIT_TOKEN) is required: the organization's JWT (locally: cockpit token --organization)");
    const base = stringOption(args, "url") ?? `http://${config.api.ays.host}:${config.api.ays.port}`;
    let endpoint: URL;
    try {
      endpoint = new URL("/telegram/admin/clean-cache", base);
    } catch {
      throw new UsageError(`--url: expected an absolute URL, got "${base}"`);
    }
    let response: Response;
    try {
      response = await fetch(endpoint, { method: "POST", headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      throw new CommandError(`cannot reach the Cockpit at ${endpoint.origin} (${(err as Error).cause ?? (err as Error).message}); is it running?`);
    }
    const answer = (await response.json().catch(() => ({}))) as { users?: number; pending?: number; error?: string };
    if (!response.ok) throw new CommandError(`the Cockpit refused (HTTP ${response.status}): ${answer.error ?? "no reason given"}`);
    console.log(`forgot ${answer.users ?? 0} linked Telegram user(s) and ${answer.pending ?? 0} pending sign-in(s); everyone must /start again`);
    return 0;
  },
};
