/**
 * /run: create a run from the scheduled actions and follow it in one message, simulate one (a plan
 * with Start and Cancel buttons), list, inspect, re-run an ended one, cancel. Blueprints and
 * services offer `runButtons()` after scheduling actions, and start runs with `startRun`.
 */
import { Composer } from "grammy";
import type { RunRecord } from "../../runs/model.ts";
import type { ButtonAction } from "../context.ts";
import { b, code, html, renderMessages } from "../format.ts";
import { audit, repoActor, runResult } from "../ops.ts";
import { runDetail, runEnded, runProgress } from "../render.ts";
import { command, grid, menu, needRepo, refused, say, send, type Button, type Ctx, type Handler } from "./shared.ts";

/** The offer to run what was just scheduled: `/run create` or `/run simulate`. */
export const runButtons = (): Button[][] => [[["▶ Run now", "run", "create"], ["Simulate", "run", "simulate"]]];

export const RERUN_LABEL = "🔁 Re-run";

/** What the Re-run button of an ended run stands for: `/run rerun KEY`. */
const rerunArgs = (key: string) => ["rerun", key];

/** The Re-run button of a followed run's summary, which the ChatActor sends outside any command. */
export function rerunAction(repo: string, key: string): ButtonAction {
  return { command: "run", args: rerunArgs(key), repo };
}

function rerunButton(key: string): Button {
  return [RERUN_LABEL, "run", ...rerunArgs(key)];
}

const run: Handler = async (ctx, [verb, key]) => {
  const repo = await needRepo(ctx);
  if (!repo) return;
  const cp = ctx.cockpit;
  const actor = repoActor(cp, repo);
  const pickRun = async (subcommand: string, filter: (state: string) => boolean) => {
    const runs = (await actor.listRuns()).runs.filter((r) => filter(r.state)).slice(0, 12);
    if (!runs.length) return say(ctx, "There is no such run.");
    await say(ctx, "Which run?", grid(runs.map((r): Button => [`${r.key} ${r.state}`, "run", subcommand, r.key]), 2));
  };
  switch (verb?.toLowerCase()) {
    case undefined:
      await menu(ctx, `Runs of ${code(repo)}: what do you want to do?`, "run", ["create", "simulate", "list", "rerun", "cancel"]);
      return;
    case "create":
    case "execute":
    case "exec":
      await startRun(ctx, repo);
      return;
    case "simulate": {
      const created = runResult(await actor.createRun({ simulate: true, by: cp.link!.user }));
      if (!created.ok) return refused(ctx, created.error);
      await audit(cp, "run.created", repo, `run ${created.value.key} created (simulated)`);
      await showPlan(ctx, repo, created.value);
      return;
    }
    case "start": {
      if (!key) return pickRun("start", (s) => s === "new");
      const started = runResult(await actor.startRun(key));
      if (!started.ok) return refused(ctx, started.error);
      await audit(cp, "run.started", repo, `run ${key} started`);
      await follow(ctx, repo, started.value.key);
      return;
    }
    case "list": {
      const runs = (await actor.listRuns({ limit: 20 })).runs;
      if (!runs.length) return say(ctx, "No runs yet: /run create makes one from the scheduled actions.");
      const lines = runs.map((r) => `- ${code(r.key)} ${b(r.state)}${r.simulate ? " (simulated)" : ""}: ${r.steps} steps, ${r.jobs} jobs, ${new Date(r.created).toISOString().slice(0, 16).replace("T", " ")}`);
      await say(ctx, [html(lines.join("\n"))], grid(runs.slice(0, 6).map((r): Button => [r.key, "run", "inspect", r.key]), 3));
      return;
    }
    case "inspect":
    case "show": {
      if (!key) return pickRun("inspect", () => true);
      const found = runResult(await actor.getRun(key));
      if (!found.ok) return refused(ctx, found.error);
      await say(ctx, runDetail(repo, found.value), runEnded(found.value) ? [[rerunButton(found.value.key)]] : undefined);
      return;
    }
    case "rerun":
    case "re-run": {
      if (!key) return pickRun("rerun", (s) => runEnded({ state: s }));
      const again = runResult(await actor.rerunRun(key, cp.link!.user));
      if (!again.ok) return refused(ctx, again.error);
      const created = again.value;
      // The same entry as POST …/aysrun/{key}/rerun writes, on the telegram channel.
      await audit(cp, "run.created", repo, `run ${created.key} created as a re-run of ${key}${created.simulate ? " (simulated)" : ""}`, { rerun_of: key });
      if (created.simulate) await showPlan(ctx, repo, created);
      else await follow(ctx, repo, created.key);
      return;
    }
    case "cancel": {
      if (!key) return pickRun("cancel", (s) => s === "new" || s === "running");
      const cancelled = runResult(await actor.cancelRun(key));
      if (!cancelled.ok) return refused(ctx, cancelled.error);
      await audit(cp, "run.cancelled", repo, `run ${key} cancelled`);
      await say(ctx, [html(`Run ${code(key)} cancelled: jobs not started yet will not run.`)]);
      return;
    }
    default:
      await say(ctx, "Use /run create, simulate, start KEY, list, inspect KEY, rerun KEY or cancel KEY.");
  }
};

/** Creates a run from the scheduled actions and follows it in one message. */
export async function startRun(ctx: Ctx, repo: string): Promise<void> {
  const cp = ctx.cockpit;
  const created = runResult(await repoActor(cp, repo).createRun({ simulate: false, by: cp.link!.user }));
  if (!created.ok) return refused(ctx, created.error);
  await audit(cp, "run.created", repo, `run ${created.value.key} created`);
  await follow(ctx, repo, created.value.key);
}

async function follow(ctx: Ctx, repo: string, key: string): Promise<void> {
  const current = runResult(await repoActor(ctx.cockpit, repo).getRun(key));
  if (!current.ok) return refused(ctx, current.error);
  const blocks = runProgress(repo, current.value);
  const message = await send(ctx, blocks);
  // The summary's Re-run button is shown to whoever started following.
  if (message !== undefined) ctx.cockpit.host.watch(repo, key, message, renderMessages(blocks)[0]!, ctx.from!.id);
}

/** A planned (simulated) run: every job, and buttons to start or cancel it. */
async function showPlan(ctx: Ctx, repo: string, planned: RunRecord): Promise<void> {
  await say(ctx, runDetail(repo, planned), [[[`▶ Start ${planned.key}`, "run", "start", planned.key], [`Cancel ${planned.key}`, "run", "cancel", planned.key]]]);
}

export const runs = new Composer<Ctx>(command("run", run));
