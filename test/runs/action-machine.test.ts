/** The action machine (src/ays/action-machine.ts): every transition it allows, and every one it refuses. */
import { describe, expect, it } from "vitest";
import { actionRefusal, ActionTransitionError, moveAction, nextActionState, type ActionEvent } from "../../src/ays/action-machine.ts";
import { ACTION_STATES, type ActionStateName, type ServiceAction } from "../../src/ays/model.ts";

const EVENTS: ActionEvent[] = [
  { type: "SCHEDULE" }, { type: "SCHEDULE", force: true }, { type: "START" }, { type: "SUCCEED" }, { type: "FAIL" },
  { type: "INTERRUPT" }, { type: "CHANGE" }, { type: "DISABLE" }, { type: "ENABLE" },
];
const label = (e: ActionEvent) => (e.type === "SCHEDULE" && e.force ? "SCHEDULE(force)" : e.type);

/** state -> event -> next state; every pair not listed is refused. */
const ALLOWED: Record<ActionStateName, Record<string, ActionStateName>> = {
  new: { SCHEDULE: "scheduled", "SCHEDULE(force)": "scheduled", START: "running", DISABLE: "disabled" },
  changed: { SCHEDULE: "scheduled", "SCHEDULE(force)": "scheduled", START: "running", DISABLE: "disabled" },
  error: { SCHEDULE: "scheduled", "SCHEDULE(force)": "scheduled", START: "running", CHANGE: "changed", DISABLE: "disabled" },
  ok: { "SCHEDULE(force)": "scheduled", START: "running", CHANGE: "changed", DISABLE: "disabled" },
  scheduled: { START: "running", DISABLE: "disabled" },
  running: { SUCCEED: "ok", FAIL: "error", INTERRUPT: "scheduled", DISABLE: "disabled" },
  disabled: { ENABLE: "new" },
};

describe("the action machine", () => {
  for (const state of ACTION_STATES) {
    it(`from ${state}: allows ${Object.keys(ALLOWED[state]).join(", ")} and refuses the rest`, () => {
      for (const event of EVENTS) {
        const target = ALLOWED[state][label(event)];
        if (target) {
          expect(nextActionState(state, 2, event).state, `${state} --${label(event)}-->`).toBe(target);
          expect(actionRefusal(state, event)).toBeNull();
        } else {
          expect(() => nextActionState(state, 2, event), `${state} --${label(event)}--> refused`).toThrow(ActionTransitionError);
          expect(actionRefusal(state, event)).toMatch(new RegExp(`^cannot .* an action that is ${state}$`));
        }
      }
    });
  }

  it("counts consecutive failures and resets them on success", () => {
    expect(nextActionState("running", 2, { type: "FAIL" })).toEqual({ state: "error", errorCount: 3 });
    expect(nextActionState("running", 3, { type: "SUCCEED" })).toEqual({ state: "ok", errorCount: 0 });
    expect(nextActionState("disabled", 3, { type: "ENABLE" })).toEqual({ state: "new", errorCount: 3 });
  });

  it("names the refused event and the state", () => {
    expect(actionRefusal("disabled", { type: "SCHEDULE" })).toBe("cannot schedule an action that is disabled");
    expect(actionRefusal("ok", { type: "ENABLE" })).toBe("cannot enable an action that is ok");
    expect(actionRefusal("disabled", { type: "DISABLE" })).toBe("cannot disable an action that is disabled");
    expect(actionRefusal("scheduled", { type: "SCHEDULE", force: true })).toBe("cannot schedule (forced) an action that is scheduled");
  });

  it("moveAction changes the action it is given and drops force once it no longer applies", () => {
    const action: ServiceAction = { name: "install", state: "scheduled", period: 0, timeout: 0, errorCount: 1, lastRun: null, force: true };
    moveAction(action, { type: "DISABLE" });
    expect(action).toEqual({ name: "install", state: "disabled", period: 0, timeout: 0, errorCount: 1, lastRun: null });
    expect(() => moveAction(action, { type: "SCHEDULE" })).toThrow("cannot schedule an action that is disabled");
    expect(action.state).toBe("disabled");
  });
});
