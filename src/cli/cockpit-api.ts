/**
 * How CLI commands talk to a running Cockpit: where it is (`--url`, or `[api.ays]` of `--config`),
 * whose token they carry (`--token` or COCKPIT_TOKEN), and one call that turns a network failure or
 * a refusal into a message the user can act on.
 */
import { CommandError, stringOption, UsageError, type ParsedArgs } from "./command.ts";
import { readConfigFile } from "./config-file.ts";

/** Where `npm start` serves Cockpit: the example configuration's `[api.ays]`. */
export const DEFAULT_URL = "http://127.0.0.1:5000";

export interface ApiAnswer<T> {
  status: number;
  ok: boolean;
  body: T & { error?: string; code?: string };
}

export interface CockpitApi {
  origin: string;
  call<T = Record<string, unknown>>(method: string, path: string, json?: unknown): Promise<ApiAnswer<T>>;
}

/** The options every command that calls the Cockpit takes, for its `options` and help text. */
export const API_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  config: { type: "string", short: "c" },
} as const;

export const API_HELP = `  --url URL         the Cockpit's address (default: COCKPIT_URL, else
                    http://[api.ays].host:[api.ays].port of --config, else ${DEFAULT_URL})
  --token TOKEN     a member's JWT (default: the COCKPIT_TOKEN environment variable); locally,
                    \`cockpit token --config FILE --key .wrangler/cockpit-dev-key.pem\`
  --config FILE     the cockpit TOML file, for the default --url`;

/**
 * Resolves `--url`/`--config` and `--token` into a client.
 * @param options.tokenHint what a missing token should have been, for the usage error
 */
export async function cockpitApiFrom(
  args: ParsedArgs,
  { requireConfig = false, tokenHint = "a member's JWT" }: { requireConfig?: boolean; tokenHint?: string } = {},
): Promise<CockpitApi> {
  const configFile = stringOption(args, "config");
  if (requireConfig && !configFile) throw new UsageError("--config is required");
  const config = configFile ? await readConfigFile(configFile) : undefined;
  const token = stringOption(args, "token") ?? process.env.COCKPIT_TOKEN;
  if (!token) throw new UsageError(`--token (or COCKPIT_TOKEN) is required: ${tokenHint}`);
  const base = stringOption(args, "url") ?? process.env.COCKPIT_URL ?? (config ? `http://${config.api.ays.host}:${config.api.ays.port}` : DEFAULT_URL);
  return cockpitApi(base, token);
}

export function cockpitApi(base: string, token: string): CockpitApi {
  let origin: URL;
  try {
    origin = new URL(base);
  } catch {
    throw new UsageError(`--url: expected an absolute URL, got "${base}"`);
  }
  return {
    origin: origin.origin,
    async call<T>(method: string, path: string, json?: unknown): Promise<ApiAnswer<T>> {
      let response: Response;
      try {
        response = await fetch(new URL(path, origin), {
          method,
          headers: { authorization: `Bearer ${token}`, ...(json === undefined ? {} : { "content-type": "application/json" }) },
          ...(json === undefined ? {} : { body: JSON.stringify(json) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        throw new CommandError(`cannot reach the Cockpit at ${origin.origin} (${(err as Error).cause ?? (err as Error).message}); is it running?`);
      }
      const text = await response.text();
      let body: ApiAnswer<T>["body"];
      try {
        body = (text ? JSON.parse(text) : {}) as ApiAnswer<T>["body"];
      } catch {
        body = { error: text.slice(0, 200) } as ApiAnswer<T>["body"];
      }
      return { status: response.status, ok: response.ok, body };
    },
  };
}

/** A refusal as the user should read it: what was being done, the status and the Cockpit's reason. */
export function refusal(what: string, answer: ApiAnswer<unknown>): CommandError {
  return new CommandError(`${what}: the Cockpit refused (HTTP ${answer.status}): ${answer.body.error ?? "no reason given"}`);
}
