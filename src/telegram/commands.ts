/**
 * The bot's commands (ays-original.md §3): /start, /repo, /blueprint, /service, /run, /errors,
 * /errorsof, /cancel and /help. A command with missing arguments offers buttons or asks a question;
 * a button is only a stored command line, so pressing it runs exactly what typing it would, after
 * the same checks.
 */
import { Composer } from "grammy";
import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import { authorizeUrl, OAuthError } from "../auth/oauth.ts";
import { MAX_PAGE } from "../actors/paging.ts";
import type { ServiceQuery, ServiceView } from "../actors/repository/views.ts";
import type { Result } from "../actors/results.ts";
import type { RunRecord } from "../runs/model.ts";
import { NAME_PATTERN } from "../routes/schemas.ts";
import { sendBlocks } from "./bot.ts";
import type { Question } from "./conversation.ts";
import type { ButtonAction, Cockpit, CockpitContext } from "./context.ts";
import { b, code, escapeHtml, html, i, pre, renderMessages, type Block } from "./format.ts";
import { audit, createRepository, deleteRepository, orgActor, repoActor, runResult } from "./ops.ts";
import { runDetail, runEnded, runProgress, serviceDetail } from "./render.ts";
import { storeDocument } from "./upload.ts";

type Ctx = CockpitContext;
type Handler = (ctx: Ctx, args: string[], raw: string) => Promise<void>;
/** A button: label, then the command line it stands for. */
type Button = [label: string, command: string, ...args: string[]];

export const NOT_LINKED = "I don't know you yet, please use /start";
/** The buttons of a job's question (job.ask); never a command anyone can type. */
export const ANSWER_COMMAND = "job.answer";
const NO_REPO = "You are not working on a repository yet: use /repo to select or create one.";
const BLUEPRINT_NAME = /^[A-Za-z0-9_.-]{1,200}$/;
const MAX_BLUEPRINT_CHARS = 512 * 1024;


const SUMMARY = [
  "Let's start:",
  ` - manage your repositories with: /repo`,
  ` - manage your blueprints with: /blueprint`,
  ` - manage your services with: /service`,
  ` - create and follow runs with: /run`,
  "For more information, just type /help :)",
].join("\n");

const HELP = [
  b("What I can do"),
  "/start: sign in with your organization account (once)",
  "/repo: select, create, list or delete repositories (/repo create NAME, /repo select NAME, /repo list, /repo delete NAME)",
  "/blueprint: add one by pasting YAML or sending a .yaml file; list, show, execute, archive, restore or delete (/blueprint execute NAME)",
  "/service: list and inspect services (/service inspect web!front or @web for a whole role), execute an action, delete one",
  "/run: create a run and follow its progress, simulate one, list, inspect, re-run an ended one or cancel (/run inspect run-3, /run rerun run-3)",
  "/errors: the latest errors of your runs; /errorsof TEXT: only those mentioning TEXT",
  "/cancel: forget the question I asked you",
  "/help: this text",
].join("\n");

// === Replies

function chatId(ctx: Ctx): number {
  return ctx.cockpit.host.chat;
}

/** Sends a reply; @returns the id of its last message. */
function send(ctx: Ctx, blocks: Block[] | string, buttons?: Button[][]): Promise<number | undefined> {
  const list = typeof blocks === "string" ? [html(escapeHtml(blocks))] : blocks;
  return sendBlocks(ctx.api, chatId(ctx), list, buttons ? keyboard(ctx, buttons) : undefined);
}

export async function say(ctx: Ctx, blocks: Block[] | string, buttons?: Button[][]): Promise<void> {
  await send(ctx, blocks, buttons);
}

/** Commands that act on the user's current repository; their buttons remember which one it was. */
const REPO_SCOPED = new Set(["blueprint", "service", "run"]);

function keyboard(ctx: Ctx, rows: Button[][]): InlineKeyboardMarkup {
  const user = ctx.from!.id;
  const repo = currentRepo(ctx);
  const action = (command: string, args: string[]): ButtonAction => ({ command, args, ...(repo && REPO_SCOPED.has(command) ? { repo } : {}) });
  return {
    inline_keyboard: rows
      .filter((row) => row.length)
      .map((row) =>
        row.map(([label, command, ...args]): InlineKeyboardButton => ({ text: label, callback_data: ctx.cockpit.host.button(user, action(command, args)) })),
      ),
  };
}

/** Rows of up to `width` buttons. */
function grid(buttons: Button[], width = 3): Button[][] {
  const rows: Button[][] = [];
  for (let n = 0; n < buttons.length; n += width) rows.push(buttons.slice(n, n + width));
  return rows;
}

/** What a command offers when given no arguments: its verbs as buttons, two to a row. */
async function menu(ctx: Ctx, title: string, command: string, verbs: string[]): Promise<void> {
  await say(ctx, [html(title)], grid(verbs.map((verb): Button => [verb[0]!.toUpperCase() + verb.slice(1), command, verb]), 2));
}

function currentRepo(ctx: Ctx): string | null {
  return ctx.cockpit.link?.current_repo ?? null;
}

/** Refusals from an actor, told as they are (they name what is wrong). */
async function refused(ctx: Ctx, error: string): Promise<void> {
  await say(ctx, [html(`Sorry: ${escapeHtml(error)}`)]);
}

// === /start, /help, /cancel

async function start(ctx: Ctx): Promise<void> {
  const cp = ctx.cockpit;
  const from = ctx.from!;
  if (cp.link) {
    await say(ctx, `Welcome back ${from.first_name}!\n${SUMMARY}`);
    return;
  }
  if (ctx.chat?.type !== "private") {
    // A sign-in link shown in a group could be completed by someone else, linking them to this user.
    await say(ctx, "Please send me /start in a private chat to sign in.");
    return;
  }
  let url: string;
  try {
    url = await authorizeUrl(cp.config, { kind: "telegram", chat: ctx.chat.id, from: from.id, name: from.first_name }, cp.origin);
  } catch (err) {
    if (err instanceof OAuthError) {
      await say(ctx, `Signing in is not possible right now: ${err.message}`);
      return;
    }
    throw err;
  }
  await orgActor(cp).telegramPending(from.id, ctx.chat.id);
  const org = cp.config.oauth.organization;
  await say(ctx, [
    html(`I don't know you yet, please click on the following link and authorize us to verify you are part of the organization ${b(`'${org}'`)}:`),
    html(`<a href="${escapeHtml(url)}">Sign in to ${escapeHtml(org)}</a>`),
    html(i(`The link works once, for ${cp.config.auth?.state_minutes ?? 10} minutes. I will tell you here when you are in.`)),
  ]);
}

async function help(ctx: Ctx): Promise<void> {
  await say(ctx, [html(HELP)]);
}

async function cancel(ctx: Ctx): Promise<void> {
  await say(ctx, ctx.cockpit.host.cancel() ? "OK, forgotten." : "There was nothing to cancel.");
}

function ask(ctx: Ctx, question: Question): void {
  ctx.cockpit.host.ask(question, ctx.from!.id);
}

// === /repo

const repo: Handler = async (ctx, [verb, ...rest]) => {
  const cp = ctx.cockpit;
  switch (verb?.toLowerCase()) {
    case undefined:
      await say(ctx, "What do you want to do?", [[["Select", "repo", "select"]], [["Create", "repo", "create"], ["List", "repo", "list"], ["Delete", "repo", "delete"]]]);
      return;
    case "create":
    case "add":
      if (!rest[0]) {
        ask(ctx, { kind: "repo.create" });
        await say(ctx, "Please enter the name of your repo (letters, digits, _ and -), or /cancel.");
        return;
      }
      await checkout(ctx, rest[0], true);
      return;
    case "select": {
      if (rest[0]) return checkout(ctx, rest[0], false);
      const repos = await orgActor(cp).listRepositories();
      if (!repos.length) return say(ctx, "You don't have any repo for now, create the first one with: /repo create NAME");
      await say(ctx, "Choose the repo you want to work on.", grid(repos.map((r): Button => [r.name, "repo", "select", r.name])));
      return;
    }
    case "list": {
      const repos = await orgActor(cp).listRepositories();
      const current = currentRepo(ctx);
      const lines = [current ? `Current repo: ${b(current)}` : "No repo selected now."];
      if (repos.length) lines.push(`I have ${repos.length} repo(s) for you:`, ...repos.map((r) => `- ${code(r.name)}`));
      else lines.push("You don't have any repo for now, create the first one with: /repo create NAME");
      await say(ctx, [html(lines.join("\n"))]);
      return;
    }
    case "delete":
    case "remove": {
      if (!rest[0]) {
        const repos = await orgActor(cp).listRepositories();
        if (!repos.length) return say(ctx, "There is no repository to delete.");
        await say(ctx, "Which repository do you want to delete?", grid(repos.map((r): Button => [r.name, "repo", "delete", r.name])));
        return;
      }
      const confirmed = rest.includes("--yes");
      for (const name of rest.filter((r) => r !== "--yes")) {
        if (!(await orgActor(cp).getRepository(name))) {
          await say(ctx, [html(`Sorry, I can't find any repo named ${code(name)} :/`)]);
          continue;
        }
        if (!confirmed) {
          await say(ctx, [html(`Delete repository ${code(name)} with all its blueprints, services and runs?`)], [[[`Yes, delete ${name}`, "repo", "delete", name, "--yes"]]]);
          continue;
        }
        await deleteRepository(cp.env, cp.org, name);
        await audit(cp, "repository.deleted", name, `repository ${name} deleted`);
        if (cp.link?.current_repo === name) cp.link.current_repo = null;
        await say(ctx, [html(`Repo ${code(name)} removed`)]);
      }
      return;
    }
    default:
      // `/repo NAME` is the shortest way to switch (or create), as in the original.
      await checkout(ctx, verb!, true);
  }
};

async function checkout(ctx: Ctx, name: string, create: boolean): Promise<void> {
  const cp = ctx.cockpit;
  if (!NAME_PATTERN.test(name) || name.length > 100) {
    await say(ctx, "Sorry, I don't support this repo name, please name it without any special characters or spaces (letters, digits, _ and -).");
    return;
  }
  const exists = Boolean(await orgActor(cp).getRepository(name));
  if (!exists && !create) {
    await say(ctx, [html(`Selected repo doesn't exist: ${code(name)}. Create it with /repo create ${escapeHtml(name)}`)]);
    return;
  }
  if (!exists) {
    // Two people may race to create it; losing that race just selects it.
    if (await createRepository(cp.env, cp.org, name)) await audit(cp, "repository.created", name, `repository ${name} created`);
  }
  await orgActor(cp).telegramSelect(ctx.from!.id, name);
  if (cp.link) cp.link.current_repo = name;
  await say(ctx, [
    html(exists ? `This repo already exists, ${code(name)} is now your current working repo.` : `Repo ${code(name)} created, it's now your current working repo.`),
  ]);
}

/** The current repository, or a reply saying there is none. */
async function needRepo(ctx: Ctx): Promise<string | null> {
  const name = currentRepo(ctx);
  if (name && (await orgActor(ctx.cockpit).getRepository(name))) return name;
  if (name) await orgActor(ctx.cockpit).telegramSelect(ctx.from!.id, null);
  await say(ctx, NO_REPO);
  return null;
}

const runButtons = (): Button[][] => [[["▶ Run now", "run", "create"], ["Simulate", "run", "simulate"]]];

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

// === /blueprint

const blueprint: Handler = async (ctx, [verb, ...rest]) => {
  const repo = await needRepo(ctx);
  if (!repo) return;
  const actor = repoActor(ctx.cockpit, repo);
  const name = rest[0];
  const pick = async (command: string, prompt: string, archived?: boolean) => {
    const list = await actor.listBlueprints(archived);
    if (!list.length) return say(ctx, "Sorry, this repository doesn't contain blueprints for now: paste one with /blueprint add, or send me a .yaml file.");
    await say(ctx, prompt, grid(list.map((bp): Button => [bp.name, "blueprint", command, bp.name]), 2));
  };
  switch (verb?.toLowerCase()) {
    case undefined:
      await menu(ctx, `Blueprints of ${code(repo)}: what do you want to do?`, "blueprint", ["add", "list", "execute", "delete"]);
      return;
    case "add":
    case "create":
      if (name && !BLUEPRINT_NAME.test(name)) return say(ctx, "A blueprint name has letters, digits, _, . and - only (e.g. site.yaml).");
      ask(ctx, { kind: "blueprint.paste", ...(name ? { name: withYamlExtension(name) } : {}) });
      await say(ctx, "Please paste your blueprint here now (or send me a .yaml file), or /cancel.");
      return;
    case "list": {
      const list = await actor.listBlueprints();
      if (!list.length) return say(ctx, "Sorry, this repository doesn't contain blueprints for now: paste one with /blueprint add, or send me a .yaml file.");
      const lines = list.map((bp) => `- ${code(bp.name)}${bp.archived ? " (archived)" : ""}`);
      await say(ctx, [html(`Blueprints of ${code(repo)}:\n${lines.join("\n")}`), html("Click on the blueprint you want to inspect.")], grid(list.map((bp): Button => [bp.name, "blueprint", "show", bp.name]), 2));
      return;
    }
    case "show":
    case "get": {
      if (!name) return pick("show", "Which blueprint?");
      const found = await actor.getBlueprint(name);
      if (!found.ok) return say(ctx, [html(`${code(name)} is not a valid blueprint name.`)]);
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
export async function saveBlueprint(ctx: Ctx, repo: string, name: string, content: string): Promise<boolean> {
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
  if (!found.ok) return say(ctx, [html(`${code(name)} is not a valid blueprint name.`)]);
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

// === /service

/** How many services `/service list` shows; the console pages through the rest. */
const LISTED_SERVICES = 50;

/** A page of the services; workers-types cannot map their open-ended `data` across RPC, this restores the type. */
async function servicesPage(actor: ReturnType<typeof repoActor>, query: ServiceQuery): Promise<{ services: ServiceView[]; next: string | null }> {
  return (await actor.listServices(query)) as unknown as { services: ServiceView[]; next: string | null };
}

/** The services a blueprint created, read page by page. */
async function servicesOfBlueprint(actor: ReturnType<typeof repoActor>, name: string): Promise<ServiceView[]> {
  const found: ServiceView[] = [];
  let after: string | undefined;
  do {
    const page = await servicesPage(actor, { limit: MAX_PAGE, ...(after ? { after } : {}) });
    found.push(...page.services.filter((s) => s.blueprint === name));
    after = page.next ?? undefined;
  } while (after);
  return found;
}

/** `role!instance` names one service, `@role` every service of a role (the original's keys; the first MAX_PAGE of them). */
async function matchServices(actor: ReturnType<typeof repoActor>, key: string): Promise<ServiceView[]> {
  if (key.startsWith("@")) return (await servicesPage(actor, { role: key.slice(1), limit: MAX_PAGE })).services;
  const bang = key.indexOf("!");
  if (bang < 1) return [];
  const found = (await actor.getService(key.slice(0, bang), key.slice(bang + 1))) as unknown as Result<ServiceView>;
  return found.ok ? [found.value] : [];
}

const SERVICE_HINT = "Choose a service or type a service key to match several: @node matches every service with role node, node!bot the service with role node and instance bot.";

const service: Handler = async (ctx, [verb, key, action, ...rest]) => {
  const repo = await needRepo(ctx);
  if (!repo) return;
  const actor = repoActor(ctx.cockpit, repo);
  const choose = async (command: string, question?: Question) => {
    const { services } = await servicesPage(actor, { limit: 60 });
    if (!services.length) return say(ctx, "Sorry, this repository doesn't contain services for now.");
    if (question) ask(ctx, question);
    await say(ctx, question ? SERVICE_HINT : "Choose a service.", grid(services.map((s): Button => [s.key, "service", command, s.key]), 2));
  };
  switch (verb?.toLowerCase()) {
    case undefined:
      await menu(ctx, `Services of ${code(repo)}: what do you want to do?`, "service", ["list", "inspect", "execute", "delete"]);
      return;
    case "list": {
      const { services, next } = await servicesPage(actor, { limit: LISTED_SERVICES });
      if (!services.length) return say(ctx, "Sorry, this repository doesn't contain services for now.");
      const more = next ? [`… and more: the first ${LISTED_SERVICES} are shown; the repository's page in the console lists them all.`] : [];
      await say(ctx, [html([...services.map((s) => `- ${code(s.key)} ${escapeHtml(s.state)}`), ...more.map(escapeHtml)].join("\n"))]);
      return;
    }
    case "inspect":
    case "see": {
      if (!key) return choose("inspect", { kind: "service.inspect" });
      await inspectServices(ctx, actor, key);
      return;
    }
    case "execute":
    case "exec": {
      if (!key) return choose("execute", { kind: "service.execute" });
      const matched = await matchServices(actor, key);
      if (!matched.length) return say(ctx, [html(`No service matches ${code(key)}. ${escapeHtml(SERVICE_HINT)}`)]);
      if (!action) {
        const actions = [...new Set(matched.flatMap((s) => s.actions.map((a) => a.name)))].sort();
        await say(ctx, "Select the action you want to execute", grid(actions.map((a): Button => [a, "service", "execute", key, a]), 3));
        return;
      }
      const scheduled: string[] = [];
      for (const s of matched) {
        const result = await actor.scheduleServiceAction(s.role, s.name, action, rest.includes("--force"));
        if (!result.ok) return say(ctx, [html(`Sorry: ${escapeHtml(result.error)}${scheduled.length ? ` (scheduled on ${scheduled.map(code).join(", ")} already)` : ""}`)]);
        scheduled.push(s.key);
        await audit(ctx.cockpit, "action.scheduled", repo, `${action} scheduled on ${s.key}`);
      }
      await say(ctx, [html(`${code(action)} scheduled on ${scheduled.map(code).join(", ")}. Run it now?`)], runButtons());
      return;
    }
    case "delete":
    case "remove": {
      if (!key) return choose("delete");
      const [target] = key.startsWith("@") ? [] : await matchServices(actor, key);
      if (!target) return say(ctx, [html(`No service ${code(key)} in ${code(repo)}.`)]);
      if (action !== "--yes") {
        const children = target.children.length ? ` and its children ${target.children.map(code).join(", ")}` : "";
        await say(ctx, [html(`Delete service ${code(key)}${children}? Nothing is uninstalled.`)], [[[`Yes, delete ${key}`, "service", "delete", key, "--yes"]]]);
        return;
      }
      const result = await actor.deleteService(target.role, target.name);
      if (!result.ok) return refused(ctx, result.error);
      await audit(ctx.cockpit, "service.deleted", repo, `service ${key} deleted`, result.value);
      await say(ctx, [html(`Deleted ${result.value.deleted.map(code).join(", ")}.`)]);
      return;
    }
    default:
      // `/service web!front` inspects, like typing the key after /service inspect.
      await inspectServices(ctx, actor, verb!);
  }
};

async function inspectServices(ctx: Ctx, actor: ReturnType<typeof repoActor>, key: string): Promise<void> {
  const matched = await matchServices(actor, key);
  if (!matched.length) return say(ctx, [html(`No service matches ${code(key)}. ${escapeHtml(SERVICE_HINT)}`)]);
  await say(ctx, matched.flatMap((s) => [...serviceDetail(s), html("")]), [matched.length === 1 ? [["Execute an action", "service", "execute", matched[0]!.key]] : []]);
}

// === /run

const run: Handler = async (ctx, [verb, key]) => {
  const repo = await needRepo(ctx);
  if (!repo) return;
  const cp = ctx.cockpit;
  const actor = repoActor(cp, repo);
  const pickRun = async (command: string, filter: (state: string) => boolean) => {
    const runs = (await actor.listRuns()).runs.filter((r) => filter(r.state)).slice(0, 12);
    if (!runs.length) return say(ctx, "There is no such run.");
    await say(ctx, "Which run?", grid(runs.map((r): Button => [`${r.key} ${r.state}`, "run", command, r.key]), 2));
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
async function startRun(ctx: Ctx, repo: string): Promise<void> {
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

// === /errors, /errorsof

const ERRORS_SHOWN = 20;

async function errors(ctx: Ctx, filter: string | null): Promise<void> {
  const cp = ctx.cockpit;
  const repos = (await orgActor(cp).listRepositories()).map((r) => r.name);
  const found: { when: number; line: string; logs: string }[] = [];
  for (const repo of repos) {
    const actor = repoActor(cp, repo);
    for (const summary of (await actor.listRuns()).runs.filter((r) => r.state === "error").slice(0, 10)) {
      const full = runResult(await actor.getRun(summary.key));
      if (!full.ok) continue;
      for (const e of full.value.errors) {
        const logs = e.logs.slice(-3).map((l) => l.log).join("\n");
        const line = `${repo} ${full.value.key} ${e.service} ${e.action}`;
        if (filter && !`${line}\n${logs}`.toLowerCase().includes(filter.toLowerCase())) continue;
        found.push({ when: full.value.created, line, logs });
      }
    }
  }
  found.sort((x, y) => y.when - x.when);
  if (!found.length) return say(ctx, filter ? `No errors mention "${filter}".` : "No errors. 🎉");
  const blocks: Block[] = [html(b(filter ? `LIST OF ERRORS mentioning "${filter}":` : "LIST OF ERRORS:"))];
  // The same failure repeated by retries is shown once (the original de-duplicated its error flood).
  const seen = new Set<string>();
  for (const e of found) {
    const id = `${e.line.split(" ").slice(2).join(" ")}\n${e.logs}`;
    if (seen.has(id)) continue;
    seen.add(id);
    blocks.push(html(`❌ ${code(e.line)}`));
    if (e.logs) blocks.push(pre(e.logs));
    if (seen.size >= ERRORS_SHOWN) break;
  }
  await say(ctx, blocks);
}

// === Dispatch

const COMMANDS: Record<string, Handler> = {
  repo,
  blueprint,
  service,
  run,
  errors: (ctx) => errors(ctx, null),
  errorsof: async (ctx, _args, raw) => {
    if (raw.trim()) return errors(ctx, raw.trim());
    ask(ctx, { kind: "errorsof" });
    await say(ctx, "Which text should the errors mention?");
  },
};

function splitArgs(raw: string): string[] {
  return raw.trim().split(/\s+/).filter(Boolean);
}

/** The command a message is, for the bus (`/repo@MyBot create x` → `repo`); null for plain text. */
export function commandOf(text: string | undefined): string | null {
  const m = /^\/([A-Za-z0-9_]{1,64})(?:@\w+)?(?:\s|$)/.exec(text ?? "");
  return m ? m[1]!.toLowerCase() : null;
}

async function answer(ctx: Ctx, question: Question, text: string): Promise<void> {
  const host = ctx.cockpit.host;
  switch (question.kind) {
    case "repo.create":
      host.answered();
      return checkout(ctx, text.trim(), true);
    case "blueprint.paste":
      return pasted(ctx, question, text);
    case "service.inspect":
      host.answered();
      return COMMANDS.service!(ctx, ["inspect", text.trim()], "");
    case "service.execute":
      host.answered();
      return COMMANDS.service!(ctx, ["execute", text.trim()], "");
    case "errorsof":
      host.answered();
      return errors(ctx, text.trim());
  }
}

/** Every update's route through the bot: public commands, then the linked-user guard, then the rest. */
export function commands(): Composer<Ctx> {
  const bot = new Composer<Ctx>();
  bot.command("start", start);
  bot.command("help", help);

  bot.use(async (ctx, next) => {
    if (ctx.cockpit.link) return next();
    if (ctx.callbackQuery) {
      await ctx.answerCallbackQuery({ text: NOT_LINKED, show_alert: true });
      return;
    }
    // In a group, only a command addressed to the bot gets the hint: chatter from others is not for us.
    if (ctx.message && ctx.chat && (ctx.chat.type === "private" || commandOf(ctx.message.text))) await say(ctx, NOT_LINKED);
  });

  bot.command("cancel", cancel);
  for (const [name, handler] of Object.entries(COMMANDS)) {
    bot.command(name, async (ctx) => {
      // A new command replaces a pending question, so an old prompt never eats the next message.
      ctx.cockpit.host.cancel();
      await handler(ctx, splitArgs(ctx.match), ctx.match);
    });
  }

  bot.on("callback_query:data", async (ctx) => {
    const pressed = ctx.cockpit.host.pressed(ctx.callbackQuery.data);
    if (!pressed) {
      await ctx.answerCallbackQuery({ text: "This button is not valid (any more). Send the command again.", show_alert: true });
      return;
    }
    if (pressed.user !== ctx.from.id) {
      await ctx.answerCallbackQuery({ text: "This button was shown to someone else.", show_alert: true });
      return;
    }
    if (pressed.action.command === ANSWER_COMMAND) {
      const [actor, key, attempt, id, answer] = pressed.action.args as [string, string, string, string, string];
      const taken = await ctx.cockpit.env.SERVICE.getByName(actor).answer(key, Number(attempt), id, answer);
      await ctx.answerCallbackQuery(taken ? { text: `Answer sent: ${answer}` } : { text: "This question is closed (answered already, or it timed out).", show_alert: true });
      if (taken) await say(ctx, [html(`Answer sent: ${b(answer)}`)]);
      return;
    }
    const handler = COMMANDS[pressed.action.command];
    if (!handler) {
      await ctx.answerCallbackQuery({ text: "This button is not valid (any more).", show_alert: true });
      return;
    }
    const shownFor = pressed.action.repo;
    const current = currentRepo(ctx);
    if (shownFor && current !== shownFor) {
      await ctx.answerCallbackQuery();
      await say(ctx, [html(`That button is for repository ${code(shownFor)}, but you are working on ${current ? code(current) : "no repository"} now: /repo select ${escapeHtml(shownFor)}, then press it again.`)]);
      return;
    }
    await ctx.answerCallbackQuery();
    ctx.cockpit.host.cancel();
    await handler(ctx, pressed.action.args, pressed.action.args.join(" "));
  });

  bot.on("message:document", async (ctx) => {
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

  bot.on("message:text", async (ctx) => {
    const text = ctx.message.text;
    if (commandOf(text)) {
      await say(ctx, "Sorry, I didn't understand that command. /help lists what I can do.");
      return;
    }
    const question = ctx.cockpit.host.pending(ctx.from.id);
    if (question) return answer(ctx, question, text);
    if (ctx.chat.type === "private") await say(ctx, "I am not waiting for an answer from you. /help lists what I can do.");
  });

  return bot;
}

export { SUMMARY as COMMAND_SUMMARY };
export type { ButtonAction, Cockpit };
