import { configToBindings } from "../config/index.ts";
import { CommandError, requireOption, stringOption, type Command } from "./command.ts";
import { readConfigFile } from "./config-file.ts";
import { displayCommand, eventsPerMinute, runWrangler, varFlags, WRANGLER_TOML, writePrivateFile, writeWranglerConfig } from "./wrangler.ts";

export const deployCommand: Command = {
  name: "deploy",
  help: `Usage: cockpit deploy --config FILE [--name NAME] [--dry-run [--json]]

Validates FILE and runs \`wrangler deploy\` with the same mapping as \`cockpit start\`:
plain settings become the Worker var COCKPIT_CONFIG, and the secrets ([oauth].client_secret,
[bot].token, [bot].webhook_secret) become Worker secrets, uploaded with the version through
--secrets-file (a private temporary JSON file removed afterwards). Vars not in the
configuration are removed from the Worker.

Options:
  --config FILE   the cockpit TOML file (required)
  --name NAME     deploy under this Worker name instead of wrangler.toml's
  --dry-run       print the vars, the secret names and the command, and exit
  --json          with --dry-run: print them as JSON
  -h, --help      this text`,
  options: {
    config: { type: "string", short: "c" },
    name: { type: "string" },
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(args) {
    const file = requireOption(args, "config");
    const config = await readConfigFile(file);
    if (config.oauth.provider === "local") {
      throw new CommandError(
        `${file}: [oauth].provider: "local" runs only under \`cockpit start\` (an OpenID provider on this machine, with password-less users); deploy with provider = "oidc" and your provider's issuer, "github", "cloudflare-access" or "itsyouonline"`,
      );
    }
    if (config.oauth.provider === "cloudflare-access" && config.oauth.team_domain?.startsWith("http://")) {
      throw new CommandError(`${file}: [oauth].team_domain: ${config.oauth.team_domain} is a local test address; deploy with your Zero Trust team domain (myteam.cloudflareaccess.com), whose tokens are issued over https`);
    }
    if (config.jobs.handler_wall_ms !== undefined) {
      throw new CommandError(`${file}: [jobs].handler_wall_ms is for tests only (it resets the ServiceActor's alarm handler past that wall time); deployed, Cloudflare's own 15 minutes apply: remove it`);
    }
    const bindings = configToBindings(config);
    const name = stringOption(args, "name");
    const flags = (secretsFile: string, wranglerFile = WRANGLER_TOML) => [
      "deploy",
      "--config", wranglerFile,
      ...(name ? ["--name", name] : []),
      ...varFlags(bindings),
      "--secrets-file", secretsFile,
    ];

    if (args.values["dry-run"]) {
      const secretNames = Object.keys(bindings.secrets);
      const command = displayCommand(flags("<private secrets file>"));
      if (args.values.json) {
        const vars = Object.fromEntries(Object.entries(bindings.vars).map(([k, v]) => [k, JSON.parse(v)]));
        console.log(JSON.stringify({ vars, secrets: secretNames, events_per_minute: eventsPerMinute(config), command }, null, 2));
      } else {
        console.log(`config ${file}: valid`);
        for (const [key, value] of Object.entries(bindings.vars)) console.log(`var ${key} = ${value}`);
        console.log(`secrets: ${secretNames.join(", ") || "(none)"}`);
        console.log(`POST /webhooks/events: ${eventsPerMinute(config)} requests a minute per source ([webhooks] events_per_minute, written into a generated copy of wrangler.toml)`);
        console.log(command);
      }
      return 0;
    }
    const secrets = await writePrivateFile("secrets.json", JSON.stringify(bindings.secrets));
    const wrangler = await writeWranglerConfig(config);
    try {
      return await runWrangler(flags(secrets.path, wrangler.path));
    } finally {
      await Promise.all([secrets.cleanup(), wrangler.cleanup()]);
    }
  },
};
