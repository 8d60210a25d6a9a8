import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";
import { blueprintFile, templateFolders } from "../ays/samples.ts";
import type { RunRecord } from "../../src/runs/model.ts";

/** Every action logs what it does, so the run view shows the order the jobs really ran in. */
const ACTIONS_JS = `
export async function init(job) { job.log("init " + job.service.key); }
export async function install(job) {
  job.log("install " + job.service.key + " after " + job.service.producers.map((p) => p.key).join(","));
  await job.files.write("report.txt", "installed " + job.service.key, "text/plain");
  return { installed: job.service.key };
}
export async function stop(job) { job.log("stop " + job.service.key); }
`;

function sampleTemplate(name: string) {
  const folder = templateFolders().find((f) => f.name === name);
  if (!folder) throw new Error(`no sample template ${name}`);
  return { name, config: folder.files.config, schema: folder.files.schema, actions: ACTIONS_JS };
}

function waitForRun(repo: string, key: string): Promise<RunRecord> {
  const ended = (run: RunRecord) => run.state === "ok" || run.state === "error" || run.state === "cancelled";
  return until(async () => (await (await api(`/ays/repository/${repo}/aysrun/${key}`)).json()) as RunRecord, ended, 15_000);
}

const order = (run: RunRecord) => run.steps.map((s) => s.jobs.map((j) => `${j.service} ${j.action}`).sort());

describe("a repository from creation to a finished run", () => {
  it("creates, executes bp06, installs in dependency order, then stops in reverse", async ({ expect }) => {
    const repo = "lifecycle";
    expect((await api("/ays/repository", { method: "POST", json: { name: repo } })).status).toBe(201);

    for (const name of ["datacenter", "repo2_template1", "repo2_template2"]) {
      const res = await api(`/ays/repository/${repo}/template`, { method: "POST", json: sampleTemplate(name) });
      expect(res.status, await res.clone().text()).toBe(201);
    }

    const bp = blueprintFile("bp06");
    expect((await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: bp })).status).toBe(201);
    const executed = await api(`/ays/repository/${repo}/blueprint/${bp.name}`, { method: "POST" });
    expect(executed.status).toBe(200);
    expect(((await executed.json()) as { msg: string }).msg).toContain("3 services created");

    const created = await api(`/ays/repository/${repo}/aysrun`, { method: "POST" });
    expect(created.status).toBe(200);
    const install = await waitForRun(repo, ((await created.json()) as RunRecord).key);
    expect(install.state).toBe("ok");
    expect(order(install)).toEqual([
      ["datacenter!instance init"],
      ["datacenter!instance install", "repo2_template1!instance init"],
      ["repo2_template1!instance install", "repo2_template2!instance init"],
      ["repo2_template2!instance install"],
    ]);
    const last = install.steps[3]!.jobs[0]!;
    expect(last.logs.map((l) => l.log)).toContain("install repo2_template2!instance after repo2_template1!instance");
    expect(last.result).toEqual({ installed: "repo2_template2!instance" });
    expect(last.files).toEqual([{ name: "report.txt", key: expect.stringMatching(/^jobs\/.+\/out\/report\.txt$/), size: 34, contentType: "text/plain" }]);
    expect(await (await env.FILES.get(last.files[0]!.key))!.text()).toBe("installed repo2_template2!instance");

    const service = (await (await api(`/ays/repository/${repo}/service/datacenter/instance`)).json()) as {
      state: string;
      consumers: string[];
      actions: { name: string; state: string }[];
    };
    expect(service.state).toBe("ok");
    expect(service.consumers).toEqual(["repo2_template1!instance"]);
    expect(service.actions.find((a) => a.name === "install")?.state).toBe("ok");

    const stop = await api(`/ays/repository/${repo}/service/datacenter/instance/action/stop`, { method: "POST" });
    expect(stop.status).toBe(200);
    const stopRun = await api(`/ays/repository/${repo}/aysrun`, { method: "POST" });
    const stopped = await waitForRun(repo, ((await stopRun.json()) as RunRecord).key);
    expect(stopped.state).toBe("ok");
    expect(order(stopped)).toEqual([
      ["repo2_template2!instance stop"],
      ["repo2_template1!instance stop"],
      ["datacenter!instance stop"],
    ]);
  });
});
