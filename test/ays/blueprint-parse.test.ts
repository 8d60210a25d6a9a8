import { describe, it } from "vitest";
import { parseBlueprint } from "../../src/ays/index.ts";
import { aysErrorOf } from "./helpers.ts";
import { blueprintFile, sampleBlueprints } from "./samples.ts";

describe("blueprint parsing", () => {
  it("parses every sample blueprint's format", ({ expect }) => {
    const names = [...sampleBlueprints().keys()];
    expect(names.length).toBe(17);
    for (const [name, content] of sampleBlueprints()) expect(parseBlueprint(name, content).name).toBe(name);
  });

  it("splits keys at the first __ and keeps args as written, with positions", ({ expect }) => {
    const { name, content } = blueprintFile("bp02");
    const bp = parseBlueprint(name, content);
    expect(bp.services.map((s) => [s.actor, s.instance, s.line, s.column])).toEqual([
      ["vdc", "vdcname", 2, 1],
      ["sshkey", "main", 9, 1],
      ["node.ovc", "demo", 14, 1],
      ["os.ssh.ubuntu", "demo", 24, 1],
    ]);
    expect(bp.services[1]?.args).toEqual({});
    expect(bp.services[2]?.args).toEqual({ "bootdisk.size": 50, memory: 2, "os.image": "Ubuntu 16.04 x64", ports: ["22:2210"], sshkey: "main" });
    expect(bp.positions["node.ovc__demo.memory"]).toEqual({ line: 16, column: 5 });
    expect(parseBlueprint("x.yaml", "repo2_template1__my__inst:\n").services[0]).toMatchObject({ actor: "repo2_template1", instance: "my__inst" });
  });

  it("reads actions with actor filter, recurring period and comma-separated names", ({ expect }) => {
    const { name, content } = blueprintFile("bp16");
    expect(parseBlueprint(name, content).actions).toEqual([
      { actions: ["install"], force: false },
      { actions: ["snapshot"], actor: "autosnapshotting", recurring: 86400, force: false },
      { actions: ["cleanup"], actor: "autosnapshotting", recurring: 43200, force: false },
    ]);
    const bp = parseBlueprint("x.yaml", "actions:\n  - action: 'stop, start'\n    service: web1\n    force: true\n");
    expect(bp.actions).toEqual([{ actions: ["stop", "start"], service: "web1", force: true }]);
  });

  it("reads eventfilters with the default channel", ({ expect }) => {
    const bp = parseBlueprint("x.yaml", "eventfilters:\n  - actor: node.ovc\n    command: reboot\n    secret: s\n    actions: [stop, start]\n  - actions: monitor\n    channel: telegram\n");
    expect(bp.eventfilters).toEqual([
      { actor: "node.ovc", channel: "all", command: "reboot", secret: "s", actions: ["stop", "start"] },
      { channel: "telegram", actions: ["monitor"] },
    ]);
  });

  it("treats an empty blueprint as one with nothing in it", ({ expect }) => {
    expect(parseBlueprint("empty.yaml", "# nothing\n")).toMatchObject({ services: [], actions: [], eventfilters: [] });
  });

  it("reports YAML syntax errors with line and column", ({ expect }) => {
    const err = aysErrorOf(() => parseBlueprint("broken.yaml", "node__a:\n  ports: [22\nnode__b:\n"));
    expect(err.file).toBe("broken.yaml");
    expect([err.line, err.column]).toEqual([3, 1]);
    expect(err.reason).toMatch(/^invalid YAML: /);
    expect(err.message).toMatch(/^broken\.yaml:3:1: invalid YAML: /);
    const dup = aysErrorOf(() => parseBlueprint("dup.yaml", "node__a:\nnode__a:\n"));
    expect([dup.line, dup.reason]).toEqual([2, "invalid YAML: Map keys must be unique"]);
  });

  it("keeps duplicate keys an error at the exact line and column, at any depth and size", ({ expect }) => {
    const nested = aysErrorOf(() => parseBlueprint("dup.yaml", "node__a:\n  memory: 2\n  disks:\n    - size: 1\n      size: 2\n"));
    expect([nested.line, nested.column, nested.reason]).toEqual([5, 7, "invalid YAML: Map keys must be unique"]);
    const flow = aysErrorOf(() => parseBlueprint("dup.yaml", "node__a: {memory: 2, cpu: 1, memory: 3}\n"));
    expect([flow.line, flow.column]).toEqual([1, 30]);
    // `1` and "1" become the same JS property, so they collide too.
    const numeric = aysErrorOf(() => parseBlueprint("dup.yaml", "node__a:\n  1: x\n  '1': y\n"));
    expect([numeric.line, numeric.column]).toEqual([3, 3]);
    // The last of 10,000 entries repeats the first: found, and pointed at, without a quadratic scan.
    const lines = Array.from({ length: 10_000 }, (_, i) => `node__s${i}:\n  label: 'service ${i}'`);
    const big = aysErrorOf(() => parseBlueprint("big.yaml", `${lines.join("\n")}\nnode__s0:\n`));
    expect([big.line, big.column, big.message]).toEqual([20_001, 1, "big.yaml:20001:1: invalid YAML: Map keys must be unique"]);
    // The same keys in different mappings are not duplicates.
    expect(parseBlueprint("ok.yaml", "node__a:\n  size: 1\nnode__b:\n  size: 1\n  disks: [{size: 1}, {size: 2}]\n").services.length).toBe(2);
  });

  it("refuses keys without __, naming the key", ({ expect }) => {
    const err = aysErrorOf(() => parseBlueprint("bad.yaml", "sshkey__main:\nvdcfarm_cockpit:\n  a: 1\n"));
    expect(err.message).toBe("bad.yaml:2:1: vdcfarm_cockpit: Key in blueprint is not right format, needs to be $actorname__$instance");
  });

  it("refuses instance names that are not alphanumeric after removing - _ .", ({ expect }) => {
    expect(parseBlueprint("ok.yaml", "github_account__0-complexity:\ngithub_account__g8.os_x:\n").services.length).toBe(2);
    const err = aysErrorOf(() => parseBlueprint("bad.yaml", "node__my host:\n"));
    expect(err.key).toBe("node__my host");
    expect(err.reason).toMatch(/Service instance name should be digits or alphanumeric/);
    expect(aysErrorOf(() => parseBlueprint("bad.yaml", "node__:\n")).reason).toMatch(/invalid instance name/);
    expect(aysErrorOf(() => parseBlueprint("bad.yaml", "__x:\n")).reason).toMatch(/invalid actor name/);
  });

  it("refuses malformed actions and eventfilters entries", ({ expect }) => {
    const cases: [string, string, RegExp][] = [
      ["actions:\n  - actor: node\n", "actions[0]", /need to specify action\./],
      ["actions:\n  - action: ''\n", "actions[0]", /need to specify action\./],
      ["actions: install\n", "actions", /should be a list/],
      ["actions:\n  - action: install\n    recurring: often\n", "actions[0].recurring", /invalid duration/],
      ["actions:\n  - action: install\n    forse: true\n", "actions[0].forse", /unknown key/],
      ["actions:\n  - action: install\n    force: 'yes'\n", "actions[0].force", /expected true or false/],
      ["eventfilters:\n  - channel: pigeon\n    actions: [x]\n", "eventfilters[0].channel", /unknown channel "pigeon"/],
      ["eventfilters:\n  - channel: email\n", "eventfilters[0].actions", /need to specify the actions/],
      ["node__a: [1, 2]\n", "node__a", /arguments must be a mapping/],
      ["node__a:\n  bootdisk.size: 1\n  bootdisk_size: 2\n", "node__a.bootdisk_size", /are the same argument bootdiskSize/],
      ["- node__a\n", "", /must be a mapping/],
    ];
    for (const [content, key, reason] of cases) {
      const err = aysErrorOf(() => parseBlueprint("bad.yaml", content));
      expect(err.key ?? "", content).toBe(key);
      expect(err.reason, content).toMatch(reason);
    }
  });
});
