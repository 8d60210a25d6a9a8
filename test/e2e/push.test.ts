/**
 * `cockpit push` against a running Cockpit (wrangler dev): a repository folder on disk is checked,
 * stored, executed and run, as an operator does it from a laptop. No browser involved.
 */
import { copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { cockpit, SAMPLES } from "../cli/run-cli.ts";

const e2e = inject("e2e");
const auth = ["--url", e2e.base, "--token", e2e.token];

async function api(path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(e2e.base + path, { headers: { authorization: `Bearer ${e2e.token}` } });
  return { status: res.status, body: await res.json() };
}

/** A repository folder named `name` with the given blueprints, and its own templates if any. */
async function folder(name: string, blueprints: Record<string, string>, templates: Record<string, Record<string, string>> = {}): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), "cockpit-push-")), name);
  await mkdir(join(dir, "blueprints"), { recursive: true });
  for (const [file, content] of Object.entries(blueprints)) await writeFile(join(dir, "blueprints", file), content);
  for (const [template, files] of Object.entries(templates)) {
    await mkdir(join(dir, "actorTemplates", template), { recursive: true });
    for (const [file, content] of Object.entries(files)) await writeFile(join(dir, "actorTemplates", template, file), content);
  }
  return dir;
}

const SCHEMA = "@0xd1a2b3c4d5e6f709;\nstruct Schema {\n  greeting @0 :Text;\n}\n";

describe("cockpit push", () => {
  it("refuses an invalid folder before sending anything", async () => {
    const dir = await folder("pushbad", {});
    await copyFile(join(SAMPLES, "bp10_INVALID_unknown_arg.yaml"), join(dir, "blueprints", "bp10.yaml"));
    const res = await cockpit(["push", dir, "--templates", SAMPLES, ...auth]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("thisfielddoesntexsits");
    expect(res.stderr).toContain("nothing was sent");
    expect((await api("/ays/repository/pushbad")).status).toBe(404);
  });

  it("stores the templates the blueprints use and the blueprints, and shows the run it would start", async () => {
    const dir = await folder("pushchain", {});
    await copyFile(join(SAMPLES, "bp06_consumption_chain.yaml"), join(dir, "blueprints", "bp06.yaml"));
    const res = await cockpit(["push", dir, "--templates", SAMPLES, "--simulate", ...auth]);
    expect(res.stderr.replace(/^warning: .*\n/gm, "")).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("repository pushchain: created");
    expect(res.stdout).toContain("blueprint bp06.yaml created");
    expect(res.stdout).toMatch(/run \S+ \(simulated\): 4 steps, 6 jobs/);
    // Only what the blueprint uses goes up, not the whole template library.
    const templates = (await api("/ays/repository/pushchain/template")).body as { name: string }[];
    expect(templates.map((t) => t.name).sort()).toEqual(["datacenter", "repo2_template1", "repo2_template2"]);
  });

  it("runs the repository and follows the run to its end; pushed again, it updates and has nothing to run", async () => {
    const dir = await folder(
      "pushrun",
      { "web.yaml": "greeter__one:\n  greeting: hello\ngreeter__two:\n  greeting: hi\n\nactions:\n  - action: install\n" },
      { greeter: { "schema.capnp": SCHEMA, "actions.js": 'export async function install(job) { job.log("said " + job.service.data.greeting); }\n' } },
    );
    const first = await cockpit(["push", dir, "--run", ...auth]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("  template  greeter");
    expect(first.stdout).toMatch(/executed {2}web\.yaml: /);
    expect(first.stdout).toMatch(/ok +step \d+ {2}greeter!one +install/);
    expect(first.stdout).toMatch(/ok +step \d+ {2}greeter!two +install/);
    const key = /run (\S+): ok\n/.exec(first.stdout)?.[1];
    const run = (await api(`/ays/repository/pushrun/aysrun/${key}`)).body as { steps: { jobs: { service: string; logs: { log: string }[] }[] }[] };
    const logs = run.steps.flatMap((s) => s.jobs).flatMap((j) => j.logs.map((l) => `${j.service}: ${l.log}`));
    expect(logs).toEqual(expect.arrayContaining(["greeter!one: said hello", "greeter!two: said hi"]));

    const again = await cockpit(["push", dir, "--run", ...auth]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("repository pushrun: exists");
    expect(again.stdout).toContain("blueprint web.yaml updated");
    expect(again.stdout).toContain("nothing to run");
  });

  it("exits 1 when the run fails, with the failing job's last log lines", async () => {
    const dir = await folder(
      "pushfail",
      { "web.yaml": "breaker__one:\n  greeting: x\n\nactions:\n  - action: install\n" },
      {
        breaker: {
          "schema.capnp": SCHEMA,
          "config.yaml": "actions:\n  install:\n    max_repeats_if_failed: 0\n",
          "actions.js": 'export async function install(job) { job.log("about to fail"); throw new Error("disk full"); }\n',
        },
      },
    );
    const res = await cockpit(["push", dir, "--run", ...auth]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/ERROR +step \d+ {2}breaker!one +install/);
    expect(res.stdout).toMatch(/run \S+: error\n/);
    expect(res.stdout).toContain("disk full");
  });

  it("says what it needs when the token is missing or refused", async () => {
    const dir = await folder("pushauth", { "a.yaml": "" });
    const none = await cockpit(["push", dir, "--url", e2e.base]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--token (or COCKPIT_TOKEN) is required");
    const expired = await cockpit(["push", dir, "--url", e2e.base, "--token", e2e.expiredToken]);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/creating repository pushauth: the Cockpit refused \(HTTP 401/);
  });
});
