/** Template code changes, disabling and enabling, and processChange, as the engine decides them (src/ays/actions.ts). */
import { describe, it } from "vitest";
import { changedJsActions, changeTemplateActions, emptyRepository, executeBlueprint, parseBlueprint, scheduleAction, switchAction } from "../../src/ays/index.ts";
import type { ActionStateName, RepositoryState } from "../../src/ays/index.ts";
import { aysErrorOf, index, tmpl } from "./helpers.ts";

const web = tmpl("web", { schema: "struct Schema {\n  port @0 :Int64 = 80;\n}\n", actionsJs: "export function install(job) {}\nexport function start(job) {}\n" });
const db = tmpl("db", { config: "" });
const templates = index(web, db);

function repo(states: Record<string, ActionStateName> = {}): RepositoryState {
  const state = structuredClone(executeBlueprint(emptyRepository(), templates, parseBlueprint("base.yaml", "web__w1:\nweb__w2:\ndb__d1:\n")).state);
  for (const [where, to] of Object.entries(states)) {
    const [key, action] = where.split(" ") as [string, string];
    state.services[key]!.actions[action]!.state = to;
  }
  return state;
}

describe("which actions of an actions.js changed", () => {
  it("compares each action's own function, and counts actions that gain or lose their code", ({ expect }) => {
    const before = "const helper = () => 1;\nexport function install(job) { return 1; }\nexport const start = (job) => {};\nfunction stopIt(job) {}\nexport { stopIt as stop };\n";
    expect(changedJsActions(before, before)).toEqual([]);
    expect(changedJsActions(before, before.replace("const helper = () => 1", "const helper = () => 2"))).toEqual([]);
    expect(changedJsActions(before, before.replace("return 1", "return 2"))).toEqual(["install"]);
    expect(changedJsActions(before, before.replace("function stopIt(job) {}", "function stopIt(job) { job.log('x'); }"))).toEqual(["stop"]);
    expect(changedJsActions(before, `${before}export function monitor(job) {}\n`)).toEqual(["monitor"]);
    expect(changedJsActions(before, "export function install(job) { return 1; }\n")).toEqual(["start", "stop"]);
  });
});

describe("a template's code changed", () => {
  it("turns ok and error actions of its services into changed, and leaves other states and templates alone", ({ expect }) => {
    const state = repo({ "web!w1 install": "ok", "web!w2 install": "error", "web!w1 start": "running", "db!d1 install": "ok" });
    const before = structuredClone(state);
    const r = changeTemplateActions(state, "web", ["install", "start", "nosuch"]);
    expect(r.changed).toEqual([{ key: "web!w1", action: "install" }, { key: "web!w2", action: "install" }]);
    expect(r.state.services["web!w1"]?.actions.install?.state).toBe("changed");
    expect(r.state.services["web!w2"]?.actions.install?.state).toBe("changed");
    expect(r.state.services["web!w1"]?.actions.start?.state).toBe("running");
    expect(r.state.services["web!w2"]?.actions.start?.state).toBe("new");
    expect(r.state.services["db!d1"]?.actions.install?.state).toBe("ok");
    expect(state).toEqual(before);
  });
});

describe("disabling and enabling an action", () => {
  it("disables from any state but disabled, enables only a disabled action (to new), refusing the rest with the state", ({ expect }) => {
    const disabled = switchAction(repo({ "web!w1 install": "running" }), "web!w1", "install", { type: "DISABLE" });
    if (!("state" in disabled)) throw new Error(disabled.refused);
    expect(disabled.state.services["web!w1"]?.actions.install?.state).toBe("disabled");
    expect(switchAction(disabled.state, "web!w1", "install", { type: "DISABLE" })).toEqual({ refused: "cannot disable an action that is disabled" });
    expect(aysErrorOf(() => scheduleAction(disabled.state, templates, { action: "install", service: "w1" })).reason).toBe("action install of web!w1 is disabled");
    const enabled = switchAction(disabled.state, "web!w1", "install", { type: "ENABLE" });
    if (!("state" in enabled)) throw new Error(enabled.refused);
    expect(enabled.state.services["web!w1"]?.actions.install?.state).toBe("new");
    expect(switchAction(enabled.state, "web!w1", "install", { type: "ENABLE" })).toEqual({ refused: "cannot enable an action that is new" });
    expect(switchAction(enabled.state, "web!w1", "nosuch", { type: "ENABLE" })).toEqual({ refused: "service web!w1 has no action nosuch" });
  });
});

describe("processChange on changed arguments", () => {
  const change = (state: RepositoryState, port: number) => executeBlueprint(state, templates, parseBlueprint("base.yaml", `web__w1:\n  port: ${port}\n`));

  it("schedules an ok processChange again, and only processChange: the service's other actions keep their state", ({ expect }) => {
    const r = change(repo({ "web!w1 processChange": "ok", "web!w1 install": "ok" }), 81);
    expect(r.scheduled).toEqual([{ key: "web!w1", action: "processChange" }]);
    expect(r.state.services["web!w1"]?.actions.processChange).toMatchObject({ state: "scheduled", args: { changeCategory: "dataschema", port: 81 } });
    expect(r.state.services["web!w1"]?.actions.install?.state).toBe("ok");
  });

  it("leaves a running processChange to its job, keeps the arguments for its next call and says so", ({ expect }) => {
    const state = repo({ "web!w1 processChange": "running" });
    state.services["web!w1"]!.actions.processChange!.args = { changeCategory: "dataschema", port: 81 };
    const r = change(state, 82);
    expect(r.scheduled).toEqual([]);
    expect(r.state.services["web!w1"]?.data.port).toBe(82);
    expect(r.state.services["web!w1"]?.actions.processChange).toMatchObject({ state: "running", args: { changeCategory: "dataschema", port: 82 } });
    expect(r.warnings).toEqual(["web!w1: processChange is running; the changed arguments are kept for its next call: schedule it again, with force, once it ends"]);
  });

  it("leaves a disabled processChange disabled", ({ expect }) => {
    const r = change(repo({ "web!w1 processChange": "disabled" }), 81);
    expect(r.scheduled).toEqual([]);
    expect(r.state.services["web!w1"]?.actions.processChange?.state).toBe("disabled");
    expect(r.state.services["web!w1"]?.data.port).toBe(81);
  });
});
