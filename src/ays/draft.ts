/**
 * What every phase of an execution works on: a copy-on-write draft of the repository, where errors
 * point, and the lists an execution reports (created, changed, scheduled, warnings).
 */
import { AysError } from "./errors.ts";
import type { RepositoryState, ServiceAction, ServiceModel, TemplateIndex } from "./model.ts";

/** Where an error should point: the blueprint file and the entry being processed. */
export interface ErrorContext {
  file: string;
  key?: string;
  line?: number;
  column?: number;
}

export function fail(ctx: ErrorContext, reason: string, key = ctx.key): never {
  throw new AysError({
    file: ctx.file,
    reason,
    ...(key !== undefined ? { key } : {}),
    ...(ctx.line !== undefined ? { line: ctx.line } : {}),
    ...(ctx.column !== undefined ? { column: ctx.column } : {}),
  });
}

/**
 * Deep copy of JSON-shaped data. Several times faster than structuredClone for the many small
 * objects of a service model, which matters when a run schedules 10,000 services.
 */
export function clonePlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clonePlain) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = clonePlain((value as Record<string, unknown>)[key]);
      // A plain assignment to "__proto__" would replace the prototype instead of copying the key.
      if (key === "__proto__") Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      else out[key] = item;
    }
    return out as T;
  }
  return value;
}

/**
 * Copy-on-write view of a repository: services are shared with the input until first edited,
 * then cloned, so a failed execution leaves the input untouched and a large repository is not
 * copied for a small blueprint.
 */
export class Draft {
  readonly services: Record<string, ServiceModel>;
  private readonly owned = new Set<string>();
  /** Services of which only these actions were cloned (editAction); edit() clones the rest. */
  private readonly ownedActions = new Map<string, Set<string>>();
  private byRole: Map<string, string[]> | undefined;

  constructor(state: RepositoryState) {
    this.services = { ...state.services };
  }

  get(key: string): ServiceModel | undefined {
    return Object.hasOwn(this.services, key) ? this.services[key] : undefined;
  }

  edit(key: string): ServiceModel {
    const current = this.get(key);
    if (!current) throw new Error(`internal: no service ${key}`);
    if (this.owned.has(key)) return current;
    const copy = clonePlain(current);
    this.services[key] = copy;
    this.owned.add(key);
    return copy;
  }

  /**
   * One action of `key` to change: the service and its actions map are copied, and that action
   * cloned, but the rest (data, links, other actions) stays shared with the input until edit(),
   * which then clones it all. Scheduling an action on 10,000 services copies that much less.
   */
  editAction(key: string, name: string): ServiceAction | undefined {
    const current = this.get(key);
    if (!current) throw new Error(`internal: no service ${key}`);
    const action = current.actions[name];
    if (!action || this.owned.has(key)) return action;
    const done = this.ownedActions.get(key);
    if (done?.has(name)) return action;
    const copy = clonePlain(action);
    this.services[key] = { ...current, actions: { ...current.actions, [name]: copy } };
    if (done) done.add(name);
    else this.ownedActions.set(key, new Set([name]));
    return copy;
  }

  add(service: ServiceModel): void {
    this.services[service.key] = service;
    this.owned.add(service.key);
    if (this.byRole) {
      const list = this.byRole.get(service.role);
      if (list) list.push(service.key);
      else this.byRole.set(service.role, [service.key]);
    }
  }

  /** Keys of the services of a role (actor `role` or `role.*`). */
  keysOfRole(role: string): string[] {
    if (!this.byRole) {
      this.byRole = new Map();
      for (const s of Object.values(this.services)) {
        const list = this.byRole.get(s.role);
        if (list) list.push(s.key);
        else this.byRole.set(s.role, [s.key]);
      }
    }
    return this.byRole.get(role) ?? [];
  }

  state(): RepositoryState {
    return { services: this.services };
  }
}

/** One execution (a blueprint, or one scheduling): its draft, its inputs, and what it reports. */
export class Execution {
  readonly draft: Draft;
  readonly templates: TemplateIndex;
  readonly file: string;
  readonly blueprintName: string | null;
  readonly created: string[] = [];
  readonly changed: { key: string; args: Record<string, unknown> }[] = [];
  readonly scheduled: { key: string; action: string }[] = [];
  readonly warnings: string[] = [];

  constructor(state: RepositoryState, templates: TemplateIndex, file: string, blueprintName: string | null) {
    this.draft = new Draft(state);
    this.templates = templates;
    this.file = file;
    this.blueprintName = blueprintName;
  }
}
