import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { api, ORG } from "../helpers/auth.ts";

type ServiceBody = { data: Record<string, unknown>; actions: { name: string; state: string; period: number; last_run: number | null }[] };

async function service(repo: string, role: string, name: string): Promise<ServiceBody> {
  return (await (await api(`/ays/repository/${repo}/service/${role}/${name}`)).json()) as ServiceBody;
}

describe("recurring actions", () => {
  it("runs monitor every period once the service is installed, outside any run", async ({ expect }) => {
    const repo = "recurring";
    await api("/ays/repository", { method: "POST", json: { name: repo } });
    const t = await api(`/ays/repository/${repo}/template`, {
      method: "POST",
      json: {
        name: "probe",
        config: "recurring:\n  - action: monitor\n    period: 1s\n",
        schema: "@0xb1a2b3c4d5e6f708;\nstruct Schema {\n  checks @0 :Int64 = 0;\n}\n",
        actions: `
          export function install() {}
          export function monitor(job) {
            job.log("checking");
            job.setData({ checks: job.service.data.checks + 1 });
          }`,
      },
    });
    expect(t.status, await t.clone().text()).toBe(201);
    await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "p.yaml", content: "probe__one:\n" } });
    await api(`/ays/repository/${repo}/blueprint/p.yaml`, { method: "POST" });

    const stub = env.SERVICE.getByName(`${ORG}/${repo}/probe!one`);
    expect(await stub.recurring()).toEqual([{ action: "monitor", period: 1, next_due: expect.any(Number) }]);

    // Not installed yet: a due monitor is skipped, not run.
    await new Promise((r) => setTimeout(r, 1100));
    await runDurableObjectAlarm(stub);
    expect(((await stub.jobs()) as unknown as JobView[]).filter((j) => j.action === "monitor")).toEqual([]);

    await api(`/ays/repository/${repo}/service/probe/one/action/install`, { method: "POST" });
    const run = (await (await api(`/ays/repository/${repo}/aysrun`, { method: "POST" })).json()) as RunRecord;
    for (let i = 0; i < 200 && (await service(repo, "probe", "one")).actions.find((a) => a.name === "install")!.state !== "ok"; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(run.key).toBe("run-1");

    for (let round = 1; round <= 2; round++) {
      await new Promise((r) => setTimeout(r, 1100));
      await runDurableObjectAlarm(stub);
      // The platform may fire the alarm on its own as well; either way one run per period.
      for (let i = 0; i < 100 && ((await service(repo, "probe", "one")).data.checks as number) < round; i++) await new Promise((r) => setTimeout(r, 20));
      const view = await service(repo, "probe", "one");
      expect(view.data.checks).toBeGreaterThanOrEqual(round);
      expect(view.actions.find((a) => a.name === "monitor")).toMatchObject({ state: "ok", period: 1, last_run: expect.any(Number) });
    }
    const monitors = ((await (await api(`/ays/repository/${repo}/service/probe/one/jobs`)).json()) as { jobs: JobView[] }).jobs.filter((j) => j.action === "monitor");
    expect(monitors.length).toBeGreaterThanOrEqual(2);
    expect(monitors.every((j) => j.run === "" && j.state === "ok" && j.logs.some((l) => l.log === "checking"))).toBe(true);
  });

  it("stops a deleted repository's recurring timers", async ({ expect }) => {
    const stub = env.SERVICE.getByName(`${ORG}/recurring/probe!one`);
    expect(await stub.recurring()).toHaveLength(1);
    expect((await api("/ays/repository/recurring", { method: "DELETE" })).status).toBe(204);
    expect(await stub.recurring()).toEqual([]);
  });
});
