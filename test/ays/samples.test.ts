/**
 * Every shared sample blueprint executed against the sample templates, grouped the way the
 * original repositories grouped them, with the exact outcome.
 */
import { describe, it } from "vitest";
import { emptyRepository, executeBlueprint, parseBlueprint, planRun } from "../../src/ays/index.ts";
import type { ExecuteResult, RepositoryState } from "../../src/ays/index.ts";
import { aysErrorOf } from "./helpers.ts";
import { blueprintFile, sampleTemplates } from "./samples.ts";

const templates = sampleTemplates();

function run(state: RepositoryState, bp: string): ExecuteResult {
  const { name, content } = blueprintFile(bp);
  return executeBlueprint(state, templates, parseBlueprint(name, content));
}

function failure(state: RepositoryState, bp: string) {
  const before = structuredClone(state);
  const err = aysErrorOf(() => run(state, bp));
  // Nothing is half-applied: the input is untouched.
  if (JSON.stringify(state) !== JSON.stringify(before)) throw new Error("state was mutated by a failed execution");
  return err;
}

describe("docker_ovc example (bp01-bp04 in one repository)", () => {
  it("bp01 creates the g8client", ({ expect }) => {
    const r = run(emptyRepository(), "bp01");
    expect(r.created).toEqual(["g8client!env"]);
    expect(r.state.services["g8client!env"]?.data).toEqual({
      url: "gig.demo.greenitglobe.com", login: "fake_login", password: "fake_password", jwt: "", account: "", port: 443,
    });
  });

  it("bp02 creates the vdc (auto parent vdcfarm!auto_1), sshkey, vm and os", ({ expect }) => {
    const r = run(run(emptyRepository(), "bp01").state, "bp02");
    expect(r.created).toEqual(["vdc!vdcname", "sshkey!main", "node!demo", "os!demo", "vdcfarm!auto_1"]);
    // vdc's `account: 'fake_login'` is schema data; there is no account service to link to.
    expect(r.warnings).toEqual(["vdc!vdcname: account 'fake_login' names no account service; kept as data, not linked"]);
    const s = r.state.services;
    expect(s["vdc!vdcname"]).toMatchObject({ actor: "vdc", parent: "vdcfarm!auto_1", producers: ["vdcfarm!auto_1", "g8client!env"], children: ["node!demo"] });
    expect(s["vdc!vdcname"]?.data).toMatchObject({ account: "fake_login", g8client: "env", location: "fake_location", maxMemoryCapacity: -1, uservdc: [] });
    expect(s["vdcfarm!auto_1"]).toMatchObject({ actor: "vdcfarm", children: ["vdc!vdcname"], consumers: ["vdc!vdcname"], blueprint: "bp02_docker_ovc_2_vm.yaml" });
    expect(s["g8client!env"]?.consumers).toEqual(["vdc!vdcname"]);
    expect(s["node!demo"]).toMatchObject({ actor: "node.ovc", parent: "vdc!vdcname", producers: ["vdc!vdcname", "sshkey!main"] });
    expect(s["node!demo"]?.data).toMatchObject({ bootdiskSize: 50, memory: 2, osImage: "Ubuntu 16.04 x64", ports: ["22:2210"], sshkey: "main", sizeID: -1 });
    expect(s["os!demo"]).toMatchObject({ actor: "os.ssh.ubuntu", parent: "node!demo", producers: ["node!demo", "sshkey!main"] });
    expect(s["sshkey!main"]?.consumers).toEqual(["node!demo", "os!demo"]);
  });

  it("bp03 puts the docker on os!demo and picks the only sshkey to reach min 1", ({ expect }) => {
    let state = emptyRepository();
    for (const bp of ["bp01", "bp02"]) state = run(state, bp).state;
    const r = run(state, "bp03");
    expect(r.created).toEqual(["node!docker"]);
    expect(r.state.services["node!docker"]).toMatchObject({ actor: "node.docker", parent: "os!demo", producers: ["os!demo", "sshkey!main"] });
    expect(r.state.services["node!docker"]?.data).toMatchObject({ image: "ubuntu/xenial", hostname: "demo", ports: ["2210:22"] });
  });

  it("bp04 schedules install on all seven services and the plan installs producers first", ({ expect }) => {
    let state = emptyRepository();
    for (const bp of ["bp01", "bp02", "bp03"]) state = run(state, bp).state;
    const r = run(state, "bp04");
    expect(r.created).toEqual([]);
    expect(r.scheduled.map((s) => s.key)).toEqual([
      "g8client!env", "node!demo", "node!docker", "os!demo", "sshkey!main", "vdc!vdcname", "vdcfarm!auto_1",
    ]);
    expect(new Set(r.scheduled.map((s) => s.action))).toEqual(new Set(["install"]));
    const steps = planRun(r.state, templates).steps.map((s) => s.jobs.map((j) => `${j.service} ${j.action}`));
    expect(steps).toEqual([
      ["g8client!env init", "sshkey!main init", "vdcfarm!auto_1 init"],
      ["g8client!env install", "sshkey!main install", "vdc!vdcname init", "vdcfarm!auto_1 install"],
      ["node!demo init", "vdc!vdcname install"],
      ["node!demo install", "os!demo init"],
      ["node!docker init", "os!demo install"],
      ["node!docker install"],
    ]);
  });
});

describe("blueprints whose templates are not all in the samples", () => {
  it("bp05 (cockpit on ovc) fails on uservdc", ({ expect }) => {
    const err = failure(emptyRepository(), "bp05");
    expect(err.message).toBe("bp05_jscockpit_deploy_cockpit_on_ovc.yaml:10:1: uservdc__myLogin: unknown actor uservdc (no template named uservdc)");
  });

  it("bp12 (fake IT env) fails on node.physical, creating nothing", ({ expect }) => {
    const err = failure(emptyRepository(), "bp12");
    expect([err.key, err.line, err.reason]).toEqual(["node.physical__ovh4", 18, "unknown actor node.physical (no template named node.physical)"]);
  });

  it("bp13 (AYS 8.0 CI tests) fails on test_js8", ({ expect }) => {
    expect(failure(emptyRepository(), "bp13").message).toBe("bp13_ays80_js8_ci_tests.yaml:1:1: test_js8__main: unknown actor test_js8 (no template named test_js8)");
  });

  it("bp14 (AYS 8.0 github) fails on github_client", ({ expect }) => {
    expect(failure(emptyRepository(), "bp14").key).toBe("github_client__main");
  });

  it("bp16 (autosnapshotting) fails on autosnapshotting", ({ expect }) => {
    expect(failure(emptyRepository(), "bp16").reason).toBe("unknown actor autosnapshotting (no template named autosnapshotting)");
  });
});

describe("sample_repo2: consumption chain (bp06) and unknown actor (bp11)", () => {
  it("bp06 links datacenter <- repo2_template1 <- repo2_template2 and schedules install", ({ expect }) => {
    const r = run(emptyRepository(), "bp06");
    expect(r.created).toEqual(["datacenter!instance", "repo2_template1!instance", "repo2_template2!instance"]);
    const s = r.state.services;
    expect(s["repo2_template1!instance"]).toMatchObject({ producers: ["datacenter!instance"], consumers: ["repo2_template2!instance"] });
    // The blueprint key repo2_template1 normalises to the argname repo2Template1.
    expect(s["repo2_template2!instance"]).toMatchObject({ producers: ["repo2_template1!instance"], data: { repo2Template1: "instance", description: "description" } });
    expect(r.scheduled).toEqual([
      { key: "datacenter!instance", action: "install" },
      { key: "repo2_template1!instance", action: "install" },
      { key: "repo2_template2!instance", action: "install" },
    ]);
  });

  it("bp11 fails on nonexisting_service and does not create sshkey!main either", ({ expect }) => {
    const state = run(emptyRepository(), "bp06").state;
    const err = failure(state, "bp11");
    expect(err.message).toBe("bp11_INVALID_unknown_actor.yaml:3:1: nonexisting_service__instance: unknown actor nonexisting_service (no template named nonexisting_service)");
  });
});

describe("sample_repo_timeout (bp07) and sample_repo_recurring (bp08)", () => {
  it("bp07 schedules the custom actions firstact and secondact, with their 5 s timeouts", ({ expect }) => {
    const r = run(emptyRepository(), "bp07");
    expect(r.created).toEqual(["simpleactor!tservice"]);
    expect(r.scheduled).toEqual([
      { key: "simpleactor!tservice", action: "firstact" },
      { key: "simpleactor!tservice", action: "secondact" },
    ]);
    expect(r.state.services["simpleactor!tservice"]?.actions.firstact).toEqual({ name: "firstact", state: "scheduled", period: 0, timeout: 5, errorCount: 0, lastRun: null });
  });

  it("bp08 schedules install and the recurring execution_gt_period (period 60 s)", ({ expect }) => {
    const r = run(emptyRepository(), "bp08");
    expect(r.created).toEqual(["test_recurring_actions_1!instance"]);
    expect(r.scheduled.map((s) => s.action)).toEqual(["install", "execution_gt_period"]);
    expect(r.state.services["test_recurring_actions_1!instance"]?.actions.execution_gt_period).toMatchObject({ state: "scheduled", period: 60 });
  });
});

describe("sample_repo4: argument names (bp09, bp10)", () => {
  it("bp09 maps field.with.dot to fieldWithDot", ({ expect }) => {
    const r = run(emptyRepository(), "bp09");
    expect(r.created).toEqual(["sample1!argswithdot"]);
    expect(r.state.services["sample1!argswithdot"]?.data).toEqual({ field: "", fieldWithDot: "foo", fieldWithUnderscore: "" });
  });

  it("bp10 fails naming thisfielddoesntexsits, after bp09 in the same repository", ({ expect }) => {
    const state = run(emptyRepository(), "bp09").state;
    const err = failure(state, "bp10");
    expect(err.file).toBe("bp10_INVALID_unknown_arg.yaml");
    expect(err.key).toBe("sample1__argsnotpresent.thisfielddoesntexsits");
    expect(err.reason).toBe("unknown argument thisfielddoesntexsits (not in the schema of sample1)");
    expect([err.line, err.column]).toEqual([2, 5]);
  });
});

describe("sample_repo1: a parent from another blueprint (bp15)", () => {
  it("fails alone: the parent datacenter!ovh_germany1 is defined elsewhere", ({ expect }) => {
    const err = failure(emptyRepository(), "bp15");
    expect(err.message).toBe("bp15_parent_like_datacenter_cockpit.yaml:7:5: cockpit__cockpitv1.datacenter: parent datacenter!ovh_germany1 not found (needed by cockpit!cockpitv1)");
  });

  it("succeeds after the blueprint that defines ovh_germany1", ({ expect }) => {
    const other = parseBlueprint("bp_related0.yaml", "datacenter__ovh_germany1:\n  location: 'germany'\n");
    const state = executeBlueprint(emptyRepository(), templates, other).state;
    const r = run(state, "bp15");
    expect(r.created).toEqual(["datacenter!ovh_germany2", "cockpit!cockpitv1"]);
    expect(r.state.services["cockpit!cockpitv1"]).toMatchObject({ parent: "datacenter!ovh_germany1", data: { description: "cockpit v1", datacenter: "ovh_germany1" } });
    expect(r.state.services["datacenter!ovh_germany1"]?.children).toEqual(["cockpit!cockpitv1"]);
    expect(r.scheduled.map((s) => s.key)).toEqual(["cockpit!cockpitv1", "datacenter!ovh_germany1", "datacenter!ovh_germany2"]);
  });
});

describe("docs parent/child example (bp17)", () => {
  it("builds the datacenter -> rack tree", ({ expect }) => {
    const r = run(emptyRepository(), "bp17");
    const s = r.state.services;
    expect(r.created).toEqual(["datacenter!eu", "datacenter!us", "rack!storage1", "rack!storage2", "rack!cpu1", "rack!storage4"]);
    expect(s["rack!storage1"]?.parent).toBe("datacenter!eu");
    expect(s["rack!cpu1"]?.parent).toBe("datacenter!us");
    expect(s["datacenter!eu"]?.children).toEqual(["rack!storage1", "rack!storage2"]);
    expect(s["datacenter!us"]?.children).toEqual(["rack!cpu1", "rack!storage4"]);
    // A parent is also a producer.
    expect(s["rack!storage1"]?.producers).toEqual(["datacenter!eu"]);
    expect(s["datacenter!eu"]?.consumers).toEqual(["rack!storage1", "rack!storage2"]);
  });
});
