/**
 * What a RepositoryActor answers (templates, blueprints, services, runs) as the API, the bot and the
 * console show them, and the pure functions that shape them from the stored records.
 */
import type { ActorTemplate, ServiceModel } from "../../ays/index.ts";
import type { RunRecord, RunState } from "../../runs/model.ts";
import type { Refusal } from "../results.ts";

export interface TemplateInput {
  name: string;
  config?: string;
  schema?: string;
  /** actions.js */
  actions?: string;
  /** actions.py of an original template: read for its action names, never run. */
  actions_py?: string;
}

/** A template as stored: its files' text. */
export type TemplateRow = { name: string; config: string; schema: string; actions_js: string; actions_py: string };

export interface TemplateView {
  name: string;
  role: string;
  actions: string[];
  code: ActorTemplate["code"];
  config: string;
  schema: string;
  actions_js: string;
  actions_py: string;
}

export interface BlueprintView {
  name: string;
  content: string;
  archived: boolean;
  updated: number;
}

/** What the engine thinks of a blueprint: valid, or its first problem (`error` is the full message). */
export type BlueprintCheck =
  | { valid: true }
  | { valid: false; error: string; reason: string; key?: string; line?: number; column?: number };

export interface ServiceView {
  key: string;
  role: string;
  name: string;
  actor: string;
  data: Record<string, unknown>;
  state: string;
  parent: string | null;
  producers: string[];
  consumers: string[];
  children: string[];
  actions: { name: string; state: string; period: number; last_run: number | null; error_count: number }[];
  events: ServiceModel["eventFilters"];
  /** The blueprint whose execution created the service (auto-created parents and producers included). */
  blueprint: string | null;
}

export interface ServiceQuery {
  role?: string;
  /** The cursor: the key of the last service of the previous page. */
  after?: string;
  limit?: number;
}

export interface RunSummary {
  key: string;
  state: RunState;
  created: number;
  simulate: boolean;
  attempt: number;
  steps: number;
  jobs: number;
}

/** A template still in use cannot be deleted: the refusal names who uses it. */
export type TemplateInUse = Refusal & { code: "in_use"; services: string[]; blueprints: string[]; templates: string[] };

export function templateView(t: ActorTemplate, row: TemplateRow): TemplateView {
  return {
    name: t.name, role: t.role, actions: t.actions, code: t.code,
    config: row.config, schema: row.schema, actions_js: row.actions_js, actions_py: row.actions_py,
  };
}

export function serviceState(service: ServiceModel): string {
  const states = Object.values(service.actions).map((a) => a.state);
  if (states.includes("error")) return "error";
  if (states.includes("running")) return "running";
  if (service.actions.install?.state === "ok") return "ok";
  return "new";
}

export function serviceView(service: ServiceModel): ServiceView {
  return {
    key: service.key,
    role: service.role,
    name: service.instance,
    actor: service.actor,
    data: service.data,
    state: serviceState(service),
    parent: service.parent,
    producers: service.producers,
    consumers: service.consumers,
    children: service.children,
    actions: Object.values(service.actions)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((a) => ({ name: a.name, state: a.state, period: a.period, last_run: a.lastRun, error_count: a.errorCount })),
    events: service.eventFilters,
    blueprint: service.blueprint,
  };
}

/** A run's line in the list of runs, from its stored row (which counts its jobs). */
export function runSummary(run: RunRecord & { jobs: number }): RunSummary {
  return { key: run.key, state: run.state, created: run.created, simulate: run.simulate, attempt: run.attempt, steps: run.steps.length, jobs: run.jobs };
}

/** Whether a run is read without its logs: one of more jobs than `logsUpTo` (getRun, streamRun). */
export function leavesOutLogs(run: RunRecord, logsUpTo: number | undefined): boolean {
  return logsUpTo !== undefined && run.steps.reduce((n, s) => n + s.jobs.length, 0) > logsUpTo;
}
