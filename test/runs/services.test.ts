import { describe, expect, it } from "vitest";
import { applyLooseOutcome, recurringActions, recurringDue, ServicesDraft, startLooseJob } from "../../src/runs/services.ts";
import { context, outcome, service, services, templates } from "./fixtures.ts";

const ctx = context(templates({ name: "proc" }));

describe("jobs outside any run (recurring, events)", () => {
  it("a recurring action is due when it recurs, is not running or disabled, and the service is installed", () => {
    const s = services(
      service("proc!a", { install: { state: "ok" }, monitor: { period: 60, state: "ok" } }),
      service("proc!b", { install: { state: "new" }, monitor: { period: 60 } }),
      service("proc!c", { monitor: { period: 60, state: "running" }, check: { period: 0 } }),
    );
    expect(recurringDue(s, "proc!a", "monitor")).toBe(true);
    expect(recurringDue(s, "proc!b", "monitor")).toBe(false);
    expect(recurringDue(s, "proc!c", "monitor")).toBe(false);
    expect(recurringDue(s, "proc!c", "check")).toBe(false);
    expect(recurringDue(s, "proc!x", "monitor")).toBe(false);
  });

  it("starts the action and reports back into the service, leaving the given registry as it was", () => {
    const given = services(service("proc!a", { install: { state: "ok" }, monitor: { period: 60, state: "ok", args: { n: 1 } } }));
    const draft = new ServicesDraft(given);
    const spec = startLooseJob(draft, ctx, "proc!a", "monitor", "recurring.1");
    expect(spec).toMatchObject({ runKey: "", jobKey: "recurring.1", attempt: 1, args: { n: 1 }, actorName: "acme/repo/proc!a" });
    expect(draft.services["proc!a"]!.actions.monitor!.state).toBe("running");
    applyLooseOutcome(draft, "proc!a", "monitor", outcome("error", { dataPatch: { seen: true } }));
    expect(draft.services["proc!a"]).toMatchObject({ data: { seen: true }, actions: { monitor: { state: "error", errorCount: 1 } } });
    expect([...draft.changed]).toEqual(["proc!a"]);
    expect(given["proc!a"]!.actions.monitor!.state).toBe("ok");
    expect(given["proc!a"]!.data).toEqual({});
  });

  it("notes an action event that no longer fits and keeps the newer state", () => {
    const draft = new ServicesDraft(services(service("proc!a", { monitor: { state: "disabled", period: 60 } })));
    draft.applyActionEvent("proc!a", "monitor", { type: "START" });
    expect(draft.services["proc!a"]!.actions.monitor!.state).toBe("disabled");
    expect(draft.warnings).toEqual(["action proc!a monitor: cannot start an action that is disabled"]);
    expect(draft.changed.size).toBe(0);
  });

  it("lists a service's recurring actions in action order, without disabled ones", () => {
    const s = service("proc!a", { stats: { period: 30 }, monitor: { period: 60 }, off: { period: 5, state: "disabled" }, install: {} });
    expect(recurringActions(s)).toEqual([{ action: "monitor", period: 60 }, { action: "stats", period: 30 }]);
  });
});
