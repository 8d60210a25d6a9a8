/** `[secrets]`: the secret store's key and the keys before a rotation, delivered as Worker secrets. */
import { describe, it } from "vitest";
import { configFromBindings, configToBindings, parseConfigToml } from "../../src/config/index.ts";

const BASE = `[oauth]
client_id = 'MyID'
organization = 'MyOrg'
jwks_url = 'https://id.example.com/jwks'
`;
const KEY = "k".repeat(32);
const OLD = ["o".repeat(32), "p".repeat(40)];

describe("[secrets]", () => {
  it("becomes SECRETS_KEY and SECRETS_PREVIOUS_KEYS, out of the plain var, and comes back the same inside the Worker", ({ expect }) => {
    const config = parseConfigToml(`${BASE}[secrets]\nkey = "${KEY}"\nprevious_keys = ["${OLD[0]}", "${OLD[1]}"]\n`);
    const { vars, secrets } = configToBindings(config);
    expect(secrets).toMatchObject({ SECRETS_KEY: KEY, SECRETS_PREVIOUS_KEYS: OLD.join(",") });
    for (const k of [KEY, ...OLD]) expect(vars.COCKPIT_CONFIG).not.toContain(k);
    expect(configFromBindings({ ...vars, ...secrets }).secrets).toEqual({ key: KEY, previous_keys: OLD.join(",") });
  });

  it("refuses a short key, naming where", ({ expect }) => {
    expect(() => parseConfigToml(`${BASE}[secrets]\nkey = "short"\n`)).toThrow(/\[secrets\]\.key: must be at least 32 characters/);
    expect(() => parseConfigToml(`${BASE}[secrets]\nkey = "${KEY}"\nprevious_keys = "${OLD[0]}, tiny"\n`)).toThrow(/previous_keys: every previous key must be at least 32 characters/);
  });
});
