/**
 * The shape of src/ as a whole: no import cycles (type-only imports count: a cycle through types
 * still ties the files' changes together).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCircular, parseDependencyTree } from "dpdm";
import { describe, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Every import cycle among the .ts and .tsx files under `dir` (relative to `cwd`), found with dpdm,
 * as `a.ts -> b.ts -> a.ts` starting from its first file in name order.
 */
async function importCycles(cwd: string, dir: string): Promise<string[]> {
  const tree = await parseDependencyTree([`${dir}/**/*.ts`, `${dir}/**/*.tsx`], { cwd, transform: false, skipDynamicImports: false });
  return parseCircular(tree).map((cycle) => {
    const first = cycle.indexOf([...cycle].sort()[0]!);
    const turned = [...cycle.slice(first), ...cycle.slice(0, first)];
    return [...turned, turned[0]].join(" -> ");
  });
}

describe("the source tree", () => {
  it("has no import cycle", async ({ expect }) => {
    expect(await importCycles(ROOT, "src"), "import cycles in src/").toEqual([]);
  });

  it("the cycle check finds a cycle, through type-only imports too", async ({ expect }) => {
    const dir = mkdtempSync(join(tmpdir(), "cockpit-cycle-"));
    try {
      writeFileSync(join(dir, "a.ts"), 'import type { B } from "./b.ts";\nexport type A = { b: B };\n');
      writeFileSync(join(dir, "b.ts"), 'import { c } from "./c.ts";\nexport type B = number;\nexport const b = c;\n');
      writeFileSync(join(dir, "c.ts"), 'import type { A } from "./a.ts";\nexport const c = 1 as unknown as A;\n');
      expect(await importCycles(dir, ".")).toEqual(["a.ts -> b.ts -> c.ts -> a.ts"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
