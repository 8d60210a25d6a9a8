import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import { api } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

const jobs = (run: RunRecord) => run.steps.flatMap((s) => s.jobs);

describe("GET …/aysrun/{key}/job/{job}", () => {
  it("answers one job with its log and files, and 404 for a job the run does not have", async ({ expect }) => {
    const repo = "run-job";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", {
      actions: `export async function install(job) { job.log("one"); job.log("two"); await job.files.write("out.txt", "hi", "text/plain"); }`,
    });
    const run = await waitForRun(repo, (await createRun(repo)).key);
    const install = jobs(run).find((j) => j.action === "install")!;
    const res = await must(api(`/ays/repository/${repo}/aysrun/${run.key}/job/${install.key}`), 200);
    const job = (await res.json()) as RunRecord["steps"][number]["jobs"][number] & { run: string; step: number };
    expect(job).toMatchObject({ key: install.key, run: run.key, step: 2, service: "box!a", action: "install", state: "ok" });
    expect(job.logs.map((l) => l.log)).toEqual(["one", "two"]);
    expect(job.files).toEqual([expect.objectContaining({ name: "out.txt", size: 2 })]);

    const other = await api(`/ays/repository/${repo}/aysrun/${run.key}/job/${run.key}.9.9`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ code: "not_found", error: `no job ${run.key}.9.9 in run ${run.key}` });
    expect((await api(`/ays/repository/${repo}/aysrun/run-77/job/run-77.1.1`)).status).toBe(404);
  });

  it("is described in /openapi.json", async ({ expect }) => {
    const doc = (await (await exports.default.fetch("http://cockpit.test/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/ays/repository/{repo}/aysrun/{key}/job/{job}"] ?? {})).toEqual(["get"]);
  });
});
