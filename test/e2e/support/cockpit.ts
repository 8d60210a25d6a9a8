/**
 * Cockpit as the browser tests see it: `cockpit start` (wrangler dev) on a free port, with the example
 * configuration pointed at a fake identity provider on 127.0.0.1 and its own throwaway state.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { EXAMPLE_CONFIG, startCockpit, type LocalCockpit } from "../../../scripts/local-cockpit.ts";
import { startFakeProvider, type FakeProvider } from "./oauth-provider.ts";

export const ORGANIZATION = "MyID";

export interface E2eCockpit {
  cockpit: LocalCockpit;
  provider: FakeProvider;
  stop(): Promise<void>;
}

export async function startE2eCockpit(): Promise<E2eCockpit> {
  const provider = await startFakeProvider(ORGANIZATION);
  const dir = await mkdtemp(join(tmpdir(), "cockpit-e2e-config-"));
  try {
    const config = parse(await readFile(EXAMPLE_CONFIG, "utf8")) as Record<string, Record<string, unknown>>;
    // The callback is derived from the origin the browser uses (the port is picked at start);
    // no bot, no mail: the console is what is under test.
    delete config.oauth!.redirect_uri;
    config.oauth!.client_secret = provider.clientSecret;
    config.oauth!.authorize_url = provider.authorizeUrl;
    config.oauth!.token_url = provider.tokenUrl;
    delete config.bot;
    delete config.mail;
    const file = join(dir, "cockpit.e2e.toml");
    await writeFile(file, stringify(config));
    const cockpit = await startCockpit({ config: file, organization: ORGANIZATION });
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
