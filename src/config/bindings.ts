/**
 * How a validated configuration travels into the Worker.
 *
 * Plain settings go in one JSON var, `COCKPIT_CONFIG`, so the Worker validates exactly the structure the
 * TOML file had. Secrets never go in a var: they become Worker secrets (wrangler secret / `.dev.vars`)
 * and are merged back in before validation.
 */
import { ConfigError } from "./errors.ts";
import { validateConfig } from "./load.ts";
import type { CockpitConfig } from "./schema.ts";

/** Config keys that are secrets, and the Worker secret each one becomes. */
export const SECRET_BINDINGS = [
  { path: ["oauth", "client_secret"], binding: "OAUTH_CLIENT_SECRET" },
  { path: ["bot", "token"], binding: "BOT_TOKEN" },
  { path: ["bot", "webhook_secret"], binding: "BOT_WEBHOOK_SECRET" },
  { path: ["webhooks", "github_secret"], binding: "GITHUB_WEBHOOK_SECRET" },
  { path: ["webhooks", "events_secret"], binding: "EVENTS_WEBHOOK_SECRET" },
  { path: ["auth", "secret"], binding: "AUTH_SECRET" },
  { path: ["auth", "signing_key"], binding: "AUTH_SIGNING_KEY" },
  { path: ["secrets", "key"], binding: "SECRETS_KEY" },
  { path: ["secrets", "previous_keys"], binding: "SECRETS_PREVIOUS_KEYS" },
] as const;

/** `[oauth].client_secret, [bot].token, ...`: the secret keys, for help texts. */
export const SECRET_KEYS = SECRET_BINDINGS.map(({ path }) => `[${path[0]}].${path[1]}`);

export type SecretBinding = (typeof SECRET_BINDINGS)[number]["binding"];
export const CONFIG_VAR = "COCKPIT_CONFIG";

export interface WorkerBindings {
  vars: { [CONFIG_VAR]: string };
  secrets: Partial<Record<SecretBinding, string>>;
}

type Table = Record<string, unknown>;

/** Splits a validated configuration into the Worker's vars and secrets. */
export function configToBindings(config: CockpitConfig): WorkerBindings {
  const plain = structuredClone(config) as unknown as Table;
  const secrets: Partial<Record<SecretBinding, string>> = {};
  for (const { path, binding } of SECRET_BINDINGS) {
    const table = plain[path[0]] as Table | undefined;
    const value = table?.[path[1]];
    if (table && typeof value === "string") {
      secrets[binding] = value;
      delete table[path[1]];
    }
  }
  return { vars: { [CONFIG_VAR]: JSON.stringify(plain) }, secrets };
}

/** The source name used in error messages raised inside the Worker. */
export const WORKER_CONFIG_SOURCE = `Worker var ${CONFIG_VAR}`;

/**
 * The last bindings seen and what they gave: vars and secrets do not change while an isolate lives,
 * so the Worker validates once, however many requests, mails and queue batches read the config.
 */
let cached: { key: string; result: CockpitConfig | ConfigError } | undefined;

/**
 * Rebuilds and validates the configuration inside the Worker (cached by binding values).
 * @throws ConfigError when the var is missing or invalid, naming the key (never a secret's value)
 */
export function configFromBindings(bindings: object): CockpitConfig {
  const env = bindings as Partial<Record<string, unknown>>;
  const key = [env[CONFIG_VAR], ...SECRET_BINDINGS.map((b) => env[b.binding])].map((v) => (typeof v === "string" ? v : "")).join("\u0000");
  if (cached?.key !== key) {
    try {
      cached = { key, result: rebuild(env) };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      cached = { key, result: err };
    }
  }
  if (cached.result instanceof ConfigError) throw cached.result;
  return cached.result;
}

function rebuild(env: Partial<Record<string, unknown>>): CockpitConfig {
  const json = env[CONFIG_VAR];
  if (typeof json !== "string" || json === "") {
    throw new ConfigError(WORKER_CONFIG_SOURCE, [
      "not set: run the Worker through `cockpit start` or `cockpit deploy`, which turn the TOML file into bindings",
    ]);
  }
  let plain: Table;
  try {
    plain = JSON.parse(json) as Table;
  } catch {
    throw new ConfigError(WORKER_CONFIG_SOURCE, ["not valid JSON"]);
  }
  for (const { path, binding } of SECRET_BINDINGS) {
    const value = env[binding];
    if (typeof value !== "string" || value === "") continue;
    const table = (plain[path[0]] ??= {}) as Table;
    table[path[1]] = value;
  }
  return validateConfig(plain, WORKER_CONFIG_SOURCE);
}

/** A copy that is safe to print: every secret replaced by a marker. */
export function redactConfig(config: CockpitConfig): CockpitConfig {
  const copy = structuredClone(config) as unknown as Table;
  for (const { path } of SECRET_BINDINGS) {
    const table = copy[path[0]] as Table | undefined;
    if (table && path[1] in table) table[path[1]] = "<redacted>";
  }
  return copy as unknown as CockpitConfig;
}
