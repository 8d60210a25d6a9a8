import { describe, it } from "vitest";
import { runAction, SandboxRequestError } from "../../src/sandbox/index.ts";
import { request, testEnv } from "./helpers.ts";

describe("the job context", () => {
  it("shows the action its service, parent, producers and args", async ({ expect }) => {
    const code = `export function install(job) {
      const s = job.service;
      return { key: s.key, role: s.role, name: s.name, actor: s.actor, port: s.data.port,
        parent: s.parent.data.location, producer: s.producers[0].data.fingerprint, args: job.args };
    }`;
    const outcome = await runAction(testEnv, await request(code, { args: { force: true } }));
    expect(outcome).toMatchObject({ state: "ok", dataPatch: {}, resultFiles: [] });
    expect(outcome.result).toEqual({
      key: "node!main", role: "node", name: "main", actor: "node.ssh", port: 22,
      parent: "eu-west", producer: "ab:cd", args: { force: true },
    });
  });

  it("records job.log lines with their level, and console output as out and err", async ({ expect }) => {
    const code = `export function install(job) {
      job.log("starting");
      job.log("careful", "warning");
      job.log({ step: 2 }, "debug");
      console.log("stdout line", 42, { a: 1 });
      console.error(new Error("oops").message);
      console.warn("warned");
    }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.state).toBe("ok");
    expect(outcome.logs.map(({ level, category, log }) => ({ level, category, log }))).toEqual([
      { level: "info", category: "msg", log: "starting" },
      { level: "warning", category: "msg", log: "careful" },
      { level: "debug", category: "msg", log: '{"step":2}' },
      { level: "info", category: "out", log: 'stdout line 42 {"a":1}' },
      { level: "error", category: "err", log: "oops" },
      { level: "warning", category: "err", log: "warned" },
    ]);
    for (const entry of outcome.logs) expect(entry.epoch).toBeGreaterThan(Date.now() - 60_000);
  });

  it("refuses an unknown log level inside the action", async ({ expect }) => {
    const code = `export function install(job) { job.log("x", "loud"); }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.state).toBe("error");
    expect(outcome.error?.message).toBe('job.log: unknown level "loud" (use debug, info, warning or error)');
  });

  it("keeps a flood of log lines to the limit and says how many were dropped", async ({ expect }) => {
    const code = `export function install(job) { for (let i = 0; i < 1500; i++) job.log("line " + i); job.log("x".repeat(20000)); }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.state).toBe("ok");
    expect(outcome.logs).toHaveLength(1001);
    expect(outcome.logs[999]?.log).toBe("line 999");
    expect(outcome.logs[1000]?.log).toBe("501 more log lines were dropped (limit 1000 per job)");
  });

  it("returns the action's value as JSON, and undefined as null", async ({ expect }) => {
    const code = `export const install = () => ({ when: new Date(0), list: [1, "two", null] });
      export function start() {}`;
    const first = await runAction(testEnv, await request(code));
    expect(first.result).toEqual({ when: "1970-01-01T00:00:00.000Z", list: [1, "two", null] });
    const second = await runAction(testEnv, await request(code, { action: "start" }));
    expect(second).toMatchObject({ state: "ok", result: null });
  });

  it("fails a job whose value cannot be JSON", async ({ expect }) => {
    const code = `export function install() { const a = {}; a.self = a; return a; }
      export function start() { return 10n; }`;
    const cyclic = await runAction(testEnv, await request(code));
    expect(cyclic.state).toBe("error");
    expect(cyclic.error?.message).toMatch(/^the action's return value is not JSON-serialisable: .*circular/i);
    const bigint = await runAction(testEnv, await request(code, { action: "start" }));
    expect(bigint.error?.message).toMatch(/^the action's return value is not JSON-serialisable: .*BigInt/);
  });
});

describe("an action's failure", () => {
  it("fails the job with the message and the stack, as errormsg and trace lines", async ({ expect }) => {
    const code = [
      "export async function install(job) {",
      "  job.log('about to fail');",
      "  for (let i = 0; i < 2; i++) { await null; }",
      "  for (let i = 0; i < 2; i++) { throw new RangeError('disk is full'); }",
      "}",
    ].join("\n");
    const column = code.split("\n")[3]!.indexOf("new RangeError") + 1;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.state).toBe("error");
    expect(outcome.error?.message).toBe("disk is full");
    expect(outcome.error?.timeout).toBeUndefined();
    // The position is the user's own line and column, not the instrumented code's (a guard was
    // inserted before it on that line).
    expect(outcome.error?.stack).toBe(`RangeError: disk is full\n    at Module.install (actions.js:4:${column})`);
    expect(outcome.error?.stack).not.toContain("cockpit-sandbox.js");
    expect(outcome.logs.map((l) => [l.level, l.category, l.log.split("\n")[0]])).toEqual([
      ["info", "msg", "about to fail"],
      ["error", "errormsg", "disk is full"],
      ["error", "trace", "RangeError: disk is full"],
    ]);
  });

  it("reports a thrown value that is not an Error", async ({ expect }) => {
    const outcome = await runAction(testEnv, await request(`export function install() { throw { code: 7 }; }`));
    expect(outcome.error?.message).toBe('the action threw a value that is not an Error: {"code":7}');
  });

  it("keeps what the action did before it failed", async ({ expect }) => {
    const code = `export function install(job) { job.setData({ port: 8022 }); throw new Error("later"); }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome).toMatchObject({ state: "error", dataPatch: { port: 8022 } });
  });
});

describe("actions.js and its actions", () => {
  it("runs the AYS default, a no-op, for an action the module does not define", async ({ expect }) => {
    const outcome = await runAction(testEnv, await request(`export function install() { return 1; }`, { action: "monitor" }));
    expect(outcome).toMatchObject({ state: "ok", result: null, dataPatch: {} });
    expect(outcome.logs.map((l) => l.log)).toEqual(['action "monitor" is not defined in actions.js; the AYS default (a no-op) ran']);
  });

  it("fails an action name that is exported but is not a function", async ({ expect }) => {
    const code = `export const dependencies = { start: ["install"] }; export function install() {}`;
    const outcome = await runAction(testEnv, await request(code, { action: "dependencies" }));
    expect(outcome.error?.message).toBe('actions.js exports "dependencies" but it is not a function');
  });

  it("fails clearly when the module has a syntax error", async ({ expect }) => {
    const outcome = await runAction(testEnv, await request(`export function install( { return 1 }`));
    expect(outcome.state).toBe("error");
    expect(outcome.error?.message).toMatch(/^actions\.js could not be loaded: SyntaxError: /);
    const unterminated = await runAction(testEnv, await request(`export function install() {\n  return "oops;\n}`));
    expect(unterminated.error?.message).toBe("actions.js could not be loaded: SyntaxError: Unterminated string constant (line 2, column 10)");
  });

  it("fails clearly when the module throws while loading", async ({ expect }) => {
    const outcome = await runAction(testEnv, await request(`const cfg = JSON.parse("{oops"); export function install() {}`));
    expect(outcome.state).toBe("error");
    expect(outcome.error?.message).toMatch(/^actions\.js could not be loaded: SyntaxError: .*JSON/);
  });

  it("imports nothing but what the sandbox has", async ({ expect }) => {
    const outcome = await runAction(testEnv, await request(`import { x } from "./secrets.js"; export function install() { return x; }`));
    expect(outcome.state).toBe("error");
    expect(outcome.error?.message).toMatch(/^actions\.js could not be loaded: .*secrets\.js/);
  });
});

describe("a bad request", () => {
  it("is the caller's bug: runAction throws, naming the field", async ({ expect }) => {
    const good = await request(`export function install() {}`);
    await expect(runAction(testEnv, { ...good, jobKey: "../etc" })).rejects.toThrow(new SandboxRequestError('runAction: invalid jobKey "../etc"'));
    await expect(runAction(testEnv, { ...good, action: "a-b" })).rejects.toThrow('runAction: invalid action name "a-b"');
    await expect(runAction(testEnv, { ...good, timeoutMs: 0 })).rejects.toThrow(/^runAction: timeoutMs must be between 1 and/);
    await expect(runAction(testEnv, { ...good, egress: ["https://api.example.com/x"] })).rejects.toThrow(
      'runAction: egress entry "https://api.example.com/x" is not a host name (use "api.example.com" or "*.example.com", without scheme, port or path)',
    );
    await expect(runAction(testEnv, { ...good, inputFiles: [{ name: "../x", key: "k", size: 1 }] })).rejects.toThrow(/^runAction: input file: invalid file name/);
  });
});
