import { describe, expect, it } from "vitest";
import { LifecycleError, nextJobState, nextRunState } from "../../src/runs/lifecycle.ts";

describe("the run's lifecycle", () => {
  it("goes new → running → ok or error, back to new for a retry, and cancelled from new or running", () => {
    expect(nextRunState("new", { type: "START" })).toBe("running");
    expect(nextRunState("running", { type: "SUCCEED" })).toBe("ok");
    expect(nextRunState("running", { type: "FAIL" })).toBe("error");
    expect(nextRunState("running", { type: "RETRY" })).toBe("new");
    expect(nextRunState("new", { type: "CANCEL" })).toBe("cancelled");
    expect(nextRunState("running", { type: "CANCEL" })).toBe("cancelled");
  });

  it("refuses what does not apply: an ended run stays ended", () => {
    for (const state of ["ok", "error", "cancelled"] as const) expect(() => nextRunState(state, { type: "START" })).toThrow(LifecycleError);
    expect(() => nextRunState("new", { type: "SUCCEED" })).toThrow("a run that is new cannot succeed");
  });
});

describe("a job's lifecycle", () => {
  it("runs, is skipped, fails, is retried or cancelled", () => {
    expect(nextJobState("new", { type: "START" })).toBe("running");
    expect(nextJobState("new", { type: "SKIP" })).toBe("ok");
    expect(nextJobState("running", { type: "FAIL" })).toBe("error");
    expect(nextJobState("error", { type: "RETRY" })).toBe("new");
    expect(nextJobState("running", { type: "CANCEL" })).toBe("cancelled");
    expect(() => nextJobState("ok", { type: "RETRY" })).toThrow(LifecycleError);
    expect(() => nextJobState("cancelled", { type: "START" })).toThrow(LifecycleError);
  });
});
