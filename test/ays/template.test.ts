import { describe, it } from "vitest";
import { AysError, DEFAULT_ACTIONS, DEFAULT_DEPENDENCIES, parseTemplate, scanJsActions, scanPyActions, templateNameFromFolder } from "../../src/ays/index.ts";
import { sampleTemplates, sourceTemplateNames, templateFolders } from "./samples.ts";

function errorOf(fn: () => unknown): AysError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AysError) return e;
    throw e;
  }
  throw new Error("expected an AysError");
}

describe("sample templates", () => {
  it("loads every AYS 8.2 sample folder and skips the HRD-only 8.0 ones", ({ expect }) => {
    const folders = templateFolders();
    expect(folders.filter((f) => f.hrdOnly).map((f) => f.folder)).toEqual(["tmpl07_ays80_github_repo", "tmpl08_ays80_sshkey"]);
    const names = [...sampleTemplates().keys()].sort();
    expect(names).toEqual([
      "cockpit", "datacenter", "g8client", "node.docker", "node.ovc", "os.ssh.ubuntu", "rack", "repo2_template1",
      "repo2_template2", "sample1", "simpleactor", "sshkey", "test_recurring_actions_1", "vdc", "vdcfarm",
    ]);
    // `sshkey` is the 8.2 template of tmpl12, not the skipped 8.0 tmpl08.
    expect(sampleTemplates().get("sshkey")?.schema.fields.map((f) => f.name)).toEqual(["keyPath", "keyName", "keyPassphrase", "keyPriv", "keyPub"]);
  });

  it("names templates after their original folder (SOURCES.md), which the prefix rule matches except for tmpl05 and tmpl06", ({ expect }) => {
    const mismatched = [...sourceTemplateNames()].filter(([folder, name]) => templateNameFromFolder(folder) !== name);
    expect(mismatched).toEqual([
      ["tmpl05_ays82_recurring_test", "test_recurring_actions_1"],
      ["tmpl06_ays82_timeouts_simpleactor", "simpleactor"],
    ]);
  });

  it("reads the vdc links: auto parent vdcfarm and three consume links", ({ expect }) => {
    const vdc = sampleTemplates().get("vdc");
    expect(vdc?.role).toBe("vdc");
    expect(vdc?.parent).toEqual({ role: "vdcfarm", argname: "vdcfarm", auto: true, optional: false, min: 1, max: 1 });
    expect(vdc?.consume).toEqual([
      { role: "uservdc", argname: "uservdc", min: 0, max: 100, auto: true, optional: true },
      { role: "account", argname: "account", min: 0, max: 1, auto: false, optional: true },
      { role: "g8client", argname: "g8client", min: 0, max: 100, auto: true, optional: true },
    ]);
    expect(vdc?.code).toBe("py");
  });

  it("coerces string min/max and defaults the parent argname to the role", ({ expect }) => {
    const t = sampleTemplates();
    expect(t.get("node.ovc")?.consume.find((c) => c.role === "sshkey")).toMatchObject({ min: 1, max: 100, auto: true });
    expect(t.get("node.docker")?.consume.find((c) => c.role === "sshkey")).toMatchObject({ min: 1, max: 1 });
    expect(t.get("node.docker")?.role).toBe("node");
    expect(t.get("rack")?.parent).toMatchObject({ role: "datacenter", argname: "datacenter", auto: false, optional: false });
    expect(t.get("repo2_template2")?.consume[0]).toMatchObject({ role: "repo2_template1", argname: "repo2Template1", min: 1 });
  });

  it("reads recurring periods and timeouts as seconds", ({ expect }) => {
    const t = sampleTemplates();
    expect(t.get("test_recurring_actions_1")?.recurring).toEqual([{ action: "execution_gt_period", period: 60, log: true }]);
    expect(t.get("simpleactor")?.timeouts).toEqual({ firstact: 5, secondact: 5 });
    expect(t.get("simpleactor")?.schema).toEqual({ fields: [] });
  });

  it("knows the default actions plus the def names of actions.py, without the _-suffixed helpers", ({ expect }) => {
    const t = sampleTemplates();
    expect(t.get("datacenter")?.actions).toEqual([...DEFAULT_ACTIONS]);
    expect(t.get("datacenter")?.code).toBe("none");
    expect(t.get("test_recurring_actions_1")?.actions).toEqual([...DEFAULT_ACTIONS, "execution_gt_period", "execute_hanging_job"]);
    expect(t.get("test_recurring_actions_1")?.actions).not.toContain("init_actions_");
    expect(t.get("g8client")?.actions.filter((a) => !DEFAULT_ACTIONS.includes(a))).toEqual([]);
  });

  it("overlays the init_actions_ dict of actions.py on the default dependency map", ({ expect }) => {
    const t = sampleTemplates();
    expect(t.get("test_recurring_actions_1")?.dependencies).toEqual({ ...DEFAULT_DEPENDENCIES, execution_gt_period: ["install"] });
    expect(t.get("simpleactor")?.dependencies.firstact).toEqual(["install"]);
    expect(t.get("simpleactor")?.dependencies.install).toEqual(["init"]);
    expect(t.get("datacenter")?.dependencies).toEqual(DEFAULT_DEPENDENCIES);
  });
});

describe("config.yaml validation", () => {
  it("refuses unknown keys, naming the file and the key", ({ expect }) => {
    const err = errorOf(() => parseTemplate("x", { config: "doc: {}\nrecuring: []\n" }, "templates/x"));
    expect(err.file).toBe("templates/x/config.yaml");
    expect(err.key).toBe("recuring");
    expect(err.message).toBe("templates/x/config.yaml:2:1: recuring: unknown key");
    expect(errorOf(() => parseTemplate("x", { config: "links:\n  parent:\n    role: a\n    atuo: true\n" })).key).toBe("links.parent.atuo");
  });

  it("names the key path and reason of bad values", ({ expect }) => {
    const cases: [string, string, RegExp][] = [
      ["links:\n  consume:\n  - role: disk\n    min: many\n", "links.consume[0].min", /expected a whole number/],
      ["links:\n  consume:\n  - role: disk\n    min: 3\n    max: 2\n", "links.consume[0].min", /min \(3\) is larger than max \(2\)/],
      ["recurring:\n- action: monitor\n  period: soon\n", "recurring[0].period", /invalid duration "soon"/],
      ["recurring:\n- action: dance\n  period: 1m\n", "recurring[0].action", /unknown action dance \(not an action of x\)/],
      ["timeouts:\n- install: 5x\n", "timeouts[0].install", /invalid duration/],
      ["timeouts:\n- install: 5s\n  start: 5s\n", "timeouts[0]", /one `action: duration` pair/],
      ["events:\n- channel: pigeon\n  actions: [monitor]\n", "events[0].channel", /expected one of all, telegram/],
      ["links:\n  parent:\n    auto: true\n", "links.parent.role", /expected string/],
      ["links: [{}, {}]\n", "links", /exactly one element/],
      ["egress: ['http://x.com/path']\n", "egress[0]", /expected a host name/],
      ["dependencies:\n  install: [warmup]\n", "dependencies.install", /unknown action warmup/],
    ];
    for (const [config, key, reason] of cases) {
      const err = errorOf(() => parseTemplate("x", { config }));
      expect(err.key, config).toBe(key);
      expect(err.reason, config).toMatch(reason);
    }
  });

  it("accepts links as a one-element list, the retry and egress additions, and a config dependency map", ({ expect }) => {
    const t = parseTemplate("app.web", {
      config: [
        "links:",
        "- parent: {role: host, optional: 'True'}",
        "  consume: [{role: db, argname: database, min: '1', max: '2'}]",
        "retry: {delays: [10s, 1m, '5']}",
        "egress: [api.example.com, '*.example.org:8443']",
        "dependencies:",
        "  start: [install, warmup]",
        "  warmup: [install]",
        "events:",
        "- {channel: telegram, command: restart, actions: 'stop, start', secrets: s3cret}",
      ].join("\n"),
    });
    expect(t.role).toBe("app");
    expect(t.parent).toEqual({ role: "host", argname: "host", auto: false, optional: true, min: 0, max: 1 });
    expect(t.consume).toEqual([{ role: "db", argname: "database", min: 1, max: 2, auto: false, optional: false }]);
    expect(t.retry).toEqual({ delays: [10, 60, 5] });
    expect(t.egress).toEqual(["api.example.com", "*.example.org:8443"]);
    expect(t.dependencies.start).toEqual(["install", "warmup"]);
    expect(t.actions).toContain("warmup");
    expect(t.events).toEqual([{ channel: "telegram", command: "restart", actions: ["stop", "start"], secrets: ["s3cret"] }]);
  });

  it("defaults consume min to 0 and max to 1 when the template leaves them out", ({ expect }) => {
    const t = parseTemplate("x", { config: "links:\n  consume:\n  - role: disk\n" });
    expect(t.consume).toEqual([{ role: "disk", argname: "disk", min: 0, max: 1, auto: false, optional: true }]);
  });

  it("reports YAML syntax errors in config.yaml with line and column", ({ expect }) => {
    const err = errorOf(() => parseTemplate("x", { config: "links:\n  parent: [role\n" }, "tmpl/x"));
    expect(err.file).toBe("tmpl/x/config.yaml");
    expect(err.line).toBeGreaterThan(1);
    expect(err.reason).toMatch(/^invalid YAML/);
  });

  it("refuses a cycle in the action dependency map", ({ expect }) => {
    const err = errorOf(() => parseTemplate("x", { config: "dependencies:\n  init: [start]\n" }));
    expect(err.reason).toBe("action dependency cycle: init -> start -> install -> init");
  });

  it("refuses names that would break blueprint keys", ({ expect }) => {
    expect(errorOf(() => parseTemplate("a__b", { config: "" })).reason).toMatch(/invalid template name/);
  });
});

describe("actions.js", () => {
  it("finds exported functions, async functions, arrow consts and export lists", ({ expect }) => {
    const scan = scanJsActions(`
      import { helper } from "./lib.js"; // ignored
      export function install(job) { const s = "export function notThis() {}"; }
      export async function start(job) { /* export function norThis() {} */ }
      export const monitor = async (job) => { return \`export function \${job} {}\`; };
      const backup = function (job) {};
      const snap = (job) => job;
      export { backup, snap as snapshot };
      export const VERSION = "1.0";
      export default function (job) {}
      function inner() { return /export function x/.test("y") ? 1 : 2 / 3; }
    `);
    expect(scan.actions).toEqual(["install", "start", "monitor", "backup", "snapshot"]);
  });

  it("is not fooled by nested template literals, regex literals or compact export lists", ({ expect }) => {
    const scan = scanJsActions([
      "const a = (job) => `outer ${`inner ${job} } export function fake1() {`} }`;",
      "const re = /[/]export function fake2() {}/g, half = 10 / 2 / 1;",
      "const exporter = 1;",
      "export{a as reboot}",
      "export const heal = async job => job;",
    ].join("\n"));
    expect(scan.actions).toEqual(["reboot", "heal"]);
  });

  it("reads `export const dependencies` as the dependency map", ({ expect }) => {
    const scan = scanJsActions(`
      export const dependencies = {
        // start needs install (comment kept out of the literal)
        install: ["init"], backup: ['install'],
      };
      export function backup(job) {}
    `);
    expect(scan.dependencies).toEqual({ install: ["init"], backup: ["install"] });
    expect(scan.actions).toEqual(["backup"]);
  });

  it("lets config.yaml dependencies win over the actions.js map, and js win over py", ({ expect }) => {
    const t = parseTemplate("x", {
      config: "dependencies:\n  backup: [start]\n",
      actionsJs: 'export const dependencies = { backup: ["install"] };\nexport function backup(job) {}\n',
      actionsPy: "def other(job):\n    pass\n",
    });
    expect(t.code).toBe("js");
    expect(t.dependencies.backup).toEqual(["start"]);
    expect(t.actions).toContain("backup");
    expect(t.actions).not.toContain("other");
  });

  it("refuses module shapes it cannot read safely", ({ expect }) => {
    expect(() => scanJsActions('export * from "./other.js";')).toThrow(/export \* is not supported/);
    expect(() => scanJsActions('export { a } from "./other.js";')).toThrow(/re-exports/);
    expect(() => scanJsActions("export const dependencies = makeDeps();")).toThrow(/object literal/);
    expect(() => scanJsActions("export function x() { return 'open; }")).toThrow(/actions\.js:1:\d+: syntax error: Unterminated string constant/);
  });
});

describe("actions.py", () => {
  it("reads only top-level def names", ({ expect }) => {
    const scan = scanPyActions([
      "from JumpScale import j",
      "def install(job):",
      "    def nested(x):",
      "        pass",
      '    """',
      "def not_an_action(job):",
      '    """',
      "async def monitor(job):",
      "    pass",
      "# def commented(job):",
      "def action_pre_(job):",
      "    pass",
    ].join("\n"));
    expect(scan.actions).toEqual(["install", "monitor"]);
  });

  it("ignores an init_actions_ that computes its map instead of returning a literal", ({ expect }) => {
    const scan = scanPyActions("def init_actions_(service, args):\n    deps = dict(ACTION_DEPS)\n    return deps\n");
    expect(scan.dependencies).toBeUndefined();
  });

  it("refuses AYS 8.0 class-based actions", ({ expect }) => {
    const py = templateFolders().find((f) => f.folder.startsWith("tmpl08"))?.files.actionsPy ?? "";
    expect(() => scanPyActions(py, "tmpl08/actions.py")).toThrow(/tmpl08\/actions\.py:4: class-based actions/);
  });
});

describe("per-action settings in config.yaml", () => {
  it("turns max_repeats_if_failed and time_between_repeats into that action's retry delays", ({ expect }) => {
    const t = parseTemplate("proc", { config: "actions:\n  install:\n    max_repeats_if_failed: 3\n    time_between_repeats: 2m\n  start:\n    max_repeats_if_failed: 2\n" });
    expect(t.actionSettings).toEqual({ install: { delays: [120, 120, 120] }, start: { delays: [10, 30] } });
  });

  it("reads error_codes, max_parallel and max_storage_hours, leaving the retry table alone without retry keys", ({ expect }) => {
    const config = "actions:\n  install:\n    error_codes: [timeout, ECONNRESET, 503]\n    max_parallel: 2\n    max_storage_hours: 1.5\n";
    expect(parseTemplate("proc", { config }).actionSettings).toEqual({
      install: { errorCodes: ["timeout", "ECONNRESET", "503"], maxParallel: 2, storageHours: 1.5 },
    });
  });

  it("refuses settings for an unknown action, unknown settings and bad values, naming the key", ({ expect }) => {
    expect(() => parseTemplate("proc", { config: "actions:\n  nosuch:\n    max_repeats_if_failed: 1\n" })).toThrow(/actions\.nosuch/);
    expect(() => parseTemplate("proc", { config: "actions:\n  install:\n    max_paralel: 2\n" })).toThrow(/max_paralel: unknown key/);
    expect(() => parseTemplate("proc", { config: "actions:\n  install:\n    max_parallel: 0\n" })).toThrow(/actions\.install\.max_parallel: at least 1/);
    expect(() => parseTemplate("proc", { config: "actions:\n  install:\n    error_codes: []\n" })).toThrow(/error_codes: list at least one error code/);
    expect(() => parseTemplate("proc", { config: "actions:\n  install:\n    max_storage_hours: -1\n" })).toThrow(/max_storage_hours: must be more than 0/);
  });
});
