/**
 * Actor templates: a folder with config.yaml, schema.capnp and actions.js (or an original
 * actions.py, read for its action names only). See ays-original.md §1.4.1.
 */
import type { MatchConditions } from "./match.ts";
import { emptySchema, parseCapnpSchema } from "./capnp.ts";
import type { SchemaDef } from "./capnp.ts";
import { parseTemplateConfig } from "./config.ts";
import type { ActionSettings, LinkDef, TemplateConfig } from "./config.ts";
import { AysError } from "./errors.ts";
import { scanJsActions } from "./jsactions.ts";
import { isValidActorName, normalizeArgName, roleOf } from "./names.ts";
import { scanPyActions } from "./pyactions.ts";

export type { LinkDef } from "./config.ts";

export interface TemplateFiles {
  config?: string;
  schema?: string;
  actionsJs?: string;
  actionsPy?: string;
}

export interface TemplateEventFilter {
  channel: string;
  command?: string;
  actions: string[];
  secrets?: string[];
  /** Conditions on the event's payload (match.ts). */
  match?: MatchConditions;
}

export interface ActorTemplate {
  name: string;
  /** Name up to the first dot. */
  role: string;
  /** Fields of `struct Schema` in schema.capnp; empty when there is no schema.capnp. */
  schema: SchemaDef;
  /** links.parent (min 1 / max 1, or min 0 when optional). */
  parent: LinkDef | null;
  /** links.consume; min defaults to 0 and max to 1 when the template leaves them out. */
  consume: LinkDef[];
  /** Periods in seconds; `log` defaults to true. */
  recurring: { action: string; period: number; log: boolean }[];
  /** Job timeouts in seconds by action (absent = the run default, 3000 s). */
  timeouts: Record<string, number>;
  /** Event subscriptions every service of this actor starts with. */
  events: TemplateEventFilter[];
  /** Every action the actor knows: defaults, then code exports/defs, then dependency-map keys. */
  actions: string[];
  /** Which actions file exists (actions.js wins over actions.py). */
  code: "js" | "py" | "none";
  /** Actions the code file defines; the others run the AYS default (a no-op). */
  codeActions: string[];
  /** Effective action dependency map: DEFAULT_DEPENDENCIES overlaid with the template's own. */
  dependencies: Record<string, string[]>;
  /** config.yaml `retry.delays` in seconds; attempts = delays.length + 1. */
  retry?: { delays: number[] };
  /** Per-action settings from config.yaml `actions:` (retries, error codes, parallelism, file storage). */
  actionSettings?: Record<string, ActionSettings>;
  /** config.yaml `egress:` hosts the sandboxed actions may reach. */
  egress: string[];
  /** config.yaml `secrets:`: what `job.secrets.get(name)` may read. */
  secrets?: string[];
}

/**
 * The actions every actor has (AYS 8.2 `actionmethodsRequired` + `processChange` and `delete`),
 * without the in-process `_`-suffixed helpers.
 */
export const DEFAULT_ACTIONS: readonly string[] = [
  "input", "init", "install", "stop", "start", "monitor", "halt", "check_up", "check_down", "check_requirements",
  "cleanup", "data_export", "data_import", "uninstall", "removedata", "consume", "processChange", "delete",
];

/** AYS 8.2 ActionsBase `init_actions_` map. */
export const DEFAULT_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  init: Object.freeze([]),
  install: Object.freeze(["init"]),
  start: Object.freeze(["install"]),
  monitor: Object.freeze(["start"]),
  stop: Object.freeze([]),
  uninstall: Object.freeze(["stop"]),
  delete: Object.freeze(["uninstall"]),
}) as Readonly<Record<string, readonly string[]>>;

/** Actions that run consumers-first (AtYourServiceDependencies: stop/uninstall; plus delete/destroy). */
export const REVERSE_ACTIONS: ReadonlySet<string> = new Set(["stop", "uninstall", "delete", "destroy"]);

export function parseTemplate(name: string, files: TemplateFiles, origin?: string): ActorTemplate {
  const folder = origin ?? name;
  const at = (file: string) => `${folder}/${file}`;
  if (!isValidActorName(name)) {
    throw new AysError({ file: folder, reason: `invalid template name "${name}" (letters, digits, _ - . and no "__")` });
  }
  if (files.config === undefined && files.schema === undefined && files.actionsJs === undefined && files.actionsPy === undefined) {
    throw new AysError({ file: folder, reason: "not an AYS 8.2 template: needs config.yaml, schema.capnp or actions.js" });
  }

  const config: TemplateConfig = parseTemplateConfig(files.config, at("config.yaml"));
  const schema = files.schema !== undefined ? parseCapnpSchema(files.schema, at("schema.capnp")) : emptySchema();

  // js wins when both exist: actions.py cannot run here, actions.js can.
  let code: ActorTemplate["code"] = "none";
  let codeActions: string[] = [];
  let codeDependencies: Record<string, string[]> | undefined;
  if (files.actionsJs !== undefined) {
    code = "js";
    const scan = scanJsActions(files.actionsJs, at("actions.js"));
    codeActions = scan.actions;
    codeDependencies = scan.dependencies;
  } else if (files.actionsPy !== undefined) {
    code = "py";
    const scan = scanPyActions(files.actionsPy, at("actions.py"));
    codeActions = scan.actions;
    codeDependencies = scan.dependencies;
  }

  // Template map overlays the default map; config.yaml overlays the code's map.
  const ownDependencies = { ...(codeDependencies ?? {}), ...(config.dependencies ?? {}) };
  const dependencies: Record<string, string[]> = {};
  for (const [action, deps] of Object.entries(DEFAULT_DEPENDENCIES)) dependencies[action] = [...deps];
  for (const [action, deps] of Object.entries(ownDependencies)) dependencies[action] = [...deps];

  const actions: string[] = [];
  const known = new Set<string>();
  for (const action of [...DEFAULT_ACTIONS, ...codeActions, ...Object.keys(ownDependencies)]) {
    if (!known.has(action)) {
      known.add(action);
      actions.push(action);
    }
  }

  const depFile = config.dependencies ? at("config.yaml") : code === "js" ? at("actions.js") : at("actions.py");
  for (const [action, deps] of Object.entries(dependencies)) {
    for (const dep of deps) {
      if (!known.has(dep)) throw new AysError({ file: depFile, key: `dependencies.${action}`, reason: `unknown action ${dep}` });
      if (dep === action) throw new AysError({ file: depFile, key: `dependencies.${action}`, reason: "an action cannot depend on itself" });
    }
  }
  checkDependencyCycles(dependencies, depFile);

  const configFile = at("config.yaml");
  const requireAction = (action: string, key: string) => {
    if (!known.has(action)) {
      throw new AysError({ file: configFile, key, reason: `unknown action ${action} (not an action of ${name})` });
    }
  };
  config.recurring.forEach((r, i) => requireAction(r.action, `recurring[${i}].action`));
  for (const action of Object.keys(config.timeouts)) requireAction(action, `timeouts.${action}`);
  config.events.forEach((e, i) => e.actions.forEach((a) => requireAction(a, `events[${i}].actions`)));
  for (const action of Object.keys(config.actionSettings ?? {})) requireAction(action, `actions.${action}`);

  // Link argnames must not collide with each other (one blueprint key cannot name two links).
  const links = [...(config.parent ? [config.parent] : []), ...config.consume];
  const seen = new Map<string, string>();
  for (const l of links) {
    const arg = normalizeArgName(l.argname);
    const other = seen.get(arg);
    if (other !== undefined) {
      throw new AysError({ file: configFile, key: "links", reason: `links to ${other} and ${l.role} share the argument name ${arg}` });
    }
    seen.set(arg, l.role);
  }

  const template: ActorTemplate = {
    name,
    role: roleOf(name),
    schema,
    parent: config.parent,
    consume: config.consume,
    recurring: config.recurring,
    timeouts: config.timeouts,
    events: config.events,
    actions,
    code,
    codeActions,
    dependencies,
    egress: config.egress,
  };
  if (config.retry) template.retry = config.retry;
  if (config.actionSettings) template.actionSettings = config.actionSettings;
  if (config.secrets) template.secrets = config.secrets;
  return template;
}

/** A cycle in the action map (install -> init -> install) would make every plan fail; refuse it early. */
function checkDependencyCycles(map: Record<string, string[]>, file: string): void {
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const visit = (action: string, path: string[]): void => {
    const s = state.get(action);
    if (s === 2) return;
    if (s === 1) {
      const cycle = [...path.slice(path.indexOf(action)), action];
      throw new AysError({ file, key: `dependencies.${action}`, reason: `action dependency cycle: ${cycle.join(" -> ")}` });
    }
    state.set(action, 1);
    for (const dep of map[action] ?? []) visit(dep, [...path, action]);
    state.set(action, 2);
  };
  for (const action of Object.keys(map)) visit(action, []);
}

/** Builds the name -> template index, refusing two templates with one name. */
export function templateIndex(templates: Iterable<ActorTemplate>): ReadonlyMap<string, ActorTemplate> {
  const index = new Map<string, ActorTemplate>();
  for (const t of templates) {
    if (index.has(t.name)) throw new AysError({ file: t.name, reason: `duplicate template name ${t.name}` });
    index.set(t.name, t);
  }
  return index;
}
