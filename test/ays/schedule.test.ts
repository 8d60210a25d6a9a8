import { describe, it } from "vitest";
import { emptyRepository, executeBlueprint, parseBlueprint, scheduleAction } from "../../src/ays/index.ts";
import type { RepositoryState } from "../../src/ays/index.ts";
import { aysErrorOf, index, tmpl } from "./helpers.ts";

const web = tmpl("web", { actionsJs: "export async function deploy(job) {}\nexport function restart(job) {}\n" });
const db = tmpl("db", { config: "events:\n  - channel: alarm\n    actions: [monitor]\n    secrets: [a, b]\n" });
const templates = index(web, db);

function repo(): RepositoryState {
  return executeBlueprint(emptyRepository(), templates, parseBlueprint("base.yaml", "web__w1:\nweb__w2:\ndb__d1:\n")).state;
}

describe("scheduling actions", () => {
  it("moves new, changed and error actions to scheduled", ({ expect }) => {
    const state = structuredClone(repo());
    (state.services["web!w2"]?.actions.deploy ?? { state: "" }).state = "error";
    const r = scheduleAction(state, templates, { action: "deploy" });
    expect(r.scheduled).toEqual([{ key: "web!w1", action: "deploy" }, { key: "web!w2", action: "deploy" }]);
    expect(r.state.services["web!w2"]?.actions.deploy?.state).toBe("scheduled");
  });

  it("leaves the state it was given as it was: the scheduled action is a copy, whatever it shares", ({ expect }) => {
    const before = repo();
    const snapshot = structuredClone(before);
    const once = scheduleAction(before, templates, { action: "deploy", period: 60 });
    const twice = scheduleAction(once.state, templates, { action: "restart" });
    expect(before).toEqual(snapshot);
    expect(once.state.services["web!w1"]?.actions.deploy).toMatchObject({ state: "scheduled", period: 60 });
    expect(once.state.services["web!w1"]?.actions.restart?.state).toBe("new");
    expect(twice.state.services["web!w1"]?.actions).toMatchObject({ deploy: { state: "scheduled", period: 60 }, restart: { state: "scheduled" } });
    // A blueprint executed on the result changes its services without reaching back into either input.
    const onceCopy = structuredClone(once.state);
    executeBlueprint(twice.state, templates, parseBlueprint("more.yaml", "web__w3:\nactions:\n  - action: deploy\n    service: w3\n"));
    expect(once.state).toEqual(onceCopy);
  });

  it("schedules on the selected services that know the action and ignores the rest", ({ expect }) => {
    const r = scheduleAction(repo(), templates, { action: "restart" });
    expect(r.scheduled.map((s) => s.key)).toEqual(["web!w1", "web!w2"]);
    expect(r.state.services["db!d1"]?.actions).not.toHaveProperty("restart");
  });

  it("refuses an action no selected service knows", ({ expect }) => {
    expect(aysErrorOf(() => scheduleAction(repo(), templates, { action: "restart", actor: "db" })).message).toBe("schedule: restart: unknown action restart (not an action of db)");
  });

  it("keeps ok actions unless forced", ({ expect }) => {
    const state = structuredClone(repo());
    (state.services["web!w1"]?.actions.install ?? { state: "" }).state = "ok";
    expect(scheduleAction(state, templates, { action: "install", service: "w1" }).scheduled).toEqual([]);
    const forced = scheduleAction(state, templates, { action: "install", service: "w1", force: true });
    expect(forced.scheduled).toEqual([{ key: "web!w1", action: "install" }]);
    expect(forced.state.services["web!w1"]?.actions.install).toMatchObject({ state: "scheduled", force: true });
  });

  it("refuses disabled actions and leaves running ones alone", ({ expect }) => {
    const state = structuredClone(repo());
    (state.services["web!w1"]?.actions.install ?? { state: "" }).state = "disabled";
    expect(aysErrorOf(() => scheduleAction(state, templates, { action: "install", actor: "web" })).reason).toBe("action install of web!w1 is disabled");
    (state.services["web!w1"]?.actions.install ?? { state: "" }).state = "running";
    const r = scheduleAction(state, templates, { action: "install", actor: "web" });
    expect(r.scheduled).toEqual([{ key: "web!w2", action: "install" }]);
    expect(r.state.services["web!w1"]?.actions.install?.state).toBe("running");
  });

  it("sets the recurring period even on an ok action", ({ expect }) => {
    const state = structuredClone(repo());
    (state.services["db!d1"]?.actions.monitor ?? { state: "" }).state = "ok";
    const r = scheduleAction(state, templates, { action: "monitor", role: "db", period: 300 });
    expect(r.state.services["db!d1"]?.actions.monitor).toMatchObject({ state: "ok", period: 300 });
  });

  it("refuses selectors that match nothing, and unknown actors", ({ expect }) => {
    expect(aysErrorOf(() => scheduleAction(repo(), templates, { action: "install", service: "w9" })).reason).toBe("no service matches instance w9");
    expect(aysErrorOf(() => scheduleAction(repo(), templates, { action: "install", actor: "nginx" })).reason).toBe("unknown actor nginx (no template named nginx)");
  });

  it("never mutates the state it was given", ({ expect }) => {
    const state = repo();
    const before = structuredClone(state);
    scheduleAction(state, templates, { action: "deploy", force: true, period: 60 });
    expect(state).toEqual(before);
  });
});

describe("blueprint actions and event filters", () => {
  it("applies actions: per actor and instance filter, with recurring and force", ({ expect }) => {
    const r = executeBlueprint(repo(), templates, parseBlueprint("acts.yaml", "actions:\n  - action: 'deploy, restart'\n    service: w2\n  - action: monitor\n    actor: db\n    recurring: 5m\n"));
    expect(r.scheduled).toEqual([
      { key: "web!w2", action: "deploy" },
      { key: "web!w2", action: "restart" },
      { key: "db!d1", action: "monitor" },
    ]);
    expect(r.state.services["db!d1"]?.actions.monitor).toMatchObject({ state: "scheduled", period: 300 });
  });

  it("names the blueprint entry when an action is unknown", ({ expect }) => {
    const err = aysErrorOf(() => executeBlueprint(repo(), templates, parseBlueprint("acts.yaml", "web__w3:\nactions:\n  - action: install\n  - action: dance\n")));
    expect(err.message).toBe("acts.yaml:4:5: actions[1]: unknown action dance (not an action of db, web)");
  });

  it("gives new services the template's event filters, one per secret", ({ expect }) => {
    expect(repo().services["db!d1"]?.eventFilters).toEqual([
      { channel: "alarm", actions: ["monitor"], secret: "a" },
      { channel: "alarm", actions: ["monitor"], secret: "b" },
    ]);
  });

  it("applies each event filter to the services matching its own actor and service", ({ expect }) => {
    const bp = parseBlueprint("ev.yaml", [
      "actions:",
      "  - action: install",
      "    actor: db",
      "eventfilters:",
      "  - actor: web",
      "    service: w1",
      "    channel: telegram",
      "    command: redeploy",
      "    actions: [deploy]",
      "  - actor: db",
      "    channel: webhook",
      "    secret: hook",
      "    actions: [monitor]",
    ].join("\n"));
    const r = executeBlueprint(repo(), templates, bp);
    expect(r.state.services["web!w1"]?.eventFilters).toEqual([{ channel: "telegram", command: "redeploy", actions: ["deploy"] }]);
    expect(r.state.services["web!w2"]?.eventFilters).toEqual([]);
    expect(r.state.services["db!d1"]?.eventFilters.at(-1)).toEqual({ channel: "webhook", secret: "hook", actions: ["monitor"] });
  });

  it("refuses event filters that name actions the services do not have", ({ expect }) => {
    const err = aysErrorOf(() => executeBlueprint(repo(), templates, parseBlueprint("ev.yaml", "eventfilters:\n  - actor: db\n    actions: [deploy]\n")));
    expect(err.message).toBe("ev.yaml:2:5: eventfilters[0]: unknown action deploy (not an action of db, service db!d1)");
  });
});
