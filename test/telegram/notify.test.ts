import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { linkUser, reply, withFakes } from "../helpers/telegram.ts";
import { until } from "../helpers/until.ts";
import type { RunRecord } from "../../src/runs/model.ts";

const fakes = withFakes();

async function runInstall(repo: string, actions: string): Promise<RunRecord> {
  expect201(await api("/ays/repository", { method: "POST", json: { name: repo } }));
  expect201(await api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "disk", config: "retry:\n  delays: []\n", actions } }));
  expect201(await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "d.yaml", content: "disk__sda:\nactions:\n  - action: install\n" } }));
  await api(`/ays/repository/${repo}/blueprint/d.yaml`, { method: "POST" });
  const run = (await (await api(`/ays/repository/${repo}/aysrun`, { method: "POST" })).json()) as RunRecord;
  return until(
    async () => (await (await api(`/ays/repository/${repo}/aysrun/${run.key}`)).json()) as RunRecord,
    (r) => ["ok", "error"].includes(r.state),
    15_000,
  );
}

function expect201(res: Response): void {
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}`);
}

describe("job.notify", () => {
  it("sends an action's message to a linked member's chat, escaped, naming the service", async ({ expect }) => {
    const tina = { id: 8001, first_name: "Tina" };
    await linkUser(fakes.bot, fakes.provider, tina, "tina");
    const before = fakes.bot.sent(tina.id).length;
    const run = await runInstall("notified", `export async function install(job) { const r = await job.notify("disk at 91% <sda>", { user: "tina" }); job.log("sent to " + r.sent); }`);
    expect(run.state).toBe("ok");
    const note = await reply(fakes.bot, tina.id, "disk at 91%", before);
    expect(note.payload.text).toBe("🔔 disk!sda: disk at 91% &lt;sda&gt;");
    expect(run.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!.logs.map((l) => l.log)).toContain("sent to 1");
  });

  it("fails the action with the original's hint for a member who never talked to the bot, and checks its input", async ({ expect }) => {
    const run = await runInstall(
      "unnotified",
      `export async function install(job) {
        try { await job.notify("x", { nick: "y" }); } catch (e) { job.log("refused: " + e.message); }
        await job.notify("hello", { user: "nobody" });
      }`,
    );
    expect(run.state).toBe("error");
    const logs = run.errors[0]!.logs.map((l) => l.log).join("\n");
    expect(logs).toContain("refused: job.notify: `to` must be");
    expect(logs).toContain("user nobody is not known to the bot: they need to send /start to the bot first");
  });
});
