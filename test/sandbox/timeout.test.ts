import { afterEach, describe, it, vi } from "vitest";
import { runAction } from "../../src/sandbox/index.ts";
import { request, testEnv } from "./helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a job over its time limit", () => {
  it("returns at the limit with a timeout error and a log line, keeping what it logged before", async ({ expect }) => {
    const code = `export async function install(job) {
      job.log("waiting");
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      job.log("never");
    }`;
    const started = Date.now();
    const outcome = await runAction(testEnv, await request(code, { timeoutMs: 300 }));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(2500);
    expect(outcome).toMatchObject({ state: "error", result: null, error: { message: "timeout after 0.3 s", timeout: true } });
    expect(outcome.logs.map((l) => [l.level, l.category, l.log])).toEqual([
      ["info", "msg", "waiting"],
      ["error", "errormsg", "timeout after 0.3 s"],
    ]);
  });

  it("returns at the limit while a request of the action hangs", async ({ expect }) => {
    vi.spyOn(globalThis, "fetch").mockImplementation(() => new Promise<Response>(() => {}));
    const code = `export async function install(job) { await job.fetch("https://api.example.com/slow"); }`;
    const started = Date.now();
    const outcome = await runAction(testEnv, await request(code, { timeoutMs: 400, egress: ["api.example.com"] }));
    expect(Date.now() - started).toBeLessThan(2500);
    expect(outcome.error).toEqual({ message: "timeout after 0.4 s", timeout: true, code: "timeout" });
  });

  it("can no longer write files, data or logs once the limit has passed", async ({ expect }) => {
    const code = `export async function install(job) {
      await new Promise((resolve) => setTimeout(resolve, 600));
      job.log("late line");
      job.setData({ port: 1 });
      await job.files.write("late.txt", "too late");
    }`;
    const req = await request(code, { timeoutMs: 200 });
    const outcome = await runAction(testEnv, req);
    expect(outcome.error?.timeout).toBe(true);
    // Let the action run on past its deadline, then check that nothing it did was kept.
    await sleep(1000);
    expect(outcome.logs.map((l) => l.log)).toEqual(["timeout after 0.2 s"]);
    expect(outcome.dataPatch).toEqual({});
    expect(outcome.resultFiles).toEqual([]);
    expect((await testEnv.FILES.list({ prefix: `jobs/${req.jobKey}/` })).objects).toEqual([]);
  });

  it("is told apart from an action that can never finish", async ({ expect }) => {
    const code = `export async function install() { await new Promise(() => {}); }`;
    const outcome = await runAction(testEnv, await request(code, { timeoutMs: 5000 }));
    expect(outcome).toMatchObject({ state: "error", error: { message: "the action can never finish: it awaits a promise that nothing will settle" } });
  });
});
