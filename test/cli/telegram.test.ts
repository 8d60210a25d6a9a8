import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "vitest";
import { calculateJwkThumbprint, createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from "jose";
import { verifyToken } from "../../src/auth/jwt.ts";
import { parseConfigToml } from "../../src/config/index.ts";
import { cockpit } from "./run-cli.ts";

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A local stand-in for the Bot API (or the Cockpit) on 127.0.0.1 that records what it was asked. */
let server: Server;
let seen: Seen[];
let respond: (req: Seen, res: ServerResponse) => void;
let base: string;

beforeEach(async () => {
  seen = [];
  respond = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result: true }));
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const entry = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
      seen.push(entry);
      respond(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The example configuration with `[bot] api_root` pointing at the local server. */
async function configWithApiRoot(): Promise<string> {
  const example = await readFile("test/fixtures/cockpit.seed.toml", "utf8");
  const dir = await mkdtemp(join(tmpdir(), "cockpit-telegram-"));
  const file = join(dir, "cockpit.toml");
  await writeFile(file, example.replace('webhook_secret = "local-dev-webhook-secret"', `webhook_secret = "local-dev-webhook-secret"\napi_root = "${base}"`));
  return file;
}

describe("cockpit telegram set-webhook", () => {
  it("registers the webhook with the secret, then the command menu, at [bot] api_root", async ({ expect }) => {
    const file = await configWithApiRoot();
    const res = await cockpit(["telegram", "set-webhook", "--config", file, "--url", "https://cockpit.example.com"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(["POST /bot123456789:replace-me/setWebhook", "POST /bot123456789:replace-me/setMyCommands"]);
    expect(JSON.parse(seen[0]!.body)).toEqual({
      url: "https://cockpit.example.com/telegram/webhook",
      secret_token: "local-dev-webhook-secret",
      allowed_updates: ["message", "callback_query"],
      drop_pending_updates: false,
    });
    const menu = JSON.parse(seen[1]!.body) as { commands: { command: string; description: string }[] };
    expect(menu.commands.map((c) => c.command)).toEqual(["start", "repo", "blueprint", "service", "run", "help", "cancel", "unlink"]);
    expect(res.stdout).toContain("webhook set: https://cockpit.example.com/telegram/webhook");
    expect(res.stdout).not.toContain("replace-me");
    expect(res.stdout).not.toContain("local-dev-webhook-secret");
  });

  it("reports Telegram's refusal with exit code 1, without the token", async ({ expect }) => {
    respond = (_req, res) => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, error_code: 400, description: "Bad Request: bad webhook: HTTPS url must be provided for webhook" }));
    const res = await cockpit(["telegram", "set-webhook", "--config", await configWithApiRoot(), "--url", "http://cockpit.example.com/telegram/webhook"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("setWebhook: Telegram refused: Bad Request: bad webhook: HTTPS url must be provided");
    expect(res.stderr).not.toContain("replace-me");
    expect(seen).toHaveLength(1);
  });

  it("refuses wrong usage with exit code 2", async ({ expect }) => {
    const file = await configWithApiRoot();
    expect((await cockpit(["telegram", "set-webhook", "--config", file])).code).toBe(2);
    expect((await cockpit(["telegram", "delete-everything", "--config", file, "--url", "https://x.test"])).code).toBe(2);
    expect(seen).toEqual([]);
  });
});

describe("cockpit clean_cache", () => {
  it("asks the running Cockpit, with the organization's token, to forget linked users", async ({ expect }) => {
    respond = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ users: 2, pending: 1 }));
    const res = await cockpit(["clean_cache", "--config", "test/fixtures/cockpit.seed.toml", "--url", base, "--token", "jwt-of-the-organization"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.path} ${s.headers.authorization}`)).toEqual(["POST /telegram/admin/clean-cache Bearer jwt-of-the-organization"]);
    expect(res.stdout).toContain("forgot 2 linked Telegram user(s) and 1 pending sign-in(s)");
  });

  it("says why the Cockpit refused", async ({ expect }) => {
    respond = (_req, res) => res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "expired", code: "unauthorized" }));
    const res = await cockpit(["clean_cache", "--config", "test/fixtures/cockpit.seed.toml", "--url", base, "--token", "old"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("the Cockpit refused (HTTP 401): expired");
  });

  it("passes on the Cockpit's 403 for a member's token, naming the token it needs", async ({ expect }) => {
    const why = "this needs the organization's own token: a JWT with globalid MyID, as ItsYou.online issues to MyID's client credentials (locally: cockpit token --organization); a member's token (alice) is not enough";
    respond = (_req, res) => res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ error: why, code: "forbidden" }));
    const res = await cockpit(["clean_cache", "--config", "test/fixtures/cockpit.seed.toml", "--url", base, "--token", "jwt-of-a-member"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`the Cockpit refused (HTTP 403): ${why}`);
  });

  it("says in --help which token it takes, and how to mint one locally", async ({ expect }) => {
    const res = await cockpit(["clean_cache", "--help"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("the organization's own token");
    expect(res.stdout).toContain("cockpit token --organization");
    expect(res.stdout).toContain("A member's token is refused with HTTP 403");
  });
});

describe("cockpit token --organization", () => {
  /** A P-384 key for `--key`, and the example config trusting its public half, as `cockpit start --dev-key` does. */
  async function devKey(): Promise<{ keyFile: string; oauth: ReturnType<typeof parseConfigToml>["oauth"] }> {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    const dir = await mkdtemp(join(tmpdir(), "cockpit-token-"));
    const keyFile = join(dir, "dev.pem");
    await writeFile(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { mode: 0o600 });
    const config = parseConfigToml(await readFile("test/fixtures/cockpit.seed.toml", "utf8"), "cockpit.seed.toml");
    return { keyFile, oauth: { ...config.oauth, jwt_key: publicKey.export({ type: "spki", format: "pem" }).toString() } };
  }
  const mint = (keyFile: string, ...extra: string[]) => cockpit(["token", "--config", "test/fixtures/cockpit.seed.toml", "--key", keyFile, ...extra]);

  it("mints the organization's own token (globalid), which the Cockpit takes for the organization, not a member", async ({ expect }) => {
    const { keyFile, oauth } = await devKey();
    const res = await mint(keyFile, "--organization");
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const token = res.stdout.trim();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ globalid: "MyID", azp: "MyID", iss: "itsyouonline", aud: ["MyID"] });
    expect(claims).not.toHaveProperty("username");
    expect(await verifyToken(token, oauth)).toMatchObject({ user: "MyID", kind: "organization" });

    // Without --organization it stays a member's token, which clean_cache refuses.
    const member = await mint(keyFile, "--user", "alice");
    expect(await verifyToken(member.stdout.trim(), oauth)).toMatchObject({ user: "alice", kind: "user" });
  });

  it("refuses --user with --organization (exit code 2)", async ({ expect }) => {
    const { keyFile } = await devKey();
    const res = await mint(keyFile, "--organization", "--user", "alice");
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--user and --organization exclude each other");
    expect(res.stdout).toBe("");
  });
});

describe("cockpit token with provider = \"local\"", () => {
  it("mints the local provider's own tokens: its issuer, the dev key's kid, the user's groups", async ({ expect }) => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    const dir = await mkdtemp(join(tmpdir(), "cockpit-token-"));
    const keyFile = join(dir, "dev.pem");
    await writeFile(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { mode: 0o600 });
    const mintLocal = (...extra: string[]) => cockpit(["token", "--config", "config/cockpit.example.toml", "--key", keyFile, ...extra]);
    const jwks = createLocalJWKSet({ keys: [{ ...(publicKey.export({ format: "jwk" }) as JWK), kid: await calculateJwkThumbprint(privateKey.export({ format: "jwk" }) as JWK), alg: "ES384" }] });
    const verify = async (token: string) => (await jwtVerify(token, jwks, { issuer: "http://127.0.0.1:5001", audience: "MyID", algorithms: ["ES384"] })).payload;

    const admin = await mintLocal("--user", "admin");
    expect(admin.code).toBe(0);
    expect(await verify(admin.stdout.trim())).toMatchObject({ sub: "admin", preferred_username: "admin", groups: ["MyID"] });
    const guest = await mintLocal("--user", "guest");
    expect(await verify(guest.stdout.trim())).toMatchObject({ sub: "guest", groups: [] });
    const client = await mintLocal("--organization");
    expect(await verify(client.stdout.trim())).toMatchObject({ sub: "MyID", client_id: "MyID", groups: ["MyID"] });
  });
});
