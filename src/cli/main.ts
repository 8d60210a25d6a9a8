/**
 * `cockpit`: the command line of the AYS Cockpit.
 * Exit codes: 0 success, 1 a failure the user can fix (bad config, invalid repository), 2 bad usage.
 */
import { ConfigError } from "../config/index.ts";
import { CommandError, parseCommandArgs, UsageError, type Command } from "./command.ts";

/** Commands load on use, so `cockpit start` never pays for the AYS engine and vice versa. */
export const COMMANDS: readonly { name: string; summary: string; load: () => Promise<Command> }[] = [
  { name: "start", summary: "run Cockpit locally (wrangler dev) with a TOML configuration", load: async () => (await import("./start.ts")).startCommand },
  { name: "deploy", summary: "deploy Cockpit to Cloudflare (wrangler deploy) with a TOML configuration", load: async () => (await import("./deploy.ts")).deployCommand },
  { name: "token", summary: "mint a JWT for local use, signed with your own P-384 key", load: async () => (await import("./token.ts")).tokenCommand },
  { name: "plan", summary: "show the run an AYS repository folder would execute (offline)", load: async () => (await import("./plan.ts")).planCommand },
  { name: "push", summary: "send an AYS repository folder to a running Cockpit; optionally execute and run it", load: async () => (await import("./push.ts")).pushCommand },
  { name: "secret", summary: "set (from stdin), list or delete the secrets actions read with job.secrets.get", load: async () => (await import("./secret.ts")).secretCommand },
  { name: "telegram", summary: "set-webhook: register the bot's webhook and command menu with Telegram", load: async () => (await import("./telegram.ts")).telegramCommand },
  { name: "clean_cache", summary: "make the Telegram bot forget linked users, pending sign-ins and current repos", load: async () => (await import("./clean-cache.ts")).cleanCacheCommand },
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: cockpit COMMAND [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run \`cockpit COMMAND --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    console.log(topic ? (await topic.load()).help : overview());
    return name ? 0 : 2;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    console.error(`cockpit: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  const command = await entry.load();
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      console.log(command.help);
      return 0;
    }
    return (await command.run(args)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`cockpit ${command.name}: ${err.message}\n\n${command.help}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof CommandError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}
