import { describe, it } from "vitest";
import { emptyRepository, executeBlueprint, parseBlueprint } from "../../src/ays/index.ts";
import type { RepositoryState, TemplateIndex } from "../../src/ays/index.ts";
import { aysErrorOf, index, tmpl } from "./helpers.ts";
import { sampleTemplates } from "./samples.ts";

const typed = tmpl("typed", {
  schema: `struct Schema {
    name @0 :Text;
    port @1 :Int64 = 443;
    small @2 :Int32;
    ratio @3 :Float64 = 1.5;
    enabled @4 :Bool = true;
    tags @5 :List(Text);
    sizes @6 :List(Int64) = [1, 2];
    count @7 :UInt64;
  }`,
  config: "links:\n  consume:\n  - role: peer\n    argname: peers\n    max: 10\n",
});
const peer = tmpl("peer", { config: "" });
const templates = index(typed, peer);

function exec(content: string, state: RepositoryState = emptyRepository(), t: TemplateIndex = templates) {
  return executeBlueprint(state, t, parseBlueprint("args.yaml", content));
}

describe("blueprint arguments", () => {
  it("fills missing arguments with schema defaults, else the type's zero value", ({ expect }) => {
    const r = exec("typed__a:\n");
    expect(r.state.services["typed!a"]?.data).toEqual({ name: "", port: 443, small: 0, ratio: 1.5, enabled: true, tags: [], sizes: [1, 2], count: 0 });
  });

  it("coerces values the way a capnp builder accepts them", ({ expect }) => {
    const r = exec("typed__a:\n  name: 42\n  port: '8080'\n  ratio: '2.5'\n  enabled: 'no'\n  tags: solo\n  sizes: ['3', 4]\n");
    expect(r.state.services["typed!a"]?.data).toMatchObject({ name: "42", port: 8080, ratio: 2.5, enabled: false, tags: ["solo"], sizes: [3, 4] });
  });

  it("treats an empty argument as not given", ({ expect }) => {
    expect(exec("typed__a:\n  port:\n").state.services["typed!a"]?.data.port).toBe(443);
  });

  it("refuses values that do not fit the field type, naming the argument", ({ expect }) => {
    const cases: [string, string, RegExp][] = [
      ["typed__a:\n  port: eighty\n", "typed__a.port", /expected an integer \(Int64\), got string "eighty"/],
      ["typed__a:\n  port: 1.5\n", "typed__a.port", /expected an integer/],
      ["typed__a:\n  small: 3000000000\n", "typed__a.small", /outside the range of Int32/],
      ["typed__a:\n  count: -1\n", "typed__a.count", /outside the range of UInt64/],
      ["typed__a:\n  enabled: maybe\n", "typed__a.enabled", /expected true or false/],
      ["typed__a:\n  name: [a, b]\n", "typed__a.name", /expected a single Text value, got a list/],
      ["typed__a:\n  name: {a: 1}\n", "typed__a.name", /expected text, got a mapping/],
      ["typed__a:\n  sizes: [1, x]\n", "typed__a.sizes", /item 1: expected an integer/],
      ["typed__a:\n  peers: {a: 1}\n", "typed__a.peers", /expected an instance name or a list of instance names/],
    ];
    for (const [content, key, reason] of cases) {
      const err = aysErrorOf(() => exec(content));
      expect(err.key, content).toBe(key);
      expect(err.reason, content).toMatch(reason);
      expect(err.line, content).toBe(2);
    }
  });

  it("accepts link argnames that are not schema fields, and keeps them out of the data", ({ expect }) => {
    const state = exec("peer__p1:\npeer__p2:\n").state;
    const r = exec("typed__a:\n  peers: [p1, p2]\n", state);
    expect(r.state.services["typed!a"]?.producers).toEqual(["peer!p1", "peer!p2"]);
    expect(r.state.services["typed!a"]?.data).not.toHaveProperty("peers");
  });

  it("refuses arguments that are neither schema fields nor link names", ({ expect }) => {
    const err = aysErrorOf(() => exec("typed__a:\n  colour: red\n"));
    expect(err.message).toBe("args.yaml:2:3: typed__a.colour: unknown argument colour (not in the schema of typed)");
  });

  it("refuses the same service declared twice through different actor names", ({ expect }) => {
    const t = sampleTemplates();
    const err = aysErrorOf(() => executeBlueprint(emptyRepository(), t, parseBlueprint("twice.yaml", "node.ovc__x:\nnode.docker__x:\n")));
    expect(err.key).toBe("node.docker__x");
    expect(err.reason).toBe("declares service node!x again (already declared by node.ovc__x)");
  });

  it("refuses a blueprint that re-declares an existing service with another actor of the role", ({ expect }) => {
    const t = index(tmpl("node.a", { config: "" }), tmpl("node.b", { config: "" }));
    const state = executeBlueprint(emptyRepository(), t, parseBlueprint("a.yaml", "node.a__x:\n")).state;
    const err = aysErrorOf(() => executeBlueprint(state, t, parseBlueprint("b.yaml", "node.b__x:\n")));
    expect(err.message).toBe("b.yaml:1:1: node.b__x: service node!x already exists with actor node.a; one role!instance can only be one service");
  });
});

describe("re-executing blueprints", () => {
  const t = sampleTemplates();
  const bp1 = parseBlueprint("dc.yaml", "datacenter__eu:\n  location: Europe\nrack__r1:\n  datacenter: eu\n  location: room1\nactions:\n  - action: install\neventfilters:\n  - actor: rack\n    channel: telegram\n    actions: [monitor]\n");

  it("changes nothing when the blueprint is unchanged", ({ expect }) => {
    const first = executeBlueprint(emptyRepository(), t, bp1);
    const second = executeBlueprint(first.state, t, bp1);
    expect(second.state).toEqual(first.state);
    expect(second).toMatchObject({ created: [], changed: [], scheduled: [], warnings: [] });
    expect(second.state.services["rack!r1"]?.eventFilters).toEqual([{ channel: "telegram", actions: ["monitor"] }]);
  });

  it("updates changed arguments and schedules processChange with them", ({ expect }) => {
    const first = executeBlueprint(emptyRepository(), t, bp1);
    const edited = parseBlueprint("dc.yaml", "datacenter__eu:\n  location: Europa\n  description: main\nrack__r1:\n  datacenter: eu\n  location: room1\n");
    const r = executeBlueprint(first.state, t, edited);
    expect(r.created).toEqual([]);
    expect(r.changed).toEqual([{ key: "datacenter!eu", args: { location: "Europa", description: "main" } }]);
    expect(r.scheduled).toEqual([{ key: "datacenter!eu", action: "processChange" }]);
    const dc = r.state.services["datacenter!eu"];
    expect(dc?.data).toEqual({ location: "Europa", description: "main" });
    expect(dc?.actions.processChange).toMatchObject({ state: "scheduled", args: { changeCategory: "dataschema", location: "Europa", description: "main" } });
    // The rack was named again with the same arguments: untouched.
    expect(r.state.services["rack!r1"]).toEqual(first.state.services["rack!r1"]);
  });

  it("accumulates the arguments of several changes before processChange runs", ({ expect }) => {
    const a = executeBlueprint(emptyRepository(), t, parseBlueprint("dc.yaml", "datacenter__eu:\n  location: A\n"));
    const b = executeBlueprint(a.state, t, parseBlueprint("dc.yaml", "datacenter__eu:\n  location: B\n"));
    const c = executeBlueprint(b.state, t, parseBlueprint("dc.yaml", "datacenter__eu:\n  description: D\n"));
    expect(c.state.services["datacenter!eu"]?.actions.processChange?.args).toEqual({ changeCategory: "dataschema", location: "B", description: "D" });
    expect(c.scheduled).toEqual([]);
  });

  it("warns that a changed link argument does not move the service", ({ expect }) => {
    const first = executeBlueprint(emptyRepository(), t, parseBlueprint("a.yaml", "datacenter__eu:\ndatacenter__us:\nrack__r1:\n  datacenter: eu\n"));
    const r = executeBlueprint(first.state, t, parseBlueprint("b.yaml", "rack__r1:\n  datacenter: us\n"));
    expect(r.warnings).toEqual(["rack!r1: datacenter changed, but links are set when a service is created; rack!r1 keeps its parent and producers"]);
    expect(r.state.services["rack!r1"]?.parent).toBe("datacenter!eu");
  });
});
