/**
 * The ServiceActor's job-row lifecycle (src/runs/job-row.ts): every event in every state, the
 * allowed transitions as a table and everything else refused.
 */
import { describe, expect, it } from "vitest";
import { NEW_JOB_ROW, nextJobRowState, type JobRowEvent, type JobRowState } from "../../src/runs/job-row.ts";
import { LifecycleError } from "../../src/runs/lifecycle.ts";

const STATES: JobRowState[] = ["pending", "running", "waiting", "ok", "error"];
const EVENTS: JobRowEvent["type"][] = ["START", "RESUME", "SUCCEED", "FAIL", "GIVE_UP", "ASK", "ANSWER", "CANCEL"];

/** The whole lifecycle: what each state takes, and where it goes. Anything not here is refused. */
const ALLOWED: Record<JobRowState, Partial<Record<JobRowEvent["type"], JobRowState>>> = {
  pending: { START: "running", CANCEL: "error" },
  running: { RESUME: "running", SUCCEED: "ok", FAIL: "error", GIVE_UP: "error", ASK: "waiting", CANCEL: "error" },
  waiting: { ANSWER: "pending", FAIL: "error", CANCEL: "error" },
  ok: {},
  error: {},
};

describe("a ServiceActor job row's lifecycle", () => {
  it("starts pending", () => {
    expect(NEW_JOB_ROW).toBe("pending");
  });

  for (const state of STATES) {
    for (const type of EVENTS) {
      const target = ALLOWED[state][type];
      if (target) {
        it(`${state} --${type}--> ${target}`, () => {
          expect(nextJobRowState(state, { type })).toBe(target);
        });
      } else {
        it(`${state} refuses ${type}`, () => {
          expect(() => nextJobRowState(state, { type })).toThrow(LifecycleError);
        });
      }
    }
  }

  it("says what was refused", () => {
    expect(() => nextJobRowState("ok", { type: "GIVE_UP" })).toThrow("a job row that is ok cannot give up");
    expect(() => nextJobRowState("waiting", { type: "START" })).toThrow("a job row that is waiting cannot start");
  });

  it("runs a job through job.ask and an interruption to its end", () => {
    const path: JobRowEvent["type"][] = ["START", "ASK", "ANSWER", "START", "RESUME", "SUCCEED"];
    const states = path.reduce<JobRowState[]>((seen, type) => [...seen, nextJobRowState(seen.at(-1)!, { type })], [NEW_JOB_ROW]);
    expect(states).toEqual(["pending", "running", "waiting", "pending", "running", "running", "ok"]);
  });
});
