/** Small repositories for the run queue's unit tests: templates parsed by the engine, services by hand. */
import { parseTemplate, templateIndex, type ServiceAction, type ServiceModel, type TemplateIndex } from "../../src/ays/index.ts";
import type { JobRecord, RunRecord } from "../../src/runs/model.ts";
import type { JobOutcome } from "../../src/runs/protocol.ts";
import { decide, newRun, type Decision, type QueueEvent, type QueueState, type RunEffect } from "../../src/runs/queue.ts";
import type { RunContext, Services } from "../../src/runs/services.ts";

export const T0 = 1_800_000_000_000;

/** A template whose actions.js defines `install` and `start` (other actions are AYS defaults). */
export function templates(...list: { name: string; config?: string; js?: string }[]): TemplateIndex {
  return templateIndex(list.map((t) => parseTemplate(t.name, { ...(t.config ? { config: t.config } : {}), actionsJs: t.js ?? "export function install() {}\nexport function start() {}\n" }, `template ${t.name}`)));
}

export function service(key: string, actions: Record<string, Partial<ServiceAction>>, more: Partial<ServiceModel> = {}): ServiceModel {
  const [role, instance] = key.split("!") as [string, string];
  return {
    key, role, instance, actor: role, data: {}, parent: null, producers: [], consumers: [], children: [], eventFilters: [], blueprint: null,
    actions: Object.fromEntries(Object.entries(actions).map(([name, a]) => [name, { name, state: "scheduled", period: 0, timeout: 0, errorCount: 0, lastRun: null, ...a }])),
    ...more,
  };
}

export function services(...list: ServiceModel[]): Services {
  return Object.fromEntries(list.map((s) => [s.key, s]));
}

export function context(tpl: TemplateIndex, more: Partial<RunContext> = {}): RunContext {
  return { org: "acme", repo: "repo", templates: tpl, actionsJs: (name) => `// ${name}`, noexec: false, defaultTimeout: 3000, ...more };
}

/** A new run of one job per step: `[["proc!a", "install"]], [["proc!a", "start"]]`. */
export function run(steps: [string, string][][], opts: { simulate?: boolean; rerun_of?: string; seq?: number } = {}): RunRecord {
  const plan = steps.map((jobs, i) => ({ number: i + 1, jobs: jobs.map(([s, action]) => ({ service: s, actor: s.split("!")[0]!, action })) }));
  return newRun(opts.seq ?? 1, plan, { simulate: opts.simulate ?? false, by: "ann", ...(opts.rerun_of ? { rerun_of: opts.rerun_of } : {}) }, T0).run;
}

export const jobs = (r: RunRecord): JobRecord[] => r.steps.flatMap((s) => s.jobs);
export const job = (r: RunRecord, key: string): JobRecord => jobs(r).find((j) => j.key === key)!;
export const effectsOf = <T extends RunEffect["type"]>(d: Decision, type: T) => d.effects.filter((e): e is Extract<RunEffect, { type: T }> => e.type === type);
export const dispatched = (d: Decision): string[] => effectsOf(d, "dispatch").flatMap((e) => e.specs.map((s) => s.jobKey));
export const logLines = (j: JobRecord): string[] => j.logs.map((l) => l.log);

export function outcome(state: "ok" | "error", more: Partial<JobOutcome> = {}): JobOutcome {
  return { state, ended: T0 + 1000, logs: [{ epoch: T0 + 999, level: state === "ok" ? "info" : "error", category: "msg", log: state }], result: null, dataPatch: {}, files: [], ...more };
}

/** Applies events one after the other, as the actor would (each decision's state is the next one's). */
export function play(state: QueueState, ctx: RunContext, ...events: [QueueEvent, number][]): Decision[] {
  const out: Decision[] = [];
  for (const [event, now] of events) {
    const d = decide(state, event, ctx, now);
    out.push(d);
    state = d.state;
  }
  return out;
}
