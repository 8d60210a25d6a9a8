/**
 * The lifecycle of one action of one service (AYS 8.2 `ActionState`), as an xstate machine run with
 * the pure `transition()` function: actors keep the state as plain JSON in SQLite and apply events to
 * it, so nothing depends on a live xstate actor surviving eviction.
 *
 *   new | changed | error --SCHEDULE--> scheduled      (ok --SCHEDULE(force)--> scheduled)
 *   scheduled | ok | new | error --START--> running     (ok/new/error: recurring and event jobs)
 *   running --SUCCEED--> ok, --FAIL--> error (errorCount + 1), --INTERRUPT--> scheduled
 *   any --DISABLE--> disabled --ENABLE--> new;  ok | error --CHANGE--> changed
 */
import { setup, transition, assign, type SnapshotFrom } from "xstate";
import type { ActionStateName } from "../ays/index.ts";

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
  on: { DISABLE: ".disabled" },
  states: {
    new: { on: { SCHEDULE: "scheduled", START: "running" } },
    changed: { on: { SCHEDULE: "scheduled", START: "running" } },
    scheduled: { on: { START: "running" } },
    running: {
      on: {
        SUCCEED: { target: "ok", actions: "resetErrors" },
        FAIL: { target: "error", actions: "countError" },
        INTERRUPT: "scheduled",
      },
    },
    ok: { on: { SCHEDULE: { guard: "forced", target: "scheduled" }, START: "running", CHANGE: "changed" } },
    error: { on: { SCHEDULE: "scheduled", START: "running", CHANGE: "changed" } },
    disabled: { on: { ENABLE: "new", DISABLE: {} } },
  },
});

type ActionSnapshot = SnapshotFrom<typeof actionMachine>;

/** Thrown when an event does not apply to the action's current state. */
export class ActionTransitionError extends Error {
  override name = "ActionTransitionError";
}

/**
 * Applies one event to an action's state.
 * @returns the next state and error count
 * @throws ActionTransitionError when the event is not allowed in `state` (e.g. scheduling a disabled action)
 */
export function nextActionState(
  state: ActionStateName,
  errorCount: number,
  event: ActionEvent,
): { state: ActionStateName; errorCount: number } {
  const current = actionMachine.resolveState({ value: state, context: { errorCount } }) as ActionSnapshot;
  if (!current.can(event)) {
    throw new ActionTransitionError(`cannot ${event.type.toLowerCase()} an action that is ${state}`);
  }
  const [next] = transition(actionMachine, current, event);
  return { state: next.value as ActionStateName, errorCount: next.context.errorCount };
}
