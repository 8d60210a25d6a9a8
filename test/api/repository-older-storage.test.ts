/**
 * A repository stored by a release before schema versions (src/actors/sql.ts): its next instance
 * runs the first migration on the tables as they were, and the repository keeps working.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { api, ORG } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";
import { beforeVersions } from "../helpers/storage.ts";
import { REPOSITORY_MIGRATIONS } from "../../src/actors/repository/store.ts";

const BLUEPRINT = "box__a:\nactions:\n  - action: install\n";
const INSTALL = `export async function install(job) { job.log("installed"); }`;

describe("a repository stored before schema versions", () => {
  it("keeps its identity, templates, blueprints, services and runs, and runs again", async ({ expect }) => {
    const repo = "olderrepo";
    await repoWithBlueprint(repo, BLUEPRINT, { actions: INSTALL });
    const first = await waitForRun(repo, (await createRun(repo)).key);
    expect(first.state).toBe("ok");
    // The tables as the release before versions left them: identity in `meta`, templates before they kept actions.py.
    await runInDurableObject(env.REPOSITORY.getByName(`${ORG}/${repo}`), (_instance, state) => {
      state.storage.sql.exec("ALTER TABLE templates DROP COLUMN actions_py");
      beforeVersions(state.storage.sql, "meta");
    });
    await evictDurableObject(env.REPOSITORY.getByName(`${ORG}/${repo}`));

    expect(await (await must(api(`/ays/repository/${repo}`), 200)).json()).toMatchObject({ name: repo, no_exec: false });
    const templates = (await (await must(api(`/ays/repository/${repo}/template`), 200)).json()) as { name: string }[];
    expect(templates.map((t) => t.name)).toContain("box");
    const blueprints = (await (await must(api(`/ays/repository/${repo}/blueprint`), 200)).json()) as { name: string }[];
    expect(blueprints.map((b) => b.name)).toEqual(["main.yaml"]);
    const runs = (await (await must(api(`/ays/repository/${repo}/aysrun`), 200)).json()) as { runs: { key: string }[] };
    expect(runs.runs.map((r) => r.key)).toEqual([first.key]);

    // Run it again: the template still runs, and the repository keeps taking changes (a new template keeps its actions.py).
    await must(api(`/ays/repository/${repo}/service/box/a/action/install?force=true`, { method: "POST" }), 200);
    const again = await waitForRun(repo, (await createRun(repo)).key);
    expect(again.state).toBe("ok");
    expect(again.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!.logs.map((l) => l.log)).toContain("installed");
    await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "legacy", actions_py: "def install(job):\n    pass\n" } }), 201);
    const versions = await runInDurableObject(env.REPOSITORY.getByName(`${ORG}/${repo}`), (_instance, state) => ({
      version: state.storage.sql.exec<{ value: number }>("SELECT value FROM _meta WHERE key = 'schema_version'").one().value,
      org: state.storage.sql.exec<{ value: string }>("SELECT value FROM _meta WHERE key = 'org'").one().value,
      py: state.storage.sql.exec<{ actions_py: string }>("SELECT actions_py FROM templates WHERE name = 'legacy'").one().actions_py,
    }));
    expect(versions).toEqual({ version: REPOSITORY_MIGRATIONS.length, org: ORG, py: "def install(job):\n    pass\n" });
  });
});
