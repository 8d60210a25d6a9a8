/** Disabling and enabling an action, and a template change, through the API: what runs do with them. */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import type { ServiceView } from "../../src/actors/repository/views.ts";
import { api } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, SCHEMA, shape, waitForRun } from "../helpers/runs.ts";
import { until } from "../helpers/until.ts";

const ACTIONS = "export function install(job) { job.log('install ' + job.service.key); }\nexport function start(job) {}\n";
const stateOf = async (repo: string, key: string, action: string) => {
  const [role, name] = key.split("!");
  const service = (await (await must(api(`/ays/repository/${repo}/service/${role}/${name}`), 200)).json()) as ServiceView;
  return service.actions.find((a) => a.name === action)?.state;
};
const post = (repo: string, path: string) => api(`/ays/repository/${repo}/service/${path}`, { method: "POST" });

describe("disabling and enabling an action", () => {
  it("a disabled action is skipped by runs and cannot be scheduled until enabled (409s naming the state, 404s), audited", async ({ expect }) => {
    const repo = "switch";
    await repoWithBlueprint(repo, "box__a:\nbox__b:\nactions:\n  - action: install\n", { actions: ACTIONS });

    const disabled = (await (await must(post(repo, "box/a/action/install/disable"), 200)).json()) as ServiceView;
    expect(disabled.actions.find((a) => a.name === "install")?.state).toBe("disabled");
    const again = await post(repo, "box/a/action/install/disable");
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: "action install of box!a: cannot disable an action that is disabled" });
    const scheduled = await post(repo, "box/a/action/install");
    expect(scheduled.status).toBe(409);
    expect(((await scheduled.json()) as { error: string }).error).toContain("action install of box!a is disabled");
    expect((await post(repo, "box/a/action/nosuch/disable")).status).toBe(404);
    expect((await post(repo, "box/zz/action/install/disable")).status).toBe(404);
    const notDisabled = await post(repo, "box/b/action/install/enable");
    expect(notDisabled.status).toBe(409);
    expect(await notDisabled.json()).toMatchObject({ error: "action install of box!b: cannot enable an action that is scheduled" });

    const first = await waitForRun(repo, (await createRun(repo)).key);
    expect(first.state).toBe("ok");
    expect(shape(first)).toEqual([["box!b init"], ["box!b install"]]);
    expect(await stateOf(repo, "box!a", "install")).toBe("disabled");

    const enabled = (await (await must(post(repo, "box/a/action/install/enable"), 200)).json()) as ServiceView;
    expect(enabled.actions.find((a) => a.name === "install")?.state).toBe("new");
    await must(post(repo, "box/a/action/install"), 200);
    const second = await waitForRun(repo, (await createRun(repo)).key);
    expect(shape(second)).toEqual([["box!a init"], ["box!a install"]]);
    expect(await stateOf(repo, "box!a", "install")).toBe("ok");

    const audited = await until(
      async () => ((await (await api(`/ays/events?repo=${repo}`)).json()) as { events: AuditEntry[] }).events,
      (events) => events.some((e) => e.type === "action.enabled"),
      5_000,
    );
    expect(audited.filter((e) => e.type.startsWith("action.")).map((e) => `${e.type} ${e.message}`)).toEqual([
      "action.disabled install disabled on box!a",
      "action.enabled install enabled on box!a",
      "action.scheduled install scheduled on box!a",
    ]);
  });

  it("a running action can be disabled: its job's report no longer changes it", async ({ expect }) => {
    const repo = "switch-running";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", {
      actions: "export async function install(job) { await new Promise((r) => setTimeout(r, 300)); }\n",
    });
    const run = await createRun(repo);
    await until(() => stateOf(repo, "box!a", "install"), (s) => s === "running", 10_000);
    await must(post(repo, "box/a/action/install/disable"), 200);
    expect((await waitForRun(repo, run.key)).state).toBe("ok");
    expect(await stateOf(repo, "box!a", "install")).toBe("disabled");
  });

  it("both routes are described in /openapi.json", async ({ expect }) => {
    const doc = (await (await exports.default.fetch("http://cockpit.test/openapi.json")).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    for (const verb of ["disable", "enable"]) {
      const path = doc.paths[`/ays/repository/{repo}/service/{role}/{name}/action/{action}/${verb}`];
      expect(Object.keys(path ?? {})).toEqual(["post"]);
      expect(Object.keys(path!.post!.responses)).toEqual(expect.arrayContaining(["200", "404", "409"]));
    }
  });
});

describe("a template's code changes", () => {
  it("turns the actions whose code changed into changed, so the next run that needs them runs them again", async ({ expect }) => {
    const repo = "tmpl-change";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: start\n", { actions: ACTIONS });
    expect((await waitForRun(repo, (await createRun(repo)).key)).state).toBe("ok");
    expect(await stateOf(repo, "box!a", "install")).toBe("ok");

    await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "box", schema: SCHEMA, actions: ACTIONS.replace("'install '", "'install again '") } }), 201);
    expect(await stateOf(repo, "box!a", "install")).toBe("changed");
    expect(await stateOf(repo, "box!a", "start")).toBe("ok");
    expect(await stateOf(repo, "box!a", "init")).toBe("ok");

    await must(api(`/ays/repository/${repo}/service/box/a/action/start?force=true`, { method: "POST" }), 200);
    const rerun = await waitForRun(repo, (await createRun(repo)).key);
    expect(shape(rerun)).toEqual([["box!a install"], ["box!a start"]]);
    expect(rerun.steps[0]!.jobs[0]!.logs.map((l) => l.log)).toContain("install again box!a");
    expect(await stateOf(repo, "box!a", "install")).toBe("ok");
  });
});

describe("processChange on changed arguments", () => {
  it("runs with the changed arguments; a change while it runs is kept for its next call, and the execution says so", async ({ expect }) => {
    const repo = "proc-change";
    const actions = "export async function processChange(job) { job.log('port ' + job.args.port); await new Promise((r) => setTimeout(r, 400)); }\n";
    await repoWithBlueprint(repo, "box__a:\n  port: 1\n", { actions });
    const execute = async (port: number) => {
      await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "PUT", json: { content: `box__a:\n  port: ${port}\n` } }), 200);
      return ((await (await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200)).json()) as { msg: string }).msg;
    };
    expect(await execute(2)).toBe("blueprint main.yaml executed: 0 services created, 1 changed, 1 actions scheduled");
    const run = await createRun(repo);
    expect(shape(run)).toEqual([["box!a processChange"]]);
    await until(() => stateOf(repo, "box!a", "processChange"), (s) => s === "running", 10_000);
    expect(await execute(3)).toBe(
      "blueprint main.yaml executed: 0 services created, 1 changed, 0 actions scheduled; " +
        "warnings: box!a: processChange is running; the changed arguments are kept for its next call: schedule it again, with force, once it ends",
    );
    const done = await waitForRun(repo, run.key);
    expect(done.steps[0]!.jobs[0]!.logs.map((l) => l.log)).toContain("port 2");
    expect(await stateOf(repo, "box!a", "processChange")).toBe("ok");

    await must(api(`/ays/repository/${repo}/service/box/a/action/processChange?force=true`, { method: "POST" }), 200);
    const next = await waitForRun(repo, (await createRun(repo)).key);
    expect(next.steps[0]!.jobs[0]!.logs.map((l) => l.log)).toContain("port 3");
  });
});
