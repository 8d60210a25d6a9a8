import type { Command } from "./command.ts";
import { API_OPTIONS, cockpitApiFrom, refusal } from "./cockpit-api.ts";

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
  --url URL       the Cockpit's address (default: COCKPIT_URL, else http://[api.ays].host:[api.ays].port)
  --token TOKEN   the organization's JWT (default: the COCKPIT_TOKEN environment variable)
  -h, --help      this text`,
  options: API_OPTIONS,
  async run(args) {
    const api = await cockpitApiFrom(args, { requireConfig: true, tokenHint: "the organization's JWT (locally: cockpit token --organization)" });
    const answer = await api.call<{ users?: number; pending?: number }>("POST", "/telegram/admin/clean-cache");
    if (!answer.ok) throw refusal("clean_cache", answer);
    console.log(`forgot ${answer.body.users ?? 0} linked Telegram user(s) and ${answer.body.pending ?? 0} pending sign-in(s); everyone must /start again`);
    return 0;
  },
};
