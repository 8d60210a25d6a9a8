/**
 * Executing a blueprint against a repository (AYS 8.2 Blueprint.load + Actor.serviceCreate +
 * Service._initFromActor/_initParent/_initProducers + scheduleAction), as a pure function:
 * the input state is never mutated and on any error nothing of the blueprint is applied.
 *
 * Execution runs in phases so that the order of entries inside a blueprint does not matter:
 *   1. check every entry (actor exists, arguments fit the schema, no key declared twice): `check.ts`;
 *   2. create the new services (data = schema defaults + arguments): `links.ts`;
 *   3. resolve parent and consume links of the new services, auto-creating where the template says so: `links.ts`;
 *   4. update changed arguments of existing services and schedule their `processChange`: `actions.ts`;
 *   5. apply `actions:` (scheduling, `actions.ts`) and `eventfilters:` (here).
 */
import { selectServices, applyChanges, scheduleOn } from "./actions.ts";
import { deepEqual } from "./args.ts";
import type { Blueprint, BlueprintEventFilter } from "./blueprint.ts";
import { checkEntry, type CheckedEntry } from "./check.ts";
import { clonePlain, Execution, fail, type ErrorContext } from "./draft.ts";
import { checkServiceLimits } from "./limits.ts";
import { createService, resolveLinks } from "./links.ts";
import type { EventFilter, RepositoryState, TemplateIndex } from "./model.ts";

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

/** Phase 5: an `eventfilters:` entry added to the services it selects (never twice). */
function addEventFilter(ex: Execution, filter: BlueprintEventFilter, ctx: ErrorContext): void {
  const matched = selectServices(ex, { actor: filter.actor, service: filter.service }, ctx);
  const stored: EventFilter = { channel: filter.channel, actions: [...filter.actions] };
  if (filter.command !== undefined) stored.command = filter.command;
  if (filter.secret !== undefined) stored.secret = filter.secret;
  if (filter.match !== undefined) stored.match = { ...filter.match };
  for (const s of matched) {
    const unknown = filter.actions.find((a) => !Object.hasOwn(s.actions, a));
    if (unknown !== undefined) fail(ctx, `unknown action ${unknown} (not an action of ${s.actor}, service ${s.key})`);
  }
  for (const s of matched) {
    // Re-executing a blueprint must not stack duplicate filters.
    if (s.eventFilters.some((f) => deepEqual(f, stored))) continue;
    ex.draft.edit(s.key).eventFilters.push(clonePlain(stored));
  }
}

export function executeBlueprint(state: RepositoryState, templates: TemplateIndex, bp: Blueprint): ExecuteResult {
  const ex = new Execution(state, templates, bp.name, bp.name);
  // Refused before any work when its entries alone are too many; auto-created services count below.
  checkServiceLimits(bp.name, bp.services.length, 0, "declares");

  // Phase 1: check everything before touching anything.
  const checked: CheckedEntry[] = [];
  const declared = new Map<string, string>();
  for (const entry of bp.services) {
    const c = checkEntry(ex, bp, entry);
    const other = declared.get(c.key);
    if (other !== undefined) {
      fail({ file: bp.name, key: entry.key, line: entry.line, column: entry.column }, `declares service ${c.key} again (already declared by ${other})`);
    }
    declared.set(c.key, entry.key);
    checked.push(c);
  }

  // Phase 2: create all new services, so links can point at any of them regardless of order.
  const fresh = checked.filter((c) => !c.existing);
  for (const c of fresh) createService(ex, c);

  // Phase 3: links of new services.
  for (const c of fresh) {
    const ctx: ErrorContext = { file: bp.name, key: c.entry.key, line: c.entry.line, column: c.entry.column };
    resolveLinks(ex, c.key, c.template, c.linkArgs, ctx, 0, c.key);
  }

  // Phase 4: changed arguments of services that already existed.
  for (const c of checked) if (c.existing) applyChanges(ex, c);

  // Phase 5: `actions:` then `eventfilters:`.
  bp.actions.forEach((a, i) => {
    const ctx: ErrorContext = { file: bp.name, key: `actions[${i}]`, ...(bp.positions[`actions[${i}]`] ?? {}) };
    for (const action of a.actions) {
      scheduleOn(
        ex,
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
    addEventFilter(ex, f, ctx);
  });

  const result: ExecuteResult = { state: ex.draft.state(), created: ex.created, changed: ex.changed, scheduled: ex.scheduled, warnings: ex.warnings };
  checkServiceLimits(bp.name, result.created.length, Object.keys(result.state.services).length);
  return result;
}
