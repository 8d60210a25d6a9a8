import { rm } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { configToBindings } from "../config/index.ts";
import { CommandError, intOption, requireOption, stringOption, type Command } from "./command.ts";
import { readConfigFile } from "./config-file.ts";
import { devAuthSecrets, devPublicKey, devSecretsKey } from "./dev-key.ts";
import { localIssuer, localUsersLine, startLocalOidc } from "./local-oidc.ts";
import type { LocalProvider } from "./local-provider.ts";
import { displayCommand, dotenv, eventsPerMinute, runWrangler, varFlags, WRANGLER_TOML, writePrivateFile, writeWranglerConfig } from "./wrangler.ts";

/**
 * Locally every isolate shares one thread, so an action that computes without waiting holds the
 * whole cockpit until its CPU budget or its timeout stops it: jobs whose template sets no
 * `timeouts:` stop after this long under `cockpit start` rather than the design's 3000 s.
 */
export const LOCAL_DEFAULT_TIMEOUT_SECONDS = 120;

export const startCommand: Command = {
  name: "start",
  help: `Usage: cockpit start --config FILE [--port N] [--host ADDR] [--persist-to DIR] [--fresh]
                    [--job-timeout S] [--dev-key FILE] [--dry-run]

Validates FILE, turns it into the Worker's vars and secrets, and runs \`wrangler dev\` on
[api.ays].host and [api.ays].port. Durable Object, Queue and R2 state is kept under
--persist-to (default .wrangler/state), so nothing is lost across restarts; --fresh deletes it
first (after saying so), to start again from no repositories, runs or files.

With [oauth] provider = "local" (config/cockpit.example.toml, so \`npm start\`) it also runs a
real OpenID provider on 127.0.0.1:[oauth.local].port with the users of [oauth.local] users
(sign in with a user name, no password) and points the Worker's OpenID code at it.

Without an [auth] table, local sign-in keys are generated once and kept beside the state
(cockpit-dev-auth.json, mode 0600); without [secrets], so is the key that seals the secret
store (cockpit-dev-secrets-key).

A job whose template sets no \`timeouts:\` for its action stops after ${LOCAL_DEFAULT_TIMEOUT_SECONDS} s locally
(not the 3000 s of a deployed Cockpit), unless [jobs].default_timeout or --job-timeout says
otherwise; code that computes for [jobs].cpu_ms (default 30 s) without waiting is stopped sooner.

Secrets ([oauth].client_secret, [bot].token, [auth].secret, ...) are handed to wrangler in a
private temporary file (mode 0600) that is removed when Cockpit stops; they are never printed.

Options:
  --config FILE      the cockpit TOML file (required)
  --port N           listen on this port instead of [api.ays].port
  --host ADDR        listen on this address instead of [api.ays].host
  --persist-to DIR   where local state lives (default .wrangler/state)
  --fresh            delete that state first (the dev key and local sign-in keys beside it stay)
  --job-timeout S    timeout in seconds of jobs whose template sets none (default
                     [jobs].default_timeout, else ${LOCAL_DEFAULT_TIMEOUT_SECONDS})
  --dev-key FILE     trust tokens signed with this local P-384 key (generated on first use):
                     instead of [oauth].jwt_key (itsyouonline), or as a signing key of the
                     local provider (local); mint them with
                     \`cockpit token --config FILE --key FILE\`. For local use only.
  --dry-run          print what would run, with secrets redacted, and exit
  -h, --help         this text`,
  options: {
    config: { type: "string", short: "c" },
    port: { type: "string", short: "p" },
    host: { type: "string" },
    "persist-to": { type: "string" },
    "dev-key": { type: "string" },
    "job-timeout": { type: "string" },
    fresh: { type: "boolean" },
    "dry-run": { type: "boolean" },
  },
  async run(args) {
    const file = requireOption(args, "config");
    const config = await readConfigFile(file);
    const port = intOption(args, "port", 1, 65535) ?? config.api.ays.port;
    const host = stringOption(args, "host") ?? config.api.ays.host;
    const persistTo = resolve(stringOption(args, "persist-to") ?? ".wrangler/state");
    const devKey = stringOption(args, "dev-key");
    if (args.values.fresh) await deleteState(persistTo, Boolean(args.values["dry-run"]));
    config.jobs.default_timeout = intOption(args, "job-timeout", 1, 6 * 60 * 60) ?? config.jobs.default_timeout ?? LOCAL_DEFAULT_TIMEOUT_SECONDS;
    const jobsLine = `jobs without timeouts: stop after ${config.jobs.default_timeout} s; CPU budget ${config.jobs.cpu_ms / 1000} s per job`;
    const local = config.oauth.provider === "local";
    if (devKey && config.oauth.provider === "oidc") {
      throw new CommandError(`--dev-key: ${file} uses [oauth] provider = "oidc", whose tokens come from ${config.oauth.issuer}; the dev key works with "itsyouonline" and "local"`);
    }
    if (devKey && local) {
      const { created } = await devPublicKey(devKey);
      console.error(
        `dev key ${devKey}${created ? " (new)" : ""}: the local provider signs with it too; mint an API token with\n` +
          `  npm run -s cockpit -- token --config ${file} --key ${devKey}`,
      );
    } else if (devKey) {
      const { publicKeyPem, created } = await devPublicKey(devKey);
      config.oauth.jwt_key = publicKeyPem;
      delete config.oauth.jwks_url;
      console.error(
        `dev key ${devKey}${created ? " (new)" : ""}: tokens signed with it are trusted; mint one with\n` +
          `  npm run -s cockpit -- token --config ${file} --key ${devKey}`,
      );
    }
    if (!config.auth) {
      // Sign-in (bot /start, console /login) needs the cockpit's own keys; locally they are made once and kept.
      const file = resolve(persistTo, "..", "cockpit-dev-auth.json");
      const { secret, signing_key, created } = await devAuthSecrets(file);
      config.auth = { secret, signing_key, state_minutes: 10, recheck_minutes: 60, link_days: 30 };
      console.error(`no [auth] table: using local sign-in keys from ${file}${created ? " (new)" : ""}`);
    }
    if (!config.secrets) {
      // The secret store's key (src/secrets/crypto.ts); kept beside the state, so --fresh keeps it.
      const file = resolve(persistTo, "..", "cockpit-dev-secrets-key");
      const { key, created } = await devSecretsKey(file);
      config.secrets = { key };
      console.error(`no [secrets] table: sealing secrets with the local key in ${file}${created ? " (new)" : ""}`);
    }
    let provider: LocalProvider | undefined;
    if (local && !args.values["dry-run"]) {
      provider = await startLocalOidc(config, { host, port }, devKey);
      console.error(localUsersLine(config, provider.issuer));
    }
    const bindings = configToBindings(config);
    const secretsText = dotenv(bindings.secrets);

    const flags = (envFile: string, wranglerFile = WRANGLER_TOML) => [
      "dev",
      "--config", wranglerFile,
      "--ip", host,
      "--port", String(port),
      "--persist-to", persistTo,
      "--env-file", envFile,
      ...varFlags(bindings),
    ];

    if (args.values["dry-run"]) {
      console.log(`config ${file}: valid`);
      if (local) console.log(`local OpenID provider: ${localIssuer(config)} (users ${config.oauth.local!.users.map((u) => u.name).join(", ")})`);
      console.log(`listen http://${host}:${port}  state ${persistTo}`);
      console.log(`secrets: ${Object.keys(bindings.secrets).join(", ") || "(none)"}`);
      console.log(jobsLine);
      console.log(`POST /webhooks/events: ${eventsPerMinute(config)} requests a minute per source ([webhooks] events_per_minute, written into a generated copy of wrangler.toml)`);
      console.log(displayCommand(flags("<private env file>")));
      return 0;
    }
    try {
      console.error(`${jobsLine} (--job-timeout, [jobs] in ${file})`);
      if (!config.api.ays.active) console.error("note: [api.ays].active = false: the /ays REST API will answer 404");
      const secrets = await writePrivateFile("secrets.env", secretsText, resolve(persistTo, ".."));
      const wrangler = await writeWranglerConfig(config);
      try {
        return await runWrangler(flags(secrets.path, wrangler.path));
      } finally {
        await Promise.all([secrets.cleanup(), wrangler.cleanup()]);
      }
    } finally {
      await provider?.stop();
    }
  },
};

/** `--fresh`: deletes the local state folder, never a folder that holds the working directory or the home folder. */
async function deleteState(dir: string, dryRun: boolean): Promise<void> {
  for (const kept of [process.cwd(), homedir()]) {
    const path = relative(dir, kept);
    // "" is the folder itself; a path without ".." is inside it.
    if (path === "" || !(path === ".." || path.startsWith(`..${sep}`) || isAbsolute(path))) {
      throw new CommandError(`--fresh: ${dir} holds ${kept}; give --persist-to a folder of its own (default .wrangler/state)`);
    }
  }
  if (dryRun) {
    console.log(`--fresh: would delete the local state in ${dir}`);
    return;
  }
  console.error(`--fresh: deleting the local state in ${dir} (repositories, runs, files, sessions)`);
  await rm(dir, { recursive: true, force: true });
}
