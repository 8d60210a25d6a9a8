/**
 * `[webhooks] events_per_minute` reaches the rate-limiting binding of POST /webhooks/events: a
 * binding's limit is static configuration, so `cockpit start` and `cockpit deploy` run wrangler with
 * a generated copy of wrangler.toml whose `[[ratelimits]]` limit is the setting.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, it } from "vitest";
import { configToBindings, parseConfigToml } from "../../src/config/index.ts";
import { WRANGLER_TOML, wranglerConfigText, writeWranglerConfig } from "../../src/cli/wrangler.ts";
import { cockpit } from "./run-cli.ts";

const SEED = "test/fixtures/cockpit.seed.toml";

async function seedWith(extra: string): Promise<{ file: string; text: string }> {
  const text = (await readFile(SEED, "utf8")).replace("[webhooks]\n", `[webhooks]\n${extra}\n`);
  const dir = await mkdtemp(join(tmpdir(), "cockpit-test-"));
  const file = join(dir, "cockpit.toml");
  await writeFile(file, text);
  return { file, text };
}

type Wrangler = { main: string; ratelimits: { name: string; namespace_id: string; simple: { limit: number; period: number } }[]; queues: unknown; durable_objects: unknown };

describe("the generated wrangler configuration", () => {
  it("carries [webhooks] events_per_minute as the binding's limit and everything else of wrangler.toml unchanged", async ({ expect }) => {
    const { text } = await seedWith("events_per_minute = 42");
    const config = parseConfigToml(text, SEED);
    const source = await readFile(WRANGLER_TOML, "utf8");
    const original = parse(source) as unknown as Wrangler;
    const generated = parse(wranglerConfigText(source, config)) as unknown as Wrangler;
    expect(original.ratelimits).toEqual([{ name: "EVENTS_RATE_LIMIT", namespace_id: "1001", simple: { limit: 600, period: 60 } }]);
    expect(generated.ratelimits).toEqual([{ name: "EVENTS_RATE_LIMIT", namespace_id: "1001", simple: { limit: 42, period: 60 } }]);
    expect({ ...generated, ratelimits: null }).toEqual({ ...original, ratelimits: null });

    // Without the setting: the default, which is also wrangler.toml's own.
    const plain = parse(wranglerConfigText(source, parseConfigToml(await readFile(SEED, "utf8"), SEED))) as unknown as Wrangler;
    expect(plain.ratelimits[0]!.simple.limit).toBe(600);

    // Written beside wrangler.toml (its relative paths stay right), and removed afterwards.
    const written = await writeWranglerConfig(config);
    expect(written.path.startsWith(join(WRANGLER_TOML, ".."))).toBe(true);
    expect((parse(await readFile(written.path, "utf8")) as unknown as Wrangler).ratelimits[0]!.simple.limit).toBe(42);
    await written.cleanup();
    await expect(readFile(written.path)).rejects.toThrow(/ENOENT/);
  });

  it("is what deploy --dry-run reports, and a bad setting is refused naming the key", async ({ expect }) => {
    const { file } = await seedWith("events_per_minute = 42");
    const res = await cockpit(["deploy", "--config", file, "--dry-run", "--json"]);
    expect(res.code).toBe(0);
    expect((JSON.parse(res.stdout) as { events_per_minute: number }).events_per_minute).toBe(42);
    const people = await cockpit(["deploy", "--config", file, "--dry-run"]);
    expect(people.stdout).toContain("POST /webhooks/events: 42 requests a minute per source ([webhooks] events_per_minute");
    const bad = await seedWith("events_per_minute = 0");
    const refused = await cockpit(["deploy", "--config", bad.file, "--dry-run"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("[webhooks].events_per_minute: must be at least 1");
  });

  it("makes [webhooks] events_secret a Worker secret, never a var", async ({ expect }) => {
    const { text } = await seedWith('events_secret = "an-events-secret-of-some-length"');
    const bindings = configToBindings(parseConfigToml(text, SEED));
    expect(bindings.secrets.EVENTS_WEBHOOK_SECRET).toBe("an-events-secret-of-some-length");
    expect(bindings.vars.COCKPIT_CONFIG).not.toContain("an-events-secret");
  });
});
