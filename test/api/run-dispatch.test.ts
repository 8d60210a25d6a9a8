/**
 * Creating a run answers once the run is stored, whatever its size; its jobs go out afterwards, from
 * the alarm, a chunk at a time (issue 18, goal 2). No timing is asserted: what shows the answer did
 * not wait for the dispatch is that no job of the answered run has been dispatched yet.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { ORG } from "../helpers/auth.ts";
import { createRun, getRun, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

/** More services than three dispatch chunks (DISPATCH_CHUNK is 50), each with a sandboxed install. */
const WIDE = 130;
const ACTIONS = "export async function install(job) { job.log('installed ' + job.service.name); }";
const blueprint = () => `${Array.from({ length: WIDE }, (_, i) => `box__b${i}:`).join("\n")}\nactions:\n  - action: install\n`;

describe("POST …/aysrun of a wide run", () => {
  it("answers the stored run before any job is dispatched, then runs every job once to the end", async ({ expect }) => {
    await repoWithBlueprint("wide", blueprint(), { actions: ACTIONS });
    const answered = await createRun("wide");
    expect(["new", "running"]).toContain(answered.state);
    const jobs = answered.steps.flatMap((s) => s.jobs);
    // init (the AYS default, done inline) for every service, then the sandboxed install of each.
    expect(answered.steps.map((s) => s.jobs.length)).toEqual([WIDE, WIDE]);
    expect(new Set(jobs.map((j) => j.state))).toEqual(new Set(["new"]));
    expect(jobs.every((j) => j.started === null && j.attempts === 0)).toBe(true);
    // The run the answer describes is the stored one: every job is there to be read.
    const stored = await getRun("wide", answered.key);
    expect(stored.steps.flatMap((s) => s.jobs.map((j) => j.key))).toEqual(jobs.map((j) => j.key));

    const done = await waitForRun("wide", answered.key, undefined, 60_000);
    expect(done.state).toBe("ok");
    const installs = done.steps[1]!.jobs;
    expect(installs.map((j) => [j.state, j.attempts])).toEqual(installs.map(() => ["ok", 1]));
    expect(installs.map((j) => j.logs.some((l) => l.log === `installed ${j.service.split("!")[1]}`))).toEqual(installs.map(() => true));
  });

  it("still runs to the end when the repository's actor is evicted before its dispatch", async ({ expect }) => {
    await repoWithBlueprint("wide-evicted", blueprint(), { actions: ACTIONS });
    const answered = await createRun("wide-evicted");
    // The stored alarm, not anything held in memory, carries the dispatch.
    await evictDurableObject(env.REPOSITORY.getByName(`${ORG}/wide-evicted`));
    const done = await waitForRun("wide-evicted", answered.key, undefined, 60_000);
    expect(done.state).toBe("ok");
    expect(done.steps.flatMap((s) => s.jobs).every((j) => j.state === "ok")).toBe(true);
  });
});
