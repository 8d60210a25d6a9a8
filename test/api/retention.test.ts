/**
 * Bounded storage: the hourly sweep (the Worker's `scheduled`, with the clock moved forward) prunes
 * the organization's event log, logins and ended sessions, each repository's old ended runs and
 * each service's ended job rows beyond `[retention] jobs_per_service`, never a running run or job;
 * job rows share one stored copy of their actions.js. Counted in the actors' SQL and in R2.
 */
import { createScheduledController, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, it, vi } from "vitest";
import { filesScope } from "../../src/actors/service/files.ts";
import type { RunRecord } from "../../src/runs/model.ts";
import worker from "../../src/index.ts";
import { api, ORG } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";
import { until } from "../helpers/until.ts";

const DAY = 86_400_000;

/** Rows of each table of an actor's storage (`_meta`, its schema version, left out). */
async function rows(stub: DurableObjectStub): Promise<Record<string, number>> {
  return runInDurableObject(stub as never, (_instance, state: DurableObjectState) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name")
      .toArray();
    return Object.fromEntries(tables.map((t) => [t.name, state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${t.name}"`).one().n]));
  });
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const service = (repo: string, key: string) => env.SERVICE.getByName(`${ORG}/${repo}/${key}`);
const repository = (repo: string) => env.REPOSITORY.getByName(`${ORG}/${repo}`);
const organization = () => env.ORGANIZATION.getByName(ORG);
const filesOf = async (repo: string, key: string) => (await env.FILES.list({ prefix: `jobs/${filesScope(`${ORG}/${repo}/${key}`)}.` })).objects.map((o) => o.key);

/** The Worker's env with `[retention]` changed: what a deployment with those settings runs with. */
function withRetention(retention: Record<string, number>): Env {
  const config = JSON.parse(env.COCKPIT_CONFIG!) as Record<string, unknown>;
  return { ...env, COCKPIT_CONFIG: JSON.stringify({ ...config, retention }) };
}

/** One hourly sweep, as the cron trigger runs it. */
async function sweep(on: Env = env): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), on);
}

function moveClock(ms: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

const WRITES_A_FILE = `
  export async function install(job) { await job.files.write("report.txt", "installed " + job.service.name, "text/plain"); }
  export function monitor() {}
`;

afterEach(() => void vi.useRealTimers());

describe("retention: the hourly sweep", () => {
  it("keeps jobs_per_service ended job rows per service and one copy of each actions.js, and prunes by age what [retention] says", async ({ expect }) => {
    const repo = "retention";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", { actions: WRITES_A_FILE });
    let run = await waitForRun(repo, (await createRun(repo)).key);
    expect(run.state).toBe("ok");
    for (let i = 0; i < 4; i++) {
      const again = (await (await must(api(`/ays/repository/${repo}/aysrun/${run.key}/rerun`, { method: "POST" }), 200)).json()) as RunRecord;
      run = await waitForRun(repo, again.key);
      expect(run.state).toBe("ok");
    }
    const org = organization();
    await org.recordLogin("alice", "web", "the console");
    const open = await org.openSession("alice", "user", "web");
    const ended = await org.openSession("alice", "user", "web");
    await org.endSession(ended.session);

    // Five runs of install (init is the default no-op, which no ServiceActor runs): five job rows,
    // every one of them using the same actions.js, and one result file each.
    const a = service(repo, "box!a");
    await until(() => rows(a), (r) => r.jobs === 5);
    expect(await rows(a)).toMatchObject({ jobs: 5, code: 1 });
    expect(await filesOf(repo, "box!a")).toHaveLength(5);
    expect(await rows(repository(repo))).toMatchObject({ runs: 5, run_jobs: 10 });

    await sweep(withRetention({ jobs_per_service: 3 }));
    const kept = await runInDurableObject(a as never, (_i, state: DurableObjectState) =>
      state.storage.sql.exec<{ key: string; state: string }>("SELECT key, state FROM jobs ORDER BY ended DESC").toArray(),
    );
    expect(kept.map((j) => j.key)).toEqual(["run-5.2.1", "run-4.2.1", "run-3.2.1"]);
    expect(await rows(a)).toMatchObject({ jobs: 3, code: 1 });
    // The service's job list still reads them, with the code the executions ran.
    const listed = (await (await must(api(`/ays/repository/${repo}/service/box/a/jobs`), 200)).json()) as { jobs: { key: string }[] };
    expect(listed.jobs).toHaveLength(3);

    // 31 days on: the ended session goes; the other (expired a day ago) is kept for the record.
    moveClock(31 * DAY);
    await sweep();
    expect((await org.sessions({})).map((s) => s.id)).toEqual([open.session]);
    expect(await rows(repository(repo))).toMatchObject({ runs: 5, run_jobs: 10 });
    const events = (await rows(org)).events!;
    expect(events).toBeGreaterThan(0);

    // 91 days on: runs and the event log are past [retention]; logins are kept for a year.
    moveClock(60 * DAY);
    await sweep();
    expect(await rows(repository(repo))).toMatchObject({ runs: 0, run_jobs: 0 });
    expect(await rows(org)).toMatchObject({ events: 0, logins: 1, sessions: 0 });
    expect((await api(`/ays/repository/${repo}/aysrun/run-1`)).status).toBe(404);

    moveClock(275 * DAY);
    await sweep();
    expect(await rows(org)).toMatchObject({ logins: 0 });
    // What the sweep never touches: the repository index and the registry.
    expect(await rows(org)).toMatchObject({ repositories: 1 });
    expect(await rows(repository(repo))).toMatchObject({ services: 1, templates: 1 });
  });

  it("never prunes a running run or a running job row", async ({ expect }) => {
    const repo = "retention-busy";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", {
      actions: "export function install() {}\nexport async function start() { await new Promise((r) => setTimeout(r, 2500)); }",
    });
    const first = await waitForRun(repo, (await createRun(repo)).key);
    await waitForRun(repo, ((await (await must(api(`/ays/repository/${repo}/aysrun/${first.key}/rerun`, { method: "POST" }), 200)).json()) as RunRecord).key);
    await must(api(`/ays/repository/${repo}/service/box/a/action/start`, { method: "POST" }), 200);
    const busy = await createRun(repo);
    const a = service(repo, "box!a");
    const jobsOf = () =>
      runInDurableObject(a as never, (_i, state: DurableObjectState) =>
        state.storage.sql.exec<{ key: string; state: string }>("SELECT key, state FROM jobs ORDER BY key").toArray(),
      );
    await until(jobsOf, (r) => r.some((j) => j.state === "running"));
    moveClock(400 * DAY);
    await sweep(withRetention({ runs_days: 1, jobs_per_service: 1 }));
    // The two ended runs go, the running one stays; of the ended job rows the newest stays, and the running one.
    expect(await rows(repository(repo))).toMatchObject({ runs: 1 });
    expect((await api(`/ays/repository/${repo}/aysrun/${busy.key}`)).status).toBe(200);
    expect(await jobsOf()).toEqual([
      { key: "run-2.2.1", state: "ok" },
      { key: `${busy.key}.1.1`, state: "running" },
    ]);
    vi.useRealTimers();
  });
});

describe("deleting a service or a repository deletes its actors' storage and files", () => {
  it("leaves no row, alarm or file of a deleted service, and none of a deleted repository's", async ({ expect }) => {
    const repo = "retention-delete";
    await repoWithBlueprint(repo, "box__a:\nbox__b:\nactions:\n  - action: install\n", { actions: WRITES_A_FILE, config: "recurring:\n  - action: monitor\n    period: 1h\n" });
    expect((await waitForRun(repo, (await createRun(repo)).key)).state).toBe("ok");
    const [a, b] = [service(repo, "box!a"), service(repo, "box!b")];
    for (const stub of [a, b]) expect(await rows(stub)).toMatchObject({ jobs: 1, code: 1, recurring: 1, identity: 1 });
    expect(await runInDurableObject(a as never, (_i, state: DurableObjectState) => state.storage.getAlarm())).not.toBeNull();
    expect(await filesOf(repo, "box!a")).toHaveLength(1);
    expect(await filesOf(repo, "box!b")).toHaveLength(1);

    expect((await must(api(`/ays/repository/${repo}/service/box/a`, { method: "DELETE" }), 200)).status).toBe(200);
    expect(total(await rows(a))).toBe(0);
    expect(await runInDurableObject(a as never, (_i, state: DurableObjectState) => state.storage.getAlarm())).toBeNull();
    expect(await filesOf(repo, "box!a")).toEqual([]);
    // The other service is untouched.
    expect(await rows(b)).toMatchObject({ jobs: 1, code: 1 });
    expect(await filesOf(repo, "box!b")).toHaveLength(1);


    // Files uploaded to the repository's jobs: one handed to a run's job, one waiting for the next job.
    const upload = async (name: string) => {
      const form = new FormData();
      form.append("file", new File(["a,1\n"], name, { type: "text/csv" }));
      await must(api(`/ays/repository/${repo}/service/box/b/action/monitor`, { method: "POST", body: form }), 200);
    };
    await upload("used.csv");
    expect((await waitForRun(repo, (await createRun(repo)).key)).state).toBe("ok");
    await upload("waiting.csv");
    const uploads = async () => (await env.FILES.list({ prefix: "uploads/" })).objects.map((o) => o.key.slice(o.key.lastIndexOf("/") + 1));
    expect((await uploads()).sort()).toEqual(["used.csv", "waiting.csv"]);

    expect((await api(`/ays/repository/${repo}`, { method: "DELETE" })).status).toBe(204);
    expect(await uploads()).toEqual([]);
    expect(total(await rows(b))).toBe(0);
    expect(await runInDurableObject(b as never, (_i, state: DurableObjectState) => state.storage.getAlarm())).toBeNull();
    expect(await filesOf(repo, "box!b")).toEqual([]);
    expect(total(await rows(repository(repo)))).toBe(0);
    expect(await runInDurableObject(repository(repo) as never, (_i, state: DurableObjectState) => state.storage.getAlarm())).toBeNull();

    // A repository, and services, of the same names work again from empty storage.
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", { actions: WRITES_A_FILE });
    expect((await waitForRun(repo, (await createRun(repo)).key)).state).toBe("ok");
    expect(await rows(a)).toMatchObject({ jobs: 1, code: 1 });
    expect(await filesOf(repo, "box!a")).toHaveLength(1);
  });
});
