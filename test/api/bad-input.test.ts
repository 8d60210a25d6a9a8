import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";

type Case = [name: string, method: string, path: string, body: unknown, status: number, code: string, error: string | RegExp];

const REPO = "badinput";

describe("bad input gets a precise 4xx with a reason, never a 500", () => {
  it("sets up a repository", async ({ expect }) => {
    expect((await api("/ays/repository", { method: "POST", json: { name: REPO } })).status).toBe(201);
  });

  const cases: Case[] = [
    ["a repository name with a slash", "POST", "/ays/repository", { name: "a/b" }, 400, "invalid_request", /name: expected letters, digits, _ and - only/],
    ["a repository name with spaces", "POST", "/ays/repository", { name: "my repo" }, 400, "invalid_request", /name/],
    ["an unknown body key", "POST", "/ays/repository", { name: "x", colour: "red" }, 400, "invalid_request", /colour/],
    ["a missing body", "POST", "/ays/repository", undefined, 400, "invalid_request", /json/],
    ["an existing repository", "POST", "/ays/repository", { name: REPO }, 409, "exists", `repository ${REPO} exists already`],
    ["an unknown repository", "GET", "/ays/repository/nope", undefined, 404, "not_found", "no repository nope"],
    ["a blueprint with bad YAML", "POST", `/ays/repository/${REPO}/blueprint`, { name: "bad.yaml", content: "a: [1,\nb: 2" }, 400, "invalid_blueprint", /^bad\.yaml:\d+:\d+: /],
    ["a blueprint naming an unknown actor", "POST", `/ays/repository/${REPO}/blueprint`, { name: "u.yaml", content: "ghost__one:\n" }, 400, "invalid_blueprint", /u\.yaml:1:1: ghost__one: .*unknown actor ghost/],
    ["an unknown blueprint", "GET", `/ays/repository/${REPO}/blueprint/none.yaml`, undefined, 404, "not_found", "no blueprint none.yaml in this repository"],
    ["an unknown service", "GET", `/ays/repository/${REPO}/service/node/x`, undefined, 404, "not_found", "no service node!x in this repository"],
    ["an unknown run", "GET", `/ays/repository/${REPO}/aysrun/run-99`, undefined, 404, "not_found", "no run run-99 in this repository"],
    ["a run with nothing scheduled", "POST", `/ays/repository/${REPO}/aysrun`, undefined, 409, "nothing_to_run", /nothing to run/],
    ["a bad boolean query", "POST", `/ays/repository/${REPO}/aysrun?simulate=maybe`, undefined, 400, "invalid_request", /simulate: expected true or false/],
    ["a template with a broken schema", "POST", `/ays/repository/${REPO}/template`, { name: "t", schema: "struct Schema { x @0 :Nope; }" }, 400, "invalid_template", /schema/],
  ];

  it.for(cases)("%s", async ([, method, path, body, status, code, error], { expect }) => {
    const res = await api(path, { method, ...(body !== undefined ? { json: body } : {}) });
    const payload = (await res.json()) as { error: string; code: string };
    expect(res.status, JSON.stringify(payload)).toBe(status);
    expect(payload.code).toBe(code);
    if (typeof error === "string") expect(payload.error).toBe(error);
    else expect(payload.error).toMatch(error);
  });

  it("answers 413 to a body over the limit, and stores nothing", async ({ expect }) => {
    const content = "x".repeat(1024 * 1024 + 1);
    const res = await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "big.yaml", content } });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "request body over 1048576 bytes", code: "too_large" });
    expect(await (await api(`/ays/repository/${REPO}/blueprint`)).json()).toEqual([]);
  });

  it("keeps nothing of a refused blueprint", async ({ expect }) => {
    const list = (await (await api(`/ays/repository/${REPO}/blueprint`)).json()) as unknown[];
    expect(list).toEqual([]);
  });
});
