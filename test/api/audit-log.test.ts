import { exports } from "cloudflare:workers";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { api, mintToken, ORG } from "../helpers/auth.ts";

type Page = { events: AuditEntry[]; next: number | null };

describe("the organization's audit log and members", () => {
  it("records who did what, through which channel, and pages through it", async ({ expect }) => {
    const bob = await mintToken({ claims: { username: "bob" } });
    await api("/ays/repository", { method: "POST", json: { name: "audited" }, token: bob });
    await api("/ays/repository/audited/blueprint", { method: "POST", json: { name: "a.yaml", content: "" }, token: bob });
    for (let i = 0; i < 3; i++) await api("/ays/repository", { method: "POST", json: { name: `more${i}` } });

    // Audit writes finish after the response (waitUntil); give them a moment.
    let all: Page = { events: [], next: null };
    for (let i = 0; i < 50 && all.events.length < 5; i++) {
      all = (await (await api("/ays/events")).json()) as Page;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(all.events.map((e) => [e.type, e.repo, e.by, e.channel])).toEqual([
      ["repository.created", "audited", "bob", "api"],
      ["blueprint.created", "audited", "bob", "api"],
      ["repository.created", "more0", "alice", "api"],
      ["repository.created", "more1", "alice", "api"],
      ["repository.created", "more2", "alice", "api"],
    ]);

    const first = (await (await api("/ays/events?limit=2")).json()) as Page;
    expect(first.events).toHaveLength(2);
    const second = (await (await api(`/ays/events?limit=2&after=${first.next}`)).json()) as Page;
    expect(second.events.map((e) => e.repo)).toEqual(["more0", "more1"]);
    const filtered = (await (await api("/ays/events?type=blueprint.created")).json()) as Page;
    expect(filtered.events.map((e) => e.repo)).toEqual(["audited"]);
    const byRepo = (await (await api("/ays/events?repo=audited")).json()) as Page;
    expect(byRepo.events).toHaveLength(2);
    expect((await api("/ays/events?limit=0")).status).toBe(400);

    const members = await env.ORGANIZATION.getByName(ORG).members();
    expect(members.map((m) => m.user)).toEqual(expect.arrayContaining(["alice", "bob"]));
  });
});

describe("API documentation", () => {
  it("serves OpenAPI 3.1 generated from the route schemas, and Swagger UI", async ({ expect }) => {
    const doc = (await (await exports.default.fetch("http://cockpit.test/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/ays/repository",
      "/ays/repository/{repo}/blueprint/{bp}",
      "/ays/repository/{repo}/service/{role}/{name}/action/{action}",
      "/ays/repository/{repo}/aysrun/{key}/stream",
      "/ays/repository/{repo}/scheduler",
      "/ays/events",
      "/webhooks/github",
      "/login",
      "/oauth/callback",
      "/auth/refresh",
      "/auth/logout",
      "/auth/session",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths["/ays/repository"]!.post!.security).toEqual([{ Bearer: [] }]);
    expect(Object.keys((doc.paths["/auth/refresh"]!.post as { responses: object }).responses)).toEqual(["200", "303", "401", "409", "413"]);
    expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const ui = await exports.default.fetch("http://cockpit.test/apidocs");
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain("swagger");
  });
});
