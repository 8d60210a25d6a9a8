import { describe, expect, it } from "vitest";
import { deleteServiceCascade, emptyRepository, executeBlueprint, parseBlueprint, templateUsers } from "../../src/ays/index.ts";
import { index, tmpl } from "./helpers.ts";

const templates = index(
  tmpl("node", { actionsJs: "export function install() {}" }),
  tmpl("app", { config: "links:\n  parent:\n    role: node\n    auto: true\n" }),
  tmpl("db", { actionsJs: "export function install() {}" }),
  tmpl("web", { config: "links:\n  consume:\n    - role: db\n      min: 1\n" }),
);
const blueprint = "node__n1:\napp__a1:\n  node: n1\ndb__d1:\nweb__w1:\n  db: d1\n";
const state = executeBlueprint(emptyRepository(), templates, parseBlueprint("main.yaml", blueprint)).state;

describe("deleting a service", () => {
  it("deletes its children with it and unlinks them everywhere, leaving the given registry as it was", () => {
    const before = structuredClone(state);
    const { state: after, deleted } = deleteServiceCascade(state, "node!n1");
    expect(deleted).toEqual(["node!n1", "app!a1"]);
    expect(Object.keys(after.services).sort()).toEqual(["db!d1", "web!w1"]);
    expect(state).toEqual(before);
  });

  it("unlinks a deleted producer from its consumers", () => {
    const { state: after } = deleteServiceCascade(state, "db!d1");
    expect(after.services["web!w1"]!.producers).toEqual([]);
  });
});

describe("who uses a template", () => {
  it("names the services, saved blueprints and auto-creating templates, or nobody", () => {
    const users = templateUsers("node", state, [{ name: "main.yaml", content: blueprint }, { name: "other.yaml", content: "db__d2:\n" }], templates);
    expect(users).toMatchObject({ services: ["node!n1"], blueprints: ["main.yaml"], templates: ["app"] });
    expect(users.error).toBe("template node is in use by services node!n1; blueprints main.yaml; templates that auto-create it: app");
    expect(templateUsers("web", { services: {} }, [{ name: "broken.yaml", content: "::" }], templates)).toEqual({ services: [], blueprints: [], templates: [], error: null });
  });
});
