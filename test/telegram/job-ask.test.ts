import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { BOT_TOKEN, button, callbackUpdate, converse, deliver, linkUser, reply, withFakes } from "../helpers/telegram.ts";
import { beforeVersions } from "../helpers/storage.ts";
import { until } from "../helpers/until.ts";
import type { RunRecord } from "../../src/runs/model.ts";

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

    const jobs = async () => ((await (await api("/ays/repository/asking/service/disk/sda/jobs")).json()) as { jobs: { state: string; logs: { log: string }[] }[] }).jobs;
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

  it("takes the answer to a question stored before delivery was retried, and asks again (the older questions table migrates)", async ({ expect }) => {
    const uma = { id: 9006, first_name: "Uma" };
    await linkUser(fakes.bot, fakes.provider, uma, "uma");
    const before = fakes.bot.sent(uma.id).length;
    const key = await startRun("older", `
export async function install(job) {
  const to = { user: "uma" };
  if (job.args.answer === undefined) return job.ask("first?", { to, buttons: ["yes"], timeout: 600 });
  if (job.args.answer === "yes") return job.ask("second?", { to, buttons: ["done"], timeout: 600 });
  job.log("answer: " + job.args.answer);
}`);
    const first = await reply(fakes.bot, uma.id, "first?", before);
    const actor = env.SERVICE.getByName("MyID/older/disk!sda");
    // The table as it was before delivery was retried. The next instance's constructor adds the columns.
    await runInDurableObject(actor, (_instance, state) => {
      state.storage.sql.exec(`
        CREATE TABLE questions_before(key TEXT NOT NULL, attempt INTEGER NOT NULL, id TEXT NOT NULL, deadline INTEGER NOT NULL,
          question TEXT NOT NULL, PRIMARY KEY (key, attempt));
        INSERT INTO questions_before SELECT key, attempt, id, deadline, question FROM questions;
        DROP TABLE questions;
        ALTER TABLE questions_before RENAME TO questions;
      `);
      beforeVersions(state.storage.sql);
    });
    await evictDurableObject(actor);

    const after = fakes.bot.sent(uma.id).length;
    await converse(fakes.bot, callbackUpdate(uma, button(first, "yes")), uma.id, "Answer sent: <b>yes</b>");
    const second = await reply(fakes.bot, uma.id, "second?", after);
    await converse(fakes.bot, callbackUpdate(uma, button(second, "done")), uma.id, "Answer sent: <b>done</b>");
    const done = await until(() => getRun("older", key), ended, 15_000);
    expect(done.state).toBe("ok");
    expect(install(done).logs.map((l) => l.log)).toContain("answer: done");
    // The older question counted as delivered: it was not sent again.
    expect(fakes.bot.sent(uma.id).filter((t) => t.includes("first?"))).toHaveLength(1);
  });

  it("fails a waiting job whose question is gone, instead of waking for it forever", async ({ expect }) => {
    const xan = { id: 9012, first_name: "Xan" };
    await linkUser(fakes.bot, fakes.provider, xan, "xan");
    const before = fakes.bot.sent(xan.id).length;
    const key = await startRun("orphaned", ASKING("xan", 600));
    await reply(fakes.bot, xan.id, "Format /dev/sda", before);
    const actor = env.SERVICE.getByName("MyID/orphaned/disk!sda");
    // Storage damaged from outside: the wait has nothing left that could end it.
    await runInDurableObject(actor, async (_instance, state) => {
      state.storage.sql.exec("DELETE FROM questions");
      await state.storage.setAlarm(Date.now());
    });
    const done = await until(() => getRun("orphaned", key), ended, 15_000);
    expect(done.state).toBe("error");
    expect(install(done).logs.map((l) => l.log)).toContain("the job was waiting for an answer, but its question is gone; run it again");
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
    const logs = install(done).logs.map((l) => l.log);
    expect(logs.join("\n")).toContain("user ghost is not known to the bot: they need to send /start");
    // Nothing to retry: the job failed without a delivery attempt.
    expect(logs.join("\n")).not.toContain("not delivered");
  });
});

describe("job.ask when Telegram does not take the question", () => {
  const failing = (times: number, error_code: number, description: string) => {
    for (let n = 0; n < times; n++) fakes.bot.script("sendMessage", () => ({ ok: false, error_code, description }));
  };
  const jobs = async (repo: string) => ((await (await api(`/ays/repository/${repo}/service/disk/sda/jobs`)).json()) as { jobs: { state: string; logs: { level: string; log: string }[] }[] }).jobs;

  it("keeps the job waiting through 502s, tries again with backoff, and runs on once the question is answered", async ({ expect }) => {
    const xia = { id: 9003, first_name: "Xia" };
    await linkUser(fakes.bot, fakes.provider, xia, "xia");
    failing(2, 502, "Bad Gateway");
    const key = await startRun("flaky", ASKING("xia", 600));

    const first = await until(() => jobs("flaky"), (j) => j[0]?.logs.some((l) => l.log.includes("(attempt 1)")) ?? false, 10_000);
    expect(first[0]!.state).toBe("waiting");
    expect(first[0]!.logs.find((l) => l.log.includes("(attempt 1)"))).toMatchObject({
      level: "warning",
      log: "the question to xia was not delivered (attempt 1): Telegram failed (502: Bad Gateway); trying again in 2 s",
    });
    // The run follows the waiting job's lines too.
    const live = await until(() => getRun("flaky", key), (r) => install(r).logs.some((l) => l.log.includes("(attempt 1)")), 10_000);
    expect(live.state).toBe("running");

    const tries = () => fakes.bot.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === xia.id && String(c.payload.text).includes("Format /dev/sda"));
    // The question as Telegram took it (the failed tries are recorded too, without a result).
    const question = (await until(async () => tries().find((c) => c.result !== undefined), Boolean, 15_000))!;
    expect(tries().map((c) => c.result !== undefined)).toEqual([false, false, true]);
    // Backoff: 2 s after the first failure, 5 s after the second, counted from when each try began,
    // so a slow send (a loaded machine) shortens the gap the fake Bot API sees by its own latency.
    const [one, two, three] = tries();
    expect(two!.at - one!.at).toBeGreaterThanOrEqual(1_500);
    expect(three!.at - two!.at).toBeGreaterThanOrEqual(4_000);
    // Nothing in the logs or on the way there carries the bot token.
    expect(JSON.stringify(await jobs("flaky"))).not.toContain(BOT_TOKEN);

    await converse(fakes.bot, callbackUpdate(xia, button(question, "yes")), xia.id, "Answer sent: <b>yes</b>");
    const done = await until(() => getRun("flaky", key), ended, 15_000);
    expect(done.state).toBe("ok");
    const logs = install(done).logs.map((l) => l.log);
    expect(logs.filter((l) => l.includes("was not delivered"))).toHaveLength(2);
    expect(logs.find((l) => l.startsWith("asked xia:"))).toMatch(/^asked xia: Format \/dev\/sda <now>\? \(delivered at attempt 3; waiting up to \d+ s\)$/);
    expect(logs).toContain("answer: yes");
  }, 45_000);

  it("waits as long as a 429's retry_after asks before trying again", async ({ expect }) => {
    const ada = { id: 9013, first_name: "Ada" };
    await linkUser(fakes.bot, fakes.provider, ada, "ada");
    // Longer than the bot waits out by itself (30 s), so the delivery fails and is tried later.
    fakes.bot.script("sendMessage", () => ({ ok: false, error_code: 429, description: "Too Many Requests: retry after 45", parameters: { retry_after: 45 } }));
    await startRun("throttled", ASKING("ada", 600));
    const logged = await until(() => jobs("throttled"), (j) => j[0]?.logs.some((l) => l.log.includes("(attempt 1)")) ?? false, 10_000);
    expect(logged[0]!.logs.find((l) => l.log.includes("(attempt 1)"))!.log).toBe(
      "the question to ada was not delivered (attempt 1): Telegram failed (429: Too Many Requests: retry after 45); trying again in 45 s",
    );
    // The backoff alone would have tried again after 2 s.
    await new Promise((r) => setTimeout(r, 3000));
    const tries = fakes.bot.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === ada.id && String(c.payload.text).includes("Format"));
    expect(tries).toHaveLength(1);
    expect((await jobs("throttled"))[0]!.state).toBe("waiting");
  });

  it("fails the job at once when the member blocked the bot (403): retrying cannot help", async ({ expect }) => {
    const yul = { id: 9004, first_name: "Yul" };
    await linkUser(fakes.bot, fakes.provider, yul, "yul");
    failing(1, 403, "Forbidden: bot was blocked by the user");
    const key = await startRun("blocked", ASKING("yul", 600));
    const done = await until(() => getRun("blocked", key), ended, 15_000);
    expect(done.state).toBe("error");
    expect(install(done).logs.at(-1)).toMatchObject({
      level: "error",
      log: "job.ask: the chat does not accept the bot's messages, blocked or left (Telegram 403: Forbidden: bot was blocked by the user)",
    });
    expect(fakes.bot.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === yul.id && String(c.payload.text).includes("Format"))).toHaveLength(1);
    expect((await jobs("blocked"))[0]!.state).toBe("error");
  });

  it("fails with the timeout, and says why the question never arrived, when Telegram never takes it before the deadline", async ({ expect }) => {
    const zed = { id: 9005, first_name: "Zed" };
    await linkUser(fakes.bot, fakes.provider, zed, "zed");
    failing(10, 502, "Bad Gateway");
    const key = await startRun("undeliverable", ASKING("zed", 4));
    const done = await until(() => getRun("undeliverable", key), ended, 15_000);
    expect(done.state).toBe("error");
    const logs = install(done).logs;
    expect(logs.slice(-2)).toMatchObject([
      { level: "error", log: "the question never reached zed: Telegram failed (502: Bad Gateway) (2 attempts)" },
      { level: "error", log: 'timeout: nobody answered "Format /dev/sda <now>?"' },
    ]);
    expect(logs.map((l) => l.log)).toContain("the question to zed was not delivered (attempt 2): Telegram failed (502: Bad Gateway); no time left for another try");
  });
});
