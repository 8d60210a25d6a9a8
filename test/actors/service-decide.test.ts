/** The ServiceActor's pure decisions (src/actors/service/decide.ts), without storage or a clock. */
import { describe, it } from "vitest";
import {
  afterEarlier, alarmStep, deliveryRetryAt, EXECUTION_POLL_MS, executionVerdict, expiryLines, failure, honourRetryAfter, MAX_INTERRUPTIONS, REPORT_RETRY_MS,
  reschedule, startsNow, wakeAt, WATCHDOG_MARGIN_MS, type JobFacts,
} from "../../src/actors/service/decide.ts";

const job = (state: JobFacts["state"], starts = 0, started: number | null = null): JobFacts => ({ state, starts, started });

describe("what the alarm does with a job", () => {
  it("runs a pending job, and a running one that no live execution holds", ({ expect }) => {
    expect(alarmStep(job("pending"), false)).toBe("run");
    expect(alarmStep(job("running", 1), false)).toBe("run");
    expect(alarmStep(job("running", 1), true)).toBe("report");
    expect(alarmStep(job("ok"), false)).toBe("report");
    expect(alarmStep(job("waiting"), false)).toBe("report");
  });

  it(`gives up once ${MAX_INTERRUPTIONS} executions died; a row stored before starts were counted had started once`, ({ expect }) => {
    expect(alarmStep(job("running", MAX_INTERRUPTIONS - 1), false)).toBe("run");
    expect(alarmStep(job("running", MAX_INTERRUPTIONS), false)).toBe("give up");
    expect(startsNow(job("running", 0))).toBe(2);
    expect(startsNow(job("running", 2))).toBe(3);
    expect(startsNow(job("pending", 5))).toBe(1);
  });
});

describe("what becomes of a running job's execution (its Workflow instance)", () => {
  const now = 1_000_000;
  it("is live while its instance may still end, before the job's deadline", ({ expect }) => {
    for (const status of ["queued", "running", "paused", "waiting", "waitingForPause", "unknown"]) {
      expect(executionVerdict(status, now, now + 1)).toBe("live");
      expect(executionVerdict(status, now, now)).toBe("live");
    }
  });

  it("is lost once its instance ended without handing over an outcome, or when there is none", ({ expect }) => {
    for (const status of ["complete", "errored", "terminated", null]) expect(executionVerdict(status, now, now + 60_000)).toBe("lost");
  });

  it("is overdue when its instance still runs past the deadline", ({ expect }) => {
    expect(executionVerdict("running", now + 1, now)).toBe("overdue");
    expect(executionVerdict("queued", now + 1, now)).toBe("overdue");
    expect(executionVerdict("errored", now + 1, now)).toBe("lost");
  });
});

describe("when the alarm must fire for a job", () => {
  const now = 1_000_000;
  it("now for a pending job, or when its slot poll is due", ({ expect }) => {
    expect(wakeAt(job("pending"), { now, timeoutSeconds: 0 })).toBe(now);
    expect(wakeAt(job("pending"), { now, timeoutSeconds: 0, slotRetry: now + 5 })).toBe(now + 5);
  });
  it("at the watchdog for a running job, or sooner its next look at the execution; a few seconds on for an unreported outcome", ({ expect }) => {
    expect(wakeAt(job("running", 1, now - 10), { now, timeoutSeconds: 10 })).toBe(now - 10 + 10_000 + WATCHDOG_MARGIN_MS);
    expect(wakeAt(job("running", 1, now - 10), { now, timeoutSeconds: 3000 })).toBe(now + EXECUTION_POLL_MS);
    expect(wakeAt(job("error"), { now, timeoutSeconds: 60 })).toBe(now + REPORT_RETRY_MS);
  });
  it("at the deadline of a delivered question, sooner at the next try of an undelivered one, now without one", ({ expect }) => {
    expect(wakeAt(job("waiting"), { now, timeoutSeconds: 0, question: { deadline: now + 900, delivered: 1, next_try: now + 1 } })).toBe(now + 900);
    expect(wakeAt(job("waiting"), { now, timeoutSeconds: 0, question: { deadline: now + 900, delivered: 0, next_try: now + 100 } })).toBe(now + 100);
    expect(wakeAt(job("waiting"), { now, timeoutSeconds: 0, question: { deadline: now + 50, delivered: 0, next_try: now + 100 } })).toBe(now + 50);
    expect(wakeAt(job("waiting"), { now, timeoutSeconds: 0 })).toBe(now);
  });
});

describe("recurring actions and question delivery", () => {
  it("schedules a new action one period on, and keeps a changed one's next time only if sooner", ({ expect }) => {
    const now = 10_000;
    const current = [{ action: "monitor", next_due: now + 5_000 }, { action: "gone", next_due: now }];
    expect(reschedule(current, [{ action: "monitor", period: 60 }, { action: "backup", period: 2 }], now)).toEqual([
      { action: "monitor", period: 60, next_due: now + 5_000 },
      { action: "backup", period: 2, next_due: now + 2_000 },
    ]);
    expect(reschedule(current, [{ action: "monitor", period: 1 }], now)).toEqual([{ action: "monitor", period: 1, next_due: now + 1_000 }]);
  });

  it("backs off 2 s, 5 s, 15 s, 1 min, then every 5 min; Telegram's retry_after wins when later", ({ expect }) => {
    expect([1, 2, 3, 4, 5, 6, 20].map((tries) => deliveryRetryAt(tries, 0) / 1000)).toEqual([2, 5, 15, 60, 300, 300, 300]);
    expect(honourRetryAfter(2_000, 0, 30)).toBe(30_000);
    expect(honourRetryAfter(2_000, 0, 1)).toBe(2_000);
    expect(honourRetryAfter(2_000, 0, undefined)).toBe(2_000);
  });

  it("says why an unanswered question failed, and that it never arrived when it did not", ({ expect }) => {
    const question = { text: "Format?", to: { user: "ann" } };
    expect(expiryLines({ delivered: 1, failure: null, tries: 1 }, question)).toEqual(['timeout: nobody answered "Format?"']);
    expect(expiryLines({ delivered: 0, failure: "502", tries: 1 }, question)).toEqual([
      "the question never reached ann: 502 (1 attempt)",
      'timeout: nobody answered "Format?"',
    ]);
  });

  it("keeps an earlier outcome's lines in front", ({ expect }) => {
    const earlier = failure("first", 1);
    const later = afterEarlier(failure("second", 2), earlier);
    expect(later.logs.map((l) => l.log)).toEqual(["first", "second"]);
    expect(afterEarlier(failure("only", 3), null).logs).toHaveLength(1);
  });
});
