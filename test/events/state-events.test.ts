import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

const REPO = "watched";

async function setUp() {
  await api("/ays/repository", { method: "POST", json: { name: REPO } });
  // `box` fails its install; `watcher` hears failed jobs through the `job` channel; `greedy` listens
  // on `all`, which does not include run and job state events.
  const templates = [
    { name: "box", config: "retry:\n  delays: []\n", actions: `export function install() { throw new Error("disk full"); }` },
    {
      name: "watcher",
      config: "events:\n  - channel: job\n    command: error\n    actions: [alert]\n",
      actions: `export function alert(job) { job.log("alert: " + job.args.payload.service + " " + job.args.payload.action + " " + job.args.payload.state); }`,
    },
    { name: "greedy", config: "events:\n  - channel: all\n    actions: [react]\n", actions: `export function react(job) { job.log("reacted"); }` },
  ];
  for (const t of templates) {
    const res = await api(`/ays/repository/${REPO}/template`, { method: "POST", json: t });
    if (res.status !== 201) throw new Error(await res.text());
  }
  const bp = await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "main.yaml", content: "box__a:\nwatcher__w:\ngreedy__g:\nactions:\n  - action: install\n" } });
  if (bp.status !== 201) throw new Error(await bp.text());
  await api(`/ays/repository/${REPO}/blueprint/main.yaml`, { method: "POST" });
}

const jobsOf = async (service: string) => (await env.SERVICE.getByName(`${ORG}/${REPO}/${service}`).jobs()) as unknown as JobView[];

describe("run and job state events", () => {
  it("publish run changes and finished jobs on the bus, heard by filters on their channel", async ({ expect }) => {
    await setUp();
    const res = await api(`/ays/repository/${REPO}/aysrun`, { method: "POST" });
    const { key } = (await res.json()) as { key: string };

    const alerts = await until(() => jobsOf("watcher!w"), (jobs) => jobs.some((j) => j.action === "alert" && j.state === "ok"), 20_000);
    const alert = alerts.find((j) => j.action === "alert")!;
    expect(alert.logs.map((l) => l.log)).toContain("alert: box!a install error");
    // Exactly one failed job, so exactly one alert: successful jobs (the inits) are `ok`, not `error`.
    expect(alerts.filter((j) => j.action === "alert")).toHaveLength(1);

    const log = await until(
      async () => ((await (await api(`/ays/events?repo=${REPO}&limit=500`)).json()) as { events: AuditEntry[] }).events,
      (events) => events.some((e) => e.type === "event.run" && e.message.includes("(error)")),
    );
    const runEvents = log.filter((e) => e.type === "event.run").map((e) => (e.data as { payload: { run: string; state: string } }).payload);
    expect(runEvents.every((p) => p.run === key)).toBe(true);
    expect(runEvents.map((p) => p.state)).toEqual(expect.arrayContaining(["running", "error"]));
    const jobEvents = log.filter((e) => e.type === "event.job").map((e) => (e.data as { payload: { service: string; action: string; state: string } }).payload);
    expect(jobEvents).toEqual(expect.arrayContaining([{ repo: REPO, run: key, job: expect.any(String), service: "box!a", action: "install", state: "error", epoch: expect.any(Number) }]));

    // `all` stays the original's inputs: no reaction to the cockpit's own state changes.
    expect((await jobsOf("greedy!g")).filter((j) => j.action === "react")).toEqual([]);

    // Only the event a filter wants took the queue (publishing claims its id); the others were only logged.
    const claimed = await runInDurableObject(env.ORGANIZATION.getByName(ORG), async (_actor, state) =>
      state.storage.sql.exec<{ id: string }>("SELECT id FROM event_claims WHERE id LIKE 'job.%' OR id LIKE 'run.%'").toArray().map((r) => r.id),
    );
    const failedJob = log.find((e) => e.type === "event.job" && (e.data as { payload: { state: string } }).payload.state === "error")!;
    expect(claimed).toEqual([(failedJob.data as { id: string }).id]);
    expect(log.filter((e) => e.type === "event.job" || e.type === "event.run").length).toBeGreaterThan(3);
  });
});
