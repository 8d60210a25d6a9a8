/**
 * A job whose runtime dies under it (an action that exhausts memory kills workerd; in production any
 * crash mid-job). workerd cannot be killed from a test, so each crash is the job's execution (its
 * JobExecution Workflow instance) terminated while the action's code runs, and
 * `abortAllDurableObjects()` at once: every object dies and comes back from its storage, the job's
 * row `running` with an execution that ended without an outcome, as after a real crash. What brings
 * it back is an alarm.
 */
import { env } from "cloudflare:workers";
import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { executionInstanceId, executionTag } from "../../src/actors/service/execution.ts";
import { beforeVersions } from "../helpers/storage.ts";
import { api, ORG } from "../helpers/auth.ts";
import { createRun, getRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";
import { until } from "../helpers/until.ts";

/** Long enough to be killed mid-flight; a job that ran to its end would be `ok`. */
const SLOW_INSTALL = `export async function install(job) { job.log("install started"); await new Promise((r) => setTimeout(r, 3000)); }`;
const BLUEPRINT = "box__a:\nactions:\n  - action: install\n";

// Stubs break for good when their object dies, so each use gets a fresh one.
const service = (repo: string) => env.SERVICE.getByName(`${ORG}/${repo}/box!a`);
const installs = async (repo: string) => ((await service(repo).jobs()) as unknown as JobView[]).filter((j) => j.action === "install");
const install = (run: RunRecord) => run.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!;

/** Waits until the install job's code runs (a new execution, started after `after`), then crashes everything, the execution too. */
async function crashWhileRunning(repo: string, after = 0, crash = 1): Promise<JobView> {
  const [running] = await until(
    () => installs(repo),
    (rows) => rows.some((j) => j.state === "running" && (j.started ?? 0) > after),
    10_000,
    10,
  );
  const row = await runInDurableObject(service(repo), (_instance, state) =>
    state.storage.sql.exec<{ key: string; attempt: number; starts: number; started: number }>("SELECT key, attempt, starts, started FROM jobs WHERE action = 'install'").one(),
  );
  const id = await executionInstanceId(`${ORG}/${repo}/box!a`, row.key, row.attempt, executionTag(row));
  // The action's code is running (this execution's first line is in the run's live log) when its runtime dies.
  await until(() => getRun(repo, running!.run), (r) => install(r).logs.filter((l) => l.log === "install started").length >= crash, 10_000, 10);
  await (await env.JOB_EXECUTIONS.get(id)).terminate();
  await abortAllDurableObjects();
  return running!;
}

/**
 * The platform may retry the alarm the crash cut off by itself, and so resume the job before the
 * request that stops it: such an execution runs to its end (3 s) and must change nothing. Then the
 * alarm, if one is left, fires.
 */
async function settleAndAlarm(repo: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 3500));
  await runDurableObjectAlarm(service(repo));
}

describe("a job whose runtime dies under it", () => {
  it("runs again a bounded number of times, then fails with 'interrupted 3 times' and the run does not retry it", async ({ expect }) => {
    const repo = "crashloop";
    await repoWithBlueprint(repo, BLUEPRINT, { actions: SLOW_INSTALL });
    const run = await createRun(repo);
    let last = await crashWhileRunning(repo);
    for (let crash = 2; crash <= 3; crash++) {
      // The restarted runtime's alarm resumes the job; it dies again. (The alarm dies with it.)
      void runDurableObjectAlarm(service(repo)).catch(() => false);
      last = await crashWhileRunning(repo, last.started!, crash);
    }
    // The third restart: the job is not run a fourth time, it fails, and the run sees the failure.
    await runDurableObjectAlarm(service(repo)).catch(() => false);
    await runDurableObjectAlarm(env.REPOSITORY.getByName(`${ORG}/${repo}`)).catch(() => false);
    const done = await waitForRun(repo, run.key);
    expect(done.state).toBe("error");
    expect(done.attempt).toBe(1);
    const job = install(done);
    expect(job.state).toBe("error");
    expect(job.error_code).toBe("interrupted");
    const lines = job.logs.map((l) => l.log);
    expect(lines).toContain("interrupted 3 times (the runtime died: memory?)");
    expect(lines.some((l) => l.startsWith("not retried:"))).toBe(true);
    expect(done.errors[0]!.logs.map((l) => l.log)).toContain("interrupted 3 times (the runtime died: memory?)");
    const rows = await installs(repo);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: "error", started: last.started });
    // Nothing is left for the alarm to run.
    await runDurableObjectAlarm(service(repo));
    expect((await installs(repo))[0]).toMatchObject({ state: "error", started: last.started });
  });

  it("is not run again once its run is cancelled", async ({ expect }) => {
    const repo = "crashcancel";
    await repoWithBlueprint(repo, BLUEPRINT, { actions: SLOW_INSTALL });
    const run = await createRun(repo);
    await crashWhileRunning(repo);
    const cancelled = (await (await must(api(`/ays/repository/${repo}/aysrun/${run.key}`, { method: "DELETE" }), 200)).json()) as RunRecord;
    expect(cancelled.state).toBe("cancelled");
    expect(install(cancelled).state).toBe("cancelled");
    await settleAndAlarm(repo);
    const rows = await installs(repo);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state).toBe("error");
    expect(rows[0]!.logs.map((l) => l.log)).toContain("cancelled: its run was cancelled");
    const after = await getRun(repo, run.key);
    expect(after.state).toBe("cancelled");
    expect(install(after).state).toBe("cancelled");
    // The cancelled job leaves its action to be run again, not `running` for ever.
    const box = (await (await must(api(`/ays/repository/${repo}/service/box/a`), 200)).json()) as { actions: { name: string; state: string }[] };
    expect(box.actions.find((a) => a.name === "install")!.state).toBe("scheduled");
  });

  it("is not run again once its repository is deleted", async ({ expect }) => {
    const repo = "crashdelete";
    await repoWithBlueprint(repo, BLUEPRINT, { actions: SLOW_INSTALL });
    await createRun(repo);
    await crashWhileRunning(repo);
    await must(api(`/ays/repository/${repo}`, { method: "DELETE" }), 204);
    // The repository's ServiceActors are deleted with it: no alarm to run the job again, no row left.
    expect(await runInDurableObject(service(repo), (_instance, state) => state.storage.getAlarm())).toBeNull();
    await new Promise((r) => setTimeout(r, 3500));
    expect(await runDurableObjectAlarm(service(repo))).toBe(false);
    expect(await installs(repo)).toEqual([]);
  });

  it("counts a job found running in a jobs table stored before starts were counted as started once (the older table migrates)", async ({ expect }) => {
    const repo = "crasholder";
    await repoWithBlueprint(repo, BLUEPRINT, { actions: SLOW_INSTALL });
    const run = await createRun(repo);
    await crashWhileRunning(repo);
    // The table as it was before starts were counted. The next instance's constructor adds the column.
    await runInDurableObject(service(repo), (_instance, state) => {
      state.storage.sql.exec("ALTER TABLE jobs DROP COLUMN starts");
      beforeVersions(state.storage.sql);
    });
    await evictDurableObject(service(repo));
    await runDurableObjectAlarm(service(repo));
    const done = await waitForRun(repo, run.key);
    expect(done.state).toBe("ok");
    expect(install(done).logs.map((l) => l.log)).toContain("the previous execution was interrupted (eviction); ran again");
    const starts = await runInDurableObject(service(repo), (_instance, state) =>
      state.storage.sql.exec<{ starts: number }>("SELECT starts FROM jobs WHERE action = 'install'").one().starts,
    );
    expect(starts).toBe(2);
  });
});
