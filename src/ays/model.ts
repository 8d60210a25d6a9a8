/**
 * The repository state the engine reads and produces. Everything here is plain JSON (it is stored
 * in SQLite by the RepositoryActor), keyed by service key `role!instance`.
 */
import type { MatchConditions } from "./match.ts";
import type { ActorTemplate } from "./template.ts";

export type ActionStateName = "new" | "changed" | "scheduled" | "running" | "ok" | "error" | "disabled";

export const ACTION_STATES: readonly ActionStateName[] = ["new", "changed", "scheduled", "running", "ok", "error", "disabled"];

export interface ServiceAction {
  name: string;
  state: ActionStateName;
  /** Recurring period in seconds; 0 = not recurring. */
  period: number;
  /** Job timeout in seconds; 0 = the run's default (3000 s). */
  timeout: number;
  /** Consecutive failures (AYS errorNr). */
  errorCount: number;
  /** Epoch milliseconds of the last run, null when never run. */
  lastRun: number | null;
  force?: boolean;
  args?: Record<string, unknown>;
  /** Files handed in for the next job of this action (stored outside the engine; keys only). */
  inputFiles?: { name: string; key: string; size: number; contentType?: string }[];
}

export interface EventFilter {
  actor?: string;
  service?: string;
  channel: string;
  command?: string;
  secret?: string;
  /** Conditions on the event's payload (match.ts), all of which must hold. */
  match?: MatchConditions;
  actions: string[];
}

export interface ServiceModel {
  key: string;
  role: string;
  instance: string;
  actor: string;
  data: Record<string, unknown>;
  parent: string | null;
  producers: string[];
  consumers: string[];
  children: string[];
  actions: Record<string, ServiceAction>;
  eventFilters: EventFilter[];
  blueprint: string | null;
}

export interface RepositoryState {
  services: Record<string, ServiceModel>;
}

export type TemplateIndex = ReadonlyMap<string, ActorTemplate>;

export function emptyRepository(): RepositoryState {
  return { services: {} };
}

/** Services whose role is `role`, i.e. whose actor is `role` or `role.*` (AYS servicesFind). */
export function servicesOfRole(state: RepositoryState, role: string): ServiceModel[] {
  return Object.values(state.services).filter((s) => s.role === role);
}
