/**
 * Which services an event reaches: the service event filters of the blueprint `eventfilters:` and
 * template `events:` (AYS 8.2 Service.processEvent). Unlike the original, which sent every event to
 * every service, only matching filters receive it.
 */
import type { EventFilter, RepositoryState } from "../ays/index.ts";
import type { EventMessage } from "./event.ts";

/** AYS 8.2 called the HTTP channel `webservice`; Cockpit's Generic events come through it. */
const CHANNEL_ALIASES: Record<string, readonly string[]> = { webservice: ["generic"], generic: ["webservice"] };

/**
 * Run and job state events are heard only by filters that name their channel: a catch-all filter
 * reacting to every finished job would turn each run into a flood of jobs.
 */
const EXPLICIT_ONLY = new Set(["run", "job"]);

export function filterMatches(filter: EventFilter, event: Pick<EventMessage, "channel" | "command" | "secret">): boolean {
  const channelOk =
    (filter.channel === "all" && !EXPLICIT_ONLY.has(event.channel)) ||
    filter.channel === event.channel ||
    (CHANNEL_ALIASES[filter.channel] ?? []).includes(event.channel);
  if (!channelOk) return false;
  if (filter.command !== undefined && filter.command !== event.command) return false;
  // A filter with a secret only hears events that carry it (the original's /webhooks/events did not check).
  if (filter.secret !== undefined && filter.secret !== event.secret) return false;
  return true;
}

/** Whether any filter of these services would start an action for the event: matchEvent, without building the list. */
export function wantsEvent(state: RepositoryState, event: Pick<EventMessage, "channel" | "command" | "secret">): boolean {
  for (const service of Object.values(state.services)) {
    for (const filter of service.eventFilters) {
      if (!filterMatches(filter, event)) continue;
      if (filter.actions.some((action) => service.actions[action] && service.actions[action].state !== "disabled")) return true;
    }
  }
  return false;
}

/** Every (service, action) an event reaches, each pair once; a disabled action hears nothing. */
export function matchEvent(state: RepositoryState, event: Pick<EventMessage, "channel" | "command" | "secret">): { service: string; action: string }[] {
  const out: { service: string; action: string }[] = [];
  const seen = new Set<string>();
  for (const service of Object.values(state.services).sort((a, b) => a.key.localeCompare(b.key))) {
    for (const filter of service.eventFilters) {
      if (!filterMatches(filter, event)) continue;
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
