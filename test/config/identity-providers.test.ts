/**
 * `[oauth] provider = "github"` and `"cloudflare-access"`: what each needs, said per key, and how
 * their settings travel into the Worker (the client secret as a secret, never in the var).
 */
import { describe, it } from "vitest";
import { configFromBindings, configToBindings, ConfigError, parseConfigToml } from "../../src/config/index.ts";

const GITHUB = `[oauth]
provider = "github"
client_id = "Iv1.0123456789abcdef"
client_secret = "0123456789abcdef0123456789abcdef01234567"
organization = "acme"
team = "ops-team"
`;

const ACCESS = `[oauth]
provider = "cloudflare-access"
organization = "ops"
team_domain = "acme.cloudflareaccess.com"
access_aud = "32eafc7626e974616deaf0dc3ce63d7bcbed58a2731e84d06bc3cdf1b53c4228"
`;

function problemsOf(text: string): readonly string[] {
  try {
    parseConfigToml(text, "cockpit.toml");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected the configuration to be refused");
}

describe("provider = github", () => {
  it("loads with the app's id and secret, the organization and an optional team; GitHub's roots unless set", ({ expect }) => {
    const { oauth } = parseConfigToml(GITHUB, "cockpit.toml");
    expect(oauth).toMatchObject({ provider: "github", client_id: "Iv1.0123456789abcdef", organization: "acme", team: "ops-team" });
    expect(oauth.api_root).toBeUndefined();
    const enterprise = parseConfigToml(`${GITHUB}api_root = "https://ghe.example.com/api/v3"\nweb_root = "https://ghe.example.com"\n`, "cockpit.toml");
    expect(enterprise.oauth).toMatchObject({ api_root: "https://ghe.example.com/api/v3", web_root: "https://ghe.example.com" });
  });

  it("needs the client id and the client secret, and a team slug that is one", ({ expect }) => {
    expect(problemsOf(GITHUB.replace(/client_secret = .*\n/, ""))).toEqual([
      '[oauth].client_secret: required for provider = "github": the OAuth app\'s client secret (a Worker secret, OAUTH_CLIENT_SECRET)',
    ]);
    expect(problemsOf(GITHUB.replace(/client_id = .*\n/, ""))).toEqual(["[oauth].client_id: required"]);
    expect(problemsOf(GITHUB.replace('team = "ops-team"', 'team = "ops team/x"'))).toEqual([
      "[oauth].team: expected a team slug such as ops-team (letters, digits, . _ -)",
    ]);
    expect(problemsOf(`${GITHUB}api_root = "ftp://api.example.com"\n`)).toEqual(["[oauth].api_root: expected an absolute http(s) URL"]);
  });

  it("travels into the Worker with the client secret as the secret OAUTH_CLIENT_SECRET, not in the var", ({ expect }) => {
    const bindings = configToBindings(parseConfigToml(GITHUB, "cockpit.toml"));
    expect(bindings.secrets).toEqual({ OAUTH_CLIENT_SECRET: "0123456789abcdef0123456789abcdef01234567" });
    expect(bindings.vars.COCKPIT_CONFIG).not.toContain("0123456789abcdef0123456789abcdef01234567");
    expect(JSON.parse(bindings.vars.COCKPIT_CONFIG).oauth).toMatchObject({ provider: "github", team: "ops-team" });
    expect(configFromBindings({ ...bindings.vars, ...bindings.secrets }).oauth.client_secret).toBe("0123456789abcdef0123456789abcdef01234567");
    // Without its secret binding the Worker names what is missing.
    expect(() => configFromBindings({ ...bindings.vars })).toThrow(/\[oauth\]\.client_secret: required for provider = "github"/);
  });
});

describe("provider = cloudflare-access", () => {
  it("loads with the team domain and the application's AUD tag, and needs no client id", ({ expect }) => {
    const { oauth } = parseConfigToml(ACCESS, "cockpit.toml");
    expect(oauth).toMatchObject({ provider: "cloudflare-access", team_domain: "acme.cloudflareaccess.com", client_id: "", member_claim: "groups" });
    expect(parseConfigToml(ACCESS.replace('"acme.cloudflareaccess.com"', '"https://acme.cloudflareaccess.com"'), "x").oauth.team_domain).toBe("https://acme.cloudflareaccess.com");
  });

  it("needs team_domain and access_aud, each named", ({ expect }) => {
    const bare = ACCESS.replace(/team_domain = .*\n/, "").replace(/access_aud = .*\n/, "");
    expect(problemsOf(bare)).toEqual([
      '[oauth].team_domain: required for provider = "cloudflare-access": the Zero Trust team domain (myteam.cloudflareaccess.com)',
      '[oauth].access_aud: required for provider = "cloudflare-access": the Access application\'s Application Audience (AUD) tag',
    ]);
  });

  it("takes https team domains, and http only on a loopback address", ({ expect }) => {
    const expected = "[oauth].team_domain: expected the Zero Trust team domain, such as myteam.cloudflareaccess.com (https only; http://127.0.0.1:PORT only for a local test)";
    for (const bad of ["http://acme.cloudflareaccess.com", "acme", "https://acme.cloudflareaccess.com/path", "http://10.0.0.1:8080"]) {
      expect(problemsOf(ACCESS.replace('"acme.cloudflareaccess.com"', JSON.stringify(bad)))).toEqual([expected]);
    }
    expect(parseConfigToml(ACCESS.replace('"acme.cloudflareaccess.com"', '"http://127.0.0.1:8787"'), "x").oauth.team_domain).toBe("http://127.0.0.1:8787");
  });

  it("travels into the Worker as plain settings (it has no secret)", ({ expect }) => {
    const bindings = configToBindings(parseConfigToml(ACCESS, "cockpit.toml"));
    expect(bindings.secrets).toEqual({});
    expect(configFromBindings({ ...bindings.vars }).oauth).toMatchObject({ provider: "cloudflare-access", access_aud: expect.stringMatching(/^32eafc/) });
  });

  it("still needs a client id for the other providers", ({ expect }) => {
    expect(problemsOf(ACCESS.replace('provider = "cloudflare-access"', 'provider = "oidc"\nissuer = "https://id.example.com"'))).toEqual(["[oauth].client_id: required"]);
  });
});
