import { describe, expect, it } from "vitest";
import { decide, rerunSteps } from "../../src/runs/queue.ts";
import { context, dispatched, effectsOf, job, jobs, logLines, outcome, play, run, service, services, T0, templates } from "./fixtures.ts";

const proc = templates({ name: "proc" });
const ctx = context(proc);

describe("advance: starting a run and dispatching its steps", () => {
  it("starts a new run, marks its first step's jobs running and hands them out, saving before sending", () => {
    const state = { run: run([[["proc!a", "install"]], [["proc!a", "start"]]]), services: services(service("proc!a", { install: {}, start: {} })) };
    const d = decide(state, { type: "advance" }, ctx, T0);
    expect(d.state.run).toMatchObject({ state: "running", attempt: 1 });
    expect(d.state.run.steps.map((s) => s.state)).toEqual(["running", "new"]);
    expect(job(d.state.run, "run-1.1.1")).toMatchObject({ state: "running", attempts: 1, started: T0 });
    expect(d.state.services["proc!a"]!.actions.install!.state).toBe("running");
    expect(d.effects.map((e) => e.type)).toEqual(["saveRun", "saveServices", "saveRun", "dispatch"]);
    const [spec] = effectsOf(d, "dispatch")[0]!.specs;
    expect(spec).toMatchObject({ actorName: "acme/repo/proc!a", runKey: "run-1", jobKey: "run-1.1.1", attempt: 1, action: "install", timeoutSeconds: 3000, code: "js", actionsJs: "// proc" });
  });

  it("changes neither the run nor the services it was given", () => {
    const state = { run: run([[["proc!a", "install"]]]), services: services(service("proc!a", { install: {} })) };
    const before = structuredClone(state);
    decide(state, { type: "advance" }, ctx, T0);
    expect(state).toEqual(before);
  });

  it("does not start a simulated run, nor a retry before its time", () => {
    const simulated = { run: run([[["proc!a", "install"]]], { simulate: true }), services: services(service("proc!a", { install: {} })) };
    expect(decide(simulated, { type: "advance" }, ctx, T0).effects).toEqual([]);
    const later = { ...simulated, run: { ...simulated.run, simulate: false, not_before: T0 + 5000 } };
    expect(decide(later, { type: "advance" }, ctx, T0).effects).toEqual([]);
  });

  it("re-sends jobs already out only when the watchdog asks (resend)", () => {
    const state = { run: run([[["proc!a", "install"], ["proc!b", "install"]]]), services: services(service("proc!a", { install: {} }), service("proc!b", { install: {} })) };
    const [first, report, watchdog] = play(state, ctx,
      [{ type: "advance" }, T0],
      [{ type: "jobFinished", job: "run-1.1.1", attempt: 1, outcome: outcome("ok") }, T0 + 1000],
      [{ type: "advance", resend: true }, T0 + 30_000]);
    expect(dispatched(first!)).toEqual(["run-1.1.1", "run-1.1.2"]);
    expect(dispatched(decide(report!.state, { type: "advance" }, ctx, T0 + 1000))).toEqual([]);
    expect(dispatched(watchdog!)).toEqual(["run-1.1.2"]);
  });

  it("ends a run ok once every step is", () => {
    const state = { run: run([[["proc!a", "install"]], [["proc!a", "start"]]]), services: services(service("proc!a", { install: {}, start: {} })) };
    const ds = play(state, ctx,
      [{ type: "advance" }, T0],
      [{ type: "jobFinished", job: "run-1.1.1", attempt: 1, outcome: outcome("ok", { dataPatch: { ip: "10.0.0.1" } }) }, T0 + 1000],
      [{ type: "advance" }, T0 + 1000],
      [{ type: "jobFinished", job: "run-1.2.1", attempt: 1, outcome: outcome("ok") }, T0 + 2000],
      [{ type: "advance" }, T0 + 2000]);
    expect(dispatched(ds[2]!)).toEqual(["run-1.2.1"]);
    const end = ds.at(-1)!.state;
    expect(end.run.state).toBe("ok");
    expect(end.run.steps.map((s) => s.state)).toEqual(["ok", "ok"]);
    expect(end.services["proc!a"]).toMatchObject({ data: { ip: "10.0.0.1" }, actions: { install: { state: "ok", lastRun: T0 + 1000 }, start: { state: "ok" } } });
  });
});

describe("skip rules", () => {
  const first = (s: ReturnType<typeof services>, opts: Parameters<typeof run>[1] = {}, c = ctx) => decide({ run: run([[["proc!a", "install"]]], opts), services: s }, { type: "advance" }, c, T0);

  it("skips an action already ok, unless it is forced or the run is a re-run", () => {
    const skipped = first(services(service("proc!a", { install: { state: "ok" } })));
    expect(job(skipped.state.run, "run-1.1.1")).toMatchObject({ state: "ok", attempts: 0 });
    expect(logLines(job(skipped.state.run, "run-1.1.1"))).toEqual(["install is already ok on proc!a: skipped"]);
    expect(skipped.state.run.state).toBe("ok");
    expect(dispatched(first(services(service("proc!a", { install: { state: "ok", force: true } }))))).toEqual(["run-1.1.1"]);
    expect(dispatched(first(services(service("proc!a", { install: { state: "ok" } })), { rerun_of: "run-0" }))).toEqual(["run-1.1.1"]);
  });

  it("skips a disabled action, in a re-run too", () => {
    const d = first(services(service("proc!a", { install: { state: "disabled" } })), { rerun_of: "run-0" });
    expect(dispatched(d)).toEqual([]);
    expect(logLines(job(d.state.run, "run-1.1.1"))).toEqual(["install is disabled on proc!a: skipped"]);
  });

  it("does an AYS default action (not in the template's code) and a no-exec job at once, without a ServiceActor", () => {
    const byDefault = decide({ run: run([[["proc!a", "init"]]]), services: services(service("proc!a", { init: {} })) }, { type: "advance" }, ctx, T0);
    expect(dispatched(byDefault)).toEqual([]);
    expect(logLines(job(byDefault.state.run, "run-1.1.1"))).toEqual(["init: AYS default action (no-op)"]);
    expect(byDefault.state.services["proc!a"]!.actions.init).toMatchObject({ state: "ok", lastRun: T0 });
    const noexec = first(services(service("proc!a", { install: { force: true } })), {}, context(proc, { noexec: true }));
    expect(logLines(job(noexec.state.run, "run-1.1.1"))).toEqual(["no-exec mode: marked ok without running"]);
    expect(noexec.state.services["proc!a"]!.actions.install).toMatchObject({ state: "ok" });
    expect(noexec.state.services["proc!a"]!.actions.install!.force).toBeUndefined();
  });

  it("fails the job of a service that is gone, and queues the run again", () => {
    // The job never started, so its attempts stay 0 and the retry policy never runs out: each retry
    // waits the first delay. That is how the actor behaved before the queue moved here, kept as it was.
    const d = first(services());
    const j = job(d.state.run, "run-1.1.1");
    expect(j).toMatchObject({ state: "new", attempts: 0 });
    expect(logLines(j)).toEqual(["service proc!a or its action install no longer exists", "attempt 0 failed; retrying in 10 s"]);
    expect(d.state.run).toMatchObject({ state: "new", not_before: T0 + 10_000 });
  });
});

describe("job reports", () => {
  const start = () => decide({ run: run([[["proc!a", "install"]]]), services: services(service("proc!a", { install: { inputFiles: [{ name: "f", key: "k", size: 1 }] } })) }, { type: "advance" }, ctx, T0).state;

  it("ignores a report of another attempt, or a repeated one", () => {
    const state = start();
    expect(decide(state, { type: "jobFinished", job: "run-1.1.1", attempt: 2, outcome: outcome("ok") }, ctx, T0).effects).toEqual([]);
    const [, again] = play(state, ctx,
      [{ type: "jobFinished", job: "run-1.1.1", attempt: 1, outcome: outcome("ok") }, T0],
      [{ type: "jobFinished", job: "run-1.1.1", attempt: 1, outcome: outcome("error") }, T0]);
    expect(again!.effects).toEqual([]);
  });

  it("replaces the live log lines with the outcome's, and drops used input files once ok", () => {
    const live = { epoch: T0, level: "info", category: "out", log: "live" };
    const [logged, done] = play(start(), ctx,
      [{ type: "jobLog", job: "run-1.1.1", attempt: 1, entries: [live] }, T0],
      [{ type: "jobFinished", job: "run-1.1.1", attempt: 1, outcome: outcome("ok", { logs: [live, { ...live, log: "last" }] }) }, T0]);
    expect(job(logged!.state.run, "run-1.1.1")).toMatchObject({ live_logs: 1 });
    expect(logLines(job(done!.state.run, "run-1.1.1"))).toEqual(["live", "last"]);
    expect(job(done!.state.run, "run-1.1.1").live_logs).toBeUndefined();
    expect(done!.state.services["proc!a"]!.actions.install!.inputFiles).toBeUndefined();
  });
});

describe("the retry policy", () => {
  /** Runs one install job of `tpl` that fails with `code` until `failures` reports are in, then advances. */
  function failing(tpl = proc, codes: (string | undefined)[] = [undefined], errorCount = 0) {
    let state = { run: run([[["proc!a", "install"]]]), services: services(service("proc!a", { install: { errorCount } })) };
    const c = context(tpl);
    const steps = [];
    let now = T0;
    for (const code of codes) {
      const started = decide(state, { type: "advance" }, c, now);
      const attempt = job(started.state.run, "run-1.1.1").attempts;
      const failed = decide(started.state, { type: "jobFinished", job: "run-1.1.1", attempt, outcome: outcome("error", code ? { errorCode: code } : {}) }, c, now);
      const next = decide(failed.state, { type: "advance" }, c, now);
      steps.push(next);
      state = next.state;
      now = Math.max(now, state.run.not_before);
    }
    return steps;
  }

  it("queues the run again after AYS's first delay, 10 s, behind people's runs", () => {
    const [d] = failing();
    expect(d!.state.run).toMatchObject({ state: "new", priority: 10, not_before: T0 + 10_000, attempt: 1 });
    expect(d!.state.run.steps[0]!.state).toBe("new");
    const j = job(d!.state.run, "run-1.1.1");
    expect(j).toMatchObject({ state: "new", attempts: 1 });
    expect(logLines(j).at(-1)).toBe("attempt 1 failed; retrying in 10 s");
    expect(dispatched(decide(d!.state, { type: "advance" }, ctx, T0 + 9_999))).toEqual([]);
    const again = decide(d!.state, { type: "advance" }, ctx, T0 + 10_000);
    expect(again.state.run.attempt).toBe(2);
    expect(effectsOf(again, "dispatch")[0]!.specs[0]).toMatchObject({ attempt: 2 });
  });

  it("picks the delay by the action's error count: AYS's table, 10 s, 30 s, 1 min, …", () => {
    const delays = failing(proc, [undefined, undefined, undefined]).map((d) => d.state.run.not_before);
    expect(delays.map((t, i) => t - (i === 0 ? T0 : delays[i - 1]!))).toEqual([10_000, 30_000, 60_000]);
  });

  it("ends in error after the last of the template's delays, with the failed job's last lines", () => {
    const tpl = templates({ name: "proc", config: "retry:\n  delays: [1]\n" });
    const [first, last] = failing(tpl, [undefined, undefined]);
    expect(first!.state.run).toMatchObject({ state: "new", not_before: T0 + 1000 });
    expect(last!.state.run).toMatchObject({ state: "error", attempt: 2 });
    expect(last!.state.run.steps[0]!.state).toBe("error");
    expect(last!.state.run.errors).toEqual([{ job: "run-1.1.1", service: "proc!a", action: "install", logs: expect.any(Array) }]);
    expect(last!.state.run.errors[0]!.logs.length).toBeLessThanOrEqual(10);
  });

  it("follows an action's max_repeats_if_failed and time_between_repeats over the template's retry", () => {
    const tpl = templates({ name: "proc", config: "retry:\n  delays: [1, 1, 1]\nactions:\n  install:\n    max_repeats_if_failed: 1\n    time_between_repeats: 5s\n" });
    const [first, last] = failing(tpl, [undefined, undefined]);
    expect(first!.state.run.not_before).toBe(T0 + 5000);
    expect(last!.state.run.state).toBe("error");
  });

  it("with error_codes, retries only the listed kinds and says why another is not retried", () => {
    const tpl = templates({ name: "proc", config: "actions:\n  install:\n    error_codes: [ECONNRESET, timeout]\n" });
    const [refused] = failing(tpl, ["EINVAL"]);
    expect(refused!.state.run.state).toBe("error");
    expect(logLines(job(refused!.state.run, "run-1.1.1"))).toContain("not retried: error code EINVAL is not in error_codes (ECONNRESET, timeout)");
    const [uncoded] = failing(tpl, [undefined]);
    expect(logLines(job(uncoded!.state.run, "run-1.1.1"))).toContain("not retried: a failure without an error code is not in error_codes (ECONNRESET, timeout)");
    const [retried] = failing(tpl, ["timeout"]);
    expect(retried!.state.run.state).toBe("new");
  });

  it("does not retry a job its runtime died under (interrupted), unless error_codes lists it", () => {
    const [plain] = failing(proc, ["interrupted"]);
    expect(plain!.state.run.state).toBe("error");
    expect(logLines(job(plain!.state.run, "run-1.1.1"))).toContain(
      "not retried: the runtime died under this job each time it ran (error code interrupted; list it in error_codes to retry)",
    );
    const listed = templates({ name: "proc", config: "actions:\n  install:\n    error_codes: [interrupted]\n" });
    expect(failing(listed, ["interrupted"])[0]!.state.run.state).toBe("new");
  });

  it("retries the whole step only when every failed job may be retried", () => {
    const tpl = templates({ name: "proc", config: "actions:\n  install:\n    error_codes: [ECONNRESET]\n" });
    let state = { run: run([[["proc!a", "install"], ["proc!b", "install"]]]), services: services(service("proc!a", { install: {} }), service("proc!b", { install: {} })) };
    const c = context(tpl);
    state = decide(state, { type: "advance" }, c, T0).state;
    state = decide(state, { type: "jobFinished", job: "run-1.1.1", attempt: 1, outcome: outcome("error", { errorCode: "ECONNRESET" }) }, c, T0).state;
    const d = decide(state, { type: "jobFinished", job: "run-1.1.2", attempt: 1, outcome: outcome("error", { errorCode: "EINVAL" }) }, c, T0);
    const end = decide(d.state, { type: "advance" }, c, T0);
    expect(end.state.run.state).toBe("error");
    expect(end.state.run.errors.map((e) => e.job)).toEqual(["run-1.1.1", "run-1.1.2"]);
  });
});

describe("cancel", () => {
  it("cancels open jobs and steps, interrupts running ones (their actions go back to scheduled) and has their ServiceActors drop them", () => {
    const state = { run: run([[["proc!a", "install"], ["proc!b", "install"]], [["proc!a", "start"]]]), services: services(service("proc!a", { install: {}, start: {} }), service("proc!b", { install: { state: "ok" } })) };
    const [, d] = play(state, ctx, [{ type: "advance" }, T0], [{ type: "cancel" }, T0 + 500]);
    const r = d!.state.run;
    expect(r.state).toBe("cancelled");
    expect(r.steps.map((s) => s.state)).toEqual(["cancelled", "cancelled"]);
    expect(jobs(r).map((j) => j.state)).toEqual(["cancelled", "ok", "cancelled"]);
    expect(job(r, "run-1.1.1")).toMatchObject({ ended: T0 + 500 });
    expect(logLines(job(r, "run-1.1.1")).at(-1)).toBe("cancelled while running");
    expect(d!.state.services["proc!a"]!.actions.install!.state).toBe("scheduled");
    expect(effectsOf(d!, "cancelJobs")).toEqual([{ type: "cancelJobs", services: ["proc!a"], run: "run-1", reason: "its run was cancelled" }]);
    expect(decide(d!.state, { type: "jobFinished", job: "run-1.1.1", attempt: 1, outcome: outcome("ok") }, ctx, T0).effects).toEqual([]);
  });

  it("changes nothing in a run that has ended", () => {
    const done = decide({ run: run([[["proc!a", "install"]]]), services: services(service("proc!a", { install: { state: "ok" } })) }, { type: "advance" }, ctx, T0).state;
    expect(done.run.state).toBe("ok");
    expect(decide(done, { type: "cancel" }, ctx, T0).effects).toEqual([]);
  });
});

describe("start and re-run", () => {
  it("start makes a simulated run executable, and nothing else", () => {
    const d = decide({ run: run([[["proc!a", "install"]]], { simulate: true }), services: {} }, { type: "start" }, ctx, T0);
    expect(d.state.run).toMatchObject({ simulate: false, state: "new" });
    expect(d.effects.map((e) => e.type)).toEqual(["saveRun"]);
  });

  it("re-runs the same jobs with their input files, and refuses a run not ended or whose services are gone", () => {
    const original = run([[["proc!a", "install"]], [["proc!a", "start"]]]);
    expect(rerunSteps(original, {})).toMatchObject({ ok: false, code: "not_ended" });
    const ended = { ...original, state: "ok" as const, steps: original.steps.map((s, i) => ({ ...s, jobs: s.jobs.map((j) => (i === 0 ? { ...j, inputs: [{ name: "f", key: "k", size: 1 }] } : j)) })) };
    expect(rerunSteps(ended, services(service("proc!a", { install: {} })))).toEqual({ ok: false, code: "gone", error: "cannot re-run run-1: proc!a start no longer exists" });
    const rerun = rerunSteps(ended, services(service("proc!a", { install: {}, start: {} })));
    expect(rerun).toEqual({
      ok: true,
      steps: [
        { number: 1, jobs: [{ service: "proc!a", actor: "proc", action: "install", inputs: [{ name: "f", key: "k", size: 1 }] }] },
        { number: 2, jobs: [{ service: "proc!a", actor: "proc", action: "start" }] },
      ],
    });
  });
});
