import { describe, it } from "vitest";
import { MAX_BLUEPRINT_SERVICES, MAX_REPOSITORY_SERVICES } from "../../src/ays/limits.ts";
import { api } from "../helpers/auth.ts";
import { must } from "../helpers/runs.ts";

const boxes = (n: number, prefix: string) => `${Array.from({ length: n }, (_, i) => `box__${prefix}${i}:`).join("\n")}\n`;
const limit = (n: number) => new RegExp(`\\b${n}\\b|${n.toLocaleString("en-US")}`);

async function repoWithBox(repo: string) {
  await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
  await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "box", actions: "export function install() {}" } }), 201);
}

const serviceCount = async (repo: string) => {
  let count = 0;
  let next: string | null = null;
  do {
    const page = (await (await must(api(`/ays/repository/${repo}/service?limit=1000${next ? `&after=${encodeURIComponent(next)}` : ""}`), 200)).json()) as {
      services: unknown[];
      next: string | null;
    };
    count += page.services.length;
    next = page.next;
  } while (next);
  return count;
};

describe("a blueprint may create a bounded number of services", () => {
  it(`refuses one of more than ${MAX_BLUEPRINT_SERVICES} services on save, update and check, naming the limit and the count; nothing stored`, async ({ expect }) => {
    const repo = "bp-limit";
    await repoWithBox(repo);
    const content = boxes(MAX_BLUEPRINT_SERVICES + 1, "b");
    expect(content.length).toBeLessThan(512 * 1024);

    const created = await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "huge.yaml", content } });
    expect(created.status).toBe(400);
    const refusal = (await created.json()) as { error: string; code: string };
    expect(refusal.code).toBe("invalid_blueprint");
    expect(refusal.error).toMatch(limit(MAX_BLUEPRINT_SERVICES));
    expect(refusal.error).toMatch(limit(MAX_BLUEPRINT_SERVICES + 1));
    expect(refusal.error).toContain("huge.yaml");
    expect((await api(`/ays/repository/${repo}/blueprint/huge.yaml`)).status).toBe(404);

    const check = (await (await must(api(`/ays/repository/${repo}/blueprint/huge.yaml/check`, { method: "POST", json: { content } }), 200)).json()) as {
      valid: boolean;
      error?: string;
    };
    expect(check.valid).toBe(false);
    expect(check.error).toBe(refusal.error);

    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "small.yaml", content: boxes(1, "s") } }), 201);
    const updated = await api(`/ays/repository/${repo}/blueprint/small.yaml`, { method: "PUT", json: { content } });
    expect(updated.status).toBe(400);
    expect(((await updated.json()) as { error: string }).error).toMatch(limit(MAX_BLUEPRINT_SERVICES));
    expect(((await (await api(`/ays/repository/${repo}/blueprint/small.yaml`)).json()) as { content: string }).content).toBe(boxes(1, "s"));
    expect(await serviceCount(repo)).toBe(0);
  });

  it(`refuses to execute a blueprint that would take the repository past ${MAX_REPOSITORY_SERVICES} services; nothing changes`, async ({ expect }) => {
    const repo = "repo-limit";
    await repoWithBox(repo);
    // Both are valid on their own, saved before either executes.
    const first = MAX_REPOSITORY_SERVICES - 5;
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "a.yaml", content: boxes(first, "a") } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "b.yaml", content: boxes(10, "b") } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint/a.yaml`, { method: "POST" }), 200);

    const executed = await api(`/ays/repository/${repo}/blueprint/b.yaml`, { method: "POST" });
    expect(executed.status).toBe(400);
    const { error } = (await executed.json()) as { error: string };
    expect(error).toContain("b.yaml");
    expect(error).toMatch(limit(MAX_REPOSITORY_SERVICES));
    expect(error).toMatch(limit(first + 10));
    expect(await serviceCount(repo)).toBe(first);

    const check = (await (await must(api(`/ays/repository/${repo}/blueprint/b.yaml/check`, { method: "POST", json: { content: boxes(10, "b") } }), 200)).json()) as {
      valid: boolean;
      error?: string;
    };
    expect(check).toMatchObject({ valid: false, error });
  });
});
