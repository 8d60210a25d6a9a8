/**
 * /blueprint: add one by pasting YAML or sending a .yaml file, list, show, execute, archive,
 * restore and delete. Deleting uninstalls the services the blueprint created, and only those.
 */
import { BLUEPRINT_NAME_PATTERN } from "../../ays/names.ts";
import { Composer } from "grammy";
import type { Question } from "../conversation.ts";
import { b, code, escapeHtml, html, pre } from "../format.ts";
import { audit, repoActor, servicesOfBlueprint } from "../ops.ts";
import { storeDocument } from "../upload.ts";
import { runButtons, startRun } from "./run.ts";
import { ask, command, grid, menu, needRepo, refused, say, type Answers, type Button, type Ctx, type Handler } from "./shared.ts";

const MAX_BLUEPRINT_CHARS = 512 * 1024;
const NO_BLUEPRINTS = "Sorry, this repository doesn't contain blueprints for now: paste one with /blueprint add, or send me a .yaml file.";
const notABlueprint = (name: string) => [html(`${code(name)} is not a valid blueprint name.`)];

const blueprint: Handler = async (ctx, [verb, ...rest]) => {
  const repo = await needRepo(ctx);
  if (!repo) return;
  const actor = repoActor(ctx.cockpit, repo);
  const name = rest[0];
  const pick = async (subcommand: string, prompt: string, archived?: boolean) => {
    const list = await actor.listBlueprints(archived);
    if (!list.length) return say(ctx, NO_BLUEPRINTS);
    await say(ctx, prompt, grid(list.map((bp): Button => [bp.name, "blueprint", subcommand, bp.name]), 2));
  };
  switch (verb?.toLowerCase()) {
    case undefined:
      await menu(ctx, `Blueprints of ${code(repo)}: what do you want to do?`, "blueprint", ["add", "list", "execute", "delete"]);
      return;
    case "add":
    case "create":
      if (name && !BLUEPRINT_NAME_PATTERN.test(name)) return say(ctx, "A blueprint name has letters, digits, _, . and - only, and not only dots (e.g. site.yaml).");
      ask(ctx, { kind: "blueprint.paste", ...(name ? { name: withYamlExtension(name) } : {}) });
      await say(ctx, "Please paste your blueprint here now (or send me a .yaml file), or /cancel.");
      return;
    case "list": {
      const list = await actor.listBlueprints();
      if (!list.length) return say(ctx, NO_BLUEPRINTS);
      const lines = list.map((bp) => `- ${code(bp.name)}${bp.archived ? " (archived)" : ""}`);
      await say(ctx, [html(`Blueprints of ${code(repo)}:\n${lines.join("\n")}`), html("Click on the blueprint you want to inspect.")], grid(list.map((bp): Button => [bp.name, "blueprint", "show", bp.name]), 2));
      return;
    }
    case "show":
    case "get": {
      if (!name) return pick("show", "Which blueprint?");
      const found = await actor.getBlueprint(name);
      if (!found.ok) return say(ctx, notABlueprint(name));
      const bp = found.value;
      await say(ctx, [html(`${b(bp.name)}${bp.archived ? " (archived)" : ""}`), pre(bp.content)], [
        [
          ["Execute", "blueprint", "execute", bp.name],
          bp.archived ? ["Restore", "blueprint", "restore", bp.name] : ["Archive", "blueprint", "archive", bp.name],
          ["Delete", "blueprint", "delete", bp.name],
        ],
      ]);
      return;
    }
    case "execute":
    case "exec": {
      if (!name) return pick("execute", "Which blueprint do you want to execute?", false);
      await executeBlueprint(ctx, repo, name);
      return;
    }
    case "archive":
    case "restore": {
      if (!name) return pick(verb.toLowerCase(), `Which blueprint do you want to ${verb.toLowerCase()}?`, verb.toLowerCase() === "restore");
      const archived = verb.toLowerCase() === "archive";
      const result = await actor.setArchived(name, archived);
      if (!result.ok) return refused(ctx, result.error);
      await audit(ctx.cockpit, `blueprint.${archived ? "archived" : "restored"}`, repo, `blueprint ${name} ${archived ? "archived" : "restored"}`);
      await say(ctx, [html(`Blueprint ${code(name)} ${archived ? "archived: executing it is refused until you restore it" : "restored"}.`)]);
      return;
    }
    case "delete":
    case "remove": {
      if (!name) return pick("delete", "Which blueprint do you want to delete?");
      await deleteBlueprint(ctx, repo, name, rest.includes("--yes"));
      return;
    }
    default:
      await say(ctx, "Use /blueprint add, list, show NAME, execute NAME, archive NAME, restore NAME or delete NAME.");
  }
};

function withYamlExtension(name: string): string {
  return /\.ya?ml$/i.test(name) ? name : `${name}.yaml`;
}

function pastedName(): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15);
  return `telegram_${t}.yaml`;
}

async function executeBlueprint(ctx: Ctx, repo: string, name: string): Promise<void> {
  const result = await repoActor(ctx.cockpit, repo).executeBlueprint(name);
  if (!result.ok) return refused(ctx, result.error);
  await audit(ctx.cockpit, "blueprint.executed", repo, result.value.msg, { created: result.value.created, changed: result.value.changed });
  const value = result.value;
  const text = `Blueprint ${code(name)} executed: ${value.created.length} services created, ${value.changed.length} changed, ${value.scheduled} actions scheduled.`;
  if (!value.scheduled) return void (await say(ctx, [html(`${text}\nNothing to run. Check your services with /service list`)]));
  await say(ctx, [html(`${text}\nRun the scheduled actions now?`)], runButtons());
}

/** Saves a blueprint from a paste or an upload (an existing name is replaced, as the original did). */
async function saveBlueprint(ctx: Ctx, repo: string, name: string, content: string): Promise<boolean> {
  const actor = repoActor(ctx.cockpit, repo);
  let saved = await actor.saveBlueprint(name, content, "create");
  if (!saved.ok && saved.code === "exists") saved = await actor.saveBlueprint(name, content, "update");
  if (!saved.ok) {
    await say(ctx, [html(`This is not a valid blueprint, nothing was saved:`), pre(saved.error)]);
    return false;
  }
  await audit(ctx.cockpit, "blueprint.created", repo, `blueprint ${name} saved`);
  return true;
}

async function pasted(ctx: Ctx, question: Extract<Question, { kind: "blueprint.paste" }>, text: string): Promise<void> {
  const repo = await needRepo(ctx);
  if (!repo) return ctx.cockpit.host.answered();
  if (text.length > MAX_BLUEPRINT_CHARS) return say(ctx, "That blueprint is too long (512 KiB at most).");
  const name = question.name ?? pastedName();
  // On an invalid blueprint the question stays open: the corrected paste is the natural next message.
  if (!(await saveBlueprint(ctx, repo, name, text))) return say(ctx, "Paste the corrected blueprint, or /cancel.");
  ctx.cockpit.host.answered();
  await say(ctx, [html(`Blueprint ${code(name)} saved in ${code(repo)}. Start execution of your blueprint...`)]);
  await executeBlueprint(ctx, repo, name);
}

/**
 * Deleting a blueprint uninstalls the services it created, and only those (the original uninstalled
 * the whole repository), then removes the blueprint.
 */
async function deleteBlueprint(ctx: Ctx, repo: string, name: string, confirmed: boolean): Promise<void> {
  const cp = ctx.cockpit;
  const actor = repoActor(cp, repo);
  const found = await actor.getBlueprint(name);
  if (!found.ok) return say(ctx, notABlueprint(name));
  const services = await servicesOfBlueprint(actor, name);
  const installed = services.filter((s) => s.actions.some((a) => a.name === "install" && a.state === "ok"));
  if (!confirmed) {
    const what = installed.length ? ` and uninstall its ${installed.length} installed service(s): ${installed.map((s) => code(s.key)).join(", ")}` : "";
    await say(ctx, [html(`Delete blueprint ${code(name)}${what}?`)], [[[`Yes, delete ${name}`, "blueprint", "delete", name, "--yes"]]]);
    return;
  }
  await say(ctx, [html(`Start deletion of blueprint ${code(name)}`)]);
  for (const service of installed) {
    const result = await actor.scheduleServiceAction(service.role, service.name, "uninstall", false);
    if (!result.ok) return say(ctx, [html(`Error during deletion of blueprint ${code(name)}: ${escapeHtml(result.error)}`)]);
  }
  const removed = await actor.deleteBlueprint(name);
  if (!removed.ok) return refused(ctx, removed.error);
  await audit(cp, "blueprint.deleted", repo, `blueprint ${name} deleted`, { uninstall: installed.map((s) => s.key) });
  await say(ctx, [html(`blueprint ${code(name)} removed`)]);
  if (installed.length) await startRun(ctx, repo);
}

export const blueprints = new Composer<Ctx>(command("blueprint", blueprint));

/** A .yaml document: kept in R2 and saved as a blueprint of the current repository. */
blueprints.on("message:document", async (ctx) => {
  const repo = await needRepo(ctx);
  if (!repo) return;
  const stored = await storeDocument(ctx, repo);
  if (!stored) return;
  if (await saveBlueprint(ctx, repo, stored.name, stored.content)) {
    ctx.cockpit.host.answered();
    await say(ctx, [html(`File received: ${code(stored.name)}, saved as a blueprint of ${code(repo)}.`)], [
      [["Execute", "blueprint", "execute", stored.name], ["Show", "blueprint", "show", stored.name]],
    ]);
  }
});

export const blueprintAnswers: Answers<"blueprint.paste"> = { "blueprint.paste": pasted };
