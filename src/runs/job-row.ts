/**
 * The lifecycle of a ServiceActor's job row (one attempt of one job, as the ServiceActor keeps it),
 * as an xstate machine moved with the pure `transition()`, like the run and job lifecycles
 * (lifecycle.ts). The snapshot is the row's `state` column; an event the row's state does not take
 * is refused with a LifecycleError. The ServiceActor changes a row's state only through it
 * (ServiceStore.move).
 *
 *   pending --START--> running --SUCCEED--> ok, --FAIL--> error
 *   running --RESUME--> running     its execution was cut off (eviction, a crash): it runs again
 *   running --GIVE_UP--> error      cut off MAX_INTERRUPTIONS times: not run again
 *   running --ASK--> waiting --ANSWER--> pending     job.ask: parked until a person answers, then run again
 *   waiting --FAIL--> error         the question timed out, cannot be asked, or is gone
 *   pending | running | waiting --CANCEL--> error    its run was cancelled or its repository deleted
 *
 * ok and error are final for the machine; whether the RepositoryActor has taken the outcome (the
 * row's `reported` flag) is not a state: a repeated report changes no state.
 */
import { initialTransition, setup } from "xstate";
import { nextState } from "./lifecycle.ts";

export type JobRowState = "pending" | "running" | "waiting" | "ok" | "error";
export type JobRowEvent = { type: "START" | "RESUME" | "SUCCEED" | "FAIL" | "GIVE_UP" | "ASK" | "ANSWER" | "CANCEL" };

export const jobRowMachine = setup({ types: { events: {} as JobRowEvent } }).createMachine({
  id: "jobRow",
  initial: "pending",
  states: {
    pending: { on: { START: "running", CANCEL: "error" } },
    running: { on: { RESUME: "running", SUCCEED: "ok", FAIL: "error", GIVE_UP: "error", ASK: "waiting", CANCEL: "error" } },
    waiting: { on: { ANSWER: "pending", FAIL: "error", CANCEL: "error" } },
    ok: { type: "final" },
    error: { type: "final" },
  },
});

/** The state a new job row starts in. */
export const NEW_JOB_ROW = initialTransition(jobRowMachine)[0].value as JobRowState;

/** The job row's next state. @throws LifecycleError when `event` does not apply to `state`. */
export function nextJobRowState(state: JobRowState, event: JobRowEvent): JobRowState {
  return nextState(jobRowMachine, "job row", state, event);
}
