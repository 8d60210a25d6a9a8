/**
 * `[oauth] provider = "local"` under `cockpit start`: the OpenID provider of src/cli/local-provider.ts
 * on 127.0.0.1:`[oauth.local] port`, with the users of `[oauth.local] users`, and the Worker's
 * configuration pointed at it as `provider = "oidc"`, so the console, the bot's `/start` and API
 * tokens go through exactly the production OpenID code.
 *
 * The dev key (`--dev-key`, what `npm start` passes) is one of the provider's signing keys (ES384),
 * so `cockpit token` can mint tokens that are the local provider's own: its issuer, its JWKS.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { CockpitConfig } from "../config/index.ts";
import { CommandError } from "./command.ts";
import { API_RESOURCE, newSigningKey, pemSigningKey, startLocalProvider, type LocalProvider } from "./local-provider.ts";

export const LOCAL_HOST = "127.0.0.1";

/** The issuer of the local provider a config describes. */
export function localIssuer(config: CockpitConfig): string {
  return `http://${LOCAL_HOST}:${config.oauth.local!.port}`;
}

/** The callback URLs a browser may come back to: the cockpit's address, under both loopback names. */
function redirectUris(config: CockpitConfig, host: string, port: number): string[] {
  const hosts = new Set([host, "127.0.0.1", "localhost"].filter((h) => h !== "0.0.0.0" && h !== "::"));
  const uris = [...hosts].map((h) => `http://${h.includes(":") ? `[${h}]` : h}:${port}/oauth/callback`);
  if (config.oauth.redirect_uri) uris.push(config.oauth.redirect_uri);
  return [...new Set(uris)];
}

/** One line for people: where the provider is and whom to sign in as. */
export function localUsersLine(config: CockpitConfig, issuer = localIssuer(config)): string {
  const org = config.oauth.organization;
  const who = config.oauth.local!.users.map((u) => `${u.name} (${u.groups.includes(org) || u.groups.some((g) => config.oauth.member_values.includes(g)) ? `member of ${org}` : "not a member"})`);
  return `local OpenID provider ${issuer}: sign in at /console as ${who.join(" or ")}`;
}

/**
 * Starts the local provider and rewrites `config.oauth` to use it through `oidc`.
 * @param devKeyFile the P-384 dev key to sign with as well (PKCS#8 PEM), if any
 */
export async function startLocalOidc(config: CockpitConfig, listen: { host: string; port: number }, devKeyFile?: string): Promise<LocalProvider> {
  const local = config.oauth.local!;
  const keys = [await newSigningKey("RS256")];
  if (devKeyFile) keys.push(await pemSigningKey(await readFile(devKeyFile, "utf8"), "ES384"));
  const clientSecret = config.oauth.client_secret ?? randomBytes(24).toString("base64url");
  const org = config.oauth.organization;
  let provider: LocalProvider;
  try {
    provider = await startLocalProvider({
      host: LOCAL_HOST,
      port: local.port,
      users: local.users,
      clients: [{ client_id: config.oauth.client_id, client_secret: clientSecret, redirect_uris: redirectUris(config, listen.host, listen.port), groups: [org] }],
      audience: config.oauth.audience ?? config.oauth.client_id,
      keys,
      title: "Cockpit: local sign-in",
      showUsersOf: org,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandError(
      `the local OpenID provider cannot listen on ${LOCAL_HOST}:${local.port} (${code ?? String(err)}): set [oauth.local] port to a free port`,
    );
  }
  config.oauth.provider = "oidc";
  config.oauth.issuer = provider.issuer;
  config.oauth.client_secret = clientSecret;
  // The callback follows the address the browser used (both loopback names are registered).
  delete config.oauth.redirect_uri;
  return provider;
}

export { API_RESOURCE };
