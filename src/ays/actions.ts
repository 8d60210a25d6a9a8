/**
 * Every change the engine makes to the state of services' actions, each sent through the action
 * machine (`action-machine.ts`), never assigned by hand:
 *   - scheduling (AYS Service.scheduleAction): SCHEDULE, skipped where the machine refuses it, except
 *     that a disabled action is an error;
 *   - changed arguments (AYS Service.processChange): the service's `processChange` is scheduled (forced:
 *     an ok processChange runs again) with the changed arguments; its other actions are left alone, as
 *     the original left them;
 *   - a template's action code changed (AYS `action_mod_<name>`): CHANGE, ok | error -> changed;
 *   - DISABLE and ENABLE of one action.
 */
import { actionRefusal, canApplyAction, moveAction, type ActionEvent } from "./action-machine.ts";
import { deepEqual } from "./args.ts";
import type { CheckedEntry } from "./check.ts";
import { Draft, Execution, fail, type ErrorContext } from "./draft.ts";
import type { RepositoryState, ServiceAction, ServiceModel, TemplateIndex } from "./model.ts";
import { unknownActor } from "./new-service.ts";

export interface ScheduleSelector {
  action: string;
  actor?: string;
  service?: string;
  role?: string;
  force?: boolean;
  /** Recurring period in seconds. */
  period?: number;
}

/** The services a selector names, in key order; naming none (or an unknown actor) is an error. */
export function selectServices(ex: Execution, sel: { actor?: string | undefined; service?: string | undefined; role?: string | undefined }, ctx: ErrorContext): ServiceModel[] {
  const services = ex.draft.services;
  if (sel.actor !== undefined && !ex.templates.has(sel.actor) && !Object.values(services).some((s) => s.actor === sel.actor)) {
    fail(ctx, unknownActor(sel.actor));
  }
  const matched = Object.values(services)
    .filter((s) => (sel.actor === undefined || s.actor === sel.actor) && (sel.service === undefined || s.instance === sel.service) && (sel.role === undefined || s.role === sel.role))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (matched.length === 0) {
    const parts = [sel.actor !== undefined ? `actor ${sel.actor}` : "", sel.role !== undefined ? `role ${sel.role}` : "", sel.service !== undefined ? `instance ${sel.service}` : ""].filter(Boolean);
    fail(ctx, parts.length ? `no service matches ${parts.join(", ")}` : "the repository has no services");
  }
  return matched;
}

/** Schedules `sel.action` on the selected services that have it (see scheduleAction). */
export function scheduleOn(ex: Execution, sel: ScheduleSelector, ctx: ErrorContext): void {
  const matched = selectServices(ex, sel, ctx);
  const knowing = matched.filter((s) => Object.hasOwn(s.actions, sel.action));
  if (knowing.length === 0) {
    const actors = [...new Set(matched.map((s) => s.actor))].sort().join(", ");
    fail(ctx, `unknown action ${sel.action} (not an action of ${actors})`);
  }
  for (const s of knowing) {
    const action = s.actions[sel.action] as ServiceAction;
    if (action.state === "disabled") fail(ctx, `action ${sel.action} of ${s.key} is disabled`);
  }
  const event: ActionEvent = { type: "SCHEDULE", force: sel.force === true };
  for (const s of knowing) {
    const current = s.actions[sel.action] as ServiceAction;
    const periodChange = sel.period !== undefined && current.period !== sel.period;
    // The machine refuses what is skipped: ok without force, scheduled, running (the job in flight owns that state).
    const reschedule = canApplyAction(current.state, event);
    const forceChange = sel.force === true && current.force !== true && current.state !== "running" && current.state !== "ok";
    if (!periodChange && !reschedule && !forceChange) continue;
    const action = ex.draft.editAction(s.key, sel.action) as ServiceAction;
    if (sel.period !== undefined) action.period = sel.period;
    if (reschedule) {
      moveAction(action, event);
      ex.scheduled.push({ key: s.key, action: sel.action });
    }
    if (sel.force === true && action.state === "scheduled") action.force = true;
  }
}

/**
 * Phase 4 of a blueprint: the changed arguments of a service that existed go into its data, and its
 * `processChange` is scheduled with them (`changeCategory: "dataschema"`); several changes before it
 * runs accumulate into one call. A disabled processChange stays disabled; a running one is left to
 * its job, with the new arguments kept for its next call (a warning says to schedule it again).
 */
export function applyChanges(ex: Execution, c: CheckedEntry): void {
  const existing = c.existing as ServiceModel;
  const changedArgs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(c.values)) {
    if (!deepEqual(existing.data[name], value)) changedArgs[name] = value;
  }
  for (const name of c.linkArgs.values.keys()) {
    if (Object.hasOwn(changedArgs, name)) {
      ex.warnings.push(`${c.key}: ${c.rawArg.get(name) ?? name} changed, but links are set when a service is created; ${c.key} keeps its parent and producers`);
    }
  }
  if (Object.keys(changedArgs).length === 0) return;
  const service = ex.draft.edit(c.key);
  Object.assign(service.data, changedArgs);
  ex.changed.push({ key: c.key, args: changedArgs });
  const pc = service.actions.processChange;
  if (!pc || pc.state === "disabled") return;
  const previous = pc.state === "scheduled" || pc.state === "running" ? (pc.args ?? {}) : {};
  pc.args = { ...previous, changeCategory: "dataschema", ...changedArgs };
  const event: ActionEvent = { type: "SCHEDULE", force: true };
  if (canApplyAction(pc.state, event)) {
    moveAction(pc, event);
    ex.scheduled.push({ key: c.key, action: "processChange" });
  } else if (pc.state === "running") {
    ex.warnings.push(`${c.key}: processChange is running; the changed arguments are kept for its next call: schedule it again, with force, once it ends`);
  }
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
  const ex = new Execution(state, templates, "schedule", null);
  scheduleOn(ex, sel, { file: "schedule", key: sel.action });
  return { state: ex.draft.state(), scheduled: ex.scheduled };
}

/**
 * A template's code changed (AYS `action_mod_<name>`): each listed action of every service of that
 * template goes ok | error -> changed, so the next run that needs it runs it again. Other states are
 * left alone (new and changed will run anyway, scheduled and running take the new code when they start).
 */
export function changeTemplateActions(state: RepositoryState, template: string, actions: readonly string[]): { state: RepositoryState; changed: { key: string; action: string }[] } {
  const draft = new Draft(state);
  const changed: { key: string; action: string }[] = [];
  for (const service of Object.values(state.services)) {
    if (service.actor !== template) continue;
    for (const name of actions) {
      const action = service.actions[name];
      if (!action || !canApplyAction(action.state, { type: "CHANGE" })) continue;
      moveAction(draft.edit(service.key).actions[name]!, { type: "CHANGE" });
      changed.push({ key: service.key, action: name });
    }
  }
  return { state: draft.state(), changed };
}

/**
 * Disables (from any state but disabled) or enables (disabled -> new) one action of one service.
 * @returns the new state, or why the machine refuses ("cannot enable an action that is ok")
 */
export function switchAction(state: RepositoryState, key: string, name: string, event: { type: "DISABLE" } | { type: "ENABLE" }): { state: RepositoryState } | { refused: string } {
  const action = state.services[key]?.actions[name];
  if (!action) return { refused: `service ${key} has no action ${name}` };
  const refused = actionRefusal(action.state, event);
  if (refused) return { refused };
  const draft = new Draft(state);
  moveAction(draft.edit(key).actions[name]!, event);
  return { state: draft.state() };
}
