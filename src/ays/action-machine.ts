/**
 * The lifecycle of one action of one service (AYS 8.2 `ActionState`), as an xstate machine run with
 * the pure `transition()` function: actors keep the state as plain JSON in SQLite and apply events to
 * it, so nothing depends on a live xstate actor surviving eviction. Every change of an action's state
 * goes through here: the engine's scheduling, processChange and template changes (`actions.ts`), the
 * run queue's jobs (`runs/`), and disabling or enabling an action.
 *
 *   new | changed | error --SCHEDULE--> scheduled      (ok --SCHEDULE(force)--> scheduled)
 *   scheduled | ok | new | changed | error --START--> running     (ok/new/error: recurring and event jobs)
 *   running --SUCCEED--> ok, --FAIL--> error (errorCount + 1), --INTERRUPT--> scheduled
 *   ok | error --CHANGE--> changed                     (the template's code of the action changed)
 *   every state but disabled --DISABLE--> disabled --ENABLE--> new
 *
 * Everything else is refused (ActionTransitionError): a disabled action cannot be scheduled, started
 * or disabled again, an action that is not disabled cannot be enabled, an ok action is not scheduled
 * again without force, a running or scheduled one is not scheduled again.
 */
import { setup, transition, assign, type SnapshotFrom } from "xstate";
import type { ActionStateName, ServiceAction } from "./model.ts";

export type ActionEvent =
  | { type: "SCHEDULE"; force?: boolean }
  | { type: "START" }
  | { type: "SUCCEED" }
  | { type: "FAIL" }
  | { type: "INTERRUPT" }
  | { type: "CHANGE" }
  | { type: "DISABLE" }
  | { type: "ENABLE" };

interface ActionContext {
  errorCount: number;
}

export const actionMachine = setup({
  types: { context: {} as ActionContext, events: {} as ActionEvent, input: {} as { errorCount?: number } },
  guards: { forced: ({ event }) => event.type === "SCHEDULE" && Boolean(event.force) },
  actions: {
    countError: assign({ errorCount: ({ context }) => context.errorCount + 1 }),
    resetErrors: assign({ errorCount: 0 }),
  },
}).createMachine({
  id: "action",
  initial: "new",
  context: ({ input }) => ({ errorCount: input?.errorCount ?? 0 }),
  states: {
    new: { on: { SCHEDULE: "scheduled", START: "running", DISABLE: "disabled" } },
    changed: { on: { SCHEDULE: "scheduled", START: "running", DISABLE: "disabled" } },
    scheduled: { on: { START: "running", DISABLE: "disabled" } },
    running: {
      on: {
        SUCCEED: { target: "ok", actions: "resetErrors" },
        FAIL: { target: "error", actions: "countError" },
        INTERRUPT: "scheduled",
        DISABLE: "disabled",
      },
    },
    ok: { on: { SCHEDULE: { guard: "forced", target: "scheduled" }, START: "running", CHANGE: "changed", DISABLE: "disabled" } },
    error: { on: { SCHEDULE: "scheduled", START: "running", CHANGE: "changed", DISABLE: "disabled" } },
    disabled: { on: { ENABLE: "new" } },
  },
});

type ActionSnapshot = SnapshotFrom<typeof actionMachine>;

/** Thrown when an event does not apply to the action's current state. */
export class ActionTransitionError extends Error {
  override name = "ActionTransitionError";
}

const VERBS: Record<ActionEvent["type"], string> = {
  SCHEDULE: "schedule", START: "start", SUCCEED: "succeed", FAIL: "fail", INTERRUPT: "interrupt", CHANGE: "change", DISABLE: "disable", ENABLE: "enable",
};

function snapshot(state: ActionStateName, errorCount: number): ActionSnapshot {
  return actionMachine.resolveState({ value: state, context: { errorCount } }) as ActionSnapshot;
}

/**
 * The machine is pure, so its answers are kept per (state, event, force[, errorCount]): a blueprint
 * that schedules 10,000 services asks the same few questions 10,000 times, and resolving an xstate
 * snapshot for each took most of `cockpit plan --action install`'s scheduling time (issue 18).
 */
const canCache = new Map<string, boolean>();
const nextCache = new Map<string, { state: ActionStateName; errorCount: number }>();
/** Error counts above this are not cached (they are rare, and would grow the cache without end). */
const MAX_CACHED_ERROR_COUNT = 16;

function eventKey(state: ActionStateName, event: ActionEvent): string {
  return `${state}|${event.type}|${event.type === "SCHEDULE" && event.force ? "f" : ""}`;
}

/** Whether `event` applies to an action in `state` (nextActionState would not throw). */
export function canApplyAction(state: ActionStateName, event: ActionEvent): boolean {
  const key = eventKey(state, event);
  let can = canCache.get(key);
  if (can === undefined) {
    can = snapshot(state, 0).can(event);
    canCache.set(key, can);
  }
  return can;
}

/** Why `event` does not apply to an action in `state` ("cannot schedule an action that is disabled"), or null when it does. */
export function actionRefusal(state: ActionStateName, event: ActionEvent): string | null {
  if (canApplyAction(state, event)) return null;
  const forced = event.type === "SCHEDULE" && event.force ? " (forced)" : "";
  return `cannot ${VERBS[event.type]}${forced} an action that is ${state}`;
}

/**
 * Applies one event to an action's state.
 * @returns the next state and error count
 * @throws ActionTransitionError when the event is not allowed in `state` (e.g. scheduling a disabled action);
 *   its message reads "cannot schedule an action that is disabled"
 */
export function nextActionState(
  state: ActionStateName,
  errorCount: number,
  event: ActionEvent,
): { state: ActionStateName; errorCount: number } {
  const refused = actionRefusal(state, event);
  if (refused) throw new ActionTransitionError(refused);
  const key = `${eventKey(state, event)}|${errorCount}`;
  const cached = nextCache.get(key);
  if (cached) return { ...cached };
  const [next] = transition(actionMachine, snapshot(state, errorCount), event);
  const result = { state: next.value as ActionStateName, errorCount: next.context.errorCount };
  if (Number.isInteger(errorCount) && errorCount >= 0 && errorCount <= MAX_CACHED_ERROR_COUNT) nextCache.set(key, { ...result });
  return result;
}

/**
 * Moves `action` (a copy the caller may change) through the machine: state and error count, and
 * `force` is dropped once it no longer applies (the job succeeded, the action was disabled or enabled).
 * @throws ActionTransitionError as nextActionState
 */
export function moveAction(action: ServiceAction, event: ActionEvent): void {
  const next = nextActionState(action.state, action.errorCount, event);
  action.state = next.state;
  action.errorCount = next.errorCount;
  if (event.type === "SUCCEED" || event.type === "DISABLE" || event.type === "ENABLE") delete action.force;
}
