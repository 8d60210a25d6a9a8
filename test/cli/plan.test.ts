import { copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { cockpit, SAMPLES } from "./run-cli.ts";

/** A fresh AYS repository folder holding copies of the named sample blueprints. */
async function repoWith(...blueprints: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cockpit-plan-"));
  await mkdir(join(dir, "blueprints"));
  for (const bp of blueprints) await copyFile(join(SAMPLES, bp), join(dir, "blueprints", bp));
  return dir;
}

interface PlanJson {
  services: { key: string; actor: string; parent: string | null; producers: string[] }[];
  steps: { number: number; jobs: { service: string; actor: string; action: string }[] }[];
}

const stepOf = (plan: PlanJson, service: string, action: string) =>
  plan.steps.find((s) => s.jobs.some((j) => j.service === service && j.action === action))?.number;

describe("cockpit plan", () => {
  it("plans bp06: datacenter before repo2_template1 before repo2_template2", async ({ expect }) => {
    const dir = await repoWith("bp06_consumption_chain.yaml");
    const res = await cockpit(["plan", dir, "--templates", SAMPLES, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as PlanJson;
    expect(plan.services).toEqual([
      { key: "datacenter!instance", actor: "datacenter", parent: null, producers: [] },
      { key: "repo2_template1!instance", actor: "repo2_template1", parent: null, producers: ["datacenter!instance"] },
      { key: "repo2_template2!instance", actor: "repo2_template2", parent: null, producers: ["repo2_template1!instance"] },
    ]);
    const dc = stepOf(plan, "datacenter!instance", "install")!;
    const t1 = stepOf(plan, "repo2_template1!instance", "install")!;
    const t2 = stepOf(plan, "repo2_template2!instance", "install")!;
    expect(dc).toBeLessThan(t1);
    expect(t1).toBeLessThan(t2);
    expect(plan.steps.map((s) => s.number)).toEqual(plan.steps.map((_, i) => i + 1));
    expect(Object.keys(plan)).toEqual(["services", "steps"]);
    expect(Object.keys(plan.steps[0]!.jobs[0]!)).toEqual(["service", "actor", "action"]);
  });

  it("prints a readable plan by default", async ({ expect }) => {
    const dir = await repoWith("bp06_consumption_chain.yaml");
    const res = await cockpit(["plan", dir, "--templates", SAMPLES]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("3 services from 1 blueprints");
    expect(res.stdout).toMatch(/repo2_template2!instance\s+repo2_template2\s+\(consumes repo2_template1!instance\)/);
    expect(res.stdout).toContain("Run: 4 steps, 6 jobs");
  });

  it("--action stop orders consumers first", async ({ expect }) => {
    const dir = await repoWith("bp17_docs_parent_child_datacenter_rack.yaml");
    const res = await cockpit(["plan", dir, "--templates", SAMPLES, "--action", "stop", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as PlanJson;
    expect(plan.services.find((s) => s.key === "rack!storage1")).toEqual({
      key: "rack!storage1",
      actor: "rack",
      parent: "datacenter!eu",
      producers: ["datacenter!eu"],
    });
    expect(stepOf(plan, "rack!storage1", "stop")!).toBeLessThan(stepOf(plan, "datacenter!eu", "stop")!);
    expect(stepOf(plan, "rack!cpu1", "stop")!).toBeLessThan(stepOf(plan, "datacenter!us", "stop")!);
  });

  it("skips archived _*.yaml blueprints and adds repo-local templates", async ({ expect }) => {
    const dir = await repoWith("bp06_consumption_chain.yaml");
    await writeFile(join(dir, "blueprints", "_old.yaml"), "ghost__one:\n");
    await mkdir(join(dir, "actorTemplates", "probe"), { recursive: true });
    await writeFile(join(dir, "actorTemplates", "probe", "schema.capnp"), "@0xa1b2c3d4e5f60718;\nstruct Schema {\n  size @0 :Int64 = 3;\n}\n");
    await writeFile(join(dir, "blueprints", "z_probe.yaml"), "probe__p1:\n  size: 5\nactions:\n  - action: install\n    actor: probe\n");
    const res = await cockpit(["plan", dir, "--templates", SAMPLES, "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as PlanJson;
    expect(plan.services.map((s) => s.key)).toContain("probe!p1");
    expect(stepOf(plan, "probe!p1", "install")).toBeDefined();
  });

  it("exits 1 naming the file and the key for bp10's unknown argument", async ({ expect }) => {
    const dir = await repoWith("bp10_INVALID_unknown_arg.yaml");
    const res = await cockpit(["plan", dir, "--templates", SAMPLES]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain("bp10_INVALID_unknown_arg.yaml");
    expect(res.stderr).toContain("thisfielddoesntexsits");
  });

  it("exits 1 for a folder that is not an AYS repository, and 2 without a folder", async ({ expect }) => {
    const empty = await mkdtemp(join(tmpdir(), "cockpit-empty-"));
    const res = await cockpit(["plan", empty]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("no blueprints/ folder");
    expect((await cockpit(["plan"])).code).toBe(2);
  });
});
