import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { button, converse, deliver, documentUpdate, linkUser, reply, textUpdate, callbackUpdate, type Person, withFakes } from "../helpers/telegram.ts";
import { beforeVersions } from "../helpers/storage.ts";
import { until } from "../helpers/until.ts";
import type { RunRecord } from "../../src/runs/model.ts";

const fakes = withFakes();

const NO_RETRY = "retry:\n  delays: []\n";

/**
 * A linked member working on a fresh repository with two templates: `web` (slow install) and `db`
 * (failing install). The repository is created from `chat` (a group's id, or the member's own chat).
 */
async function workspace(person: Person, user: string, repo: string, chat = person.id): Promise<void> {
  await linkUser(fakes.bot, fakes.provider, person, user);
  await converse(fakes.bot, textUpdate(person, `/repo create ${repo}`, chat), chat, "it's now your current working repo");
  const templates = [
    { name: "web", config: NO_RETRY, actions: `export async function install(job) { job.log("serving " + job.service.key); await new Promise((r) => setTimeout(r, job.service.key === "web!back" ? 3000 : 1200)); }\nexport function stop(job) { job.log("stop"); }\nexport function uninstall(job) { job.log("bye " + job.service.key); }` },
    { name: "db", config: NO_RETRY, actions: `export function install(job) { job.log("formatting <disk> & more"); throw new Error("disk full"); }` },
  ];
  for (const template of templates) {
    const res = await api(`/ays/repository/${repo}/template`, { method: "POST", json: template });
    if (res.status !== 201) throw new Error(await res.text());
  }
}

describe("a blueprint pasted in the chat, executed and run", () => {
  it("answers an invalid paste with the engine's line and column, then runs a valid one with one progress message and a summary", async ({ expect }) => {
    const olga = { id: 7001, first_name: "Olga" };
    await workspace(olga, "olga", "pasted");

    await converse(fakes.bot, textUpdate(olga, "/blueprint add site"), olga.id, "Please paste your blueprint");
    const invalid = await converse(fakes.bot, textUpdate(olga, "web__front:\n  nosuchkey: 1\n"), olga.id, "not a valid blueprint");
    expect(invalid.payload.text).toMatch(/site\.yaml:\d+:\d+/);
    expect(invalid.payload.text).toContain("nosuchkey");
    expect((await (await api("/ays/repository/pasted/blueprint")).json()) as unknown[]).toEqual([]);

    // The question stays open: the corrected paste is simply the next message.
    const executed = await converse(fakes.bot, textUpdate(olga, "web__front:\nweb__back:\ndb__main:\nactions:\n  - action: install\n"), olga.id, "executed");
    expect(executed.payload.text).toContain("3 services created");

    const before = fakes.bot.sent(olga.id).length;
    await deliver(callbackUpdate(olga, button(executed, "▶ Run now")));
    const progress = await reply(fakes.bot, olga.id, "Run run-1", before);
    const summary = await reply(fakes.bot, olga.id, "ended <b>error</b>", before);
    expect(summary.payload.parse_mode).toBe("HTML");
    expect(summary.payload.text).toContain("❌ <code>db!main</code> install");
    expect(summary.payload.text).toContain("formatting &lt;disk&gt; &amp; more");
    expect(summary.payload.text).toContain("disk full");
    expect(summary.payload.text).toContain("5/6 jobs ok, 1 failed");

    // One progress message, edited in place, never more often than about once a second before the end.
    const edits = fakes.bot.calls.filter((c) => c.method === "editMessageText" && c.payload.message_id === (progress.result as { message_id: number }).message_id && c.payload.chat_id === olga.id);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(edits.slice(0, -1).some((e) => e.payload.text.includes("<b>running</b>"))).toBe(true);
    expect(edits.at(-1)!.payload.text).toContain("<b>error</b>");
    const sentAt = fakes.bot.calls.find((c) => c === progress)!.at;
    const times = [sentAt, ...edits.slice(0, -1).map((e) => e.at)];
    for (let n = 1; n < times.length; n++) expect(times[n]! - times[n - 1]!).toBeGreaterThanOrEqual(900);
    expect(fakes.bot.sent(olga.id).filter((t) => t.includes("Run run-1"))).toHaveLength(2); // the progress message and the summary

    const run = (await (await api("/ays/repository/pasted/aysrun/run-1")).json()) as RunRecord;
    expect(run.state).toBe("error");
    expect(run.by).toBe("olga");

    // The errors are there to look at later, in the original's words.
    const errors = await converse(fakes.bot, textUpdate(olga, "/errors"), olga.id, "LIST OF ERRORS");
    expect(errors.payload.text).toContain("pasted run-1 db!main install");
    await converse(fakes.bot, textUpdate(olga, "/errorsof disk"), olga.id, "mentioning");
    await converse(fakes.bot, textUpdate(olga, "/errorsof kettle"), olga.id, 'No errors mention "kettle"');
  });

  it("simulates a run, starts it from its button, lists and inspects it", async ({ expect }) => {
    const pia = { id: 7002, first_name: "Pia" };
    await workspace(pia, "pia", "simulated");
    const saved = await api("/ays/repository/simulated/blueprint", { method: "POST", json: { name: "one.yaml", content: "web__solo:\nactions:\n  - action: install\n" } });
    expect(saved.status).toBe(201);
    await converse(fakes.bot, textUpdate(pia, "/blueprint execute one.yaml"), pia.id, "1 services created");

    const plan = await converse(fakes.bot, textUpdate(pia, "/run simulate"), pia.id, "simulated (not started)");
    expect(plan.payload.text).toContain("<code>web!solo</code> install");
    const before = fakes.bot.sent(pia.id).length;
    await deliver(callbackUpdate(pia, button(plan, "▶ Start")));
    await reply(fakes.bot, pia.id, "ended <b>ok</b>", before);
    const list = await converse(fakes.bot, textUpdate(pia, "/run list"), pia.id, "run-1");
    expect(list.payload.text).toContain("<b>ok</b>");
    const detail = await converse(fakes.bot, callbackUpdate(pia, button(list, "run-1")), pia.id, "Step 2");
    expect(detail.payload.text).toContain("✅ <code>web!solo</code> install");
    await converse(fakes.bot, textUpdate(pia, "/run cancel run-1"), pia.id, "already ended");

    // A run not ended yet (here a simulated one) is cancelled from a pick list: its jobs never run.
    expect((await api("/ays/repository/simulated/service/web/solo/action/stop", { method: "POST" })).status).toBe(200);
    expect((await api("/ays/repository/simulated/service/web/solo/action/uninstall", { method: "POST" })).status).toBe(200);
    const second = await converse(fakes.bot, textUpdate(pia, "/run simulate"), pia.id, "run-2");
    const picked = await converse(fakes.bot, textUpdate(pia, "/run cancel"), pia.id, "Which run?");
    await converse(fakes.bot, callbackUpdate(pia, button(picked, "run-2")), pia.id, "Run <code>run-2</code> cancelled");
    expect(((await (await api("/ays/repository/simulated/aysrun/run-2")).json()) as RunRecord).state).toBe("cancelled");
    expect(second.payload.text).toContain("uninstall");

    // Re-running the cancelled plan plans it again: shown like /run simulate, started from its button.
    const cancelled = await converse(fakes.bot, textUpdate(pia, "/run inspect run-2"), pia.id, "Step 1");
    const replanned = await converse(fakes.bot, callbackUpdate(pia, button(cancelled, "🔁 Re-run")), pia.id, "simulated (not started)");
    expect(replanned.payload.text).toContain("<b>Run run-3</b>");
    expect(replanned.payload.text).toContain("<code>web!solo</code> uninstall");
    expect(((await (await api("/ays/repository/simulated/aysrun/run-3")).json()) as RunRecord)).toMatchObject({ state: "new", simulate: true, rerun_of: "run-2" });
    const sent = fakes.bot.sent(pia.id).length;
    await deliver(callbackUpdate(pia, button(replanned, "▶ Start run-3")));
    await reply(fakes.bot, pia.id, /Run run-3<\/b> in <code>simulated<\/code> ended <b>ok<\/b>/, sent);
  });
});

describe("re-running a run", () => {
  const runs = async (repo: string) => ((await (await api(`/ays/repository/${repo}/aysrun`)).json()) as { runs: { key: string }[] }).runs;

  it("re-runs an ended run from its summary's button: a new run, followed like /run create, audited on the telegram channel", async ({ expect }) => {
    const vera = { id: 7010, first_name: "Vera" };
    await workspace(vera, "vera", "again");
    // Two installs of different lengths: the progress message has something to show between start and end.
    expect((await api("/ays/repository/again/blueprint", { method: "POST", json: { name: "one.yaml", content: "web__front:\nweb__back:\nactions:\n  - action: install\n" } })).status).toBe(201);
    expect((await api("/ays/repository/again/blueprint/one.yaml", { method: "POST" })).status).toBe(200);
    let before = fakes.bot.sent(vera.id).length;
    await deliver(textUpdate(vera, "/run create"));
    const first = await reply(fakes.bot, vera.id, "ended <b>ok</b>", before);

    before = fakes.bot.sent(vera.id).length;
    await deliver(callbackUpdate(vera, button(first, "🔁 Re-run")));
    const progress = await reply(fakes.bot, vera.id, "<b>Run run-2</b>", before);
    const summary = await reply(fakes.bot, vera.id, /Run run-2<\/b> in <code>again<\/code> ended <b>ok<\/b>/, before);
    expect(progress).not.toBe(summary);
    const edits = fakes.bot.calls.filter((c) => c.method === "editMessageText" && c.payload.message_id === (progress.result as { message_id: number }).message_id && c.payload.chat_id === vera.id);
    expect(edits.some((e) => e.payload.text.includes("<b>running</b>"))).toBe(true);
    expect(edits.at(-1)!.payload.text).toContain("<b>ok</b>");
    // The new run's summary can be re-run in turn.
    expect(button(summary, "🔁 Re-run")).not.toBe(button(first, "🔁 Re-run"));

    const again = (await (await api("/ays/repository/again/aysrun/run-2")).json()) as RunRecord;
    expect(again).toMatchObject({ state: "ok", simulate: false, rerun_of: "run-1", by: "vera" });
    // Its install ran again (the first run left it ok, which a plain run would skip).
    const installs = again.steps.flatMap((s) => s.jobs).filter((j) => j.action === "install");
    expect(installs.map((j) => j.logs.map((l) => l.log).join("\n")).sort()).toEqual(["serving web!back", "serving web!front"]);

    const events = ((await (await api("/ays/events?repo=again&type=run.created")).json()) as { events: { by: string; channel: string; message: string; data: unknown }[] }).events;
    expect(events.at(-1)).toMatchObject({ by: "vera", channel: "telegram", message: "run run-2 created as a re-run of run-1", data: { rerun_of: "run-1" } });
  });

  it("answers a re-run refused by the repository with its reason: still running, a service deleted since, no such run", async ({ expect }) => {
    const walt = { id: 7011, first_name: "Walt" };
    await workspace(walt, "walt", "refusals");
    expect((await api("/ays/repository/refusals/blueprint", { method: "POST", json: { name: "one.yaml", content: "web__back:\nactions:\n  - action: install\n" } })).status).toBe(201);
    expect((await api("/ays/repository/refusals/blueprint/one.yaml", { method: "POST" })).status).toBe(200);
    const before = fakes.bot.sent(walt.id).length;
    await converse(fakes.bot, textUpdate(walt, "/run create"), walt.id, "<b>Run run-1</b>");
    // web!back's install takes 3 s: the run is still going.
    await converse(fakes.bot, textUpdate(walt, "/run rerun run-1"), walt.id, "Sorry: run run-1 is still running");
    // The watch as chats stored it before the summary had a button (no user): the next instance migrates it,
    // and the summary still comes, without a button nobody could press.
    const chat = env.CHAT.getByName(String(walt.id));
    await runInDurableObject(chat, (_instance, state) => {
      state.storage.sql.exec(`
        CREATE TABLE watches_before(repo TEXT NOT NULL, run TEXT NOT NULL, message INTEGER NOT NULL, text TEXT NOT NULL,
          edited INTEGER NOT NULL, started INTEGER NOT NULL, PRIMARY KEY(repo, run));
        INSERT INTO watches_before SELECT repo, run, message, text, edited, started FROM watches;
        DROP TABLE watches;
        ALTER TABLE watches_before RENAME TO watches;
      `);
      beforeVersions(state.storage.sql, "meta");
    });
    await evictDurableObject(chat);
    const summary = await reply(fakes.bot, walt.id, "ended <b>ok</b>", before);
    expect(summary.payload.reply_markup).toBeUndefined();

    const detail = await converse(fakes.bot, textUpdate(walt, "/run inspect run-1"), walt.id, "Step 1");
    expect((await api("/ays/repository/refusals/service/web/back", { method: "DELETE" })).status).toBe(200);
    await converse(fakes.bot, callbackUpdate(walt, button(detail, "🔁 Re-run")), walt.id, "Sorry: cannot re-run run-1: web!back init, web!back install no longer exist");
    await converse(fakes.bot, textUpdate(walt, "/run rerun run-99"), walt.id, "Sorry: no run run-99 in this repository");
    expect((await runs("refusals")).map((r) => r.key)).toEqual(["run-1"]);
  });

  it("refuses forged data, a press by someone the button was not shown to, and a press after switching repository", async ({ expect }) => {
    const xia = { id: 7012, first_name: "Xia" };
    const yan = { id: 7013, first_name: "Yan" };
    const group = -100701;
    await workspace(xia, "xia", "pressed", group);
    await linkUser(fakes.bot, fakes.provider, yan, "yan");
    await converse(fakes.bot, textUpdate(yan, "/repo select pressed", group), group, "now your current working repo");
    expect((await api("/ays/repository/pressed/blueprint", { method: "POST", json: { name: "one.yaml", content: "web__front:\nactions:\n  - action: install\n" } })).status).toBe(201);
    expect((await api("/ays/repository/pressed/blueprint/one.yaml", { method: "POST" })).status).toBe(200);
    let before = fakes.bot.sent(group).length;
    await deliver(textUpdate(xia, "/run create", group));
    const summary = await reply(fakes.bot, group, "ended <b>ok</b>", before);
    const rerun = button(summary, "🔁 Re-run");

    const answerTo = (press: ReturnType<typeof callbackUpdate>) =>
      until(async () => fakes.bot.calls.find((c) => c.method === "answerCallbackQuery" && c.payload.callback_query_id === press.callback_query.id), Boolean);
    const forged = callbackUpdate(xia, "run rerun run-1 pressed", group);
    await deliver(forged);
    expect((await answerTo(forged))!.payload).toMatchObject({ show_alert: true, text: expect.stringContaining("not valid") });
    const foreign = callbackUpdate(yan, rerun, group);
    await deliver(foreign);
    expect((await answerTo(foreign))!.payload.text).toContain("shown to someone else");

    // Buttons remember their repository: after /repo select elsewhere they are refused, not applied to
    // that repository's run-1 (the Re-run of the summary, and any other, such as /run list's).
    const listed = await converse(fakes.bot, textUpdate(xia, "/run list", group), group, "<code>run-1</code>");
    await converse(fakes.bot, textUpdate(xia, "/repo create elsewhere", group), group, "<code>elsewhere</code> created");
    await converse(fakes.bot, callbackUpdate(xia, rerun, group), group, "That button is for repository <code>pressed</code>, but you are working on <code>elsewhere</code> now");
    await converse(fakes.bot, callbackUpdate(xia, button(listed, "run-1"), group), group, "That button is for repository <code>pressed</code>, but you are working on <code>elsewhere</code> now");
    expect((await runs("pressed")).map((r) => r.key)).toEqual(["run-1"]);
    expect(await runs("elsewhere")).toEqual([]);

    // Back on the right repository, the same press goes through.
    await converse(fakes.bot, textUpdate(xia, "/repo select pressed", group), group, "now your current working repo");
    before = fakes.bot.sent(group).length;
    await deliver(callbackUpdate(xia, rerun, group));
    await reply(fakes.bot, group, /Run run-2<\/b> in <code>pressed<\/code> ended <b>ok<\/b>/, before);
  });
});

describe("menus, questions and /cancel", () => {
  it("offers a command's verbs as buttons, asks for what is missing, and forgets the question on /cancel", async ({ expect }) => {
    const ulf = { id: 7006, first_name: "Ulf" };
    await linkUser(fakes.bot, fakes.provider, ulf, "ulf");
    await converse(fakes.bot, textUpdate(ulf, "/blueprint"), ulf.id, "You are not working on a repository yet");
    const menu = await converse(fakes.bot, textUpdate(ulf, "/repo"), ulf.id, "What do you want to do?");
    await converse(fakes.bot, callbackUpdate(ulf, button(menu, "Create")), ulf.id, "Please enter the name of your repo");
    await converse(fakes.bot, textUpdate(ulf, "no spaces allowed"), ulf.id, "I don't support this repo name");
    await converse(fakes.bot, textUpdate(ulf, "/repo create"), ulf.id, "Please enter the name of your repo");
    await converse(fakes.bot, textUpdate(ulf, "/cancel"), ulf.id, "OK, forgotten.");
    await converse(fakes.bot, textUpdate(ulf, "menus"), ulf.id, "I am not waiting for an answer from you");
    expect(await env.ORGANIZATION.getByName("MyID").getRepository("menus")).toBeNull();

    await converse(fakes.bot, textUpdate(ulf, "/repo create"), ulf.id, "Please enter the name of your repo");
    // The pending question is an XState snapshot in the chat's storage: it survives eviction.
    await evictDurableObject(env.CHAT.getByName(String(ulf.id)));
    await converse(fakes.bot, textUpdate(ulf, "menus"), ulf.id, "Repo <code>menus</code> created");
    const runs = await converse(fakes.bot, textUpdate(ulf, "/run"), ulf.id, "Runs of <code>menus</code>");
    await converse(fakes.bot, callbackUpdate(ulf, button(runs, "Create")), ulf.id, "nothing to run");
  });
});

describe("a blueprint sent as a document", () => {
  it("is fetched through getFile, kept in R2 and saved; other files and oversized ones are refused", async ({ expect }) => {
    const quinn = { id: 7003, first_name: "Quinn" };
    await workspace(quinn, "quinn", "uploads");

    const refusedName = await converse(fakes.bot, documentUpdate(quinn, { file_id: "f-txt", file_name: "notes.txt", file_size: 10 }), quinn.id, "I only take blueprints");
    expect(refusedName.payload.text).toContain("notes.txt");
    await converse(fakes.bot, documentUpdate(quinn, { file_id: "f-big", file_name: "big.yaml", file_size: 21 * 1024 * 1024 }), quinn.id, "over 20 MB");
    expect(fakes.bot.calls.filter((c) => c.method === "getFile")).toEqual([]);

    fakes.bot.file("f-site", "documents/file_7.yaml", "web__uploaded:\nactions:\n  - action: install\n");
    const received = await converse(fakes.bot, documentUpdate(quinn, { file_id: "f-site", file_name: "site.yaml", file_size: 44 }), quinn.id, "File received: <code>site.yaml</code>");
    expect(fakes.bot.calls.filter((c) => c.method === "getFile").map((c) => c.payload.file_id)).toEqual(["f-site"]);
    expect(fakes.bot.downloads).toEqual(["documents/file_7.yaml"]);

    const stored = await env.FILES.get(`uploads/telegram/${quinn.id}/u-f-site/site.yaml`);
    expect(await stored?.text()).toBe("web__uploaded:\nactions:\n  - action: install\n");
    const bp = (await (await api("/ays/repository/uploads/blueprint/site.yaml")).json()) as { content: string };
    expect(bp.content).toContain("web__uploaded");

    await converse(fakes.bot, callbackUpdate(quinn, button(received, "Execute")), quinn.id, "1 services created");
  });
});

describe("services and blueprint deletion", () => {
  it("inspects by role!instance and @role, executes an action chosen from buttons, and deletes a blueprint by uninstalling only its services", async ({ expect }) => {
    const rex = { id: 7004, first_name: "Rex" };
    await workspace(rex, "rex", "services");
    for (const [name, content] of [["a.yaml", "web__one:\nactions:\n  - action: install\n"], ["b.yaml", "web__two:\nactions:\n  - action: install\n"]]) {
      expect((await api("/ays/repository/services/blueprint", { method: "POST", json: { name, content } })).status).toBe(201);
      expect((await api(`/ays/repository/services/blueprint/${name}`, { method: "POST" })).status).toBe(200);
    }
    let before = fakes.bot.sent(rex.id).length;
    await deliver(textUpdate(rex, "/run create"));
    await reply(fakes.bot, rex.id, "ended <b>ok</b>", before);

    const role = await converse(fakes.bot, textUpdate(rex, "/service inspect @web"), rex.id, "web!one");
    expect(role.payload.text).toContain("web!two");
    const one = await converse(fakes.bot, textUpdate(rex, "/service inspect web!one"), rex.id, "from blueprint <code>a.yaml</code>");
    expect(one.payload.text).not.toContain("web!two");

    const actions = await converse(fakes.bot, callbackUpdate(rex, button(one, "Execute an action")), rex.id, "Select the action");
    const scheduled = await converse(fakes.bot, callbackUpdate(rex, button(actions, "stop")), rex.id, "scheduled on <code>web!one</code>");
    before = fakes.bot.sent(rex.id).length;
    await deliver(callbackUpdate(rex, button(scheduled, "▶ Run now")));
    await reply(fakes.bot, rex.id, "ended <b>ok</b>", before);

    const confirm = await converse(fakes.bot, textUpdate(rex, "/blueprint delete a.yaml"), rex.id, "uninstall its 1 installed service(s): <code>web!one</code>");
    before = fakes.bot.sent(rex.id).length;
    await deliver(callbackUpdate(rex, button(confirm, "Yes, delete a.yaml")));
    await reply(fakes.bot, rex.id, "blueprint <code>a.yaml</code> removed", before);
    await reply(fakes.bot, rex.id, "ended <b>ok</b>", before);

    const runs = ((await (await api("/ays/repository/services/aysrun")).json()) as { runs: { key: string }[] }).runs;
    const last = (await (await api(`/ays/repository/services/aysrun/${runs[0]!.key}`)).json()) as RunRecord;
    const jobs = last.steps.flatMap((s) => s.jobs.map((j) => `${j.service} ${j.action}`));
    expect(jobs).toContain("web!one uninstall");
    expect(jobs.some((j) => j.startsWith("web!two"))).toBe(false);
    expect(((await (await api("/ays/repository/services/blueprint")).json()) as { name: string }[]).map((b) => b.name)).toEqual(["b.yaml"]);

    const ask = await converse(fakes.bot, textUpdate(rex, "/service delete web!two"), rex.id, "Delete service <code>web!two</code>? Nothing is uninstalled.");
    await converse(fakes.bot, callbackUpdate(rex, button(ask, "Yes, delete web!two")), rex.id, "Deleted <code>web!two</code>.");
    expect((await api("/ays/repository/services/service/web/two")).status).toBe(404);
  });
});

describe("telegram events on the bus", () => {
  it("publishes every linked user's interaction, so a service filtering on a telegram command runs its action", async ({ expect }) => {
    const sam = { id: 7005, first_name: "Sam" };
    await workspace(sam, "sam", "eventful");
    const template = { name: "chatops", actions: `export function deploy(job) { job.log("deploying for " + job.args.by + ": " + job.args.payload.args.text); }` };
    expect((await api("/ays/repository/eventful/template", { method: "POST", json: template })).status).toBe(201);
    const content = "chatops__main:\neventfilters:\n  - channel: telegram\n    command: deploy\n    actions: [deploy]\n";
    expect((await api("/ays/repository/eventful/blueprint", { method: "POST", json: { name: "ops.yaml", content } })).status).toBe(201);
    expect((await api("/ays/repository/eventful/blueprint/ops.yaml", { method: "POST" })).status).toBe(200);

    // The bot itself has no /deploy, and says so; the service still hears the command.
    await converse(fakes.bot, textUpdate(sam, "/deploy now"), sam.id, "didn't understand");
    const jobs = await until(
      async () => ((await (await api("/ays/repository/eventful/service/chatops/main/jobs")).json()) as { jobs: { action: string; state: string; logs: { log: string }[] }[] }).jobs,
      (list) => list.some((j) => j.action === "deploy" && j.state === "ok"),
      15_000,
    );
    expect(jobs.find((j) => j.action === "deploy")!.logs.map((l) => l.log)).toContain("deploying for sam: /deploy now");

    const events = ((await (await api("/ays/events?type=event.telegram&limit=500")).json()) as { events: { by: string; data: { command?: string; repo?: string } }[] }).events;
    const mine = events.filter((e) => e.by === "sam");
    expect(mine.map((e) => e.data.command)).toEqual(expect.arrayContaining(["repo", "deploy"]));
    expect(mine.find((e) => e.data.command === "deploy")!.data.repo).toBe("eventful");
    // Messages of unlinked people are not events: they must not trigger anyone's actions.
    expect(events.every((e) => e.by !== "telegram")).toBe(true);
  });
});
