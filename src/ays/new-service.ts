/** A service as its template makes it (AYS Actor.serviceCreate + Service._initFromActor): data defaults, actions, event filters. */
import { defaultValue } from "./capnp.ts";
import type { EventFilter, ServiceAction, ServiceModel, TemplateIndex } from "./model.ts";
import { serviceKey } from "./names.ts";
import type { ActorTemplate } from "./template.ts";

export function findTemplate(templates: TemplateIndex, actor: string): ActorTemplate | undefined {
  // AYS looked up `<name>` first and `blueprint.<name>` second (AtYourServiceRepo.templates).
  return templates.get(actor) ?? templates.get(`blueprint.${actor}`);
}

export function unknownActor(actor: string): string {
  return `unknown actor ${actor} (no template named ${actor})`;
}

/** Template `events:` become the service's initial event filters (one filter per secret). */
function templateFilters(template: ActorTemplate): EventFilter[] {
  const out: EventFilter[] = [];
  for (const e of template.events) {
    const base: EventFilter = { channel: e.channel, actions: [...e.actions] };
    if (e.command !== undefined) base.command = e.command;
    if (e.match !== undefined) base.match = { ...e.match };
    if (!e.secrets || e.secrets.length === 0) out.push(base);
    else for (const secret of e.secrets) out.push({ ...base, secret });
  }
  return out;
}

export function newService(template: ActorTemplate, instance: string, data: Record<string, unknown>, blueprint: string | null): ServiceModel {
  const period = new Map(template.recurring.map((r) => [r.action, r.period]));
  const actions: Record<string, ServiceAction> = {};
  for (const name of template.actions) {
    actions[name] = {
      name,
      // `input` ran in-process when AYS created the service, so it starts out done.
      state: name === "input" ? "ok" : "new",
      period: period.get(name) ?? 0,
      timeout: template.timeouts[name] ?? 0,
      errorCount: 0,
      lastRun: null,
    };
  }
  return {
    key: serviceKey(template.role, instance),
    role: template.role,
    instance,
    actor: template.name,
    data,
    parent: null,
    producers: [],
    consumers: [],
    children: [],
    actions,
    eventFilters: templateFilters(template),
    blueprint,
  };
}

export function defaultData(template: ActorTemplate): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of template.schema.fields) data[field.name] = defaultValue(field);
  return data;
}
