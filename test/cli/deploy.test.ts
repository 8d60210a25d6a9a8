/**
 * `cockpit deploy` provisions, then deploys, against a stub `wrangler` first on PATH
 * (fixtures/wrangler-stub.mjs) that records each call's argv and stdin and answers the list commands
 * as wrangler 4 prints them, and a fake Bot API on 127.0.0.1 ([bot] api_root).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, it } from "vitest";
import { parseBucketList, parseQueueList } from "../../src/cli/provision.ts";
import { ROOT, type CliResult } from "./run-cli.ts";

const BIN = fileURLToPath(new URL("../../bin/cockpit.js", import.meta.url));
const STUB = fileURLToPath(new URL("./fixtures/wrangler-stub.mjs", import.meta.url));
const SECRET_VALUES = ["replace-me", "123456789:replace-me", "local-dev-webhook-secret", "local-dev-github-webhook-secret"];

let dir: string;
let botApi: Server;
let botCalls: { path: string; body: Record<string, unknown> }[];
let config: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cockpit-deploy-"));
  await copyFile(STUB, join(dir, "wrangler"));
  botCalls = [];
  botApi = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      botCalls.push({ path: req.url ?? "", body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result: true }));
    });
  });
  await new Promise<void>((resolve) => botApi.listen(0, "127.0.0.1", resolve));
  const address = botApi.address();
  const apiRoot = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const seed = await readFile(join(ROOT, "test/fixtures/cockpit.seed.toml"), "utf8");
  config = join(dir, "cockpit.toml");
  await writeFile(config, seed.replace('webhook_secret = "local-dev-webhook-secret"', `webhook_secret = "local-dev-webhook-secret"\napi_root = "${apiRoot}"`));
});
afterEach(() => new Promise<void>((resolve) => botApi.close(() => resolve())));

/** `cockpit deploy` with the stub first on PATH; the stub lists one queue per page. */
function deploy(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const env = {
      ...process.env,
      PATH: `${dir}${delimiter}${process.env.PATH ?? ""}`,
      WRANGLER_STUB_LOG: join(dir, "calls.jsonl"),
      WRANGLER_STUB_STATE: join(dir, "account.json"),
      WRANGLER_STUB_PAGE: "1",
    };
    execFile(process.execPath, [BIN, "deploy", "--config", config, ...args], { cwd: ROOT, env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function calls(): Promise<{ argv: string[]; stdin: string; config: string | null }[]> {
  const text = await readFile(join(dir, "calls.jsonl"), "utf8").catch(() => "");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { argv: string[]; stdin: string; config: string | null });
}

/** A call as `wrangler r2 bucket list`, without the --config flag every call carries. */
const shown = (call: { argv: string[] }) => {
  const at = call.argv.indexOf("--config");
  expectConfig(call.argv[at + 1], call.argv[0] === "deploy");
  return [...call.argv.slice(0, at), ...call.argv.slice(at + 2)].map((a) => (a.startsWith("COCKPIT_CONFIG:") ? "COCKPIT_CONFIG:<json>" : a)).join(" ");
};
/** Every call reads the package's wrangler.toml, but the deploy: a generated copy beside it (with the rate limit), removed afterwards. */
function expectConfig(path: string | undefined, generated = false): void {
  if (generated) {
    if (!path || dirname(path) !== resolve(ROOT) || !/^\.cockpit-\d+-[0-9a-f]{8}-wrangler\.toml$/.test(basename(path))) throw new Error(`--config ${path}: not a generated copy of wrangler.toml`);
    if (existsSync(path)) throw new Error(`${path} was left behind`);
    return;
  }
  if (path !== join(ROOT, "wrangler.toml")) throw new Error(`--config ${path}: not the package's wrangler.toml`);
}

describe("cockpit deploy", () => {
  it("creates the bucket and both queues, uploads the secrets on stdin, deploys, sets the webhook and prints the mail rule", async ({ expect }) => {
    const res = await deploy();
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const made = await calls();
    expect(made.map(shown)).toEqual([
      "r2 bucket list",
      "r2 bucket create cockpit-files",
      "queues list --page 1",
      "queues create cockpit-events",
      "queues create cockpit-events-dlq",
      "secret bulk",
      "deploy --var COCKPIT_CONFIG:<json>",
    ]);
    // The secrets travel only on secret bulk's standard input, never on a command line or in the output.
    const bulk = made.find((c) => c.argv[0] === "secret")!;
    expect(JSON.parse(bulk.stdin)).toEqual({
      OAUTH_CLIENT_SECRET: "replace-me",
      BOT_TOKEN: "123456789:replace-me",
      BOT_WEBHOOK_SECRET: "local-dev-webhook-secret",
      GITHUB_WEBHOOK_SECRET: "local-dev-github-webhook-secret",
    });
    for (const secret of SECRET_VALUES) {
      expect(made.flatMap((c) => c.argv).join(" "), "argv").not.toContain(secret);
      expect(made.filter((c) => c !== bulk).map((c) => c.stdin).join(""), "other stdin").not.toContain(secret);
      expect(res.stdout + res.stderr, "output").not.toContain(secret);
    }
    expect(JSON.parse(made.at(-1)!.argv.find((a) => a.startsWith("COCKPIT_CONFIG:"))!.slice("COCKPIT_CONFIG:".length)).oauth).not.toHaveProperty("client_secret");
    // The deploy read wrangler.toml with [webhooks] events_per_minute as the rate limit (600 by default).
    expect(made.at(-1)!.config).toMatch(/EVENTS_RATE_LIMIT[\s\S]*limit = 600/);

    // The webhook at the workers.dev URL wrangler printed, with the secret token; then the menu.
    expect(botCalls.map((c) => c.path.replace(/bot[^/]+/, "bot<token>"))).toEqual(["/bot<token>/setWebhook", "/bot<token>/setMyCommands"]);
    expect(botCalls[0]!.body).toMatchObject({ url: "https://cockpit.example.workers.dev/telegram/webhook", secret_token: "local-dev-webhook-secret" });
    expect(res.stdout).toContain("[1/6] R2 bucket cockpit-files: created");
    expect(res.stdout).toContain("[2/6] queue cockpit-events-dlq: created");
    expect(res.stdout).toContain("[3/6] secrets uploaded: OAUTH_CLIENT_SECRET, BOT_TOKEN, BOT_WEBHOOK_SECRET, GITHUB_WEBHOOK_SECRET");
    expect(res.stdout).toContain("Deployed cockpit triggers");
    expect(res.stdout).toContain("[5/6] Telegram webhook set: https://cockpit.example.workers.dev/telegram/webhook");
    expect(res.stdout).toMatch(/\[6\/6\] Email Routing: .*\n.*Subaddressing.*repo\+<name>@<your domain>/);
  });

  it("creates nothing the second time: what the lists show exists is left alone", async ({ expect }) => {
    expect((await deploy("--url", "https://cockpit.example.com")).code).toBe(0);
    const first = (await calls()).length;
    const res = await deploy("--url", "https://cockpit.example.com");
    expect(res.code).toBe(0);
    const second = (await calls()).slice(first).map(shown);
    // One queue per page: the second page is read too, and then both are known.
    expect(second).toEqual(["r2 bucket list", "queues list --page 1", "queues list --page 2", "secret bulk", "deploy --var COCKPIT_CONFIG:<json>"]);
    expect(res.stdout).toContain("R2 bucket cockpit-files: exists");
    expect(res.stdout).toContain("queue cockpit-events: exists");
    expect(res.stdout).toContain("queue cockpit-events-dlq: exists");
    expect(botCalls.filter((c) => c.path.endsWith("/setWebhook")).map((c) => c.body.url)).toEqual([
      "https://cockpit.example.com/telegram/webhook",
      "https://cockpit.example.com/telegram/webhook",
    ]);
  });

  it("stops at the first failing step and runs nothing after it", async ({ expect }) => {
    await writeFile(join(dir, "wrangler"), "#!/bin/sh\necho \"$*\" >> \"$WRANGLER_STUB_LOG.argv\"\necho 'X [ERROR] Authentication error [code: 10000]' >&2\nexit 1\n");
    const res = await deploy();
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("Authentication error");
    expect(res.stderr).toContain("failed (exit code 1); nothing after it was run");
    expect((await readFile(join(dir, "calls.jsonl.argv"), "utf8")).trim().split("\n")).toHaveLength(1);
    expect(botCalls).toEqual([]);
  });

  it("--dry-run prints every step and runs none", async ({ expect }) => {
    const res = await deploy("--dry-run");
    expect(res.code).toBe(0);
    expect(await calls()).toEqual([]);
    expect(botCalls).toEqual([]);
    const steps = res.stdout.split("\n").filter((l) => /^\[\d\/6\]/.test(l));
    expect(steps.map((l) => l.slice(0, 6))).toEqual(["[1/6] ", "[2/6] ", "[3/6] ", "[4/6] ", "[5/6] ", "[6/6] "]);
    expect(res.stdout).toContain("wrangler r2 bucket create NAME");
    expect(res.stdout).toContain("queues cockpit-events, cockpit-events-dlq");
    expect(res.stdout).toContain("wrangler secret bulk --config");
    expect(res.stdout).toContain("wrangler deploy --config");
    for (const secret of SECRET_VALUES) expect(res.stdout).not.toContain(secret);
  });

  it("refuses, before running anything, a [bot] without webhook_secret and a --url that is no http(s) URL", async ({ expect }) => {
    const seed = await readFile(config, "utf8");
    await writeFile(config, seed.replace('webhook_secret = "local-dev-webhook-secret"\n', ""));
    const noSecret = await deploy();
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toContain("[bot].webhook_secret is required");
    await writeFile(config, seed);
    const badUrl = await deploy("--url", "ftp://cockpit.example.com");
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("--url: expected an http(s) URL");
    expect(await calls()).toEqual([]);
  });
});

describe("reading wrangler's listings", () => {
  it("takes bucket and queue names from the printed output, colours and banner included", ({ expect }) => {
    const grey = (s: string) => `\u001b[90m${s}\u001b[39m`;
    const buckets = `\n \u26c5\ufe0f wrangler 4.164.0\n───────────────────\nListing buckets...\n${grey("name:")}           cockpit-files\n${grey("creation_date:")}  2026-11-20T10:00:00.000Z\n\nname:           logs\ncreation_date:  2026-11-21T10:00:00.000Z\n`;
    expect(parseBucketList(buckets)).toEqual(["cockpit-files", "logs"]);
    const queues = [
      "┌──────┬────────────────────┬────────────┐",
      "│ id   │ name               │ created_on │",
      "├──────┼────────────────────┼────────────┤",
      "│ 0f1a │ cockpit-events     │ 2026-11-20 │",
      "├──────┼────────────────────┼────────────┤",
      `│ 0f2b │ ${grey("cockpit-events-dlq")} │ 2026-11-20 │`,
      "└──────┴────────────────────┴────────────┘",
    ].join("\n");
    expect(parseQueueList(queues)).toEqual(["cockpit-events", "cockpit-events-dlq"]);
    expect(parseQueueList("┌┐\n└┘\n")).toEqual([]);
    expect(parseBucketList("Listing buckets...\n")).toEqual([]);
  });
});
