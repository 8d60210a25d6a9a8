/**
 * API keys (issue 16, item 3), through the Worker: made once, stored hashed, accepted as a bearer
 * token and audited under the key's name, limited to their repository, refused once revoked or expired.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { api, ORG } from "../helpers/auth.ts";
import { must } from "../helpers/runs.ts";

type Made = { id: string; key: string; name: string; repo: string | null; role: string; expires: number; last_used: number | null };
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const makeKey = async (json: Record<string, unknown>) => (await (await must(api("/ays/keys", { method: "POST", json }), 201)).json()) as Made;
const withKey = (key: string, path: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(`http://cockpit.test${path}`, { ...init, headers: { authorization: `bearer ${key}`, "content-type": "application/json", ...init.headers } }));

describe("API keys", () => {
  it("are shown once, work as a bearer token, are audited under their name, and list their last use", async ({ expect }) => {
    const made = await makeKey({ name: "ci-deploy", role: "admin", expires: inDays(30) });
    expect(made.key).toMatch(/^ck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(made).toMatchObject({ name: "ci-deploy", repo: null, role: "admin", last_used: null });

    const created = await withKey(made.key, "/ays/repository", { method: "POST", body: JSON.stringify({ name: "made-by-key" }) });
    expect(created.status).toBe(201);
    const { events } = (await (await must(api("/ays/events?order=newest&limit=50"), 200)).json()) as { events: AuditEntry[] };
    expect(events.find((e) => e.type === "repository.created" && e.repo === "made-by-key")).toMatchObject({ by: "key:ci-deploy", channel: "api" });
    expect(events.find((e) => e.type === "apikey.created" && (e.data as { id?: string } | null)?.id === made.id)).toMatchObject({ by: "alice" });

    const list = (await (await must(api("/ays/keys"), 200)).json()) as Made[];
    const listed = list.find((k) => k.id === made.id)!;
    expect(listed.last_used).toEqual(expect.any(Number));
    expect(JSON.stringify(list)).not.toContain(made.key);

    // A key cannot make or list keys.
    expect((await withKey(made.key, "/ays/keys")).status).toBe(403);
  });

  it("are not recoverable from storage: only their SHA-256 is kept", async ({ expect }) => {
    const made = await makeKey({ name: "stored", role: "admin", expires: inDays(1) });
    const secretPart = made.key.split("_").pop()!;
    const rows = await runInDurableObject(env.ORGANIZATION.getByName(ORG), (_actor, state) =>
      JSON.stringify(state.storage.sql.exec("SELECT * FROM api_keys").toArray()),
    );
    expect(rows).toContain(made.id);
    expect(rows).not.toContain(secretPart);
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(made.key)))].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(rows).toContain(digest);
  });

  it("made for one repository reach that repository only", async ({ expect }) => {
    await must(api("/ays/repository", { method: "POST", json: { name: "key-scope" } }), 201);
    const made = await makeKey({ name: "scoped", repo: "key-scope", role: "admin", expires: inDays(1) });
    expect((await withKey(made.key, "/ays/repository/key-scope/template")).status).toBe(200);
    const other = await withKey(made.key, "/ays/repository");
    expect(other.status).toBe(403);
    expect(await other.json()).toEqual({ code: "forbidden", error: "API key scoped is limited to repository key-scope" });
    expect((await api("/ays/keys", { method: "POST", json: { name: "x", repo: "no-such-repo", role: "admin", expires: inDays(1) } })).status).toBe(404);
  });

  it("are refused once revoked or expired, and with an unknown or malformed key", async ({ expect }) => {
    const made = await makeKey({ name: "short-lived", role: "admin", expires: inDays(1) });
    expect((await withKey(made.key, "/ays/repository")).status).toBe(200);
    await must(api(`/ays/keys/${made.id}`, { method: "DELETE" }), 204);
    const revoked = await withKey(made.key, "/ays/repository");
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({ code: "unauthorized", error: "API key short-lived was revoked" });
    expect((await api(`/ays/keys/${made.id}`, { method: "DELETE" })).status).toBe(404);

    const soon = await makeKey({ name: "expiring", role: "admin", expires: new Date(Date.now() + 1500).toISOString() });
    expect((await withKey(soon.key, "/ays/repository")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const expired = await withKey(soon.key, "/ays/repository");
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: string }).error).toMatch(/^API key expiring expired at /);

    const unknown = await withKey(`ck_${"0".repeat(16)}_${"A".repeat(43)}`, "/ays/repository");
    expect(await unknown.json()).toEqual({ code: "unauthorized", error: "unknown API key" });
    expect((await withKey("ck_nonsense", "/ays/repository")).status).toBe(401);
  });

  it("check their input: only role admin until roles exist, an expiry in the future within a year", async ({ expect }) => {
    const viewer = await api("/ays/keys", { method: "POST", json: { name: "v", role: "viewer", expires: inDays(1) } });
    expect(viewer.status).toBe(400);
    expect(await viewer.json()).toEqual({ code: "invalid_role", error: 'role "viewer": until roles exist, only admin is accepted' });
    expect(((await (await api("/ays/keys", { method: "POST", json: { name: "p", role: "admin", expires: inDays(-1) } })).json()) as { code: string }).code).toBe("invalid_expires");
    expect((await api("/ays/keys", { method: "POST", json: { name: "f", role: "admin", expires: inDays(400) } })).status).toBe(400);
    expect((await api("/ays/keys", { method: "POST", json: { name: "bad name!", role: "admin", expires: inDays(1) } })).status).toBe(400);
    expect((await api("/ays/keys", { method: "POST", json: { name: "d", role: "admin", expires: "tomorrow" } })).status).toBe(400);
  });
});
