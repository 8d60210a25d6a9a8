/**
 * The lifecycles of a run and of one job of a run, as xstate machines moved with the pure
 * `transition()` (as the action machine and the chat's conversation are). The snapshot is the
 * record's own `state` field, plain JSON in SQLite; nothing depends on a live xstate actor.
 *
 *   run:  new --START--> running --SUCCEED--> ok, --FAIL--> error, --RETRY--> new (queued again)
 *         new | running --CANCEL--> cancelled
 *   job:  new --START--> running --SUCCEED--> ok, --FAIL--> error;  error --RETRY--> new
 *         new --SKIP--> ok (already ok, disabled, a default action, no-exec), new --FAIL--> error (service gone)
 *         new | running --CANCEL--> cancelled
 */
import { setup, transition, type AnyStateMachine, type SnapshotFrom } from "xstate";
import type { JobState, RunState } from "./model.ts";

export type RunEvent = { type: "START" } | { type: "SUCCEED" } | { type: "FAIL" } | { type: "RETRY" } | { type: "CANCEL" };
export type JobEvent = { type: "START" } | { type: "SKIP" } | { type: "SUCCEED" } | { type: "FAIL" } | { type: "RETRY" } | { type: "CANCEL" };

export const runMachine = setup({ types: { events: {} as RunEvent } }).createMachine({
  id: "run",
  initial: "new",
  states: {
    new: { on: { START: "running", CANCEL: "cancelled" } },
    running: { on: { SUCCEED: "ok", FAIL: "error", RETRY: "new", CANCEL: "cancelled" } },
    ok: { type: "final" },
    error: { type: "final" },
    cancelled: { type: "final" },
  },
});

export const jobMachine = setup({ types: { events: {} as JobEvent } }).createMachine({
  id: "job",
  initial: "new",
  states: {
    new: { on: { START: "running", SKIP: "ok", FAIL: "error", CANCEL: "cancelled" } },
    // A job re-sent by the watchdog may be closed at once (no-exec, a default action): running --SUCCEED--> ok.
    running: { on: { SUCCEED: "ok", FAIL: "error", CANCEL: "cancelled" } },
    ok: { type: "final" },
    error: { on: { RETRY: "new" } },
    cancelled: { type: "final" },
  },
});

/** Thrown when an event does not apply to a run's or job's current state: a bug in the queue's rules. */
export class LifecycleError extends Error {
  override name = "LifecycleError";
}

/**
 * The state a context-free lifecycle machine goes to from `state` on `event`, with the pure
 * `transition()`: the snapshot is only the state's name. @throws LifecycleError when `event` does not apply
 */
export function nextState<S extends string>(machine: AnyStateMachine, what: string, state: S, event: { type: string }): S {
  const current = machine.resolveState({ value: state, context: {} }) as SnapshotFrom<AnyStateMachine>;
  if (!current.can(event)) throw new LifecycleError(`a ${what} that is ${state} cannot ${event.type.toLowerCase().replace(/_/g, " ")}`);
  return transition(machine, current, event)[0].value as S;
}

/** The run's next state. @throws LifecycleError when `event` does not apply to `state`. */
export function nextRunState(state: RunState, event: RunEvent): RunState {
  return nextState(runMachine, "run", state, event);
}

/** The job's next state. @throws LifecycleError when `event` does not apply to `state`. */
export function nextJobState(state: JobState, event: JobEvent): JobState {
  return nextState(jobMachine, "job", state, event);
}
