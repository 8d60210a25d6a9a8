import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { api, ORG } from "../helpers/auth.ts";
import { createRun, must, waitForRun } from "../helpers/runs.ts";
import { converse, linkUser, reply, textUpdate, withFakes } from "../helpers/telegram.ts";
import { until } from "../helpers/until.ts";

const fakes = withFakes();

async function events(type: string, repo: string): Promise<AuditEntry[]> {
  const body = (await (await must(api(`/ays/events?type=${type}&repo=${repo}&limit=500`), 200)).json()) as { events: AuditEntry[] };
  return body.events;
}

describe("failure is never silent", () => {
  it("a failing recurring action notifies once, folds its repeats, shows in /errors and the log, and notifies its recovery once", { timeout: 60_000 }, async ({ expect }) => {
    const vera = { id: 8101, first_name: "Vera" };
    await linkUser(fakes.bot, fakes.provider, vera, "vera");
    const repo = "failing";
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    await must(api(`/ays/repository/${repo}/template`, {
      method: "POST",
      json: {
        name: "probe",
        config: "recurring:\n  - action: monitor\n    period: 1s\n",
        schema: "@0xb1a2b3c4d5e6f709;\nstruct Schema {\n  checks @0 :Int64 = 0;\n}\n",
        // Fails its first 10 checks, then is fine.
        actions: `
          export function install() {}
          export function monitor(job) {
            const n = job.service.data.checks + 1;
            job.setData({ checks: n });
            if (n <= 10) throw new Error("disk full at check " + n);
          }`,
      },
    }), 201);
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "p.yaml", content: "probe__one:\nactions:\n  - action: install\n" } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint/p.yaml`, { method: "POST" }), 200);
    expect((await waitForRun(repo, (await createRun(repo)).key)).state).toBe("ok");

    const stub = env.SERVICE.getByName(`${ORG}/${repo}/probe!one`);
    const checks = async () => ((await (await api(`/ays/repository/${repo}/service/probe/one`)).json()) as { data: { checks: number } }).data.checks;
    const notices = () => fakes.bot.sent(vera.id).filter((t) => t.startsWith("🔔 failing/probe!one:"));
    /** Fires the recurring alarm until the monitor has run `n` times in all. */
    const runUntil = async (n: number) => {
      while ((await checks()) < n) {
        await new Promise((r) => setTimeout(r, 1050));
        await runDurableObjectAlarm(stub);
        await until(checks, (c) => c >= 1, 5000);
      }
    };

    await runUntil(1);
    await reply(fakes.bot, vera.id, "monitor failed: ");
    expect(notices()).toEqual([expect.stringMatching(/^🔔 failing\/probe!one: ❌ monitor failed: .*disk full at check 1/)]);

    // Each failure is a job event with command error and an audit entry, in the organization's log.
    const failed = await until(() => events("job.failed", repo), (e) => e.length >= 1, 5000);
    expect(failed[0]).toMatchObject({ type: "job.failed", repo, message: expect.stringMatching(/^monitor of probe!one failed outside any run: .*disk full at check 1/) });
    const jobEvents = await events("event.job", repo);
    expect(jobEvents.some((e) => (e.data as { command?: string }).command === "error" && (e.data as { payload: { action: string } }).payload.action === "monitor")).toBe(true);

    await runUntil(4);
    await until(async () => (await events("job.failed", repo)).length, (n) => n >= 4, 5000);
    expect(notices()).toHaveLength(1); // folded: no message per failure
    const list = await converse(fakes.bot, textUpdate(vera, "/errors"), vera.id, "LIST OF ERRORS");
    expect(list.payload.text).toMatch(/failing probe!one monitor \(failing since \d\d:\d\d UTC, [4-9] times\)/);

    await runUntil(10);
    await reply(fakes.bot, vera.id, "times: ");
    expect(notices()).toHaveLength(2);
    expect(notices()[1]).toMatch(/❌ monitor failing since \d\d:\d\d UTC, 10 times: .*disk full at check 10/);

    await runUntil(12); // recovered at check 11; check 12 is ok too
    await reply(fakes.bot, vera.id, "recovered");
    expect(notices()).toHaveLength(3);
    expect(notices()[2]).toMatch(/✅ monitor recovered after 10 failures \(failing since \d\d:\d\d UTC\)/);
    const after = await converse(fakes.bot, textUpdate(vera, "/errors"), vera.id, /No errors|LIST OF ERRORS/);
    expect(after.payload.text).not.toContain("failing since");
  });

  it("a failed job of a run is notified to linked members and audited", async ({ expect }) => {
    const wim = { id: 8102, first_name: "Wim" };
    await linkUser(fakes.bot, fakes.provider, wim, "wim");
    const repo = "failing-run";
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "disk", config: "retry:\n  delays: []\n", actions: `export function install() { throw new Error("no such device"); }` } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "d.yaml", content: "disk__sda:\nactions:\n  - action: install\n" } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint/d.yaml`, { method: "POST" }), 200);
    const run = await waitForRun(repo, (await createRun(repo)).key);
    expect(run.state).toBe("error");
    const note = await reply(fakes.bot, wim.id, "install failed in");
    expect(note.payload.text).toMatch(new RegExp(`^🔔 failing-run/disk!sda: ❌ install failed in ${run.key}: .*no such device`));
    const failed = await until(() => events("job.failed", repo), (e) => e.length >= 1, 5000);
    expect(failed[0]!.message).toMatch(new RegExp(`^install of disk!sda failed in ${run.key}: .*no such device`));
  });
});
