/**
 * Executing a blueprint against a repository (AYS 8.2 Blueprint.load + Actor.serviceCreate +
 * Service._initFromActor/_initParent/_initProducers + scheduleAction), as a pure function:
 * the input state is never mutated and on any error nothing of the blueprint is applied.
 *
 * Execution runs in phases so that the order of entries inside a blueprint does not matter:
 *   1. check every entry (actor exists, arguments fit the schema, no key declared twice);
 *   2. create the new services (data = schema defaults + arguments);
 *   3. resolve parent and consume links of the new services, auto-creating where the template says so;
 *   4. update changed arguments of existing services and schedule their `processChange`;
 *   5. apply `actions:` (scheduling) and `eventfilters:`.
 */
import { coerceArg, deepEqual, linkNames } from "./args.ts";
import type { Blueprint, BlueprintEventFilter, BlueprintService } from "./blueprint.ts";
import { defaultValue } from "./capnp.ts";
import type { FieldDef } from "./capnp.ts";
import { AysError } from "./errors.ts";
import { checkServiceLimits } from "./limits.ts";
import type { EventFilter, RepositoryState, ServiceAction, ServiceModel, TemplateIndex } from "./model.ts";
import { normalizeArgName, serviceKey } from "./names.ts";
import type { ActorTemplate, LinkDef } from "./template.ts";

export interface ExecuteResult {
  state: RepositoryState;
  /** Keys of the services this execution created, blueprint entries first, then auto-created ones. */
  created: string[];
  /** Existing services whose arguments changed, with the changed (normalised) arguments. */
  changed: { key: string; args: Record<string, unknown> }[];
  /** Actions this execution moved into `scheduled` (already-scheduled ones are not repeated). */
  scheduled: { key: string; action: string }[];
  /** Things that were accepted but deserve a look (e.g. a name kept as data because no such producer exists). */
  warnings: string[];
}

export interface ScheduleSelector {
  action: string;
  actor?: string;
  service?: string;
  role?: string;
  force?: boolean;
  /** Recurring period in seconds. */
  period?: number;
}

/** How deep auto-created services may auto-create further services before we call it a loop. */
const MAX_AUTO_DEPTH = 16;

/** Where an error should point: the blueprint file and the entry being processed. */
interface ErrorContext {
  file: string;
  key?: string;
  line?: number;
  column?: number;
}

function fail(ctx: ErrorContext, reason: string, key = ctx.key): never {
  throw new AysError({
    file: ctx.file,
    reason,
    ...(key !== undefined ? { key } : {}),
    ...(ctx.line !== undefined ? { line: ctx.line } : {}),
    ...(ctx.column !== undefined ? { column: ctx.column } : {}),
  });
}

/**
 * Deep copy of JSON-shaped data. Several times faster than structuredClone for the many small
 * objects of a service model, which matters when a run schedules 10,000 services.
 */
export function clonePlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clonePlain) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = clonePlain((value as Record<string, unknown>)[key]);
      // A plain assignment to "__proto__" would replace the prototype instead of copying the key.
      if (key === "__proto__") Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      else out[key] = item;
    }
    return out as T;
  }
  return value;
}

/**
 * Copy-on-write view of a repository: services are shared with the input until first edited,
 * then cloned, so a failed execution leaves the input untouched and a large repository is not
 * copied for a small blueprint.
 */
class Draft {
  readonly services: Record<string, ServiceModel>;
  private readonly owned = new Set<string>();
  private byRole: Map<string, string[]> | undefined;

  constructor(state: RepositoryState) {
    this.services = { ...state.services };
  }

  get(key: string): ServiceModel | undefined {
    return Object.hasOwn(this.services, key) ? this.services[key] : undefined;
  }

  edit(key: string): ServiceModel {
    const current = this.get(key);
    if (!current) throw new Error(`internal: no service ${key}`);
    if (this.owned.has(key)) return current;
    const copy = clonePlain(current);
    this.services[key] = copy;
    this.owned.add(key);
    return copy;
  }

  add(service: ServiceModel): void {
    this.services[service.key] = service;
    this.owned.add(service.key);
    if (this.byRole) {
      const list = this.byRole.get(service.role);
      if (list) list.push(service.key);
      else this.byRole.set(service.role, [service.key]);
    }
  }

  /** Keys of the services of a role (actor `role` or `role.*`). */
  keysOfRole(role: string): string[] {
    if (!this.byRole) {
      this.byRole = new Map();
      for (const s of Object.values(this.services)) {
        const list = this.byRole.get(s.role);
        if (list) list.push(s.key);
        else this.byRole.set(s.role, [s.key]);
      }
    }
    return this.byRole.get(role) ?? [];
  }

  state(): RepositoryState {
    return { services: this.services };
  }
}

function findTemplate(templates: TemplateIndex, actor: string): ActorTemplate | undefined {
  // AYS looked up `<name>` first and `blueprint.<name>` second (AtYourServiceRepo.templates).
  return templates.get(actor) ?? templates.get(`blueprint.${actor}`);
}

function unknownActor(actor: string): string {
  return `unknown actor ${actor} (no template named ${actor})`;
}

/** Template `events:` become the service's initial event filters (one filter per secret). */
function templateFilters(template: ActorTemplate): EventFilter[] {
  const out: EventFilter[] = [];
  for (const e of template.events) {
    const base: EventFilter = { channel: e.channel, actions: [...e.actions] };
    if (e.command !== undefined) base.command = e.command;
    if (!e.secrets || e.secrets.length === 0) out.push(base);
    else for (const secret of e.secrets) out.push({ ...base, secret });
  }
  return out;
}

export function newService(template: ActorTemplate, instance: string, data: Record<string, unknown>, blueprint: string | null): ServiceModel {
  const period = new Map(template.recurring.map((r) => [r.action, r.period]));
  const actions: Record<string, ServiceAction> = {};
  for (const name of template.actions) {
    actions[name] = {
      name,
      // `input` ran in-process when AYS created the service, so it starts out done.
      state: name === "input" ? "ok" : "new",
      period: period.get(name) ?? 0,
      timeout: template.timeouts[name] ?? 0,
      errorCount: 0,
      lastRun: null,
    };
  }
  return {
    key: serviceKey(template.role, instance),
    role: template.role,
    instance,
    actor: template.name,
    data,
    parent: null,
    producers: [],
    consumers: [],
    children: [],
    actions,
    eventFilters: templateFilters(template),
    blueprint,
  };
}

function defaultData(template: ActorTemplate): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of template.schema.fields) data[field.name] = defaultValue(field);
  return data;
}

/** A blueprint entry after checking: schema values and link values separated. */
interface CheckedEntry {
  entry: BlueprintService;
  template: ActorTemplate;
  key: string;
  /** Coerced schema values given in the blueprint (normalised names). */
  values: Record<string, unknown>;
  /** Raw blueprint key of each normalised argument, for error messages. */
  rawArg: Map<string, string>;
  /** Link argument values by normalised argname. */
  linkArgs: LinkArgs;
  existing: ServiceModel | undefined;
}

/** Values of link arguments (normalised names) and where each was written, for error messages. */
interface LinkArgs {
  values: Map<string, unknown>;
  contexts: Map<string, ErrorContext>;
}

const NO_ARGS: LinkArgs = { values: new Map(), contexts: new Map() };

/** Normalised argument names that address a link: its argname, and (as AYS did) its role. */
function linkArgNames(link: LinkDef): string[] {
  return [...new Set([normalizeArgName(link.argname), normalizeArgName(link.role)])];
}

/** The argument that gives a link's value: AYS used args.get(argname, args.get(role, "")). */
function linkArgName(link: LinkDef, args: LinkArgs): string | undefined {
  const byArgname = normalizeArgName(link.argname);
  const v = args.values.get(byArgname);
  if (v !== undefined && v !== null) return byArgname;
  const byRole = normalizeArgName(link.role);
  return args.values.has(byRole) ? byRole : undefined;
}

function linkValue(link: LinkDef, args: LinkArgs): unknown {
  const name = linkArgName(link, args);
  return name === undefined ? undefined : args.values.get(name);
}

/** "vdc!x", or "vdcfarm!auto_1 (auto-created for vdc!x)" for services made on the way. */
function describeSite(key: string, root: string): string {
  return key === root ? key : `${key} (auto-created for ${root})`;
}

class Executor {
  readonly draft: Draft;
  readonly templates: TemplateIndex;
  readonly file: string;
  readonly blueprintName: string | null;
  readonly created: string[] = [];
  readonly changed: { key: string; args: Record<string, unknown> }[] = [];
  readonly scheduled: { key: string; action: string }[] = [];
  readonly warnings: string[] = [];

  constructor(state: RepositoryState, templates: TemplateIndex, file: string, blueprintName: string | null) {
    this.draft = new Draft(state);
    this.templates = templates;
    this.file = file;
    this.blueprintName = blueprintName;
  }

  result(): ExecuteResult {
    return { state: this.draft.state(), created: this.created, changed: this.changed, scheduled: this.scheduled, warnings: this.warnings };
  }

  // ---- phase 1: checks ------------------------------------------------------------------------

  check(bp: Blueprint, entry: BlueprintService): CheckedEntry {
    const ctx: ErrorContext = { file: this.file, key: entry.key, line: entry.line, column: entry.column };
    const template = findTemplate(this.templates, entry.actor);
    if (!template) fail(ctx, unknownActor(entry.actor));
    const key = serviceKey(template.role, entry.instance);
    const existing = this.draft.get(key);
    if (existing && existing.actor !== template.name) {
      fail(ctx, `service ${key} already exists with actor ${existing.actor}; one role!instance can only be one service`);
    }

    const fields = new Map<string, FieldDef>(template.schema.fields.map((f) => [f.name, f]));
    const links = [...(template.parent ? [template.parent] : []), ...template.consume];
    const linkArgs = new Set(links.flatMap(linkArgNames));
    const values: Record<string, unknown> = {};
    const rawArg = new Map<string, string>();
    const linkArgValues: LinkArgs = { values: new Map(), contexts: new Map() };
    for (const [raw, value] of Object.entries(entry.args)) {
      const name = normalizeArgName(raw);
      const pos = bp.positions[`${entry.key}.${raw}`];
      const argCtx: ErrorContext = { ...ctx, key: `${entry.key}.${raw}`, ...(pos ?? {}) };
      rawArg.set(name, raw);
      const field = fields.get(name);
      if (!field && !linkArgs.has(name)) {
        fail(argCtx, `unknown argument ${raw} (not in the schema of ${template.name})`);
      }
      if (linkArgs.has(name)) {
        const names = linkNames(value);
        if (!Array.isArray(names) && !field) fail(argCtx, names.reason);
        linkArgValues.values.set(name, value);
        linkArgValues.contexts.set(name, argCtx);
      }
      // null / empty value = argument not given: the schema default applies.
      if (!field || value === null || value === undefined) continue;
      const coerced = coerceArg(field, value);
      if (!coerced.ok) fail(argCtx, coerced.reason);
      values[name] = coerced.value;
    }
    return { entry, template, key, values, rawArg, linkArgs: linkArgValues, existing };
  }

  // ---- phase 2 + 3: creation and links ----------------------------------------------------------

  create(c: CheckedEntry): void {
    const data = { ...defaultData(c.template), ...c.values };
    this.draft.add(newService(c.template, c.entry.instance, data, this.blueprintName));
    this.created.push(c.key);
  }

  /** Resolves parent then producers of a freshly created service; may auto-create more services. */
  resolveLinks(key: string, template: ActorTemplate, args: LinkArgs, ctx: ErrorContext, depth: number, root: string): void {
    if (template.parent) this.resolveParent(key, template.parent, args, ctx, depth, root);
    for (const link of template.consume) this.resolveConsume(key, template, link, args, ctx, depth, root);
  }

  /** Errors about a link point at the argument that named it, else at the service entry. */
  private argCtx(ctx: ErrorContext, link: LinkDef, args: LinkArgs): ErrorContext {
    const name = linkArgName(link, args);
    return (name !== undefined ? args.contexts.get(name) : undefined) ?? ctx;
  }

  private resolveParent(key: string, link: LinkDef, args: LinkArgs, ctx: ErrorContext, depth: number, root: string): void {
    const where = describeSite(key, root);
    const lctx = this.argCtx(ctx, link, args);
    const names = linkNames(linkValue(link, args));
    if (!Array.isArray(names)) return fail(lctx, names.reason);
    if (names.length > 1) fail(lctx, `a service has one parent; got ${names.length} names for ${link.role}`);
    const name = names[0];
    let parentKey: string;
    if (name !== undefined) {
      parentKey = serviceKey(link.role, name);
      if (!this.draft.get(parentKey) || parentKey === key) {
        // A named parent that does not exist is a mistake even for auto/optional links:
        // auto-creation only fills in what the blueprint did not name.
        fail(lctx, `parent ${parentKey} not found (needed by ${where})`);
      }
    } else {
      const candidates = this.draft.keysOfRole(link.role).filter((k) => k !== key);
      if (candidates.length > 1) {
        fail(lctx, `ambiguous parent for ${where}: ${candidates.length} services of role ${link.role} (${candidates.sort().slice(0, 5).join(", ")}); name one with ${link.argname}`);
      }
      const only = candidates[0];
      if (only !== undefined) parentKey = only;
      else if (link.optional) return;
      else if (!link.auto) return fail(lctx, `missing parent ${link.role} for ${where}`);
      else parentKey = this.autoCreate(link.role, ctx, depth, key, root);
    }
    const child = this.draft.edit(key);
    const parent = this.draft.edit(parentKey);
    child.parent = parentKey;
    if (!parent.children.includes(key)) parent.children.push(key);
    // The parent is also a producer (Service._initProducers).
    this.linkProducer(child, parent);
  }

  private resolveConsume(key: string, template: ActorTemplate, link: LinkDef, args: LinkArgs, ctx: ErrorContext, depth: number, root: string): void {
    const where = describeSite(key, root);
    const lctx = this.argCtx(ctx, link, args);
    const names = linkNames(linkValue(link, args));
    const isField = template.schema.fields.some((f) => linkArgNames(link).includes(f.name));
    const selected: string[] = [];
    if (Array.isArray(names)) {
      for (const name of names) {
        const producerKey = serviceKey(link.role, name);
        if (this.draft.get(producerKey) && producerKey !== key) {
          selected.push(producerKey);
        } else if (link.min === 0 && isField) {
          // AYS ignored names it could not find. For an optional link whose argument is also a
          // schema field (vdc's `account: 'fake_login'`), the value is plain data: keep it, warn.
          this.warnings.push(`${where}: ${link.argname} '${name}' names no ${link.role} service; kept as data, not linked`);
        } else {
          fail(lctx, `producer ${producerKey} not found (needed by ${where})`);
        }
      }
    } else if (!isField) {
      fail(lctx, names.reason);
    }
    if (selected.length > link.max) {
      fail(lctx, `too many services of role ${link.role} for ${where}: ${selected.length} given, maximum is ${link.max}`);
    }
    if (selected.length < link.min) {
      // Fill up with existing services of the role that were not named, in key order.
      const chosen = new Set(selected);
      const spare = this.draft.keysOfRole(link.role).filter((k) => k !== key && !chosen.has(k)).sort();
      while (selected.length < link.min && spare.length > 0) selected.push(spare.shift() as string);
      while (selected.length < link.min && link.auto) selected.push(this.autoCreate(link.role, ctx, depth, key, root));
      if (selected.length < link.min) {
        fail(lctx, `Minimum number of services required of role ${link.role} is ${link.min} and only ${selected.length} are available for ${where}`);
      }
    }
    const consumer = this.draft.edit(key);
    for (const producerKey of selected) this.linkProducer(consumer, this.draft.edit(producerKey));
  }

  private linkProducer(consumer: ServiceModel, producer: ServiceModel): void {
    if (!consumer.producers.includes(producer.key)) consumer.producers.push(producer.key);
    if (!producer.consumers.includes(consumer.key)) producer.consumers.push(consumer.key);
  }

  /** Creates `role!auto_N` (N = smallest free number from 1) from the template named exactly `role`. */
  private autoCreate(role: string, ctx: ErrorContext, depth: number, key: string, root: string): string {
    const where = describeSite(key, root);
    if (depth >= MAX_AUTO_DEPTH) fail(ctx, `auto-creation nested more than ${MAX_AUTO_DEPTH} levels deep at ${where}; do the templates auto-create each other?`);
    const template = this.templates.get(role);
    if (!template) fail(ctx, `cannot auto-create a ${role} for ${where}: no template named ${role}`);
    let n = 1;
    while (this.draft.get(serviceKey(role, `auto_${n}`))) n++;
    const instance = `auto_${n}`;
    const service = newService(template, instance, defaultData(template), this.blueprintName);
    this.draft.add(service);
    this.created.push(service.key);
    this.resolveLinks(service.key, template, NO_ARGS, ctx, depth + 1, root);
    return service.key;
  }

  // ---- phase 4: changed arguments -----------------------------------------------------------

  applyChanges(c: CheckedEntry): void {
    const existing = c.existing as ServiceModel;
    const changedArgs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(c.values)) {
      if (!deepEqual(existing.data[name], value)) changedArgs[name] = value;
    }
    for (const name of c.linkArgs.values.keys()) {
      if (Object.hasOwn(changedArgs, name)) {
        this.warnings.push(`${c.key}: ${c.rawArg.get(name) ?? name} changed, but links are set when a service is created; ${c.key} keeps its parent and producers`);
      }
    }
    if (Object.keys(changedArgs).length === 0) return;
    const service = this.draft.edit(c.key);
    Object.assign(service.data, changedArgs);
    this.changed.push({ key: c.key, args: changedArgs });
    const pc = service.actions.processChange;
    if (!pc || pc.state === "disabled") return;
    // Several edits before the next run accumulate into one processChange call.
    const previous = pc.state === "scheduled" ? (pc.args ?? {}) : {};
    pc.args = { ...previous, changeCategory: "dataschema", ...changedArgs };
    if (pc.state !== "scheduled") {
      pc.state = "scheduled";
      this.scheduled.push({ key: c.key, action: "processChange" });
    }
  }

  // ---- phase 5: scheduling and event filters ------------------------------------------------

  select(sel: { actor?: string | undefined; service?: string | undefined; role?: string | undefined }, ctx: ErrorContext): ServiceModel[] {
    if (sel.actor !== undefined && !this.templates.has(sel.actor) && !Object.values(this.draft.services).some((s) => s.actor === sel.actor)) {
      fail(ctx, unknownActor(sel.actor));
    }
    const matched = Object.values(this.draft.services)
      .filter((s) => (sel.actor === undefined || s.actor === sel.actor) && (sel.service === undefined || s.instance === sel.service) && (sel.role === undefined || s.role === sel.role))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (matched.length === 0) {
      const parts = [sel.actor !== undefined ? `actor ${sel.actor}` : "", sel.role !== undefined ? `role ${sel.role}` : "", sel.service !== undefined ? `instance ${sel.service}` : ""].filter(Boolean);
      fail(ctx, parts.length ? `no service matches ${parts.join(", ")}` : "the repository has no services");
    }
    return matched;
  }

  schedule(sel: ScheduleSelector, ctx: ErrorContext): void {
    const matched = this.select(sel, ctx);
    const knowing = matched.filter((s) => Object.hasOwn(s.actions, sel.action));
    if (knowing.length === 0) {
      const actors = [...new Set(matched.map((s) => s.actor))].sort().join(", ");
      fail(ctx, `unknown action ${sel.action} (not an action of ${actors})`);
    }
    for (const s of knowing) {
      const action = s.actions[sel.action] as ServiceAction;
      if (action.state === "disabled") fail(ctx, `action ${sel.action} of ${s.key} is disabled`);
    }
    for (const s of knowing) {
      const current = s.actions[sel.action] as ServiceAction;
      const periodChange = sel.period !== undefined && current.period !== sel.period;
      const reschedule = current.state === "new" || current.state === "changed" || current.state === "error" || (current.state === "ok" && sel.force === true);
      const forceChange = sel.force === true && current.force !== true && current.state !== "running" && current.state !== "ok";
      if (!periodChange && !reschedule && !forceChange) continue;
      const action = this.draft.edit(s.key).actions[sel.action] as ServiceAction;
      if (sel.period !== undefined) action.period = sel.period;
      if (reschedule) {
        action.state = "scheduled";
        this.scheduled.push({ key: s.key, action: sel.action });
      }
      // `running` is left alone: the job in flight owns that state.
      if (sel.force === true && action.state === "scheduled") action.force = true;
    }
  }

  addEventFilter(filter: BlueprintEventFilter, ctx: ErrorContext): void {
    const matched = this.select({ actor: filter.actor, service: filter.service }, ctx);
    const stored: EventFilter = { channel: filter.channel, actions: [...filter.actions] };
    if (filter.command !== undefined) stored.command = filter.command;
    if (filter.secret !== undefined) stored.secret = filter.secret;
    for (const s of matched) {
      const unknown = filter.actions.find((a) => !Object.hasOwn(s.actions, a));
      if (unknown !== undefined) fail(ctx, `unknown action ${unknown} (not an action of ${s.actor}, service ${s.key})`);
    }
    for (const s of matched) {
      // Re-executing a blueprint must not stack duplicate filters.
      if (s.eventFilters.some((f) => deepEqual(f, stored))) continue;
      this.draft.edit(s.key).eventFilters.push(clonePlain(stored));
    }
  }
}

export function executeBlueprint(state: RepositoryState, templates: TemplateIndex, bp: Blueprint): ExecuteResult {
  const ex = new Executor(state, templates, bp.name, bp.name);
  // Refused before any work when its entries alone are too many; auto-created services count below.
  checkServiceLimits(bp.name, bp.services.length, 0, "declares");

  // Phase 1: check everything before touching anything.
  const checked: CheckedEntry[] = [];
  const declared = new Map<string, string>();
  for (const entry of bp.services) {
    const c = ex.check(bp, entry);
    const other = declared.get(c.key);
    if (other !== undefined) {
      fail({ file: bp.name, key: entry.key, line: entry.line, column: entry.column }, `declares service ${c.key} again (already declared by ${other})`);
    }
    declared.set(c.key, entry.key);
    checked.push(c);
  }

  // Phase 2: create all new services, so links can point at any of them regardless of order.
  const fresh = checked.filter((c) => !c.existing);
  for (const c of fresh) ex.create(c);

  // Phase 3: links of new services.
  for (const c of fresh) {
    const ctx: ErrorContext = { file: bp.name, key: c.entry.key, line: c.entry.line, column: c.entry.column };
    ex.resolveLinks(c.key, c.template, c.linkArgs, ctx, 0, c.key);
  }

  // Phase 4: changed arguments of services that already existed.
  for (const c of checked) if (c.existing) ex.applyChanges(c);

  // Phase 5: `actions:` then `eventfilters:`.
  bp.actions.forEach((a, i) => {
    const ctx: ErrorContext = { file: bp.name, key: `actions[${i}]`, ...(bp.positions[`actions[${i}]`] ?? {}) };
    for (const action of a.actions) {
      ex.schedule(
        {
          action,
          ...(a.actor !== undefined ? { actor: a.actor } : {}),
          ...(a.service !== undefined ? { service: a.service } : {}),
          ...(a.recurring !== undefined ? { period: a.recurring } : {}),
          force: a.force,
        },
        ctx,
      );
    }
  });
  bp.eventfilters.forEach((f, i) => {
    const ctx: ErrorContext = { file: bp.name, key: `eventfilters[${i}]`, ...(bp.positions[`eventfilters[${i}]`] ?? {}) };
    ex.addEventFilter(f, ctx);
  });

  const result = ex.result();
  checkServiceLimits(bp.name, result.created.length, Object.keys(result.state.services).length);
  return result;
}

/**
 * Schedules `sel.action` on every selected service that has it (AYS Service.scheduleAction):
 * new|changed|error -> scheduled; ok stays ok unless `force`; disabled is an error; running is left
 * alone. `period` (seconds) sets the recurring period. Errors name the pseudo-file "schedule".
 */
export function scheduleAction(
  state: RepositoryState,
  templates: TemplateIndex,
  sel: ScheduleSelector,
): { state: RepositoryState; scheduled: { key: string; action: string }[] } {
  const ex = new Executor(state, templates, "schedule", null);
  ex.schedule(sel, { file: "schedule", key: sel.action });
  return { state: ex.draft.state(), scheduled: ex.scheduled };
}
