/**
 * /service: list and inspect services (`role!instance` one service, `@role` every service of a
 * role), schedule, disable or enable an action on them, delete one (with its children; nothing is uninstalled).
 */
import { Composer } from "grammy";
import type { Question } from "../conversation.ts";
import { code, escapeHtml, html } from "../format.ts";
import { audit, matchServices, repoActor, servicesPage, type RepoActor } from "../ops.ts";
import { serviceDetail } from "../render.ts";
import { runButtons } from "./run.ts";
import { ask, command, grid, menu, needRepo, refused, say, type Answers, type Button, type Ctx, type Handler } from "./shared.ts";

/** How many services `/service list` shows; the console pages through the rest. */
const LISTED_SERVICES = 50;
const NO_SERVICES = "Sorry, this repository doesn't contain services for now.";
const SERVICE_HINT = "Choose a service or type a service key to match several: @node matches every service with role node, node!bot the service with role node and instance bot.";
const noMatch = (key: string) => [html(`No service matches ${code(key)}. ${escapeHtml(SERVICE_HINT)}`)];

const service: Handler = async (ctx, [verb, key, action, ...rest]) => {
  const repo = await needRepo(ctx);
  if (!repo) return;
  const actor = repoActor(ctx.cockpit, repo);
  const choose = async (subcommand: string, question?: Question) => {
    const { services } = await servicesPage(actor, { limit: 60 });
    if (!services.length) return say(ctx, NO_SERVICES);
    if (question) ask(ctx, question);
    await say(ctx, question ? SERVICE_HINT : "Choose a service.", grid(services.map((s): Button => [s.key, "service", subcommand, s.key]), 2));
  };
  switch (verb?.toLowerCase()) {
    case undefined:
      await menu(ctx, `Services of ${code(repo)}: what do you want to do?`, "service", ["list", "inspect", "execute", "disable", "enable", "delete"]);
      return;
    case "list": {
      const { services, next } = await servicesPage(actor, { limit: LISTED_SERVICES });
      if (!services.length) return say(ctx, NO_SERVICES);
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
      if (!matched.length) return say(ctx, noMatch(key));
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
    case "disable":
    case "enable":
      if (!key) return choose(verb.toLowerCase());
      await switchActions(ctx, actor, repo, verb.toLowerCase() as "disable" | "enable", key, action);
      return;
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

/**
 * `/service disable KEY ACTION` (runs skip it, it cannot be scheduled) and `/service enable KEY ACTION`
 * (a disabled action is new again), on every matched service; without ACTION, buttons of the actions it applies to.
 */
async function switchActions(ctx: Ctx, actor: RepoActor, repo: string, verb: "disable" | "enable", key: string, action: string | undefined): Promise<void> {
  const matched = await matchServices(actor, key);
  if (!matched.length) return say(ctx, noMatch(key));
  if (!action) {
    const fits = (state: string) => (verb === "enable") === (state === "disabled");
    const actions = [...new Set(matched.flatMap((s) => s.actions.filter((a) => fits(a.state)).map((a) => a.name)))].sort();
    if (!actions.length) return say(ctx, [html(`No action to ${verb} on ${matched.map((s) => code(s.key)).join(", ")}.`)]);
    await say(ctx, `Select the action you want to ${verb}`, grid(actions.map((a): Button => [a, "service", verb, key, a]), 3));
    return;
  }
  const done: string[] = [];
  for (const s of matched) {
    const result = await actor.switchServiceAction(s.role, s.name, action, verb === "enable");
    if (!result.ok) return say(ctx, [html(`Sorry: ${escapeHtml(result.error)}${done.length ? ` (${verb}d on ${done.map(code).join(", ")} already)` : ""}`)]);
    done.push(s.key);
    await audit(ctx.cockpit, `action.${verb}d`, repo, `${action} ${verb}d on ${s.key}`);
  }
  const after = verb === "disable" ? " Runs skip it until it is enabled." : " Schedule it to run it.";
  await say(ctx, [html(`${code(action)} ${verb}d on ${done.map(code).join(", ")}.${after}`)]);
}

async function inspectServices(ctx: Ctx, actor: RepoActor, key: string): Promise<void> {
  const matched = await matchServices(actor, key);
  if (!matched.length) return say(ctx, noMatch(key));
  const one = matched.length === 1 ? matched[0]! : undefined;
  const buttons: Button[] = one
    ? [
        ["Execute an action", "service", "execute", one.key],
        ["Disable an action", "service", "disable", one.key],
        ...(one.actions.some((a) => a.state === "disabled") ? [["Enable an action", "service", "enable", one.key] as Button] : []),
      ]
    : [];
  await say(ctx, matched.flatMap((s) => [...serviceDetail(s), html("")]), [buttons]);
}

export const services = new Composer<Ctx>(command("service", service));

/** The service key typed after /service inspect or /service execute offered its buttons. */
export const serviceAnswers: Answers<"service.inspect" | "service.execute"> = {
  "service.inspect": async (ctx, _question, text) => {
    ctx.cockpit.host.answered();
    return service(ctx, ["inspect", text.trim()], "");
  },
  "service.execute": async (ctx, _question, text) => {
    ctx.cockpit.host.answered();
    return service(ctx, ["execute", text.trim()], "");
  },
};
