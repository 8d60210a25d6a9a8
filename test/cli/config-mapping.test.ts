import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { cockpit } from "./run-cli.ts";

const EXAMPLE = "config/cockpit.example.toml";
/** The seed's file (ItsYou.online): what a deployment of the original's configuration looks like. */
const SEED = "test/fixtures/cockpit.seed.toml";
const SECRET_VALUES = ["replace-me", "123456789:replace-me", "local-dev-webhook-secret", "local-dev-github-webhook-secret"];

async function tempConfig(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cockpit-test-"));
  const file = join(dir, "cockpit.toml");
  await writeFile(file, text);
  return file;
}

describe("cockpit deploy --dry-run: the config-to-Worker mapping", () => {
  it("puts plain settings in COCKPIT_CONFIG and names the secrets without their values", async ({ expect }) => {
    const res = await cockpit(["deploy", "--config", SEED, "--dry-run", "--json"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { vars: { COCKPIT_CONFIG: Record<string, Record<string, unknown>> }; secrets: string[]; command: string };
    expect(out.secrets).toEqual(["OAUTH_CLIENT_SECRET", "BOT_TOKEN", "BOT_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET"]);
    expect(out.vars.COCKPIT_CONFIG.oauth).toMatchObject({ client_id: "MyID", organization: "MyID", issuer: "itsyouonline" });
    expect(out.vars.COCKPIT_CONFIG.oauth).not.toHaveProperty("client_secret");
    expect(out.vars.COCKPIT_CONFIG.bot).not.toHaveProperty("token");
    expect(out.vars.COCKPIT_CONFIG.api).toEqual({ ays: { active: true, host: "127.0.0.1", port: 5000 } });
    expect(out.command).toMatch(/^wrangler deploy --config \S+wrangler\.toml --var COCKPIT_CONFIG:<json>$/);
    for (const secret of SECRET_VALUES) expect(res.stdout).not.toContain(secret);
  });

  it("prints the same mapping for people", async ({ expect }) => {
    const res = await cockpit(["deploy", "--config", SEED, "--dry-run", "--name", "cockpit-staging"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`config ${SEED}: valid`);
    expect(res.stdout).toContain("secrets: OAUTH_CLIENT_SECRET, BOT_TOKEN, BOT_WEBHOOK_SECRET, GITHUB_WEBHOOK_SECRET");
    expect(res.stdout).toContain("--name cockpit-staging");
    for (const secret of SECRET_VALUES) expect(res.stdout).not.toContain(secret);
  });

  it("refuses an invalid configuration with exit code 1, naming file and key", async ({ expect }) => {
    const file = await tempConfig("[oauth]\nclient_id = 'x'\norganization = 'o'\njwt_key = 'nope'\n[api.ays]\nport = 99999\n");
    const res = await cockpit(["deploy", "--config", file, "--dry-run"]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split("\n")).toEqual([
      `${file}: [oauth].jwt_key: not a PEM public key`,
      `${file}: [api.ays].port: expected an integer 1-65535`,
    ]);
  });

  it("refuses provider = \"local\", which runs only under cockpit start", async ({ expect }) => {
    const res = await cockpit(["deploy", "--config", EXAMPLE, "--dry-run"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${EXAMPLE}: [oauth].provider: "local" runs only under \`cockpit start\``);
    expect(res.stdout).toBe("");
  });

  it("refuses [jobs] handler_wall_ms, which is for tests only", async ({ expect }) => {
    const file = await tempConfig('[oauth]\nprovider = "github"\nclient_id = "Iv1.abc"\nclient_secret = "s"\norganization = "acme"\n[jobs]\nhandler_wall_ms = 3000\n');
    const res = await cockpit(["deploy", "--config", file, "--dry-run"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${file}: [jobs].handler_wall_ms is for tests only`);
    expect(res.stdout).toBe("");
  });

  it("deploys provider = \"github\" with its client secret as a Worker secret, never in the var", async ({ expect }) => {
    const file = await tempConfig('[oauth]\nprovider = "github"\nclient_id = "Iv1.abc"\nclient_secret = "gh-app-secret-value"\norganization = "acme"\n');
    const res = await cockpit(["deploy", "--config", file, "--dry-run", "--json"]);
    expect(res.stderr).toBe("");
    const out = JSON.parse(res.stdout) as { vars: { COCKPIT_CONFIG: Record<string, Record<string, unknown>> }; secrets: string[] };
    expect(out.secrets).toEqual(["OAUTH_CLIENT_SECRET"]);
    expect(out.vars.COCKPIT_CONFIG.oauth).toMatchObject({ provider: "github", client_id: "Iv1.abc", organization: "acme" });
    expect(res.stdout).not.toContain("gh-app-secret-value");
  });

  it("refuses provider = \"cloudflare-access\" with a loopback team_domain (a local test address)", async ({ expect }) => {
    const access = '[oauth]\nprovider = "cloudflare-access"\norganization = "ops"\naccess_aud = "aud-tag"\n';
    const local = await tempConfig(`${access}team_domain = "http://127.0.0.1:8788"\n`);
    const refused = await cockpit(["deploy", "--config", local, "--dry-run"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${local}: [oauth].team_domain: http://127.0.0.1:8788 is a local test address`);
    const real = await tempConfig(`${access}team_domain = "acme.cloudflareaccess.com"\n`);
    const res = await cockpit(["deploy", "--config", real, "--dry-run"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
  });

  it("says so when the file cannot be read", async ({ expect }) => {
    const res = await cockpit(["deploy", "--config", "no/such/file.toml", "--dry-run"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("no/such/file.toml: cannot read the configuration (ENOENT)");
  });
});

describe("cockpit start --dry-run", () => {
  it("listens on [api.ays].host and port, and keeps state under .wrangler/state", async ({ expect }) => {
    const res = await cockpit(["start", "--config", EXAMPLE, "--dry-run"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("listen http://127.0.0.1:5000");
    expect(res.stdout).toMatch(/--persist-to \S+\/\.wrangler\/state/);
    expect(res.stdout).toContain("--env-file '<private env file>'");
    expect(res.stdout).toContain("--var COCKPIT_CONFIG:<json>");
    for (const secret of SECRET_VALUES) expect(res.stdout).not.toContain(secret);
    // The example has no [auth]: local sign-in keys are made and passed as secrets, never printed.
    expect(res.stdout).toMatch(/secrets: .*AUTH_SECRET, AUTH_SIGNING_KEY/);
    expect(res.stderr).toContain("using local sign-in keys from");
    expect(res.stdout).not.toContain("PRIVATE KEY");
  });

  it("runs the local OpenID provider for provider = \"local\" and refuses --dev-key for oidc", async ({ expect }) => {
    const res = await cockpit(["start", "--config", EXAMPLE, "--dry-run"]);
    expect(res.stdout).toContain("local OpenID provider: http://127.0.0.1:5001 (users admin, guest)");
    const example = await readFile(EXAMPLE, "utf8");
    const oidc = await tempConfig(example.replace('provider = "local"', 'provider = "oidc"\nissuer = "https://login.example.com/realms/ops"'));
    const refused = await cockpit(["start", "--config", oidc, "--dry-run", "--dev-key", join(tmpdir(), "never-made.pem")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--dev-key: ');
    expect(refused.stderr).toContain('uses [oauth] provider = "oidc", whose tokens come from https://login.example.com/realms/ops');
  });

  it("lets --port and --host override the file", async ({ expect }) => {
    const res = await cockpit(["start", "--config", EXAMPLE, "--dry-run", "--port", "8788", "--host", "0.0.0.0"]);
    expect(res.stdout).toContain("listen http://0.0.0.0:8788");
    expect(res.stdout).toContain("--ip 0.0.0.0 --port 8788");
  });

  it("stops jobs without timeouts after 120 s locally unless --job-timeout or [jobs] default_timeout says otherwise", async ({ expect }) => {
    const local = await cockpit(["start", "--config", EXAMPLE, "--dry-run"]);
    expect(local.stdout).toContain("jobs without timeouts: stop after 120 s; CPU budget 30 s per job");
    const flag = await cockpit(["start", "--config", EXAMPLE, "--dry-run", "--job-timeout", "900"]);
    expect(flag.stdout).toContain("jobs without timeouts: stop after 900 s;");
    const example = await readFile(EXAMPLE, "utf8");
    const configured = await cockpit(["start", "--config", await tempConfig(`${example}\n[jobs]\ndefault_timeout = 600\ncpu_ms = 5000\n`), "--dry-run"]);
    expect(configured.stdout).toContain("jobs without timeouts: stop after 600 s; CPU budget 5 s per job");
    const bad = await cockpit(["start", "--config", await tempConfig(`${example}\n[jobs]\ncpu_ms = 600000\n`), "--dry-run"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("[jobs].cpu_ms: must be at most 300000");
    const badFlag = await cockpit(["start", "--config", EXAMPLE, "--dry-run", "--job-timeout", "0"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--job-timeout: expected an integer 1-21600, got "0"');
  });

  it("rejects a bad --port and a missing --config as usage errors", async ({ expect }) => {
    const port = await cockpit(["start", "--config", EXAMPLE, "--port", "http"]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port: expected an integer 1-65535, got "http"');
    const config = await cockpit(["start"]);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain("--config is required");
  });
});
