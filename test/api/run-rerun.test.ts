import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import type { ServiceView } from "../../src/actors/repository/views.ts";
import { api, mintToken, ORG } from "../helpers/auth.ts";
import { createRun, getRun, must, repoWithBlueprint, shape, waitForRun } from "../helpers/runs.ts";
import { until } from "../helpers/until.ts";

const LOGGING = `export async function install(job) { job.log("installed " + job.service.key); }`;
const SLOW = `export async function install(job) { job.log("starting"); await new Promise((r) => setTimeout(r, 1500)); job.log("done"); }`;

const rerun = (repo: string, key: string, init: RequestInit = {}) => api(`/ays/repository/${repo}/aysrun/${key}/rerun`, { method: "POST", ...init });
const runCount = async (repo: string) => ((await (await api(`/ays/repository/${repo}/aysrun`)).json()) as { runs: unknown[] }).runs.length;
const jobs = (run: RunRecord) => run.steps.flatMap((s) => s.jobs);
const installState = async (repo: string, name: string) =>
  ((await (await api(`/ays/repository/${repo}/service/box/${name}`)).json()) as ServiceView).actions.find((a) => a.name === "install")!.state;

describe("POST …/aysrun/{key}/rerun", () => {
  it("makes a new run with the same jobs and runs them again, though their actions are ok", async ({ expect }) => {
    const repo = "rerun-real";
    await repoWithBlueprint(repo, "box__a:\nbox__b:\nactions:\n  - action: install\n", { actions: LOGGING });
    const first = await waitForRun(repo, (await createRun(repo)).key);
    expect(first.state).toBe("ok");
    expect(await installState(repo, "a")).toBe("ok");

    const res = await must(rerun(repo, first.key), 200);
    const again = (await res.json()) as RunRecord;
    expect(again.key).not.toBe(first.key);
    expect(again).toMatchObject({ rerun_of: first.key, simulate: false, by: "alice" });
    expect(shape(again)).toEqual(shape(first));
    const done = await waitForRun(repo, again.key);
    expect(done.state).toBe("ok");
    // Executed again, not skipped as "already ok".
    for (const job of jobs(done)) expect(job.logs.map((l) => l.log).join("\n")).not.toContain("already ok");
    const installs = jobs(done).filter((j) => j.action === "install");
    expect(installs.map((j) => j.logs.map((l) => l.log))).toEqual([["installed box!a"], ["installed box!b"]]);
    expect(installs.every((j) => j.attempts === 1 && j.started! >= first.steps[1]!.jobs[0]!.ended!)).toBe(true);

    const audit = await until(
      async () => (await (await api(`/ays/events?repo=${repo}&type=run.created`)).json()) as { events: { message: string; data: unknown }[] },
      (p) => p.events.length === 2,
    );
    expect(audit.events[1]).toMatchObject({ message: `run ${again.key} created as a re-run of ${first.key}`, data: { rerun_of: first.key } });
  });

  it("re-runs a simulated run as a simulated run, which changes nothing until it is started", async ({ expect }) => {
    const repo = "rerun-sim";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", { actions: LOGGING });
    const planned = await createRun(repo, true);
    // A planned run that has not ended cannot be re-run; cancelled, it can.
    const early = await rerun(repo, planned.key);
    expect(early.status).toBe(409);
    expect(await early.json()).toEqual({ code: "not_ended", error: expect.stringContaining(`run ${planned.key} has not ended`) });
    await must(api(`/ays/repository/${repo}/aysrun/${planned.key}`, { method: "DELETE" }), 200);

    const again = (await (await must(rerun(repo, planned.key), 200)).json()) as RunRecord;
    expect(again).toMatchObject({ state: "new", simulate: true, rerun_of: planned.key, attempt: 0 });
    expect(shape(again)).toEqual(shape(planned));
    await new Promise((r) => setTimeout(r, 300));
    expect((await getRun(repo, again.key)).state).toBe("new");
    expect(await env.REPOSITORY.getByName(`${ORG}/${repo}`).scheduler()).toEqual({ status: "idle", queue_size: 0, running: null });
    expect(await installState(repo, "a")).toBe("scheduled");

    await must(api(`/ays/repository/${repo}/aysrun/${again.key}`, { method: "POST" }), 200);
    const done = await waitForRun(repo, again.key);
    expect(done.state).toBe("ok");
    expect(jobs(done).find((j) => j.action === "install")!.logs.map((l) => l.log)).toEqual(["installed box!a"]);
  });

  it("refuses a run still running (409 with the reason) and an unknown one (404)", async ({ expect }) => {
    const repo = "rerun-busy";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", { actions: SLOW });
    const run = await createRun(repo);
    await waitForRun(repo, run.key, (r) => r.state === "running" && jobs(r).some((j) => j.action === "install" && j.state === "running"));
    const busy = await rerun(repo, run.key);
    expect(busy.status).toBe(409);
    expect(await busy.json()).toEqual({ code: "not_ended", error: `run ${run.key} is still running; re-run it once it has ended` });
    expect(await runCount(repo)).toBe(1);

    const missing = await rerun(repo, "run-999");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: "not_found", error: "no run run-999 in this repository" });
    expect((await rerun("no-such-repo", "run-1")).status).toBe(404);
    expect((await waitForRun(repo, run.key)).state).toBe("ok");
  });

  it("refuses to re-run jobs whose service is gone, and stores nothing", async ({ expect }) => {
    const repo = "rerun-gone";
    await repoWithBlueprint(repo, "box__a:\nbox__b:\nactions:\n  - action: install\n", { actions: LOGGING });
    const run = await waitForRun(repo, (await createRun(repo)).key);
    await must(api(`/ays/repository/${repo}/service/box/b`, { method: "DELETE" }), 200);
    const res = await rerun(repo, run.key);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ code: "gone", error: `cannot re-run ${run.key}: box!b init, box!b install no longer exist` });
    expect(await runCount(repo)).toBe(1);
  });

  it("takes the console's session cookie only from the cockpit's own pages", async ({ expect }) => {
    const repo = "rerun-csrf";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", { actions: LOGGING });
    const run = await waitForRun(repo, (await createRun(repo)).key);
    const post = async (origin: string) =>
      exports.default.fetch(
        new Request(`http://cockpit.test/ays/repository/${repo}/aysrun/${run.key}/rerun`, {
          method: "POST",
          headers: { cookie: `jwt=${await mintToken()}`, origin },
        }),
      );
    const foreign = await post("http://evil.test");
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { code: string }).code).toBe("csrf");
    expect(await runCount(repo)).toBe(1);
    const own = await post("http://cockpit.test");
    expect(own.status).toBe(200);
    expect(((await own.json()) as RunRecord).rerun_of).toBe(run.key);
  });

  it("is described in /openapi.json", async ({ expect }) => {
    const doc = (await (await exports.default.fetch("http://cockpit.test/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/ays/repository/{repo}/aysrun/{key}/rerun"] ?? {})).toEqual(["post"]);
  });
});
