/**
 * Whatever an action throws is reported as the action's failure. Before, throwing a Proxy whose traps
 * throw was reported as "actions.js could not be loaded".
 */
import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import { createRun, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

const NO_RETRY = "actions:\n  install:\n    max_repeats_if_failed: 0\n";
const installOf = (run: RunRecord) => run.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!;

describe("a thrown value", () => {
  it.for<[string, string, string]>([
    ["a Proxy whose traps throw", "throw new Proxy({}, { getPrototypeOf() { throw new Error('trap'); }, get() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });",
      "the action threw a value that cannot be read (reading it threw again)"],
    ["an Error whose message getter throws", "const e = new Error('x'); Object.defineProperty(e, 'message', { get() { throw new Error('getter'); } }); throw e;",
      "the action threw a value that cannot be read (reading it threw again)"],
    ["a plain object", "throw { reason: 'disk full' };", 'the action threw a value that is not an Error: {"reason":"disk full"}'],
  ])("(%s) fails the job as the action's own failure", async ([, statement, message], { expect }) => {
    const repo = `thrown-${Math.random().toString(36).slice(2, 8)}`;
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", { actions: `export function install() { ${statement} }`, config: NO_RETRY });
    const run = await waitForRun(repo, (await createRun(repo)).key);
    const job = installOf(run);
    expect(job.state).toBe("error");
    const log = job.logs.map((l) => l.log);
    expect(log).toContain(message);
    expect(log.join("\n")).not.toContain("could not be loaded");
  });
});
