/**
 * The CPU budget of a job (`[jobs] cpu_ms`). Production hands it to the Worker Loader; local workerd
 * does not enforce it and runs every isolate on one thread, so a CPU-bound action held the whole
 * cockpit for its wall-clock timeout (3000 s by default). The guard now stops code that computes for
 * longer than the budget without waiting, whatever the timeout; waiting jobs are not affected.
 */
import { describe, it } from "vitest";
import { runAction } from "../../src/sandbox/index.ts";
import { request, testEnv } from "./helpers.ts";

const CPU = "CPU limit: the action used its 0.3 s of CPU time ([jobs] cpu_ms), computing without waiting for anything";

describe("the CPU budget", () => {
  it.for<[string, string]>([
    ["a busy loop", `export function install() { while (true) {} }`],
    ["a loop that catches the error and loops again", `export function install() { for (;;) { try { while (true) {} } catch {} } }`],
    ["an await loop that never lets a timer fire", `export async function install() { while (true) await null; }`],
    ["a busy loop after some waiting", `export async function install() { await new Promise((r) => setTimeout(r, 50)); for (;;); }`],
  ])("stops %s long before the job's timeout, and the next job runs normally", async ([, code], { expect }) => {
    const started = Date.now();
    const outcome = await runAction(testEnv, await request(code, { timeoutMs: 60_000, cpuMs: 300 }));
    const elapsed = Date.now() - started;
    expect(outcome).toMatchObject({ state: "error", error: { message: CPU, timeout: true, code: "timeout" } });
    expect(elapsed).toBeLessThan(5_000);
    const next = await runAction(testEnv, await request(`export function install() { return "next"; }`));
    expect(next).toMatchObject({ state: "ok", result: "next" });
  });

  it("lets a job that waits run past its CPU budget, with short bursts of work between the waits", async ({ expect }) => {
    const code = `export async function install(job) {
      let rounds = 0;
      const until = Date.now() + 900;
      while (Date.now() < until) {
        const burst = Date.now() + 100;
        while (Date.now() < burst) {}
        await new Promise((r) => setTimeout(r, 20));
        rounds++;
      }
      return rounds;
    }`;
    const outcome = await runAction(testEnv, await request(code, { timeoutMs: 10_000, cpuMs: 300 }));
    expect(outcome.error).toBeUndefined();
    expect(outcome).toMatchObject({ state: "ok" });
    expect(outcome.result).toBeGreaterThan(3);
  });

  it("is refused outside 1 ms to 5 minutes", async ({ expect }) => {
    await expect(runAction(testEnv, await request("export function install() {}", { cpuMs: 0 }))).rejects.toThrow(/cpuMs must be an integer between 1 and 300000/);
    await expect(runAction(testEnv, await request("export function install() {}", { cpuMs: 300_001 }))).rejects.toThrow(/cpuMs must be/);
  });
});
