import { describe, it } from "vitest";
import {
  ConfigError,
  configFromBindings,
  configToBindings,
  parseConfigToml,
  redactConfig,
} from "../../src/config/index.ts";

const TOML = `[oauth]
client_secret = 'oauth-secret-value'
client_id = 'MyID'
organization = 'MyOrg'
jwks_url = 'https://id.example.com/jwks'
[bot]
token = "1234:bot-token-value"
webhook_secret = "hook-secret-value"
[mail]
allowed_senders = ["@example.com"]
`;
const SECRETS = ["oauth-secret-value", "1234:bot-token-value", "hook-secret-value"];

describe("configuration delivered to the Worker as vars and secrets", () => {
  it("keeps every secret out of the plain var", ({ expect }) => {
    const { vars, secrets } = configToBindings(parseConfigToml(TOML));
    for (const s of SECRETS) expect(vars.COCKPIT_CONFIG).not.toContain(s);
    expect(secrets).toEqual({
      OAUTH_CLIENT_SECRET: "oauth-secret-value",
      BOT_TOKEN: "1234:bot-token-value",
      BOT_WEBHOOK_SECRET: "hook-secret-value",
    });
  });

  it("rebuilds the same configuration inside the Worker, through the same schema", ({ expect }) => {
    const config = parseConfigToml(TOML);
    const { vars, secrets } = configToBindings(config);
    expect(configFromBindings({ ...vars, ...secrets })).toEqual(config);
  });

  it("names the missing secret's key when a secret binding is absent", ({ expect }) => {
    const { vars, secrets } = configToBindings(parseConfigToml(TOML));
    const { BOT_TOKEN: _dropped, ...rest } = secrets;
    expect(() => configFromBindings({ ...vars, ...rest })).toThrow("Worker var COCKPIT_CONFIG: [bot].token: required");
  });

  it("refuses a Worker started without the configuration var", ({ expect }) => {
    expect(() => configFromBindings({})).toThrow(ConfigError);
    expect(() => configFromBindings({})).toThrow(/cockpit start/);
    expect(() => configFromBindings({ COCKPIT_CONFIG: "{nope" })).toThrow("not valid JSON");
  });

  it("redacts secrets for printing", ({ expect }) => {
    const text = JSON.stringify(redactConfig(parseConfigToml(TOML)));
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(text).toContain("<redacted>");
  });
});
