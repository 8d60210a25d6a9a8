import { describe, expect, it } from "vitest";
import { alarmAt, nextRun, schedulerStatus, WATCHDOG_MS, type OpenRun } from "../../src/runs/schedule.ts";
import { T0 } from "./fixtures.ts";

const queued = (seq: number, more: Partial<OpenRun> = {}): OpenRun => ({ key: `run-${seq}`, seq, state: "new", priority: 1, not_before: 0, ...more });
const retry = (seq: number, not_before: number): OpenRun => queued(seq, { priority: 10, not_before });

describe("which run goes next", () => {
  it("continues the running run before anything queued", () => {
    expect(nextRun([queued(1), queued(2, { state: "running" })], T0)).toBe("run-2");
  });

  it("starts people's runs before retries that are also due, then the oldest", () => {
    expect(nextRun([retry(1, T0 - 1), queued(3), queued(2)], T0)).toBe("run-2");
    expect(nextRun([retry(2, T0), retry(1, T0)], T0)).toBe("run-1");
  });

  it("starts a retry only once its delay has passed", () => {
    expect(nextRun([retry(1, T0 + 1)], T0)).toBeNull();
    expect(nextRun([retry(1, T0 + 1)], T0 + 1)).toBe("run-1");
    expect(nextRun([], T0)).toBeNull();
  });
});

describe("the queue's alarm", () => {
  it("is the watchdog of the running run, or the next retry's time if sooner", () => {
    expect(alarmAt([queued(1, { state: "running" })], T0)).toBe(T0 + WATCHDOG_MS);
    expect(alarmAt([queued(1, { state: "running" }), retry(2, T0 + 5000)], T0)).toBe(T0 + 5000);
    expect(alarmAt([retry(2, T0 + 60_000)], T0)).toBe(T0 + 60_000);
  });

  it("is now for a retry already due, and none when nothing waits", () => {
    expect(alarmAt([retry(1, T0 - 5000)], T0)).toBe(T0);
    expect(alarmAt([], T0)).toBeNull();
  });

  it("the scheduler's status counts the queued runs", () => {
    expect(schedulerStatus([queued(1, { state: "running" }), retry(2, T0), queued(3)])).toEqual({ status: "running", queue_size: 2, running: "run-1" });
    expect(schedulerStatus([])).toEqual({ status: "idle", queue_size: 0, running: null });
  });
});
