/** Phase 1 of executing a blueprint: each entry checked (actor exists, arguments fit the schema) before anything changes. */
import { coerceArg, linkNames } from "./args.ts";
import type { Blueprint, BlueprintService } from "./blueprint.ts";
import type { FieldDef } from "./capnp.ts";
import { fail, type ErrorContext, type Execution } from "./draft.ts";
import type { ServiceModel } from "./model.ts";
import { normalizeArgName, serviceKey } from "./names.ts";
import { findTemplate, unknownActor } from "./new-service.ts";
import type { ActorTemplate, LinkDef } from "./template.ts";

/** A blueprint entry after checking: schema values and link values separated. */
export interface CheckedEntry {
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
export interface LinkArgs {
  values: Map<string, unknown>;
  contexts: Map<string, ErrorContext>;
}

export const NO_ARGS: LinkArgs = { values: new Map(), contexts: new Map() };

/** Normalised argument names that address a link: its argname, and (as AYS did) its role. */
export function linkArgNames(link: LinkDef): string[] {
  return [...new Set([normalizeArgName(link.argname), normalizeArgName(link.role)])];
}

/** A template's fields by name and its link argument names: the same for each of its services, so worked out once per template. */
const argsOfTemplate = new WeakMap<ActorTemplate, { fields: Map<string, FieldDef>; linkArgs: Set<string> }>();

function templateArgs(template: ActorTemplate): { fields: Map<string, FieldDef>; linkArgs: Set<string> } {
  let found = argsOfTemplate.get(template);
  if (!found) {
    const links = [...(template.parent ? [template.parent] : []), ...template.consume];
    found = { fields: new Map(template.schema.fields.map((f) => [f.name, f])), linkArgs: new Set(links.flatMap(linkArgNames)) };
    argsOfTemplate.set(template, found);
  }
  return found;
}

export function checkEntry(ex: Execution, bp: Blueprint, entry: BlueprintService): CheckedEntry {
  const ctx: ErrorContext = { file: ex.file, key: entry.key, line: entry.line, column: entry.column };
  const template = findTemplate(ex.templates, entry.actor);
  if (!template) fail(ctx, unknownActor(entry.actor));
  const key = serviceKey(template.role, entry.instance);
  const existing = ex.draft.get(key);
  if (existing && existing.actor !== template.name) {
    fail(ctx, `service ${key} already exists with actor ${existing.actor}; one role!instance can only be one service`);
  }

  const { fields, linkArgs } = templateArgs(template);
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
