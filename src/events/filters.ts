/**
 * Which services an event reaches: the service event filters of the blueprint `eventfilters:` and
 * template `events:` (AYS 8.2 Service.processEvent). Unlike the original, which sent every event to
 * every service, only matching filters receive it.
 */
import type { EventFilter, RepositoryState } from "../ays/index.ts";
import { matchesConditions } from "../ays/match.ts";
import type { CockpitEvent, EventMessage } from "./event.ts";

/** AYS 8.2 called the HTTP channel `webservice`; Cockpit's Generic events come through it. */
const CHANNEL_ALIASES: Record<string, readonly string[]> = { webservice: ["generic"], generic: ["webservice"] };

/**
 * Run and job state events are heard only by filters that name their channel: a catch-all filter
 * reacting to every finished job would turn each run into a flood of jobs.
 */
const EXPLICIT_ONLY = new Set(["run", "job"]);

type Heard = Pick<EventMessage, "channel" | "command" | "secret">;

/**
 * Whether a filter hears an event. `doc` is what its `match:` conditions read (payloadDocument):
 * a filter with conditions hears nothing when it is not given.
 */
export function filterMatches(filter: EventFilter, event: Heard, doc?: unknown): boolean {
  const channelOk =
    (filter.channel === "all" && !EXPLICIT_ONLY.has(event.channel)) ||
    filter.channel === event.channel ||
    (CHANNEL_ALIASES[filter.channel] ?? []).includes(event.channel);
  if (!channelOk) return false;
  if (filter.command !== undefined && filter.command !== event.command) return false;
  // A filter with a secret only hears events that carry it (the original's /webhooks/events did not check).
  if (filter.secret !== undefined && filter.secret !== event.secret) return false;
  if (filter.match !== undefined) return doc !== undefined && matchesConditions(filter.match, doc);
  return true;
}

/**
 * What `match:` reads of an event whose payload is at hand: a Generic event's `args`, the payload of
 * the others; undefined for a webhook, whose delivery body is in R2 (deliveryOf reads it).
 */
export function payloadDocument(type: EventMessage["type"], payload: unknown): unknown {
  if (type === "webhook") return undefined;
  if (type === "generic") return (payload as { args?: unknown } | null)?.args;
  return payload;
}

/** The document of an event that carries its payload (the run and job state events, for one). */
export const inlineDocument = (event: CockpitEvent): unknown => payloadDocument(event.type, event.payload);

/** Whether some filter that hears the event's channel, command and secret has `match:` conditions: only then is its payload read. */
export function needsDocument(state: RepositoryState, event: Heard): boolean {
  for (const service of Object.values(state.services)) {
    for (const filter of service.eventFilters) if (filter.match !== undefined && filterMatches({ ...filter, match: undefined }, event)) return true;
  }
  return false;
}

/** Whether any filter of these services would start an action for the event: matchEvent, without building the list. */
export function wantsEvent(state: RepositoryState, event: Heard, doc?: unknown): boolean {
  for (const service of Object.values(state.services)) {
    for (const filter of service.eventFilters) {
      if (!filterMatches(filter, event, doc)) continue;
      if (filter.actions.some((action) => service.actions[action] && service.actions[action].state !== "disabled")) return true;
    }
  }
  return false;
}

/** Every (service, action) an event reaches, each pair once; a disabled action hears nothing. */
export function matchEvent(state: RepositoryState, event: Heard, doc?: unknown): { service: string; action: string }[] {
  const out: { service: string; action: string }[] = [];
  const seen = new Set<string>();
  for (const service of Object.values(state.services).sort((a, b) => a.key.localeCompare(b.key))) {
    for (const filter of service.eventFilters) {
      if (!filterMatches(filter, event, doc)) continue;
      for (const action of filter.actions) {
        const id = `${service.key} ${action}`;
        if (seen.has(id) || !service.actions[action] || service.actions[action].state === "disabled") continue;
        seen.add(id);
        out.push({ service: service.key, action });
      }
    }
  }
  return out;
}
