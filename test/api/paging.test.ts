import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { DEFAULT_PAGE, MAX_PAGE, PAGE_BYTES } from "../../src/actors/paging.ts";
import { api } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

const get = async <T>(path: string): Promise<T> => (await (await must(api(path), 200)).json()) as T;

/** Every page of a list, following `next` through the cursor parameter, and the pages' sizes. */
async function allPages<T>(path: string, field: string, cursor: string): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  let next: string | number | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get<Record<string, unknown>>(next === null ? path : `${path}${sep}${cursor}=${encodeURIComponent(String(next))}`);
    const list = page[field] as T[];
    items.push(...list);
    sizes.push(list.length);
    next = page.next as string | number | null;
  } while (next !== null && sizes.length < 50);
  return { items, sizes };
}

const names = (n: number, prefix = "s") => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, "0")}`);

describe("list routes answer pages with a cursor", () => {
  it("GET …/service: pages of the default size in key order, followed with ?after=next, and ?role= pages too", async ({ expect }) => {
    const repo = "paged-services";
    const count = 2 * DEFAULT_PAGE + 50;
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    for (const name of ["box", "web"]) await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name, actions: "export function install() {}" } }), 201);
    const content = `web__front:\n${names(count).map((n) => `box__${n}:`).join("\n")}\n`;
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);

    const { items, sizes } = await allPages<{ key: string }>(`/ays/repository/${repo}/service?role=box`, "services", "after");
    expect(sizes).toEqual([DEFAULT_PAGE, DEFAULT_PAGE, 50]);
    expect(items.map((s) => s.key)).toEqual(names(count).map((n) => `box!${n}`));

    const small = await get<{ services: { key: string }[]; next: string | null }>(`/ays/repository/${repo}/service?role=box&limit=3`);
    expect(small.services.map((s) => s.key)).toEqual(["box!s0000", "box!s0001", "box!s0002"]);
    expect(small.next).toBe("box!s0002");
    const last = await get<{ services: { key: string }[]; next: string | null }>(`/ays/repository/${repo}/service?role=box&limit=3&after=box!s0248`);
    expect(last).toMatchObject({ services: [{ key: "box!s0249" }], next: null });
  });

  it("GET …/service of services whose data passes the 32 MiB an RPC answer may carry: pages end at PAGE_BYTES", async ({ expect }) => {
    const repo = "paged-fat";
    const fat = "x".repeat(100 * 1024);
    const count = Math.ceil((33 * 1024 * 1024) / fat.length);
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    const schema = `@0xe1a2b3c4d5e6f708;\nstruct Schema {\n  blob @0 :Text = "${fat}";\n}\n`;
    await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "fat", schema, actions: "export function install() {}" } }), 201);
    const content = `${names(count).map((n) => `fat__${n}:`).join("\n")}\n`;
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);

    const { items, sizes } = await allPages<{ key: string; data: { blob: string } }>(`/ays/repository/${repo}/service?limit=${MAX_PAGE}`, "services", "after");
    expect(items.map((s) => s.key)).toEqual(names(count).map((n) => `fat!${n}`));
    expect(items.every((s) => s.data.blob === fat)).toBe(true);
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size * fat.length).toBeLessThanOrEqual(PAGE_BYTES + fat.length);
  });

  it("refuses a bad limit or cursor with a 400 that says why", async ({ expect }) => {
    const repo = "paged-bad";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n");
    for (const path of [
      `/ays/repository/${repo}/service?limit=0`,
      `/ays/repository/${repo}/service?limit=${MAX_PAGE + 1}`,
      `/ays/repository/${repo}/service?limit=ten`,
      `/ays/repository/${repo}/service?after=`,
      `/ays/repository/${repo}/service?after=nobang`,
      `/ays/repository/${repo}/aysrun?limit=${MAX_PAGE + 1}`,
      `/ays/repository/${repo}/aysrun?before=run-3`,
      `/ays/repository/${repo}/service/box/a/jobs?limit=0`,
      `/ays/repository/${repo}/service/box/a/jobs?before=yesterday`,
    ]) {
      const res = await api(path);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { error: string; code: string };
      expect(body.error, path).toMatch(/limit|after|before/);
    }
  });

  it("GET …/aysrun: newest first, in pages followed with ?before=next", async ({ expect }) => {
    const repo = "paged-runs";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n");
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await createRun(repo, true)).key);
    const { items, sizes } = await allPages<{ key: string }>(`/ays/repository/${repo}/aysrun?limit=2`, "runs", "before");
    expect(sizes).toEqual([2, 2, 1]);
    expect(items.map((r) => r.key)).toEqual([...keys].reverse());
    const first = await get<{ runs: unknown[]; next: number | null }>(`/ays/repository/${repo}/aysrun`);
    expect(first).toMatchObject({ runs: expect.any(Array), next: null });
    expect(first.runs).toHaveLength(5);
  });

  it("GET …/service/{role}/{name}/jobs: newest first, in pages followed with ?before=next", async ({ expect }) => {
    const repo = "paged-jobs";
    await repoWithBlueprint(repo, "box__a:\nactions:\n  - action: install\n", { actions: "export function init() {}\nexport function install() {}" });
    const run = await waitForRun(repo, (await createRun(repo)).key);
    expect(run.state).toBe("ok");
    const whole = await get<{ jobs: { key: string }[]; next: string | null }>(`/ays/repository/${repo}/service/box/a/jobs`);
    expect(whole.next).toBeNull();
    expect(whole.jobs.length).toBeGreaterThanOrEqual(2);
    const { items, sizes } = await allPages<{ key: string }>(`/ays/repository/${repo}/service/box/a/jobs?limit=1`, "jobs", "before");
    expect(sizes).toEqual(whole.jobs.map(() => 1));
    expect(items.map((j) => j.key)).toEqual(whole.jobs.map((j) => j.key));
  });

  it("are described in /openapi.json: the limit, the cursor and next", async ({ expect }) => {
    type Op = { parameters: { name: string; in: string }[]; responses: { 200: { content: { "application/json": { schema: { properties: Record<string, unknown> } } } } } };
    const doc = (await (await exports.default.fetch("http://cockpit.test/openapi.json")).json()) as { paths: Record<string, { get: Op }> };
    for (const [path, cursor, field] of [
      ["/ays/repository/{repo}/service", "after", "services"],
      ["/ays/repository/{repo}/aysrun", "before", "runs"],
      ["/ays/repository/{repo}/service/{role}/{name}/jobs", "before", "jobs"],
    ] as const) {
      const op = doc.paths[path]!.get;
      expect(op.parameters.filter((p) => p.in === "query").map((p) => p.name), path).toEqual(expect.arrayContaining(["limit", cursor]));
      expect(Object.keys(op.responses[200].content["application/json"].schema.properties).sort(), path).toEqual([field, "next"].sort());
    }
  });
});
