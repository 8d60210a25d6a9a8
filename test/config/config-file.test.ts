import { describe, it } from "vitest";
import { ConfigError, parseConfigToml } from "../../src/config/index.ts";

// The seed's file, byte for byte as the issue gives it (placeholders included).
const SEED = `[oauth]
client_secret = '...'
client_id = 'MyID'
redirect_uri = 'https://mycockpit.aydo.com/oauth/callback'
organization = 'MyID'
jwt_key = "-----BEGIN PUBLIC KEY-----\\n...P-384 key...\\n-----END PUBLIC KEY-----"
itsyouonlinehost = 'https://itsyou.online'
[api.ays]
active = true
host = "0.0.0.0"
port = 5000
[bot]
token = "205766488:AAE..."
[mail]
host = "0.0.0.0"
port = 25
`;

function problemsOf(text: string, file = "cockpit.toml"): readonly string[] {
  try {
    parseConfigToml(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected the configuration to be refused");
}

/** The seed with one line replaced, or one appended under a table. */
const seedWith = (find: string, replace: string) => {
  if (!SEED.includes(find)) throw new Error(`seed has no ${find}`);
  return SEED.replace(find, replace);
};

describe("the seed's configuration file", () => {
  it("loads exactly as written", ({ expect }) => {
    const config = parseConfigToml(SEED, "config.toml");
    expect(config.oauth).toMatchObject({
      client_id: "MyID",
      client_secret: "...",
      organization: "MyID",
      redirect_uri: "https://mycockpit.aydo.com/oauth/callback",
      itsyouonlinehost: "https://itsyou.online",
    });
    expect(config.oauth.jwt_key).toContain("-----BEGIN PUBLIC KEY-----");
    expect(config.api.ays).toEqual({ active: true, host: "0.0.0.0", port: 5000 });
    expect(config.bot?.token).toBe("205766488:AAE...");
    expect(config.mail).toMatchObject({ host: "0.0.0.0", port: 25 });
  });

  it("fills the edge additions with their documented defaults", ({ expect }) => {
    const config = parseConfigToml(SEED);
    expect(config.oauth.issuer).toBe("itsyouonline");
    expect(config.oauth.jwks_url).toBeUndefined();
    expect(config.bot).toMatchObject({ active: true, api_root: "https://api.telegram.org" });
    expect(config.bot?.webhook_secret).toBeUndefined();
    expect(config.mail).toMatchObject({ active: true, allowed_senders: [], max_bytes: 26214400, retention_days: 30 });
    expect(config.retention).toEqual({ events_days: 90, runs_days: 90, jobs_per_service: 200, logins_days: 365, ended_sessions_days: 30 });
  });

  it("takes [retention] settings and refuses what cannot be kept, naming the key", ({ expect }) => {
    expect(parseConfigToml(`${SEED}[retention]\njobs_per_service = 50\nevents_days = 30\n`).retention).toMatchObject({ jobs_per_service: 50, events_days: 30, runs_days: 90 });
    expect(problemsOf(`${SEED}[retention]\njobs_per_service = 0\nruns_days = 1.5\nlogins = 3\n`)).toEqual([
      "[retention].runs_days: expected an integer number of days",
      "[retention].jobs_per_service: must be at least 1",
      "[retention].logins: unknown key",
    ]);
  });

  it("accepts the one-line base64 key the original's blueprints carried, as PEM", ({ expect }) => {
    const oneLine =
      "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAES5X8XrfKdx9gYayFITc89wad4usrk0n27MjiGYvqalizeSWTHEpnd7oea9IQ8T5oJjMVH5cc0H5tFSKilFFeh//wngxIyny66+Vq5t5B0V0Ehy01+2ceEon2Y0XDkIKv";
    const config = parseConfigToml(seedWith(SEED.split("\n")[5]!, `jwt_key = "${oneLine}"`));
    expect(config.oauth.jwt_key).toBe(
      `-----BEGIN PUBLIC KEY-----\n${oneLine.slice(0, 64)}\n${oneLine.slice(64, 128)}\n${oneLine.slice(128)}\n-----END PUBLIC KEY-----`,
    );
  });

  it("takes a JWKS URL in place of the static key", ({ expect }) => {
    const text = seedWith(SEED.split("\n")[5]!, `jwks_url = "https://id.example.com/.well-known/jwks.json"\nissuer = "https://id.example.com"`);
    const config = parseConfigToml(text);
    expect(config.oauth.jwt_key).toBeUndefined();
    expect(config.oauth.issuer).toBe("https://id.example.com");
  });
});

describe("configuration errors name the file, the key path and what is wrong", () => {
  it("rejects a jwt_key that is not a PEM public key", ({ expect }) => {
    expect(problemsOf(seedWith(SEED.split("\n")[5]!, `jwt_key = "hello"`))).toEqual(["[oauth].jwt_key: not a PEM public key"]);
  });

  it("leaves [jobs] handler_wall_ms unset (the platform's own limit), and takes 100 ms to 15 minutes for tests", ({ expect }) => {
    expect(parseConfigToml(SEED).jobs.handler_wall_ms).toBeUndefined();
    expect(parseConfigToml(`${SEED}[jobs]\nhandler_wall_ms = 3000\n`).jobs.handler_wall_ms).toBe(3000);
    expect(problemsOf(`${SEED}[jobs]\nhandler_wall_ms = 50\n`)).toEqual(["[jobs].handler_wall_ms: must be at least 100"]);
    expect(problemsOf(`${SEED}[jobs]\nhandler_wall_ms = 900001\n`)).toEqual(["[jobs].handler_wall_ms: must be at most 900000 (the platform's 15 minutes)"]);
  });

  it("rejects ports outside 1-65535 and ports that are not integers", ({ expect }) => {
    for (const port of ["70000", "0", '"5000"', "50.5"]) {
      expect(problemsOf(seedWith("port = 5000", `port = ${port}`))).toEqual(["[api.ays].port: expected an integer 1-65535"]);
    }
    expect(problemsOf(seedWith("port = 25", "port = -1"))).toEqual(["[mail].port: expected an integer 1-65535"]);
  });

  it("reports unknown keys and sections instead of ignoring them", ({ expect }) => {
    expect(problemsOf(seedWith("client_id = 'MyID'", "client_id = 'MyID'\nclientid = 'typo'"))).toEqual([
      "[oauth].clientid: unknown key",
    ]);
    expect(problemsOf(`${SEED}[process]\nworkers_nbr = 5\n`)).toEqual(["[process]: unknown section"]);
    expect(problemsOf(seedWith("[api.ays]", "[api.ays]\ndebug = true"))).toEqual(["[api.ays].debug: unknown key"]);
    expect(problemsOf(`${SEED}[api.rest]\nport = 1\n`)).toEqual(["[api.rest]: unknown section"]);
  });

  it("names missing required keys and sections", ({ expect }) => {
    expect(problemsOf(seedWith("organization = 'MyID'\n", ""))).toEqual(["[oauth].organization: required"]);
    expect(problemsOf("[api.ays]\nport = 5000\n")).toEqual(["[oauth]: required"]);
    expect(problemsOf(seedWith(SEED.split("\n")[5]! + "\n", ""))).toEqual(["[oauth].jwt_key: required unless jwks_url is set"]);
  });

  it("lists every problem at once, each prefixed with the file name", ({ expect }) => {
    const text = seedWith("port = 5000", "port = 0").replace('token = "205766488:AAE..."', 'token = "nope"');
    let error: unknown;
    try {
      parseConfigToml(text, "/etc/cockpit/config.toml");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.split("\n")).toEqual([
      "/etc/cockpit/config.toml: [api.ays].port: expected an integer 1-65535",
      "/etc/cockpit/config.toml: [bot].token: expected a Bot API token like 123456789:AA...",
    ]);
  });

  it("checks URLs, mail senders and the webhook secret", ({ expect }) => {
    expect(problemsOf(seedWith("'https://itsyou.online'", "'itsyou.online'"))).toEqual([
      "[oauth].itsyouonlinehost: expected an absolute http(s) URL",
    ]);
    expect(problemsOf(seedWith("port = 25", 'port = 25\nallowed_senders = ["ops@example.com", "@example.org", "nobody"]'))).toEqual([
      "[mail].allowed_senders[2]: expected an address (ops@example.com) or a domain (@example.com)",
    ]);
    expect(problemsOf(seedWith('token = "205766488:AAE..."', 'token = "1:a"\nwebhook_secret = "has spaces"'))).toEqual([
      "[bot].webhook_secret: expected 1-256 characters of A-Z, a-z, 0-9, _ and -",
    ]);
  });

  it("checks the [auth] keys: a long secret and a PKCS#8 signing key", ({ expect }) => {
    expect(problemsOf(`${SEED}\n[auth]\nsecret = "short"\nsigning_key = "-----BEGIN PUBLIC KEY-----"\nstate_minutes = 0\n`)).toEqual([
      "[auth].secret: must be at least 32 characters (use `openssl rand -base64 32`)",
      "[auth].signing_key: expected a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----) or its base64 body",
      "[auth].state_minutes: must be at least 1",
    ]);
    expect(parseConfigToml(`${SEED}\n[auth]\nsecret = "${"x".repeat(32)}"\n`).auth).toEqual({ secret: "x".repeat(32), state_minutes: 10, recheck_minutes: 60, link_days: 30 });
    const oneLine = "MC4CAQAwBQYDK2VwBCIEIGDbnW+mXlKsTUdyqWHGkLOIFoFzjm4AJe4Ln1ptxJu5";
    expect(parseConfigToml(`${SEED}\n[auth]\nsecret = "${"x".repeat(32)}"\nsigning_key = "${oneLine}"\n`).auth?.signing_key).toBe(
      `-----BEGIN PRIVATE KEY-----\n${oneLine}\n-----END PRIVATE KEY-----`,
    );
  });

  it("reports TOML syntax errors with line and column", ({ expect }) => {
    const [problem] = problemsOf("[oauth]\nclient_id = 'MyID\n");
    expect(problem).toMatch(/^line 2, column \d+: TOML syntax error: /);
  });
});
