/**
 * Hostile actions must not hurt the cockpit or other jobs. Under local workerd every isolate shares
 * one thread and `limits.cpuMs` is not enforced, so without the loop guard (src/sandbox/instrument.ts)
 * the first test below would freeze this whole test run; in production `cpuMs` stops it as well.
 */
import { describe, it } from "vitest";
import { runAction, SANDBOX_LIMITS } from "../../src/sandbox/index.ts";
import { request, testEnv } from "./helpers.ts";

const NORMAL = `export function install(job) { job.log("fine"); return 42; }`;

/** Runs a hostile action, then checks that a normal job (same code file, then other code) still works. */
async function runThenNormal(code: string, timeoutMs = 500) {
  const started = Date.now();
  const hostile = await runAction(testEnv, await request(code, { timeoutMs }));
  const elapsed = Date.now() - started;
  const sameCode = await runAction(testEnv, await request(`${code}\nexport function start() { return "still here"; }`, { action: "start", timeoutMs }));
  const other = await runAction(testEnv, await request(NORMAL));
  return { hostile, elapsed, sameCode, other };
}

describe("an endless loop", () => {
  it("(while (true) {}) ends in a timeout at the limit, and the next jobs run normally", async ({ expect }) => {
    const { hostile, elapsed, other } = await runThenNormal(`export function install() { while (true) {} }`);
    expect(hostile).toMatchObject({ state: "error", error: { message: "timeout after 0.5 s", timeout: true, code: "timeout" } });
    expect(hostile.logs.map((l) => l.log)).toEqual(["timeout after 0.5 s"]);
    expect(elapsed).toBeLessThan(2500);
    expect(other).toMatchObject({ state: "ok", result: 42 });
    expect(other.logs.map((l) => l.log)).toEqual(["fine"]);
  });

  it("gets a fresh isolate for the next job of the same code", async ({ expect }) => {
    const code = `let runs = 0;
      export function install() { runs++; while (true) {} }
      export function count() { return ++runs; }`;
    const first = await runAction(testEnv, await request(code, { timeoutMs: 300 }));
    expect(first.error?.timeout).toBe(true);
    const next = await runAction(testEnv, await request(code, { action: "count", timeoutMs: 300 }));
    // A fresh module: the counter of the isolate that timed out is gone.
    expect(next).toMatchObject({ state: "ok", result: 1 });
  });

  it.for<[string, string]>([
    ["for (;;);", `export function install() { for (;;); }`],
    ["a loop that catches the timeout and loops again", `export function install() { for (;;) { try { while (true) {} } catch {} } }`],
    ["a recursion that catches the timeout", `function f() { try { for (;;) {} } catch { return f(); } } export function install() { f(); }`],
    ["an await loop that never yields to the event loop", `export async function install() { while (true) await null; }`],
    ["an endless async recursion", `export async function install() { const f = async () => { await null; return f(); }; return f(); }`],
    ["an endless iterator", `export function install() { const it = { [Symbol.iterator]() { return this; }, next: () => ({ done: false }) }; for (const x of it) {} }`],
    ["an endless generator", `function* g() { let i = 0; for (;;) yield i++; } export function install() { let s = 0; for (const x of g()) s += x; }`],
  ])("(%s) ends in a timeout, and the next jobs run normally", async ([, code], { expect }) => {
    const { hostile, elapsed, sameCode, other } = await runThenNormal(code);
    expect(hostile.error).toEqual({ message: "timeout after 0.5 s", timeout: true, code: "timeout" });
    expect(elapsed).toBeLessThan(2500);
    expect(sameCode).toMatchObject({ state: "ok", result: "still here" });
    expect(other).toMatchObject({ state: "ok", result: 42 });
  });

  it("at the top level of actions.js fails the load, and the next jobs run normally", async ({ expect }) => {
    // A long limit, so that the step budget of module evaluation is what stops the loop.
    const { hostile, sameCode, other } = await runThenNormal(`while (true) {}\nexport function install() {}`, 10_000);
    expect(hostile.state).toBe("error");
    expect(hostile.error?.message).toBe("actions.js could not be loaded: TimeoutError: its top-level code ran more than 67108864 loop steps");
    expect(hostile.error?.stack).toContain("at actions.js:1:8");
    // The same file fails the same way; other code is unaffected.
    expect(sameCode.error?.message).toMatch(/^actions\.js could not be loaded: TimeoutError/);
    expect(other).toMatchObject({ state: "ok", result: 42 });
  });
});

describe("a huge allocation", () => {
  it.for<[string, string, string]>([
    ["a 16 GiB typed array", `new Uint8Array(2 ** 34).fill(1)`, `Uint8Array of 17179869184 bytes is over the sandbox's limit of ${SANDBOX_LIMITS.maxBufferBytes} bytes`],
    ["an 8 GiB ArrayBuffer", `new ArrayBuffer(2 ** 33)`, `ArrayBuffer of 8589934592 bytes is over the sandbox's limit of ${SANDBOX_LIMITS.maxBufferBytes} bytes`],
    ["a typed array subclass", `new (class extends Float64Array {})(2 ** 30)`, `Float64Array of 8589934592 bytes is over the sandbox's limit of ${SANDBOX_LIMITS.maxBufferBytes} bytes`],
    ["a resizable buffer", `new ArrayBuffer(8, { maxByteLength: 2 ** 40 })`, `ArrayBuffer of 1099511627776 bytes is over the sandbox's limit of ${SANDBOX_LIMITS.maxBufferBytes} bytes`],
    ["WebAssembly memory", `new WebAssembly.Memory({ initial: 65536 })`, `WebAssembly.Memory of 4294967296 bytes is over the sandbox's limit of ${SANDBOX_LIMITS.maxBufferBytes} bytes`],
    ["a 2 GiB string", `"x".repeat(2 ** 31)`, "Invalid string length"],
    ["a 4-billion-element array", `new Array(2 ** 32)`, "Invalid array length"],
  ])("(%s) fails the job with a RangeError, and the next jobs run normally", async ([, expression, message], { expect }) => {
    const { hostile, other } = await runThenNormal(`export function install() { return ${expression}.length; }`);
    expect(hostile).toMatchObject({ state: "error", error: { message } });
    expect(hostile.error?.stack).toMatch(/^RangeError: /);
    expect(other).toMatchObject({ state: "ok", result: 42 });
  });

  it("(an ever-growing heap) is cut off at the time limit, and the next jobs run normally", async ({ expect }) => {
    const code = `export function install() { const keep = []; for (;;) keep.push(new Array(100_000).fill(1.5)); }`;
    const { hostile, other } = await runThenNormal(code, 300);
    expect(hostile.error).toEqual({ message: "timeout after 0.3 s", timeout: true, code: "timeout" });
    expect(other).toMatchObject({ state: "ok", result: 42 });
  });
});

describe("a direct network attempt", () => {
  it("(fetch and connect) fails inside the sandbox, even to an allowed host or to localhost", async ({ expect }) => {
    const code = `import { connect } from "cloudflare:sockets";
      export async function install() {
        const out = {};
        try { out.fetch = (await fetch("https://example.com")).status; } catch (e) { out.fetch = e.message; }
        try { const socket = connect({ hostname: "example.com", port: 80 }); await socket.opened; out.connect = "opened"; } catch (e) { out.connect = e.message; }
        try { out.local = (await fetch("http://127.0.0.1:8787/")).status; } catch (e) { out.local = e.message; }
        return out;
      }`;
    const outcome = await runAction(testEnv, await request(code, { egress: ["example.com"] }));
    const denied = "This worker is not permitted to access the internet via global functions like fetch(). It must use capabilities (such as bindings in 'env') to talk to the outside world.";
    expect(outcome.result).toEqual({ fetch: denied, connect: denied, local: denied });
  });
});

describe("reaching for the cockpit's globals", () => {
  it("finds nothing of the cockpit: no bindings, no secrets, no cache, no files", async ({ expect }) => {
    const secrets = [testEnv.OAUTH_CLIENT_SECRET, testEnv.BOT_TOKEN, testEnv.BOT_WEBHOOK_SECRET].filter((s): s is string => typeof s === "string");
    expect(secrets.length).toBeGreaterThan(0);
    const code = `import { env } from "cloudflare:workers";
      import * as fs from "node:fs";
      import * as bootstrap from "./cockpit-sandbox.js";
      export async function install(job) {
        const out = {};
        out.env = Object.keys(env);
        out.processEnv = Object.keys(process.env);
        out.globals = Object.getOwnPropertyNames(globalThis).filter((k) => /^[A-Z][A-Z0-9_]+$/.test(k));
        out.bindings = ["LOADER", "FILES", "SERVICE", "REPOSITORY", "ORGANIZATION", "OAUTH_CLIENT_SECRET", "BOT_TOKEN", "COCKPIT_CONFIG"]
          .filter((k) => k in globalThis || k in env || k in process.env);
        try { out.cache = String(await caches.default.match("https://cockpit.test/")); } catch (e) { out.cache = e.message; }
        out.bundle = fs.readdirSync("/bundle").sort();
        out.root = fs.readdirSync("/").sort();
        try { out.passwd = fs.readFileSync("/bundle/../../etc/passwd", "utf8"); } catch (e) { out.passwd = e.code; }
        try { out.wrangler = fs.readFileSync("/bundle/wrangler.toml", "utf8"); } catch (e) { out.wrangler = e.code; }
        out.bootstrapExports = Object.keys(bootstrap).filter((k) => !k.startsWith("__cockpitGuard"));
        out.jobKeys = Object.keys(job).sort();
        // Everything string-valued the action can see, to be searched for secrets.
        out.dump = JSON.stringify({ env, processEnv: process.env, service: job.service, args: job.args, files: job.files.list() });
        return out;
      }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toMatchObject({
      env: [],
      processEnv: [],
      bindings: [],
      cache: "No Cache was configured",
      bundle: ["actions.js", "cockpit-sandbox.js"],
      root: ["bundle", "dev", "tmp"],
      passwd: "ENOENT",
      wrangler: "ENOENT",
      bootstrapExports: ["default"],
      jobKeys: ["args", "ask", "fetch", "files", "log", "notify", "secrets", "service", "setData"],
    });
    const everything = JSON.stringify(outcome);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it("leaves nothing behind for the jobs of other code", async ({ expect }) => {
    const spoiler = `export function install(job) {
      globalThis.stash = job.args.secret;
      JSON.stringify = () => "hijacked";
      Array.prototype.map = function () { return ["hijacked"]; };
      console.log = () => {};
    }`;
    const spoiled = await runAction(testEnv, await request(spoiler, { args: { secret: "from-another-repo" } }));
    expect(spoiled.state).toBe("ok");
    const victim = `export function install(job) { console.log("still logged"); return [typeof globalThis.stash, JSON.stringify({ a: 1 }), [1].map((x) => x + 1)]; }`;
    const outcome = await runAction(testEnv, await request(victim));
    expect(outcome.result).toEqual(["undefined", '{"a":1}', [2]]);
    expect(outcome.logs.map((l) => l.log)).toEqual(["still logged"]);
  });
});
