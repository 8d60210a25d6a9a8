/**
 * The run queue's rules as reducers: `decide(state, event, ctx, now)` returns the next state (the
 * run and the service registry, copied where they changed, never altered in place) and the effects
 * the RepositoryActor carries out, in order: save a run (then tell its stream and the state events),
 * save services, hand jobs to ServiceActors, have ServiceActors drop a cancelled run's jobs.
 *
 * One run executes at a time; people's runs go before automatic retries. A run advances by messages:
 * its current step's jobs are dispatched, and each report (`jobFinished`) moves it on. A step with
 * failed jobs retries the whole run after a delay (AYS RunScheduler), or ends it in error.
 */
import type { ActionEvent } from "../ays/index.ts";
import { nextJobState, nextRunState, type JobEvent } from "./lifecycle.ts";
import { ERROR_TAIL_LINES, hasEnded, type JobFile, type JobRecord, type LogEntry, type RunRecord, type StepRecord } from "./model.ts";
import type { JobOutcome, JobSpec } from "./protocol.ts";
import { retryPolicy, skipReason } from "./rules.ts";
import { jobSpec, ServicesDraft, type RunContext, type Services } from "./services.ts";

export interface QueueState {
  run: RunRecord;
  services: Services;
}

export type RunEffect =
  /** Write the run's row and these jobs (a new run: `seq` is set, and every job is listed), then publish the change. */
  | { type: "saveRun"; run: RunRecord; jobs: readonly JobRecord[]; seq?: number }
  | { type: "saveServices"; keys: string[] }
  | { type: "dispatch"; specs: JobSpec[] }
  | { type: "cancelJobs"; services: string[]; run: string; reason: string }
  /** An action event that no longer fitted; the newer state was kept. */
  | { type: "warn"; message: string };

export interface Decision {
  state: QueueState;
  effects: RunEffect[];
}

export type QueueEvent =
  /**
   * Start the run if it is new (and due), then dispatch or close steps until jobs are out; `resend`
   * re-sends jobs already out (the watchdog). `limit` dispatches at most that many of a step's new
   * jobs: a wide step goes out chunk by chunk, each chunk saved before it is sent (issue 18).
   */
  | { type: "advance"; resend?: boolean; limit?: number }
  | { type: "jobLog"; job: string; attempt: number; entries: LogEntry[] }
  | { type: "jobFinished"; job: string; attempt: number; outcome: JobOutcome }
  | { type: "cancel" }
  /** A simulated run is to execute (POST on its key). */
  | { type: "start" };

/** A run's steps as a plan gives them, or as a re-run repeats them. */
export type StepPlan = { number: number; jobs: { service: string; actor: string; action: string; inputs?: JobFile[] }[] }[];

/** A run of these steps, new and not yet dispatched; the effect stores it. */
export function newRun(seq: number, steps: StepPlan, opts: { simulate: boolean; by: string; rerun_of?: string }, now: number): { run: RunRecord; effects: RunEffect[] } {
  const key = `run-${seq}`;
  const run: RunRecord = {
    key, state: "new", created: now, simulate: opts.simulate, priority: 1, not_before: 0, attempt: 0, by: opts.by,
    ...(opts.rerun_of ? { rerun_of: opts.rerun_of } : {}),
    errors: [],
    steps: steps.map((step) => ({
      number: step.number,
      state: "new",
      jobs: step.jobs.map((job, i) => ({
        key: `${key}.${step.number}.${i + 1}`, service: job.service, actor: job.actor, action: job.action,
        state: "new", attempts: 0, started: null, ended: null, logs: [], result: null, files: [],
        ...(job.inputs ? { inputs: job.inputs } : {}),
      })),
    })),
  };
  return { run, effects: [{ type: "saveRun", run, jobs: run.steps.flatMap((s) => s.jobs), seq }] };
}

/**
 * The steps of a re-run of `original`: the same services and actions (and the input files the
 * original was handed), or why it cannot be: it has not ended, or some of its services or actions are gone.
 */
export function rerunSteps(original: RunRecord, services: Services): { ok: true; steps: StepPlan } | { ok: false; code: "not_ended" | "gone"; error: string } {
  if (!hasEnded(original.state)) {
    const what = original.state === "running" ? "is still running" : "has not ended (it is new: planned, queued or waiting to retry)";
    return { ok: false, code: "not_ended", error: `run ${original.key} ${what}; re-run it once it has ended` };
  }
  const jobs = original.steps.flatMap((s) => s.jobs);
  const gone = [...new Set(jobs.filter((j) => !services[j.service]?.actions[j.action]).map((j) => `${j.service} ${j.action}`))];
  if (gone.length) {
    const shown = gone.slice(0, 5).join(", ") + (gone.length > 5 ? ` and ${gone.length - 5} more` : "");
    return { ok: false, code: "gone", error: `cannot re-run ${original.key}: ${shown} no longer ${gone.length === 1 ? "exists" : "exist"}` };
  }
  const steps = original.steps.map((s) => ({
    number: s.number,
    jobs: s.jobs.map((j) => ({ service: j.service, actor: j.actor, action: j.action, ...(j.inputs?.length ? { inputs: j.inputs } : {}) })),
  }));
  return { ok: true, steps };
}

/** A decision in progress: the run and services copied where they change, and the effects so far. */
class RunDraft {
  run: RunRecord;
  readonly services: ServicesDraft;
  readonly effects: RunEffect[] = [];
  readonly ctx: RunContext;
  readonly now: number;

  constructor(state: QueueState, ctx: RunContext, now: number) {
    this.run = state.run;
    this.ctx = ctx;
    this.now = now;
    this.services = new ServicesDraft(state.services);
  }

  setRun(patch: Partial<RunRecord>): void {
    this.run = { ...this.run, ...patch };
  }

  setStep(number: number, patch: Partial<StepRecord>): void {
    this.setRun({ steps: this.run.steps.map((s) => (s.number === number ? { ...s, ...patch } : s)) });
  }

  /** Replaces the jobs of one step through `change` (a copy of each job it is given); returns the changed ones. */
  changeJobs(number: number, keys: ReadonlySet<string>, change: (job: JobRecord) => JobRecord): JobRecord[] {
    const changed: JobRecord[] = [];
    const step = this.run.steps.find((s) => s.number === number)!;
    const jobs = step.jobs.map((j) => {
      if (!keys.has(j.key)) return j;
      const job = change({ ...j, logs: [...j.logs] });
      changed.push(job);
      return job;
    });
    this.setStep(number, { jobs });
    return changed;
  }

  step(number: number): StepRecord {
    return this.run.steps.find((s) => s.number === number)!;
  }

  saveRun(jobs: readonly JobRecord[] = []): void {
    this.effects.push({ type: "saveRun", run: this.run, jobs });
  }

  saveServices(keys: Iterable<string>): void {
    this.effects.push({ type: "saveServices", keys: [...new Set(keys)] });
  }

  action(event: ActionEvent, job: JobRecord): void {
    this.services.applyActionEvent(job.service, job.action, event);
  }

  done(): Decision {
    for (const message of this.services.warnings) this.effects.push({ type: "warn", message });
    return { state: { run: this.run, services: this.services.services }, effects: this.effects };
  }
}

function closeJob(job: JobRecord, event: JobEvent, lines: string[], now: number): JobRecord {
  job.state = nextJobState(job.state, event);
  job.ended = now;
  job.started ??= job.ended;
  job.result = null;
  for (const line of lines) job.logs.push({ epoch: now, level: job.state === "ok" ? "info" : "error", category: "msg", log: line });
  return job;
}

/**
 * Marks open jobs running and builds their specs; jobs that need no ServiceActor are closed at once
 * (skipped, a default action, no-exec, a service gone).
 */
function dispatch(d: RunDraft, number: number, keys: ReadonlySet<string>): JobSpec[] {
  const { ctx, now } = d;
  const specs: JobSpec[] = [];
  const jobs = d.changeJobs(number, keys, (job) => {
    const service = d.services.services[job.service];
    const action = service?.actions[job.action];
    if (!service || !action) return closeJob(job, { type: "FAIL" }, [`service ${job.service} or its action ${job.action} no longer exists`], now);
    if (job.state === "new") {
      const skipped = skipReason(d.run, job, action);
      if (skipped) return closeJob(job, { type: "SKIP" }, [skipped], now);
      job.state = nextJobState(job.state, { type: "START" });
      job.attempts += 1;
      job.started = now;
      d.action({ type: "START" }, job);
    }
    // An action the template's code does not define is the AYS default, a no-op: it is done here
    // rather than sent to a ServiceActor and a sandbox that would do nothing.
    // No-exec mode (the original's `ays noexec`) marks jobs ok without running them, likewise.
    const template = ctx.templates.get(service.actor);
    const isDefault = !template || template.code === "none" || !template.codeActions.includes(job.action);
    if (ctx.noexec || isDefault) {
      closeJob(job, { type: "SUCCEED" }, [ctx.noexec ? "no-exec mode: marked ok without running" : `${job.action}: AYS default action (no-op)`], now);
      d.services.action(job.service, job.action)!.lastRun = job.ended;
      if (d.services.services[job.service]!.actions[job.action]!.state === "running") d.action({ type: "SUCCEED" }, job);
      return job;
    }
    const spec = jobSpec(ctx, d.services.services, d.run.key, job, d.services.services[job.service]!);
    if (spec.inputFiles?.length) job.inputs = spec.inputFiles;
    specs.push(spec);
    return job;
  });
  d.saveServices(jobs.map((j) => j.service));
  d.saveRun(jobs);
  return specs;
}

/** A step ended with failed jobs: the run is queued again after the policy's delay, or ends in error. */
function failStep(d: RunDraft, number: number, failed: JobRecord[]): void {
  const { delay, notRetried } = retryPolicy(failed, d.ctx, d.services.services);
  const keys = new Set(failed.map((j) => j.key));
  const log = (level: string, line: string): LogEntry => ({ epoch: d.now, level, category: "msg", log: line });
  if (delay !== null && d.run.state === "running") {
    const jobs = d.changeJobs(number, keys, (job) => {
      job.state = nextJobState(job.state, { type: "RETRY" });
      job.logs.push(log("warning", `attempt ${job.attempts} failed; retrying in ${delay} s`));
      return job;
    });
    d.setStep(number, { state: "new" });
    d.setRun({ state: nextRunState(d.run.state, { type: "RETRY" }), priority: 10, not_before: d.now + delay * 1000 });
    d.saveRun(jobs);
    return;
  }
  const jobs = d.changeJobs(number, keys, (job) => {
    const line = notRetried.get(job.key);
    if (line) job.logs.push(log("error", line));
    return job;
  });
  d.setStep(number, { state: "error" });
  d.setRun({
    state: nextRunState(d.run.state, { type: "FAIL" }),
    errors: jobs.map((j) => ({ job: j.key, service: j.service, action: j.action, logs: j.logs.slice(-ERROR_TAIL_LINES) })),
  });
  d.saveRun(jobs);
}

/** Dispatches the current step's open jobs, or closes the step and moves on, until jobs are out or the run ends. */
function advance(d: RunDraft, resend: boolean, limit = Infinity): void {
  if (d.run.state === "new") {
    if (d.run.simulate || d.run.not_before > d.now) return;
    d.setRun({ state: nextRunState(d.run.state, { type: "START" }), attempt: d.run.attempt + 1 });
    d.saveRun();
  }
  for (;;) {
    if (d.run.state !== "running") return;
    const step = d.run.steps.find((s) => s.state === "new" || s.state === "running");
    if (!step) {
      d.setRun({ state: nextRunState(d.run.state, { type: "SUCCEED" }) });
      d.saveRun();
      return;
    }
    // Jobs already out are only sent again by the watchdog (`resend`): a report of one job must
    // not re-send every other job of a wide step.
    const fresh = step.jobs.filter((j) => j.state === "new").slice(0, limit);
    const toSend = new Set([...fresh, ...(resend ? step.jobs.filter((j) => j.state === "running") : [])].map((j) => j.key));
    const stillOut = step.jobs.some((j) => j.state === "running");
    if (toSend.size > 0 || stillOut) {
      const changed = step.state !== "running";
      d.setStep(step.number, { state: "running" });
      const specs = toSend.size ? dispatch(d, step.number, toSend) : [];
      if (specs.length > 0) {
        d.effects.push({ type: "dispatch", specs });
        return;
      }
      if (d.step(step.number).jobs.some((j) => j.state === "running")) {
        if (changed) d.saveRun();
        return;
      }
      continue;
    }
    const failed = step.jobs.filter((j) => j.state === "error");
    if (failed.length === 0) {
      d.setStep(step.number, { state: "ok" });
      d.saveRun();
      continue;
    }
    failStep(d, step.number, failed);
    return;
  }
}

function findJob(run: RunRecord, key: string): { step: number; job: JobRecord } | undefined {
  for (const step of run.steps) {
    const job = step.jobs.find((j) => j.key === key);
    if (job) return { step: step.number, job };
  }
  return undefined;
}

/** The outcome of a running job's attempt: the job, its service's data and its action take it. A stale or repeated report changes nothing. */
function finishJob(d: RunDraft, key: string, attempt: number, outcome: JobOutcome): void {
  const found = findJob(d.run, key);
  if (!found || found.job.state !== "running" || found.job.attempts !== attempt) return;
  const [job] = d.changeJobs(found.step, new Set([key]), (job) => {
    job.state = nextJobState(job.state, { type: outcome.state === "ok" ? "SUCCEED" : "FAIL" });
    job.ended = outcome.ended;
    // The outcome holds every line of the attempt, the live ones first and in the same order.
    if (job.live_logs) job.logs.splice(job.logs.length - job.live_logs);
    delete job.live_logs;
    job.logs.push(...outcome.logs);
    job.result = outcome.result ?? null;
    job.files = outcome.files ?? [];
    if (outcome.errorCode) job.error_code = outcome.errorCode;
    else delete job.error_code;
    return job;
  });
  const service = d.services.edit(job!.service);
  if (service) {
    Object.assign(service.data, outcome.dataPatch);
    const action = d.services.action(job!.service, job!.action);
    if (action) {
      action.lastRun = outcome.ended;
      // Uploaded input files served this job; a retry of it still sees them until it succeeds.
      if (outcome.state === "ok") delete action.inputFiles;
    }
    d.action({ type: outcome.state === "ok" ? "SUCCEED" : "FAIL" }, job!);
    d.saveServices([job!.service]);
  }
  d.saveRun([job!]);
}

/** Log lines of a running attempt, as they happen (for the live stream); the outcome replaces them. */
function jobLog(d: RunDraft, key: string, attempt: number, entries: LogEntry[]): void {
  const found = findJob(d.run, key);
  if (!found || found.job.state !== "running" || found.job.attempts !== attempt) return;
  d.saveRun(d.changeJobs(found.step, new Set([key]), (job) => {
    job.logs.push(...entries);
    job.live_logs = (job.live_logs ?? 0) + entries.length;
    return job;
  }));
}

/** Cancels a run that has not ended: its open jobs are cancelled, running ones interrupted (their actions go back to `scheduled`). */
function cancel(d: RunDraft): void {
  if (hasEnded(d.run.state)) return;
  d.setRun({ state: nextRunState(d.run.state, { type: "CANCEL" }) });
  const cancelled: JobRecord[] = [];
  const services = new Set<string>();
  for (const step of d.run.steps) {
    const open = new Set(step.jobs.filter((j) => j.state === "new" || j.state === "running").map((j) => j.key));
    cancelled.push(...d.changeJobs(step.number, open, (job) => {
      if (job.state === "running") {
        services.add(job.service);
        delete job.live_logs;
        job.ended = d.now;
        job.logs.push({ epoch: job.ended, level: "warning", category: "msg", log: "cancelled while running" });
        d.action({ type: "INTERRUPT" }, job);
      }
      job.state = nextJobState(job.state, { type: "CANCEL" });
      return job;
    }));
    if (step.state === "new" || step.state === "running") d.setStep(step.number, { state: "cancelled" });
  }
  d.saveServices(services);
  d.saveRun(cancelled);
  d.effects.push({ type: "cancelJobs", services: [...services], run: d.run.key, reason: "its run was cancelled" });
}

/** Whether the run's current step still has jobs that were never dispatched (advance with a `limit` left them). */
export function hasUndispatchedJobs(run: RunRecord): boolean {
  if (run.state !== "running") return false;
  const step = run.steps.find((s) => s.state === "new" || s.state === "running");
  return step !== undefined && step.jobs.some((j) => j.state === "new");
}

/** The run queue's one reducer: the next state of the run and the services, and what to carry out. */
export function decide(state: QueueState, event: QueueEvent, ctx: RunContext, now: number): Decision {
  const d = new RunDraft(state, ctx, now);
  switch (event.type) {
    case "advance": advance(d, event.resend ?? false, event.limit); break;
    case "jobLog": jobLog(d, event.job, event.attempt, event.entries); break;
    case "jobFinished": finishJob(d, event.job, event.attempt, event.outcome); break;
    case "cancel": cancel(d); break;
    case "start":
      if (d.run.simulate) {
        d.setRun({ simulate: false });
        d.saveRun();
      }
      break;
  }
  return d.done();
}
