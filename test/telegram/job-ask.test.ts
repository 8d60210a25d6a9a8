import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { button, callbackUpdate, converse, deliver, linkUser, reply, withFakes } from "../helpers/telegram.ts";
import { until } from "../helpers/until.ts";
import type { RunRecord } from "../../src/actors/run-model.ts";

const fakes = withFakes();

/** An install that asks before it formats, and runs again with the answer. */
const ASKING = (user: string, timeout: number) => `
export async function install(job) {
  if (job.args.answer === undefined) {
    job.log("asking");
    return job.ask("Format /dev/sda <now>?", { to: { user: "${user}" }, buttons: ["yes", "no"], timeout: ${timeout} });
  }
  job.log("answer: " + job.args.answer);
  if (job.args.answer !== "yes") throw new Error("not formatting");
}`;

async function startRun(repo: string, actions: string): Promise<string> {
  for (const [path, json] of [
    ["/ays/repository", { name: repo }],
    [`/ays/repository/${repo}/template`, { name: "disk", config: "retry:\n  delays: []\n", actions }],
    [`/ays/repository/${repo}/blueprint`, { name: "d.yaml", content: "disk__sda:\nactions:\n  - action: install\n" }],
  ] as const) {
    const res = await api(path, { method: "POST", json });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  }
  await api(`/ays/repository/${repo}/blueprint/d.yaml`, { method: "POST" });
  return ((await (await api(`/ays/repository/${repo}/aysrun`, { method: "POST" })).json()) as RunRecord).key;
}

const ended = (r: RunRecord) => ["ok", "error", "cancelled"].includes(r.state);
const getRun = async (repo: string, key: string) => (await (await api(`/ays/repository/${repo}/aysrun/${key}`)).json()) as RunRecord;
const install = (run: RunRecord) => run.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!;

describe("job.ask", () => {
  it("asks a linked member with buttons; the job waits, across an eviction, and runs again with the answer", async ({ expect }) => {
    const vic = { id: 9001, first_name: "Vic" };
    await linkUser(fakes.bot, fakes.provider, vic, "vic");
    const before = fakes.bot.sent(vic.id).length;
    const key = await startRun("asking", ASKING("vic", 600));
    const question = await reply(fakes.bot, vic.id, "Format /dev/sda", before);
    expect(question.payload.text).toBe("❓ disk!sda: Format /dev/sda &lt;now&gt;?");

    const jobs = async () => (await (await api("/ays/repository/asking/service/disk/sda/jobs")).json()) as { state: string; logs: { log: string }[] }[];
    expect((await jobs())[0]!.state).toBe("waiting");
    expect((await getRun("asking", key)).state).toBe("running");
    // The wait is in storage, not in memory.
    await evictDurableObject(env.SERVICE.getByName("MyID/asking/disk!sda"));

    await converse(fakes.bot, callbackUpdate(vic, button(question, "yes")), vic.id, "Answer sent: <b>yes</b>");
    const done = await until(() => getRun("asking", key), ended, 15_000);
    expect(done.state).toBe("ok");
    const logs = install(done).logs.map((l) => l.log);
    expect(logs).toContain("asking");
    expect(logs).toContain("answer: yes");

    // The question is closed now: pressing again changes nothing.
    const again = callbackUpdate(vic, button(question, "no"));
    await deliver(again);
    const closed = await until(async () => fakes.bot.calls.find((c) => c.method === "answerCallbackQuery" && c.payload.callback_query_id === again.callback_query.id), Boolean);
    expect(closed!.payload.text).toContain("closed");
  });

  it("fails the job with \"timeout\" when nobody answers in time", async ({ expect }) => {
    const wen = { id: 9002, first_name: "Wen" };
    await linkUser(fakes.bot, fakes.provider, wen, "wen");
    const before = fakes.bot.sent(wen.id).length;
    const key = await startRun("unanswered", ASKING("wen", 1));
    await reply(fakes.bot, wen.id, "Format /dev/sda", before);
    const done = await until(() => getRun("unanswered", key), ended, 15_000);
    expect(done.state).toBe("error");
    expect(install(done).logs.map((l) => l.log)).toContain('timeout: nobody answered "Format /dev/sda <now>?"');
  });

  it("fails the job at once for a member who never talked to the bot", async ({ expect }) => {
    const key = await startRun("nobody", ASKING("ghost", 60));
    const done = await until(() => getRun("nobody", key), ended, 15_000);
    expect(done.state).toBe("error");
    expect(install(done).logs.map((l) => l.log).join("\n")).toContain("user ghost is not known to the bot");
  });
});
