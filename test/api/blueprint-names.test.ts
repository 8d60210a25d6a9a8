/**
 * Blueprint names made only of dots are refused like other bad names: `.`, `..` and `...` were
 * stored (201) but could never be reached again (URLs normalise them away), and then kept the
 * template they used from being deleted.
 */
import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { must } from "../helpers/runs.ts";

describe("blueprint names", () => {
  it("refuses names of dots only, nothing stored, and takes dotted names that are not", async ({ expect }) => {
    const repo = "bp-names";
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    for (const name of [".", "..", "..."]) {
      const res = await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name, content: "actions: []\n" } });
      expect(res.status, name).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain("not only dots");
    }
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "site.v2.yaml", content: "actions: []\n" } }), 201);
    const list = (await (await api(`/ays/repository/${repo}/blueprint`)).json()) as { name: string }[];
    expect(list.map((b) => b.name)).toEqual(["site.v2.yaml"]);
  });
});
