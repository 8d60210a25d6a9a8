import { env } from "cloudflare:workers";
import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

const SCHEMA = "@0xd1a2b3c4d5e6f708;\nstruct Schema {\n  note @0 :Text;\n}\n";

async function repoWithTemplate(repo: string, actions: string, config = "", opts: { no_exec?: boolean } = {}) {
  const created = await api("/ays/repository", { method: "POST", json: { name: repo, ...opts } });
  if (created.status !== 201) throw new Error(await created.text());
  const t = await api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "box", schema: SCHEMA, config, actions } });
  if (t.status !== 201) throw new Error(await t.text());
}

async function blueprint(repo: string, content: string) {
  const bp = await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content } });
  if (bp.status !== 201) throw new Error(await bp.text());
  const ex = await api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" });
  if (ex.status !== 200) throw new Error(await ex.text());
}

async function createRun(repo: string): Promise<RunRecord> {
  const res = await api(`/ays/repository/${repo}/aysrun`, { method: "POST" });
  if (res.status !== 200) throw new Error(await res.text());
  return (await res.json()) as RunRecord;
}

async function getRun(repo: string, key: string): Promise<RunRecord> {
  return (await (await api(`/ays/repository/${repo}/aysrun/${key}`)).json()) as RunRecord;
}

function waitFor(repo: string, key: string, done: (run: RunRecord) => boolean, timeoutMs = 15_000): Promise<RunRecord> {
  return until(() => getRun(repo, key), done, timeoutMs);
}

const ended = (run: RunRecord) => ["ok", "error", "cancelled"].includes(run.state);
const jobs = (run: RunRecord) => run.steps.flatMap((s) => s.jobs);

describe("runs that fail, time out, or lose their actors", () => {
  it("retries a failing job after the original's first delay, 10 s", async ({ expect }) => {
    await repoWithTemplate("retry10", `export function install() { throw new Error("disk full"); }`);
    await blueprint("retry10", "box__a:\nactions:\n  - action: install\n");
    const run = await createRun("retry10");
    const waiting = await waitFor("retry10", run.key, (r) => r.state === "new" && r.attempt === 1);
    const install = jobs(waiting).find((j) => j.action === "install")!;
    expect(install.state).toBe("new");
    expect(install.attempts).toBe(1);
    expect(install.logs.map((l) => l.log)).toEqual(expect.arrayContaining([expect.stringContaining("disk full"), "attempt 1 failed; retrying in 10 s"]));
    const stub = env.REPOSITORY.getByName(`${ORG}/retry10`);
    const scheduler = await stub.scheduler();
    expect(scheduler).toEqual({ status: "idle", queue_size: 1, running: null });
    // The retry waits for its time: an early alarm starts nothing.
    await runDurableObjectAlarm(stub);
    expect((await getRun("retry10", run.key)).attempt).toBe(1);
  });

  it("ends in error after the template's last attempt, with the failing job's last log lines", async ({ expect }) => {
    await repoWithTemplate(
      "retryshort",
      `export function install(job) { job.log("trying"); throw new Error("still broken"); }`,
      "retry:\n  delays: [1, 1]\n",
    );
    await blueprint("retryshort", "box__a:\nactions:\n  - action: install\n");
    const run = await createRun("retryshort");
    const done = await waitFor("retryshort", run.key, ended, 20_000);
    expect(done.state).toBe("error");
    expect(done.attempt).toBe(3);
    const install = jobs(done).find((j) => j.action === "install")!;
    expect(install.state).toBe("error");
    expect(install.attempts).toBe(3);
    expect(done.errors).toHaveLength(1);
    expect(done.errors[0]!.service).toBe("box!a");
    expect(done.errors[0]!.logs.map((l) => l.log).join("\n")).toContain("still broken");
    const service = (await (await api("/ays/repository/retryshort/service/box/a")).json()) as { actions: { name: string; state: string; error_count: number }[] };
    expect(service.actions.find((a) => a.name === "install")).toMatchObject({ state: "error", error_count: 3 });
  });

  it("follows an action's own max_repeats_if_failed and time_between_repeats", async ({ expect }) => {
    await repoWithTemplate(
      "kontorretry",
      `export function install() { throw new Error("upstream down"); }`,
      "actions:\n  install:\n    max_repeats_if_failed: 1\n    time_between_repeats: 1s\n",
    );
    await blueprint("kontorretry", "box__a:\nactions:\n  - action: install\n");
    const done = await waitFor("kontorretry", (await createRun("kontorretry")).key, ended, 20_000);
    expect(done.state).toBe("error");
    expect(done.attempt).toBe(2);
    const install = jobs(done).find((j) => j.action === "install")!;
    expect(install.attempts).toBe(2);
    expect(install.logs.map((l) => l.log)).toContain("attempt 1 failed; retrying in 1 s");
  });

  it("fails a job that runs past its timeout with 'timeout after N s'", async ({ expect }) => {
    await repoWithTemplate(
      "timeouts",
      `export async function install() { await new Promise((r) => setTimeout(r, 10_000)); }`,
      "timeouts:\n  - install: 1\nretry:\n  delays: []\n",
    );
    await blueprint("timeouts", "box__a:\nactions:\n  - action: install\n");
    const run = await createRun("timeouts");
    const done = await waitFor("timeouts", run.key, ended);
    expect(done.state).toBe("error");
    const install = jobs(done).find((j) => j.action === "install")!;
    expect(install.logs.map((l) => l.log).join("\n")).toContain("timeout after 1 s");
  });

  it("fails an action that only actions.py defines, and runs its undefined ones as the AYS default", async ({ expect }) => {
    const created = await api("/ays/repository", { method: "POST", json: { name: "python" } });
    expect(created.status).toBe(201);
    const actionsPy = "def install(job):\n    service = job.service\n\ndef monitor(job):\n    pass\n";
    const t = await api("/ays/repository/python/template", { method: "POST", json: { name: "legacy", actions_py: actionsPy, config: "retry:\n  delays: []\n" } });
    expect(t.status).toBe(201);
    expect(((await t.json()) as { code: string; actions: string[] })).toMatchObject({ code: "py", actions: expect.arrayContaining(["install", "monitor"]) });
    await blueprint("python", "legacy__old:\nactions:\n  - action: install\n");
    const done = await waitFor("python", (await createRun("python")).key, ended);
    expect(done.state).toBe("error");
    const byAction = Object.fromEntries(jobs(done).map((j) => [j.action, j]));
    expect(byAction.init!.state).toBe("ok");
    expect(byAction.install!.state).toBe("error");
    expect(byAction.install!.logs.map((l) => l.log)).toContain("actions.py cannot run; provide actions.js");
  });

  it("starts a person's queued run before a retry that is also due", async ({ expect }) => {
    const repo = "priority";
    await repoWithTemplate(
      repo,
      `export async function install(job) {
        if (job.service.name === "flaky") throw new Error("flaky");
        if (job.service.name === "slow") await new Promise((r) => setTimeout(r, 1500));
      }`,
      "retry:\n  delays: [1]\n",
    );
    const schedule = async (name: string) => {
      const bp = await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: `${name}.yaml`, content: `box__${name}:\nactions:\n  - action: install\n    service: ${name}\n` } });
      expect(bp.status).toBe(201);
      expect((await api(`/ays/repository/${repo}/blueprint/${name}.yaml`, { method: "POST" })).status).toBe(200);
    };
    await schedule("flaky");
    const retried = await createRun(repo); // fails at once, retry due in 1 s
    await waitFor(repo, retried.key, (r) => r.state === "new" && r.attempt === 1);
    await schedule("slow");
    const slow = await createRun(repo); // runs 1.5 s: the retry becomes due meanwhile
    await schedule("quick");
    const quick = await createRun(repo); // a person's run, queued behind the slow one
    expect((await getRun(repo, quick.key)).state).toBe("new");
    const quickDone = await waitFor(repo, quick.key, ended);
    const retriedDone = await waitFor(repo, retried.key, ended, 20_000);
    const slowDone = await getRun(repo, slow.key);
    const start = (run: RunRecord) => Math.min(...jobs(run).filter((j) => j.action === "install").map((j) => j.started ?? Infinity));
    const lastStart = (run: RunRecord) => Math.max(...jobs(run).filter((j) => j.action === "install").map((j) => j.started ?? 0));
    expect(slowDone.state).toBe("ok");
    expect(quickDone.state).toBe("ok");
    expect(retriedDone.attempt).toBe(2);
    // The retry was due (1 s) long before the slow run ended (1.5 s), yet the quick run went first.
    expect(start(quickDone)).toBeLessThan(lastStart(retriedDone));
    expect(lastStart(retriedDone) - retried.created).toBeGreaterThan(1000);
  });

  it("marks jobs ok without running them in no-exec mode, actions.py ones included", async ({ expect }) => {
    await repoWithTemplate("noexec", `export function install() { throw new Error("must not run"); }`, "", { no_exec: true });
    await api("/ays/repository/noexec/template", { method: "POST", json: { name: "legacy", actions_py: "def install(job):\n    pass\n" } });
    await blueprint("noexec", "box__a:\nlegacy__b:\nactions:\n  - action: install\n");
    const done = await waitFor("noexec", (await createRun("noexec")).key, ended);
    expect(done.state).toBe("ok");
    expect(jobs(done).every((j) => j.logs.some((l) => l.log.includes("no-exec mode")))).toBe(true);
  });

  it("finishes a run whose actors are evicted between steps", async ({ expect }) => {
    await repoWithTemplate("evicted", `export function install(job) { return { ran: job.service.key }; }`);
    await blueprint("evicted", "box__a:\nbox__b:\nactions:\n  - action: install\n");
    const run = await createRun("evicted");
    await waitFor("evicted", run.key, (r) => r.steps[0]!.state === "ok" || ended(r));
    await evictDurableObject(env.REPOSITORY.getByName(`${ORG}/evicted`));
    await evictDurableObject(env.SERVICE.getByName(`${ORG}/evicted/box!a`));
    const done = await waitFor("evicted", run.key, ended);
    expect(done.state).toBe("ok");
    expect(jobs(done).map((j) => `${j.service} ${j.action} ${j.state}`).sort()).toEqual([
      "box!a init ok",
      "box!a install ok",
      "box!b init ok",
      "box!b install ok",
    ]);
  });

  it("finishes a run whose actors are killed while a job runs, the job's execution going on, and runs no job again", async ({ expect }) => {
    const actions = `
      export async function install(job) {
        job.log("install " + job.service.key);
        if (job.service.name === "slow") await new Promise((r) => setTimeout(r, 1000));
        return { ran: job.service.key };
      }`;
    await repoWithTemplate("killed", actions);
    await blueprint("killed", "box__fast:\nbox__slow:\nactions:\n  - action: install\n");
    const run = await createRun("killed");
    // Stubs break for good when their object dies, so each use gets a fresh one.
    const repo = () => env.REPOSITORY.getByName(`${ORG}/killed`);
    const fast = () => env.SERVICE.getByName(`${ORG}/killed/box!fast`);
    const slow = () => env.SERVICE.getByName(`${ORG}/killed/box!slow`);
    const installOf = async (stub: ReturnType<typeof fast>) => ((await stub.jobs()) as unknown as JobView[]).filter((j) => j.action === "install");
    await until(
      async () => [await installOf(fast()), await installOf(slow())] as const,
      ([f, sl]) => f.some((j) => j.state === "ok") && sl.some((j) => j.state === "running"),
      10_000,
      10,
    );
    // Every Durable Object dies at once, the slow job's code mid-flight: a crash, not a graceful
    // eviction. The code runs in the job's Workflow instance, not in the ServiceActor, so it goes on
    // and hands its outcome to the restarted actor. Alarms the crash cut off are fired rather than waited for.
    await abortAllDurableObjects();
    await runDurableObjectAlarm(slow());
    await runDurableObjectAlarm(repo());
    const done = await waitFor("killed", run.key, ended);
    expect(done.state).toBe("ok");
    const slowInstall = jobs(done).find((j) => j.service === "box!slow" && j.action === "install")!;
    expect(slowInstall.logs.map((l) => l.log)).toEqual(["install box!slow"]);
    const slowInstalls = await installOf(slow());
    expect(slowInstalls).toHaveLength(1);
    expect(slowInstalls[0]).toMatchObject({ state: "ok", result: { ran: "box!slow" } });
    const fastInstalls = await installOf(fast());
    expect(fastInstalls).toHaveLength(1);
    expect(fastInstalls[0]!.logs.map((l) => l.log)).toEqual(["install box!fast"]);
    const fastRunJob = jobs(done).find((j) => j.service === "box!fast" && j.action === "install")!;
    expect(fastRunJob.logs.filter((l) => l.log === "install box!fast")).toHaveLength(1);
  });
});
