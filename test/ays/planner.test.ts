import { describe, it } from "vitest";
import { emptyRepository, executeBlueprint, parseBlueprint, planRun, scheduleAction } from "../../src/ays/index.ts";
import type { ActionStateName, Plan, RepositoryState, TemplateIndex } from "../../src/ays/index.ts";
import { aysErrorOf, index, tmpl } from "./helpers.ts";
import { blueprintFile, sampleTemplates } from "./samples.ts";

const samples = sampleTemplates();

function exec(templates: TemplateIndex, content: string, state: RepositoryState = emptyRepository()): RepositoryState {
  return executeBlueprint(state, templates, parseBlueprint("plan.yaml", content)).state;
}

function sample(bp: string): RepositoryState {
  const { name, content } = blueprintFile(bp);
  return executeBlueprint(emptyRepository(), samples, parseBlueprint(name, content)).state;
}

/** Sets action states, e.g. as a finished run would have left them. */
function setStates(state: RepositoryState, state2: ActionStateName, actions: string[], keys = Object.keys(state.services)): RepositoryState {
  const next = structuredClone(state);
  for (const key of keys) {
    for (const action of actions) {
      const a = next.services[key]?.actions[action];
      if (a) a.state = state2;
    }
  }
  return next;
}

function lines(plan: Plan): string[][] {
  return plan.steps.map((s) => s.jobs.map((j) => `${j.service} ${j.action}`));
}

describe("run planning", () => {
  it("installs a consumption chain producer-first (bp06: datacenter, repo2_template1, repo2_template2)", ({ expect }) => {
    const plan = planRun(sample("bp06"), samples);
    expect(plan.steps.map((s) => s.number)).toEqual([1, 2, 3, 4]);
    expect(lines(plan)).toEqual([
      ["datacenter!instance init"],
      ["datacenter!instance install", "repo2_template1!instance init"],
      ["repo2_template1!instance install", "repo2_template2!instance init"],
      ["repo2_template2!instance install"],
    ]);
    expect(plan.steps[0]?.jobs[0]).toEqual({ service: "datacenter!instance", actor: "datacenter", action: "init" });
  });

  it("skips actions that are already ok and does not traverse through them", ({ expect }) => {
    const state = setStates(sample("bp06"), "ok", ["init"]);
    expect(lines(planRun(state, samples))).toEqual([["datacenter!instance install"], ["repo2_template1!instance install"], ["repo2_template2!instance install"]]);
    // With the producer's install done too, only the consumer's own chain remains.
    const done = setStates(state, "ok", ["install"], ["datacenter!instance", "repo2_template1!instance"]);
    expect(lines(planRun(done, samples))).toEqual([["repo2_template2!instance install"]]);
  });

  it("stops consumers before their producers", ({ expect }) => {
    let state = setStates(sample("bp06"), "ok", ["init", "install"]);
    state = scheduleAction(state, samples, { action: "stop", service: "instance", actor: "datacenter" }).state;
    expect(lines(planRun(state, samples))).toEqual([
      ["repo2_template2!instance stop"],
      ["repo2_template1!instance stop"],
      ["datacenter!instance stop"],
    ]);
  });

  it("uninstalls consumers first, each after its own stop, leaving producers alone", ({ expect }) => {
    let state = setStates(sample("bp06"), "ok", ["init", "install"]);
    state = scheduleAction(state, samples, { action: "uninstall", actor: "repo2_template1" }).state;
    expect(lines(planRun(state, samples))).toEqual([
      ["repo2_template2!instance stop"],
      ["repo2_template1!instance stop", "repo2_template2!instance uninstall"],
      ["repo2_template1!instance uninstall"],
    ]);
  });

  it("expands custom actions through the actions.py map (execution_gt_period needs install)", ({ expect }) => {
    expect(lines(planRun(sample("bp08"), samples))).toEqual([
      ["test_recurring_actions_1!instance init"],
      ["test_recurring_actions_1!instance install"],
      ["test_recurring_actions_1!instance execution_gt_period"],
    ]);
    expect(lines(planRun(sample("bp07"), samples))).toEqual([
      ["simpleactor!tservice init"],
      ["simpleactor!tservice install"],
      ["simpleactor!tservice firstact", "simpleactor!tservice secondact"],
    ]);
  });

  it("names the cycle when services consume each other", ({ expect }) => {
    const t = index(
      tmpl("alpha", { config: "links:\n  consume: [{role: beta, min: 1}]\n" }),
      tmpl("beta", { config: "links:\n  consume: [{role: alpha, min: 1}]\n" }),
    );
    let state = exec(t, "alpha__x:\n  beta: y\nbeta__y:\n  alpha: x\n");
    expect(state.services["alpha!x"]?.producers).toEqual(["beta!y"]);
    expect(state.services["beta!y"]?.producers).toEqual(["alpha!x"]);
    state = setStates(state, "ok", ["init"]);
    state = scheduleAction(state, t, { action: "install", actor: "alpha" }).state;
    const err = aysErrorOf(() => planRun(state, t));
    expect(err.file).toBe("run");
    expect(err.message).toBe("run: dependency cycle: alpha!x install -> beta!y install -> alpha!x install");
  });

  it("does not start an action whose producer has that action in error", ({ expect }) => {
    let state = setStates(sample("bp06"), "ok", ["init"]);
    state = setStates(state, "error", ["install"], ["repo2_template1!instance"]);
    state = setStates(state, "ok", ["install"], ["datacenter!instance"]);
    state = setStates(state, "scheduled", ["install"], ["repo2_template2!instance"]);
    expect(planRun(state, samples).steps).toEqual([]);
    // Scheduling the failed producer again brings both back.
    state = scheduleAction(state, samples, { action: "install", actor: "repo2_template1" }).state;
    expect(lines(planRun(state, samples))).toEqual([["repo2_template1!instance install"], ["repo2_template2!instance install"]]);
  });

  it("re-runs forced ok actions and leaves disabled ones out", ({ expect }) => {
    let state = setStates(sample("bp06"), "ok", ["init", "install"]);
    state = scheduleAction(state, samples, { action: "install", actor: "datacenter", force: true }).state;
    expect(state.services["datacenter!instance"]?.actions.install).toMatchObject({ state: "scheduled", force: true });
    expect(lines(planRun(state, samples))).toEqual([["datacenter!instance install"]]);

    let fresh = sample("bp06");
    fresh = setStates(fresh, "disabled", ["init"], ["datacenter!instance"]);
    expect(lines(planRun(fresh, samples))[0]).toEqual(["datacenter!instance install", "repo2_template1!instance init"]);
  });

  it("returns an empty plan when nothing is scheduled", ({ expect }) => {
    expect(planRun(setStates(sample("bp06"), "new", ["install"]), samples)).toEqual({ steps: [] });
  });

  it("refuses to plan services whose template is gone", ({ expect }) => {
    const err = aysErrorOf(() => planRun(sample("bp06"), index(tmpl("datacenter", { config: "" }))));
    expect(err.message).toBe("run: repo2_template1!instance: unknown actor repo2_template1 (no template named repo2_template1)");
  });

  it("plans the same repository the same way every time", ({ expect }) => {
    const { name, content } = blueprintFile("bp17");
    const state = executeBlueprint(emptyRepository(), samples, parseBlueprint(name, `${content}\nactions:\n  - action: start\n`)).state;
    const a = planRun(state, samples);
    const reversed: RepositoryState = { services: Object.fromEntries(Object.entries(state.services).reverse()) };
    expect(planRun(reversed, samples)).toEqual(a);
    expect(lines(a)).toEqual([
      ["datacenter!eu init", "datacenter!us init"],
      ["datacenter!eu install", "datacenter!us install", "rack!cpu1 init", "rack!storage1 init", "rack!storage2 init", "rack!storage4 init"],
      ["datacenter!eu start", "datacenter!us start", "rack!cpu1 install", "rack!storage1 install", "rack!storage2 install", "rack!storage4 install"],
      ["rack!cpu1 start", "rack!storage1 start", "rack!storage2 start", "rack!storage4 start"],
    ]);
  });
});
