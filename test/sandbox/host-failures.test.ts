/**
 * A call from an action to the cockpit that fails is never dropped silently: the job fails with the
 * reason. Before, a `job.setData` over the RPC limit (32 MiB) vanished on its way and the job ended
 * ok, with the service's data unchanged.
 */
import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import { SANDBOX_LIMITS } from "../../src/sandbox/index.ts";
import { api } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

const SCHEMA = "@0xe1a2b3c4d5e6f70a;\nstruct Schema {\n  note @0 :Text;\n  port @1 :Int64 = 80;\n  other @2 :Text;\n}\n";
const NO_RETRY = "actions:\n  install:\n    max_repeats_if_failed: 0\n";
const installOf = (run: RunRecord) => run.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!;

async function runInstall(repo: string, actions: string): Promise<RunRecord> {
  await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", { schema: SCHEMA, actions, config: NO_RETRY });
  return waitForRun(repo, (await createRun(repo)).key);
}

async function serviceData(repo: string): Promise<Record<string, unknown>> {
  const res = await must(api(`/ays/repository/${repo}/service/box/a`), 200);
  return ((await res.json()) as { data: Record<string, unknown> }).data;
}

describe("host calls that fail", () => {
  it("a setData over the RPC limit fails the job with the limit, and the data stays as it was", async ({ expect }) => {
    const repo = "host-fail-big";
    const run = await runInstall(repo, `export function install(job) {
      job.setData({ port: 8080 });
      job.setData({ note: "x".repeat(33 * 1024 * 1024) });
      return "done";
    }`);
    const job = installOf(run);
    expect(job.state).toBe("error");
    expect(job.logs.map((l) => l.log).join("\n")).toContain(`setData: the patches are larger than ${SANDBOX_LIMITS.maxDataPatchBytes} bytes`);
    // What was sent before the refused patch is kept (as for any failed job); the refused one is not.
    expect(await serviceData(repo)).toMatchObject({ port: 8080, note: "" });
  });

  it("patches that only together pass the limit: the one over it throws in the action, and is not applied", async ({ expect }) => {
    const repo = "host-fail-sum";
    const half = Math.ceil(SANDBOX_LIMITS.maxDataPatchBytes / 2) + 16;
    const run = await runInstall(repo, `export function install(job) {
      job.setData({ note: "a".repeat(${half}) });
      try { job.setData({ other: "b".repeat(${half}), port: 1 }); } catch (e) { job.log("caught: " + e.message); }
      return "done";
    }`);
    const job = installOf(run);
    const log = job.logs.map((l) => l.log).join("\n");
    expect(log).toContain("caught: setData: the patches are larger than");
    // The first patch alone is within the limit and is kept; the refused one is not applied.
    expect(job.state).toBe("ok");
    const data = await serviceData(repo);
    expect(data).toMatchObject({ port: 80, other: "" });
    expect(data.note).toBe("a".repeat(half));
  });
});
