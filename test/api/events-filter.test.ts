import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { api } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

type Page = { events: AuditEntry[]; next: number | null };
const read = async (query: string) => (await (await api(`/ays/events?${query}`)).json()) as Page;

describe("GET /ays/events by time and newest first", () => {
  it("pages newest first with before=next, and keeps only entries in [since, until)", async ({ expect }) => {
    for (const name of ["ev-a", "ev-b", "ev-c"]) await api("/ays/repository", { method: "POST", json: { name } });
    const all = await until(() => read("type=repository.created"), (p) => p.events.length === 3);
    expect(all.events.map((e) => e.repo)).toEqual(["ev-a", "ev-b", "ev-c"]);

    const newest = await read("type=repository.created&order=newest&limit=2");
    expect(newest.events.map((e) => e.repo)).toEqual(["ev-c", "ev-b"]);
    const older = await read(`type=repository.created&order=newest&limit=2&before=${newest.next}`);
    expect(older).toEqual({ events: [expect.objectContaining({ repo: "ev-a" })], next: null });

    const [a, , c] = all.events as [AuditEntry, AuditEntry, AuditEntry];
    expect((await read(`type=repository.created&since=${c.time}`)).events.every((e) => e.time >= c.time)).toBe(true);
    expect((await read(`type=repository.created&since=${c.time + 60_000}`)).events).toEqual([]);
    expect((await read(`type=repository.created&until=${a.time}`)).events).toEqual([]);
    expect((await read(`type=repository.created&since=${a.time}&until=${c.time + 1}`)).events).toHaveLength(3);

    const bad = await api("/ays/events?order=sideways");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^query order: /);
  });
});
