/**
 * Cockpit as the browser tests see it: `cockpit start` (wrangler dev) on a free port, with the example
 * configuration turned to `provider = "oidc"` and pointed at a real OpenID provider on 127.0.0.1
 * (test/node/openid-provider.ts: oidc-provider, PKCE required, membership in a groups claim, ES256
 * ID tokens), and its own throwaway state.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { EXAMPLE_CONFIG, freePort, startCockpit, type LocalCockpit } from "../../../scripts/local-cockpit.ts";
import { startTestProvider, type TestProvider } from "../../node/openid-provider.ts";

export const ORGANIZATION = "MyID";

export interface E2eCockpit {
  cockpit: LocalCockpit;
  provider: TestProvider;
  stop(): Promise<void>;
}

export async function startE2eCockpit(): Promise<E2eCockpit> {
  // The provider must know the callback before the cockpit starts: the cockpit's port is picked first.
  const port = await freePort();
  const provider = await startTestProvider({
    redirectUris: [`http://127.0.0.1:${port}/oauth/callback`, `http://localhost:${port}/oauth/callback`],
    idTokenAlg: "ES256",
  });
  const dir = await mkdtemp(join(tmpdir(), "cockpit-e2e-config-"));
  try {
    const config = parse(await readFile(EXAMPLE_CONFIG, "utf8")) as Record<string, Record<string, unknown>>;
    // The callback is derived from the origin the browser uses; no bot, no mail: the console is what is under test.
    const oauth = config.oauth!;
    oauth.provider = "oidc";
    oauth.issuer = provider.issuer;
    oauth.client_secret = provider.clientSecret;
    delete oauth.local;
    delete oauth.redirect_uri;
    delete config.bot;
    delete config.mail;
    const file = join(dir, "cockpit.e2e.toml");
    await writeFile(file, stringify(config));
    const cockpit = await startCockpit({ config: file, port, organization: ORGANIZATION, devKey: false });
    return {
      cockpit,
      provider,
      stop: async () => {
        await cockpit.stop();
        await provider.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await provider.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A member's access token as the provider issues them for the API (groups claim, audience MyID). */
export function memberToken(provider: TestProvider, user = "alice", exp: number | string = "2h"): Promise<string> {
  return provider.mint({ sub: user, preferred_username: user, client_id: ORGANIZATION, groups: [ORGANIZATION] }, "ES256", exp);
}
