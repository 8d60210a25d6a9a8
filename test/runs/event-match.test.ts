/** Which actions an event reaches (src/events/filters.ts): a disabled action hears nothing. */
import { describe, expect, it } from "vitest";
import type { ActionStateName, ServiceModel } from "../../src/ays/index.ts";
import type { CockpitEvent } from "../../src/events/event.ts";
import { matchEvent } from "../../src/events/filters.ts";

function service(key: string, states: Record<string, ActionStateName>): ServiceModel {
  const [role, instance] = key.split("!") as [string, string];
  const actions = Object.fromEntries(Object.entries(states).map(([name, state]) => [name, { name, state, period: 0, timeout: 0, errorCount: 0, lastRun: null }]));
  return { key, role, instance, actor: role, data: {}, parent: null, producers: [], consumers: [], children: [], actions, eventFilters: [{ channel: "generic", actions: Object.keys(states) }], blueprint: null };
}

describe("matching an event to actions", () => {
  it("leaves out disabled actions", () => {
    const services = { "web!a": service("web!a", { monitor: "ok", backup: "disabled" }), "web!b": service("web!b", { monitor: "disabled" }) };
    const event = { channel: "generic" } as CockpitEvent;
    expect(matchEvent({ services }, event)).toEqual([{ service: "web!a", action: "monitor" }]);
  });
});
