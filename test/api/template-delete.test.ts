import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { must, repoWithBlueprint, SCHEMA } from "../helpers/runs.ts";
import { until } from "../helpers/until.ts";

const del = (repo: string, name: string) => api(`/ays/repository/${repo}/template/${name}`, { method: "DELETE" });
const templateNames = async (repo: string) => ((await (await api(`/ays/repository/${repo}/template`)).json()) as { name: string }[]).map((t) => t.name);

describe("DELETE …/template/{name}", () => {
  it("refuses a template services are of, naming them and the blueprint that made them, and deletes it once they are gone", async ({ expect }) => {
    const repo = "tmpl-del";
    await repoWithBlueprint(repo, "box__a:\nbox__b:\n");
    const busy = await del(repo, "box");
    expect(busy.status).toBe(409);
    expect(await busy.json()).toEqual({
      code: "in_use",
      error: "template box is in use by services box!a, box!b; blueprints main.yaml",
      services: ["box!a", "box!b"],
      blueprints: ["main.yaml"],
      templates: [],
    });
    expect(await templateNames(repo)).toEqual(["box"]);

    await must(api(`/ays/repository/${repo}/service/box/a`, { method: "DELETE" }), 200);
    await must(api(`/ays/repository/${repo}/service/box/b`, { method: "DELETE" }), 200);
    expect(await (await del(repo, "box")).json()).toMatchObject({ services: [], blueprints: ["main.yaml"] });
    await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "DELETE" }), 204);

    expect((await del(repo, "box")).status).toBe(204);
    expect(await templateNames(repo)).toEqual([]);
    expect((await api(`/ays/repository/${repo}/template/box`)).status).toBe(404);
    // Gone for the engine too: a blueprint naming it is refused now.
    const bp = await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "again.yaml", content: "box__c:\n" } });
    expect(bp.status).toBe(400);
    const audit = await until(
      async () => (await (await api(`/ays/events?repo=${repo}&type=template.deleted`)).json()) as { events: { message: string }[] },
      (p) => p.events.length === 1,
    );
    expect(audit.events[0]!.message).toBe("template box deleted");
  });

  it("counts saved blueprints not yet executed, archived ones, and templates that auto-create it", async ({ expect }) => {
    const repo = "tmpl-del-bp";
    await repoWithBlueprint(repo, "box__a:\n");
    await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "web", schema: SCHEMA } }), 201);
    // Named only by an action and an event filter of a saved, never executed blueprint.
    const later = "web__front:\nactions:\n  - action: install\n    actor: web\neventfilters:\n  - actor: web\n    channel: webservice\n    actions: [start]\n";
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "later.yaml", content: later } }), 201);
    const saved = await del(repo, "web");
    expect(saved.status).toBe(409);
    expect(await saved.json()).toMatchObject({ code: "in_use", services: [], blueprints: ["later.yaml"], templates: [] });
    await must(api(`/ays/repository/${repo}/blueprint/later.yaml/archive`, { method: "PUT" }), 200);
    expect(await (await del(repo, "web")).json()).toMatchObject({ blueprints: ["later.yaml"] });
    await must(api(`/ays/repository/${repo}/blueprint/later.yaml`, { method: "DELETE" }), 204);

    // A template whose parent link auto-creates a `web` needs it.
    const config = "links:\n  parent:\n    role: web\n    auto: true\n";
    await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "site", schema: SCHEMA, config } }), 201);
    expect(await (await del(repo, "web")).json()).toEqual({
      code: "in_use",
      error: "template web is in use by templates that auto-create it: site",
      services: [],
      blueprints: [],
      templates: ["site"],
    });
    expect((await del(repo, "site")).status).toBe(204);
    expect((await del(repo, "web")).status).toBe(204);
    expect(await templateNames(repo)).toEqual(["box"]);
  });

  it("answers 404 for a template or repository it does not know, and 400 for a bad name", async ({ expect }) => {
    await must(api("/ays/repository", { method: "POST", json: { name: "tmpl-del-404" } }), 201);
    const missing = await del("tmpl-del-404", "nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: "not_found", error: "no template nope in this repository" });
    expect((await del("no-such-repo", "nope")).status).toBe(404);
    expect((await del("tmpl-del-404", "..bad")).status).toBe(400);
  });
});
