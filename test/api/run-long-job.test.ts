/**
 * Jobs that run longer than one alarm handler may live. On Cloudflare an alarm handler gets 15
 * minutes of wall time and a job's timeout may be 6 hours; the worker project makes that limit 3 s
 * (`[jobs] handler_wall_ms` in vitest.config.ts), enforced as the platform enforces it: the
 * ServiceActor is reset when its alarm handler runs past it. A job's code runs in its own Workflow
 * instance (src/actors/service/workflow.ts), so a job of twice that length ends ok, run once.
 */
import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, it, type ExpectStatic } from "vitest";
import { configFromBindings } from "../../src/config/index.ts";
import { executionInstanceId, executionTag } from "../../src/actors/service/execution.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import type { RunRecord } from "../../src/runs/model.ts";
import { api, ORG } from "../helpers/auth.ts";
import { createRun, getRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";
import { until } from "../helpers/until.ts";

const LIMIT_MS = configFromBindings(env).jobs.handler_wall_ms!;
/** Twice the handler's wall time: no single invocation of the old path could have held it. */
const LONG_MS = 2 * LIMIT_MS;
const LONG_INSTALL = `export async function install(job) {
  job.log("begin");
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ${LONG_MS}));
  job.log("end");
  return { slept: Date.now() - t0 };
}`;
const BLUEPRINT = "box__a:\nactions:\n  - action: install\n";

// Stubs break for good when their object dies, so each use gets a fresh one.
const service = (repo: string) => env.SERVICE.getByName(`${ORG}/${repo}/box!a`);
const install = (run: RunRecord) => run.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!;
const installRows = async (repo: string) => ((await service(repo).jobs()) as unknown as JobView[]).filter((j) => j.action === "install");
const starts = (repo: string) =>
  runInDurableObject(service(repo), (_instance, state) => state.storage.sql.exec<{ starts: number }>("SELECT starts FROM jobs WHERE action = 'install'").one().starts);

/** Waits until the install job's code has begun (its first line is in the run's live log). */
async function begun(repo: string, runKey: string): Promise<void> {
  await until(() => getRun(repo, runKey), (r) => install(r).logs.some((l) => l.log === "begin"), 10_000, 20);
}

/** The job ran to its end exactly once: one execution, both lines once, no interruption. */
async function endedOnce(expect: ExpectStatic, repo: string, runKey: string): Promise<void> {
  const done = await waitForRun(repo, runKey, undefined, 30_000);
  expect(done.state).toBe("ok");
  expect(done.attempt).toBe(1);
  const job = install(done);
  expect(job.state).toBe("ok");
  expect(job.logs.map((l) => l.log)).toEqual(["begin", "end"]);
  const rows = await installRows(repo);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.state).toBe("ok");
  expect((rows[0]!.result as { slept: number }).slept).toBeGreaterThanOrEqual(LONG_MS - 50);
  expect(rows[0]!.ended! - rows[0]!.started!).toBeGreaterThan(LIMIT_MS);
  expect(await starts(repo)).toBe(1);
}

describe("a job longer than one alarm handler's wall time", () => {
  it("is bounded by the injected handler wall time: an alarm handler that runs past it is cut off", async ({ expect }) => {
    expect(LIMIT_MS).toBeGreaterThan(0);
    // What the old path did with a job's code: hold the alarm handler for as long as the code ran.
    const held = runInDurableObject(service("heldalarm"), async (instance) => {
      (instance as unknown as { queueDueRecurring(): Promise<void> }).queueDueRecurring = () => new Promise((r) => setTimeout(r, LONG_MS));
      await instance.alarm();
    });
    await expect(held).rejects.toThrow(/alarm handler ran past its wall time \(3000 ms/);
  });

  it("ends ok, run exactly once", async ({ expect }) => {
    const repo = "longjob";
    await repoWithBlueprint(repo, BLUEPRINT, { actions: LONG_INSTALL });
    const run = await createRun(repo);
    await endedOnce(expect, repo, run.key);
  });

  it("loses nothing when every actor is killed in the middle of it", async ({ expect }) => {
    const repo = "longjobkilled";
    await repoWithBlueprint(repo, BLUEPRINT, { actions: LONG_INSTALL });
    const run = await createRun(repo);
    await begun(repo, run.key);
    // Every Durable Object dies at once, mid-job; the code goes on in its Workflow instance and
    // hands its outcome to the restarted ServiceActor, which reports it to the restarted repository.
    await abortAllDurableObjects();
    await endedOnce(expect, repo, run.key);
    // Nothing is left for an alarm to do.
    await runDurableObjectAlarm(service(repo));
    expect(await starts(repo)).toBe(1);
    expect((await installRows(repo))[0]!.state).toBe("ok");
  });

  it("stops its execution when its run is cancelled", async ({ expect }) => {
    const repo = "longjobcancel";
    await repoWithBlueprint(repo, BLUEPRINT, { actions: LONG_INSTALL });
    const run = await createRun(repo);
    await begun(repo, run.key);
    const row = await runInDurableObject(service(repo), (_instance, state) =>
      state.storage.sql.exec<{ key: string; attempt: number; starts: number; started: number }>("SELECT key, attempt, starts, started FROM jobs WHERE action = 'install'").one(),
    );
    const instance = await env.JOB_EXECUTIONS.get(await executionInstanceId(`${ORG}/${repo}/box!a`, row.key, row.attempt, executionTag(row)));
    expect((await instance.status()).status).toBe("running");
    await must(api(`/ays/repository/${repo}/aysrun/${run.key}`, { method: "DELETE" }), 200);
    expect((await instance.status()).status).toBe("terminated");
    const rows = await installRows(repo);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state).toBe("error");
    expect(rows[0]!.logs.map((l) => l.log)).toEqual(["cancelled: its run was cancelled"]);
  });
});
