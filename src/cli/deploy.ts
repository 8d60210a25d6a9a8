import { configToBindings, SECRET_KEYS, type CockpitConfig } from "../config/index.ts";
import { CommandError, requireOption, stringOption, UsageError, wrap, type Command } from "./command.ts";
import { readConfigFile } from "./config-file.ts";
import { parseBucketList, parseQueueList, resourcesOf, type Resources } from "./provision.ts";
import { setTelegramWebhook, webhookUrl } from "./telegram.ts";
import { displayCommand, eventsPerMinute, runWranglerCaptured, varFlags, WRANGLER_TOML, writeWranglerConfig } from "./wrangler.ts";

/** Pages of `wrangler queues list` read at most (the API's pages hold 20 queues or more). */
const MAX_QUEUE_PAGES = 50;

export const deployCommand: Command = {
  name: "deploy",
  help: `Usage: cockpit deploy --config FILE [--name NAME] [--url URL] [--dry-run [--json]]

Validates FILE, then provisions and deploys, each step printed as it runs; running it again
creates nothing that exists already:

  1. the R2 bucket of wrangler.toml, created unless \`wrangler r2 bucket list\` lists it
  2. the queues (the event queue and its dead-letter queue), created unless \`wrangler queues
     list\` lists them
  3. the secrets that FILE sets, with \`wrangler secret bulk\`, as JSON on its standard input:
     never on a command line, in a file or in the output (only their names are printed):
${wrap(SECRET_KEYS.join(", "), 90).split("\n").map((line) => `     ${line}`).join("\n")}
  4. \`wrangler deploy\` with the same mapping as \`cockpit start\` (plain settings in the var
     COCKPIT_CONFIG; vars not in the configuration are removed), reading a generated copy of
     wrangler.toml that carries [webhooks] events_per_minute; it applies the Durable Object
     migrations of wrangler.toml
  5. with [bot]: the Telegram webhook (setWebhook with [bot].webhook_secret, at [bot].api_root)
     at --url, or else at the workers.dev URL \`wrangler deploy\` printed
  6. the Email Routing rule to add in the Cloudflare dashboard (wrangler cannot), printed

The wrangler run is the first on PATH (node_modules/.bin under \`npm run\`), else this package's.
It runs without a terminal, so log in first: \`npx wrangler login\` or CLOUDFLARE_API_TOKEN.

Options:
  --config FILE   the cockpit TOML file (required)
  --name NAME     deploy under this Worker name instead of wrangler.toml's
  --url URL       where the Worker is reachable, for the Telegram webhook
  --dry-run       print every step and command, and run none
  --json          with --dry-run: print them as JSON
  -h, --help      this text`,
  options: {
    config: { type: "string", short: "c" },
    name: { type: "string" },
    url: { type: "string" },
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(args) {
    const file = requireOption(args, "config");
    const config = await readConfigFile(file);
    if (config.oauth.provider === "local") {
      throw new CommandError(
        `${file}: [oauth].provider: "local" runs only under \`cockpit start\` (an OpenID provider on this machine, with password-less users); deploy with provider = "oidc" and your provider's issuer, or "itsyouonline"`,
      );
    }
    if (config.oauth.provider === "cloudflare-access" && config.oauth.team_domain?.startsWith("http://")) {
      throw new CommandError(`${file}: [oauth].team_domain: ${config.oauth.team_domain} is a local test address; deploy with your Zero Trust team domain (myteam.cloudflareaccess.com), whose tokens are issued over https`);
    }
    if (config.jobs.handler_wall_ms !== undefined) {
      throw new CommandError(`${file}: [jobs].handler_wall_ms is for tests only (it resets the ServiceActor's alarm handler past that wall time); deployed, Cloudflare's own 15 minutes apply: remove it`);
    }
    const bot = config.bot?.active ? config.bot : undefined;
    if (bot && !bot.webhook_secret) throw new CommandError(`${file}: [bot].webhook_secret is required: the webhook refuses updates without it`);
    const url = urlOption(stringOption(args, "url"));
    const bindings = configToBindings(config);
    const name = stringOption(args, "name");
    const resources = await resourcesOf(WRANGLER_TOML);
    const common = ["--config", WRANGLER_TOML];
    // The deploy itself reads a generated copy of wrangler.toml: it carries [webhooks] events_per_minute
    // into the rate-limit binding, whose limit is static configuration.
    const deployWith = (wranglerFile: string) => ["deploy", "--config", wranglerFile, ...(name ? ["--name", name] : []), ...varFlags(bindings)];
    const deploy = deployWith(WRANGLER_TOML);
    const bulk = ["secret", "bulk", ...common, ...(name ? ["--name", name] : [])];
    const secretNames = Object.keys(bindings.secrets);
    const steps = plan(resources, { secretNames, deploy, bulk, bot: !!bot, url, config });

    if (args.values["dry-run"]) {
      if (args.values.json) {
        const vars = Object.fromEntries(Object.entries(bindings.vars).map(([k, v]) => [k, JSON.parse(v)]));
        console.log(JSON.stringify({ vars, secrets: secretNames, events_per_minute: eventsPerMinute(config), command: displayCommand(deploy), steps }, null, 2));
      } else {
        console.log(`config ${file}: valid (dry run: nothing is run)`);
        for (const [key, value] of Object.entries(bindings.vars)) console.log(`var ${key} = ${value}`);
        console.log(`secrets: ${secretNames.join(", ") || "(none)"}`);
        console.log(`POST /webhooks/events: ${eventsPerMinute(config)} requests a minute per source ([webhooks] events_per_minute, written into a generated copy of wrangler.toml)`);
        steps.forEach((step, i) => console.log(`[${i + 1}/${steps.length}] ${step}`));
      }
      return 0;
    }

    const say = (i: number, text: string) => console.log(`[${i}/${steps.length}] ${text}`);
    const wrangler = async (argv: string[], opts: { stdin?: string; echo?: boolean } = {}) => {
      const result = await runWranglerCaptured(argv, opts);
      if (result.code !== 0) {
        if (!opts.echo) process.stderr.write(result.stderr || result.stdout);
        throw new CommandError(`${displayCommand(argv)} failed (exit code ${result.code}); nothing after it was run`);
      }
      return result;
    };
    let i = 1;

    const buckets = parseBucketList((await wrangler(["r2", "bucket", "list", ...common])).stdout);
    for (const bucket of resources.buckets) {
      if (buckets.includes(bucket)) say(i, `R2 bucket ${bucket}: exists`);
      else {
        await wrangler(["r2", "bucket", "create", bucket, ...common]);
        say(i, `R2 bucket ${bucket}: created`);
      }
    }
    i++;

    const queues = new Set<string>();
    for (let page = 1; page <= MAX_QUEUE_PAGES && resources.queues.some((q) => !queues.has(q)); page++) {
      const listed = parseQueueList((await wrangler(["queues", "list", "--page", String(page), ...common])).stdout);
      if (!listed.length) break;
      for (const q of listed) queues.add(q);
    }
    for (const queue of resources.queues) {
      if (queues.has(queue)) say(i, `queue ${queue}: exists`);
      else {
        await wrangler(["queues", "create", queue, ...common]);
        say(i, `queue ${queue}: created`);
      }
    }
    i++;

    if (secretNames.length) {
      await wrangler(bulk, { stdin: JSON.stringify(bindings.secrets) });
      say(i++, `secrets uploaded: ${secretNames.join(", ")}`);
    } else say(i++, "secrets: none in the configuration");

    say(i++, `deploying: ${displayCommand(deploy)}`);
    const generated = await writeWranglerConfig(config);
    let deployed;
    try {
      deployed = await wrangler(deployWith(generated.path), { echo: true });
    } finally {
      await generated.cleanup();
    }

    if (bot) {
      const target = url ?? workersDevUrl(deployed.stdout);
      if (target) {
        await setTelegramWebhook({ ...bot, webhook_secret: bot.webhook_secret! }, webhookUrl(target));
        say(i++, `Telegram webhook set: ${webhookUrl(target)} (with the secret token)`);
      } else {
        say(i++, "Telegram webhook: not set, no URL (wrangler printed no workers.dev URL): run `cockpit telegram set-webhook --url URL`");
      }
    }
    say(i, emailRule(config));
    return 0;
  },
};

/** The steps, as the dry run prints them. */
function plan(
  resources: Resources,
  o: { secretNames: string[]; deploy: string[]; bulk: string[]; bot: boolean; url: URL | undefined; config: CockpitConfig },
): string[] {
  return [
    `R2 bucket ${resources.buckets.join(", ")}: \`wrangler r2 bucket list\`, then \`wrangler r2 bucket create NAME\` for each one not listed`,
    `queues ${resources.queues.join(", ")}: \`wrangler queues list --page N\`, then \`wrangler queues create NAME\` for each one not listed`,
    o.secretNames.length
      ? `secrets ${o.secretNames.join(", ")}: ${displayCommand(o.bulk)} (JSON on its standard input)`
      : "secrets: none in the configuration",
    `deploy, applying the Durable Object migrations: ${displayCommand(o.deploy)}`,
    ...(o.bot ? [`Telegram webhook: setWebhook and setMyCommands at [bot].api_root, for ${o.url ? webhookUrl(o.url) : "the workers.dev URL wrangler deploy prints"}`] : []),
    emailRule(o.config),
  ];
}

/** What to add to Email Routing (the dashboard: wrangler has no command for its rules). */
function emailRule(config: CockpitConfig): string {
  if (!config.mail?.active) return "Email Routing: [mail] is off, no rule needed";
  return [
    "Email Routing: add this rule in the Cloudflare dashboard (your domain > Email > Email Routing):",
    "    Settings > Subaddressing: enable, so that repo+<name>@<your domain> matches the rule below",
    "    Routing rules > Custom address repo@<your domain> > Send to a Worker > this Worker",
    "  then mail to repo+<repository>@<your domain> reaches that repository's event filters only,",
    "  and mail to repo@<your domain> the organization's; senders must be in [mail] allowed_senders.",
  ].join("\n");
}

function urlOption(value: string | undefined): URL | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError("--url: expected an absolute URL such as https://cockpit.example.com");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new UsageError("--url: expected an http(s) URL");
  return url;
}

/** The workers.dev URL `wrangler deploy` prints under "Deployed NAME triggers", if any. */
function workersDevUrl(output: string): URL | undefined {
  const match = /https:\/\/[A-Za-z0-9.-]+\.workers\.dev\b/.exec(output);
  return match ? new URL(match[0]) : undefined;
}
