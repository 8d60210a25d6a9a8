/**
 * What the run queue changes in the service registry, and the jobs it hands to ServiceActors. A
 * ServicesDraft copies a service (and an action) the first time it changes, so a decision never
 * alters the registry it was given and a job report copies one service, not the registry.
 */
import type { RepositoryState, ServiceAction, ServiceModel, TemplateIndex } from "../ays/index.ts";
import { actionRefusal, moveAction, type ActionEvent } from "../ays/index.ts";
import type { JobRecord } from "./model.ts";
import type { JobOutcome, JobSpec } from "./protocol.ts";

export type Services = RepositoryState["services"];

/** What the queue's decisions read and never change: the repository's templates and settings. */
export interface RunContext {
  org: string;
  repo: string;
  templates: TemplateIndex;
  /** The stored actions.js of a template (a job carries its template's code). */
  actionsJs(template: string): string;
  /** No-exec mode (the original's `ays noexec`): jobs are marked ok without running. */
  noexec: boolean;
  /** Seconds a job may run when neither its action nor its template says (config `jobs.default_timeout`). */
  defaultTimeout: number;
}

export class ServicesDraft {
  private current: Services;
  private copied = false;
  private readonly copiedActions = new Set<string>();
  /** Keys of the services this draft changed: the ones to write. */
  readonly changed = new Set<string>();
  /** Action events that no longer fitted (the action was disabled meanwhile); the newer state was kept. */
  readonly warnings: string[] = [];

  constructor(services: Services) {
    this.current = services;
  }

  get services(): Services {
    return this.current;
  }

  /** Service `key`, as changeable: copied the first time. */
  edit(key: string): ServiceModel | undefined {
    const service = this.current[key];
    if (!service || this.changed.has(key)) return service;
    if (!this.copied) {
      this.current = { ...this.current };
      this.copied = true;
    }
    const copy = { ...service, data: { ...service.data }, actions: { ...service.actions } };
    this.current[key] = copy;
    this.changed.add(key);
    return copy;
  }

  /** Action `name` of service `key`, as changeable: copied the first time. */
  action(key: string, name: string): ServiceAction | undefined {
    if (!this.current[key]?.actions[name]) return undefined;
    const service = this.edit(key)!;
    const id = `${key} ${name}`;
    if (!this.copiedActions.has(id)) {
      service.actions[name] = { ...service.actions[name]! };
      this.copiedActions.add(id);
    }
    return service.actions[name];
  }

  /** Moves an action through its machine; an event that does not fit is noted and changes nothing. */
  applyActionEvent(key: string, name: string, event: ActionEvent): void {
    const current = this.current[key]?.actions[name];
    if (!current) return;
    // Checked first, so a refused event copies nothing.
    const refused = actionRefusal(current.state, event);
    if (refused) this.warnings.push(`action ${key} ${name}: ${refused}`);
    else moveAction(this.action(key, name)!, event);
  }
}

/** Everything a ServiceActor needs to run one job; `runKey` is "" for a job outside any run. */
export function jobSpec(ctx: RunContext, services: Services, runKey: string, job: Pick<JobRecord, "key" | "attempts" | "action" | "inputs">, service: ServiceModel): JobSpec {
  const { org, repo } = ctx;
  const template = ctx.templates.get(service.actor);
  const action = service.actions[job.action]!;
  const settings = template?.actionSettings?.[job.action];
  const dataOf = (key: string) => services[key]?.data ?? {};
  return {
    actorName: `${org}/${repo}/${service.key}`,
    repo: { org, name: repo },
    runKey,
    jobKey: job.key,
    attempt: job.attempts,
    action: job.action,
    args: action.args ?? {},
    timeoutSeconds: action.timeout || template?.timeouts[job.action] || ctx.defaultTimeout,
    noexec: ctx.noexec,
    code: template?.code ?? "none",
    actionsJs: template ? ctx.actionsJs(template.name) : "",
    egress: template?.egress ?? [],
    schema: template?.schema.fields.map((f) => ({ name: f.name, type: f.type, list: f.list })) ?? [],
    // A re-run's job carries its original's inputs; otherwise those uploaded for the action.
    inputFiles: job.inputs ?? action.inputFiles ?? [],
    ...(settings?.maxParallel ? { maxParallel: settings.maxParallel } : {}),
    ...(settings?.storageHours ? { storageHours: settings.storageHours } : {}),
    ...(template?.secrets?.length ? { secrets: template.secrets } : {}),
    service: {
      key: service.key,
      role: service.role,
      name: service.instance,
      actor: service.actor,
      data: service.data,
      parent: service.parent ? { key: service.parent, data: dataOf(service.parent) } : null,
      producers: service.producers.map((p) => ({ key: p, role: services[p]?.role ?? p.split("!")[0]!, data: dataOf(p) })),
    },
  };
}

/**
 * A job outside any run (a recurring action that is due, or one an event starts): the action goes
 * running and the spec is what its ServiceActor runs. The caller checked that the service and action exist.
 */
export function startLooseJob(draft: ServicesDraft, ctx: RunContext, serviceKey: string, action: string, jobKey: string): JobSpec {
  draft.applyActionEvent(serviceKey, action, { type: "START" });
  const job = { key: jobKey, attempts: 1, action };
  return jobSpec(ctx, draft.services, "", job, draft.services[serviceKey]!);
}

/**
 * Whether a recurring action may run now: recurring jobs bypass the run queue (AYS Recurring.py) but
 * wait for the service to be installed; false skips this period.
 */
export function recurringDue(services: Services, serviceKey: string, action: string): boolean {
  const service = services[serviceKey];
  const current = service?.actions[action];
  if (!service || !current || current.period <= 0 || current.state === "disabled" || current.state === "running") return false;
  return !(service.actions.install && service.actions.install.state !== "ok" && action !== "install");
}

/** The outcome of a job outside any run: like a run's job, the service's data and action state take it. */
export function applyLooseOutcome(draft: ServicesDraft, serviceKey: string, action: string, outcome: JobOutcome): void {
  if (draft.services[serviceKey]?.actions[action]?.state !== "running") return;
  Object.assign(draft.edit(serviceKey)!.data, outcome.dataPatch);
  draft.action(serviceKey, action)!.lastRun = outcome.ended;
  draft.applyActionEvent(serviceKey, action, { type: outcome.state === "ok" ? "SUCCEED" : "FAIL" });
}

/** The recurring actions of each service (period > 0, not disabled), in action order: what its ServiceActor times. */
export function recurringActions(service: ServiceModel): { action: string; period: number }[] {
  return Object.values(service.actions)
    .filter((a) => a.period > 0 && a.state !== "disabled")
    .map((a) => ({ action: a.name, period: a.period }))
    .sort((a, b) => a.action.localeCompare(b.action));
}
