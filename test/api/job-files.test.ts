import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import { api } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

const REPO = "kontor";

function upload(files: Record<string, string>): FormData {
  const form = new FormData();
  for (const [name, content] of Object.entries(files)) form.append("file", new File([content], name, { type: "text/csv" }));
  return form;
}

describe("files in, files out", () => {
  it("hands uploaded files to the action's next job, and lists and serves its input and result files", async ({ expect }) => {
    await api("/ays/repository", { method: "POST", json: { name: REPO } });
    await api(`/ays/repository/${REPO}/template`, {
      method: "POST",
      json: {
        name: "procedure",
        actions: `export async function process(job) {
          const rows = (await job.files.read("input.csv")).trim().split("\\n");
          await job.files.write("report.txt", rows.length + " rows", "text/plain");
        }`,
      },
    });
    await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "p.yaml", content: "procedure__monthly:\n" } });
    await api(`/ays/repository/${REPO}/blueprint/p.yaml`, { method: "POST" });

    const scheduled = await api(`/ays/repository/${REPO}/service/procedure/monthly/action/process`, { method: "POST", body: upload({ "input.csv": "a,1\nb,2\nc,3\n" }) });
    expect(scheduled.status, await scheduled.clone().text()).toBe(200);
    const created = (await (await api(`/ays/repository/${REPO}/aysrun`, { method: "POST" })).json()) as RunRecord;
    const run = await until(
      async () => (await (await api(`/ays/repository/${REPO}/aysrun/${created.key}`)).json()) as RunRecord,
      (r) => r.state === "ok" || r.state === "error",
    );
    expect(run.state).toBe("ok");
    const job = run.steps.flatMap((s) => s.jobs).find((j) => j.action === "process")!;
    expect(job.inputs?.map((f) => [f.name, f.size])).toEqual([["input.csv", 12]]);
    expect(job.files.map((f) => [f.name, f.size])).toEqual([["report.txt", 6]]);
    const input = await api(`/ays/files/${encodeURIComponent(job.inputs![0]!.key)}`);
    expect(await input.text()).toBe("a,1\nb,2\nc,3\n");
    const report = await api(`/ays/files/${encodeURIComponent(job.files[0]!.key)}`);
    expect(await report.text()).toBe("3 rows");

    // A re-run hands the repeated job the same input files (the upload was spent by the first run).
    const again = (await (await api(`/ays/repository/${REPO}/aysrun/${run.key}/rerun`, { method: "POST" })).json()) as RunRecord;
    const rerun = await until(
      async () => (await (await api(`/ays/repository/${REPO}/aysrun/${again.key}`)).json()) as RunRecord,
      (r) => r.state === "ok" || r.state === "error",
    );
    const repeated = rerun.steps.flatMap((s) => s.jobs).find((j) => j.action === "process")!;
    expect(rerun.state, JSON.stringify(repeated.logs)).toBe("ok");
    expect(repeated.inputs).toEqual(job.inputs);
    expect(await (await api(`/ays/files/${encodeURIComponent(repeated.files[0]!.key)}`)).text()).toBe("3 rows");
  });

  it("refuses a bad file name or an unknown action, storing nothing", async ({ expect }) => {
    const before = (await env.FILES.list({ prefix: "uploads/" })).objects.length;
    const badName = await api(`/ays/repository/${REPO}/service/procedure/monthly/action/process`, { method: "POST", body: upload({ "../evil.sh": "x" }) });
    expect(badName.status).toBe(400);
    expect(((await badName.json()) as { error: string }).error).toMatch(/invalid file name/);
    const unknown = await api(`/ays/repository/${REPO}/service/procedure/monthly/action/nope`, { method: "POST", body: upload({ "data.csv": "x" }) });
    expect(unknown.status).toBe(404);
    expect((await env.FILES.list({ prefix: "uploads/" })).objects.length).toBe(before);
  });
});
