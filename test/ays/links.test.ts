import { describe, it } from "vitest";
import { emptyRepository, executeBlueprint, parseBlueprint } from "../../src/ays/index.ts";
import type { RepositoryState, TemplateIndex } from "../../src/ays/index.ts";
import { aysErrorOf, index, tmpl } from "./helpers.ts";
import { sampleTemplates } from "./samples.ts";

function exec(templates: TemplateIndex, content: string, state: RepositoryState = emptyRepository(), name = "links.yaml") {
  return executeBlueprint(state, templates, parseBlueprint(name, content));
}

describe("parents", () => {
  const samples = sampleTemplates();

  it("auto-creates the parent vdcfarm!auto_1 for a vdc (bp02's vdc, after bp01)", ({ expect }) => {
    const state = exec(samples, "g8client__env:\n  login: me\n").state;
    const r = exec(samples, "vdc__vdcname:\n  g8client: env\n  location: here\n", state);
    expect(r.created).toEqual(["vdc!vdcname", "vdcfarm!auto_1"]);
    expect(r.state.services["vdc!vdcname"]?.parent).toBe("vdcfarm!auto_1");
  });

  it("numbers auto-created services with the smallest free number", ({ expect }) => {
    const t = index(tmpl("farm", { config: "" }), tmpl("vm", { config: "links:\n  parent: {role: farm, auto: true}\n" }));
    const state = exec(t, "farm__auto_2:\nfarm__other:\n").state;
    // Two farms exist and none is named: ambiguous, so an error rather than a guess.
    expect(aysErrorOf(() => exec(t, "vm__a:\n", state)).reason).toBe("ambiguous parent for vm!a: 2 services of role farm (farm!auto_2, farm!other); name one with farm");
    const r = exec(t, "vm__a:\n");
    expect(r.created).toEqual(["vm!a", "farm!auto_1"]);
    const one = exec(t, "farm__auto_1:\n", emptyRepository());
    expect(exec(index(tmpl("farm", { config: "" }), tmpl("vm", { config: "links:\n  consume: [{role: farm, auto: true, min: 2, max: 3}]\n" })), "vm__a:\n", one.state).created).toEqual(["vm!a", "farm!auto_2"]);
  });

  it("leaves an optional parent empty when there is none", ({ expect }) => {
    const t = index(tmpl("host", { config: "" }), tmpl("app", { config: "links:\n  parent: {role: host, optional: true}\n" }));
    expect(exec(t, "app__a:\n").state.services["app!a"]?.parent).toBeNull();
  });

  it("refuses a missing required parent that is not auto", ({ expect }) => {
    const err = aysErrorOf(() => exec(samples, "rack__r1:\n  location: room1\n"));
    expect(err.message).toBe("links.yaml:1:1: rack__r1: missing parent datacenter for rack!r1");
  });

  it("refuses a named parent that does not exist, even when the link is auto", ({ expect }) => {
    const err = aysErrorOf(() => exec(samples, "vdc__v:\n  vdcfarm: nope\n"));
    expect(err.message).toBe("links.yaml:2:3: vdc__v.vdcfarm: parent vdcfarm!nope not found (needed by vdc!v)");
  });

  it("finds parents by role, whatever the actor name (node.ovc is a node)", ({ expect }) => {
    const state = exec(samples, "datacenter__d:\n").state;
    const r = exec(samples, "node.ovc__vm:\n  vdc: v\nvdc__v:\n  location: x\nos.ssh.ubuntu__os1:\n  node: vm\nsshkey__k:\n", state);
    expect(r.state.services["os!os1"]?.parent).toBe("node!vm");
    expect(r.state.services["node!vm"]?.children).toEqual(["os!os1"]);
  });

  it("resolves links after all entries exist, so the order inside a blueprint does not matter", ({ expect }) => {
    const r = exec(samples, "rack__r1:\n  datacenter: eu\ndatacenter__eu:\n");
    expect(r.state.services["rack!r1"]?.parent).toBe("datacenter!eu");
  });

  it("lets auto-created services resolve their own links", ({ expect }) => {
    const t = index(
      tmpl("region", { config: "" }),
      tmpl("zone", { config: "links:\n  parent: {role: region, auto: true}\n" }),
      tmpl("host", { config: "links:\n  parent: {role: zone, auto: true}\n" }),
    );
    const r = exec(t, "host__h1:\n");
    expect(r.created).toEqual(["host!h1", "zone!auto_1", "region!auto_1"]);
    expect(r.state.services["zone!auto_1"]).toMatchObject({ parent: "region!auto_1", children: ["host!h1"], blueprint: "links.yaml" });
  });

  it("reuses services created on the way, so templates that consume each other terminate", ({ expect }) => {
    const t = index(
      tmpl("a", { config: "links:\n  consume: [{role: b, auto: true, min: 1}]\n" }),
      tmpl("b", { config: "links:\n  consume: [{role: c, auto: true, min: 1}]\n" }),
      tmpl("c", { config: "links:\n  consume: [{role: a, auto: true, min: 2, max: 2}]\n" }),
    );
    const r = exec(t, "a__x:\n");
    expect(r.created).toEqual(["a!x", "b!auto_1", "c!auto_1", "a!auto_1"]);
    expect(r.state.services["c!auto_1"]?.producers).toEqual(["a!x", "a!auto_1"]);
    expect(r.state.services["a!auto_1"]?.producers).toEqual(["b!auto_1"]);
  });

  it("stops runaway auto-creation", ({ expect }) => {
    const t = index(tmpl("a", { config: "links:\n  consume: [{role: a, auto: true, min: 20, max: 20}]\n" }));
    expect(aysErrorOf(() => exec(t, "a__x:\n")).reason).toMatch(/^auto-creation nested more than 16 levels deep at a!auto_16 \(auto-created for a!x\)/);
  });

  it("refuses to auto-create a role that has no template of that exact name", ({ expect }) => {
    const t = index(tmpl("node.ovc", { config: "" }), tmpl("os", { config: "links:\n  parent: {role: node, auto: true}\n" }));
    expect(aysErrorOf(() => exec(t, "os__o:\n")).reason).toBe("cannot auto-create a node for os!o: no template named node");
  });
});

describe("consumption", () => {
  const samples = sampleTemplates();
  const t = index(
    tmpl("db", { config: "" }),
    tmpl("cache", { config: "" }),
    tmpl("app", { config: "links:\n  consume:\n  - {role: db, min: 1, max: 2}\n  - {role: cache, argname: caches, min: 2, max: 3, auto: true}\n" }),
  );

  it("links named producers on both sides", ({ expect }) => {
    const state = exec(t, "db__d1:\ndb__d2:\ncache__c1:\ncache__c2:\n").state;
    const r = exec(t, "app__a:\n  db: [d2, d1]\n  caches: [c1, c2]\n", state);
    expect(r.state.services["app!a"]?.producers).toEqual(["db!d2", "db!d1", "cache!c1", "cache!c2"]);
    expect(r.state.services["db!d1"]?.consumers).toEqual(["app!a"]);
    expect(r.created).toEqual(["app!a"]);
  });

  it("refuses more producers than max", ({ expect }) => {
    const state = exec(t, "db__d1:\ndb__d2:\ndb__d3:\n").state;
    const err = aysErrorOf(() => exec(t, "app__a:\n  db: [d1, d2, d3]\n", state));
    expect(err.message).toBe("links.yaml:2:3: app__a.db: too many services of role db for app!a: 3 given, maximum is 2");
  });

  it("fills a non-auto link up to min with existing services of the role", ({ expect }) => {
    const state = exec(t, "db__d2:\ndb__d1:\ncache__c1:\ncache__c2:\n").state;
    const r = exec(t, "app__a:\n", state);
    expect(r.state.services["app!a"]?.producers).toEqual(["db!d1", "cache!c1", "cache!c2"]);
  });

  it("refuses a non-auto link below min, with AYS's message", ({ expect }) => {
    const err = aysErrorOf(() => exec(samples, "repo2_template1__x:\n"));
    expect(err.message).toBe("links.yaml:1:1: repo2_template1__x: Minimum number of services required of role datacenter is 1 and only 0 are available for repo2_template1!x");
  });

  it("auto-creates producers to reach min", ({ expect }) => {
    const state = exec(t, "db__d1:\ncache__c1:\n").state;
    const r = exec(t, "app__a:\n", state);
    expect(r.created).toEqual(["app!a", "cache!auto_1"]);
    expect(r.state.services["app!a"]?.producers).toEqual(["db!d1", "cache!c1", "cache!auto_1"]);
  });

  it("refuses a named producer that does not exist", ({ expect }) => {
    const err = aysErrorOf(() => exec(samples, "sshkey__main:\nnode.ovc__vm:\n  sshkey: mian\n"));
    expect(err.message).toBe("links.yaml:3:3: node.ovc__vm.sshkey: producer sshkey!mian not found (needed by node!vm)");
  });

  it("leaves the input state untouched when a later entry fails", ({ expect }) => {
    const state = exec(t, "db__d1:\n").state;
    const before = structuredClone(state);
    aysErrorOf(() => exec(t, "cache__c9:\napp__a:\n  db: [d1, d7]\n", state));
    expect(state).toEqual(before);
  });
});
