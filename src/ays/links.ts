/**
 * Phases 2 and 3 of executing a blueprint: new services created, then their parent and consume links
 * resolved (Service._initParent/_initProducers), auto-creating services where the template says so.
 */
import { linkNames } from "./args.ts";
import { linkArgNames, NO_ARGS, type CheckedEntry, type LinkArgs } from "./check.ts";
import { fail, type ErrorContext, type Execution } from "./draft.ts";
import type { ServiceModel } from "./model.ts";
import { normalizeArgName, serviceKey } from "./names.ts";
import { defaultData, newService } from "./new-service.ts";
import type { ActorTemplate, LinkDef } from "./template.ts";

/** How deep auto-created services may auto-create further services before we call it a loop. */
const MAX_AUTO_DEPTH = 16;

/** Phase 2: a checked entry that names no existing service becomes one (data = schema defaults + arguments). */
export function createService(ex: Execution, c: CheckedEntry): void {
  const data = { ...defaultData(c.template), ...c.values };
  ex.draft.add(newService(c.template, c.entry.instance, data, ex.blueprintName));
  ex.created.push(c.key);
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

/** Errors about a link point at the argument that named it, else at the service entry. */
function argCtx(ctx: ErrorContext, link: LinkDef, args: LinkArgs): ErrorContext {
  const name = linkArgName(link, args);
  return (name !== undefined ? args.contexts.get(name) : undefined) ?? ctx;
}

/** Phase 3: parent then producers of a freshly created service; may auto-create more services. */
export function resolveLinks(ex: Execution, key: string, template: ActorTemplate, args: LinkArgs, ctx: ErrorContext, depth: number, root: string): void {
  if (template.parent) resolveParent(ex, key, template.parent, args, ctx, depth, root);
  for (const link of template.consume) resolveConsume(ex, key, template, link, args, ctx, depth, root);
}

function resolveParent(ex: Execution, key: string, link: LinkDef, args: LinkArgs, ctx: ErrorContext, depth: number, root: string): void {
  const where = describeSite(key, root);
  const lctx = argCtx(ctx, link, args);
  const names = linkNames(linkValue(link, args));
  if (!Array.isArray(names)) return fail(lctx, names.reason);
  if (names.length > 1) fail(lctx, `a service has one parent; got ${names.length} names for ${link.role}`);
  const name = names[0];
  let parentKey: string;
  if (name !== undefined) {
    parentKey = serviceKey(link.role, name);
    if (!ex.draft.get(parentKey) || parentKey === key) {
      // A named parent that does not exist is a mistake even for auto/optional links:
      // auto-creation only fills in what the blueprint did not name.
      fail(lctx, `parent ${parentKey} not found (needed by ${where})`);
    }
  } else {
    const candidates = ex.draft.keysOfRole(link.role).filter((k) => k !== key);
    if (candidates.length > 1) {
      fail(lctx, `ambiguous parent for ${where}: ${candidates.length} services of role ${link.role} (${candidates.sort().slice(0, 5).join(", ")}); name one with ${link.argname}`);
    }
    const only = candidates[0];
    if (only !== undefined) parentKey = only;
    else if (link.optional) return;
    else if (!link.auto) return fail(lctx, `missing parent ${link.role} for ${where}`);
    else parentKey = autoCreate(ex, link.role, ctx, depth, key, root);
  }
  const child = ex.draft.edit(key);
  const parent = ex.draft.edit(parentKey);
  child.parent = parentKey;
  if (!parent.children.includes(key)) parent.children.push(key);
  // The parent is also a producer (Service._initProducers).
  linkProducer(child, parent);
}

function resolveConsume(ex: Execution, key: string, template: ActorTemplate, link: LinkDef, args: LinkArgs, ctx: ErrorContext, depth: number, root: string): void {
  const where = describeSite(key, root);
  const lctx = argCtx(ctx, link, args);
  const names = linkNames(linkValue(link, args));
  const isField = template.schema.fields.some((f) => linkArgNames(link).includes(f.name));
  const selected: string[] = [];
  if (Array.isArray(names)) {
    for (const name of names) {
      const producerKey = serviceKey(link.role, name);
      if (ex.draft.get(producerKey) && producerKey !== key) {
        selected.push(producerKey);
      } else if (link.min === 0 && isField) {
        // AYS ignored names it could not find. For an optional link whose argument is also a
        // schema field (vdc's `account: 'fake_login'`), the value is plain data: keep it, warn.
        ex.warnings.push(`${where}: ${link.argname} '${name}' names no ${link.role} service; kept as data, not linked`);
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
    const spare = ex.draft.keysOfRole(link.role).filter((k) => k !== key && !chosen.has(k)).sort();
    while (selected.length < link.min && spare.length > 0) selected.push(spare.shift() as string);
    while (selected.length < link.min && link.auto) selected.push(autoCreate(ex, link.role, ctx, depth, key, root));
    if (selected.length < link.min) {
      fail(lctx, `Minimum number of services required of role ${link.role} is ${link.min} and only ${selected.length} are available for ${where}`);
    }
  }
  const consumer = ex.draft.edit(key);
  for (const producerKey of selected) linkProducer(consumer, ex.draft.edit(producerKey));
}

function linkProducer(consumer: ServiceModel, producer: ServiceModel): void {
  if (!consumer.producers.includes(producer.key)) consumer.producers.push(producer.key);
  if (!producer.consumers.includes(consumer.key)) producer.consumers.push(consumer.key);
}

/** Creates `role!auto_N` (N = smallest free number from 1) from the template named exactly `role`. */
function autoCreate(ex: Execution, role: string, ctx: ErrorContext, depth: number, key: string, root: string): string {
  const where = describeSite(key, root);
  if (depth >= MAX_AUTO_DEPTH) fail(ctx, `auto-creation nested more than ${MAX_AUTO_DEPTH} levels deep at ${where}; do the templates auto-create each other?`);
  const template = ex.templates.get(role);
  if (!template) fail(ctx, `cannot auto-create a ${role} for ${where}: no template named ${role}`);
  let n = 1;
  while (ex.draft.get(serviceKey(role, `auto_${n}`))) n++;
  const instance = `auto_${n}`;
  const service = newService(template, instance, defaultData(template), ex.blueprintName);
  ex.draft.add(service);
  ex.created.push(service.key);
  resolveLinks(ex, service.key, template, NO_ARGS, ctx, depth + 1, root);
  return service.key;
}
