/**
 * The shape of src/ as a whole: no import cycles (type-only imports count: a cycle through types
 * still ties the files' changes together), imports between folders going one way (README's
 * Layout): `routes` → `operations` → `actors` → `runs` → `ays`, `telegram` → `operations` → `actors`,
 * and no file over MAX_LINES lines.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCircular, parseDependencyTree, type DependencyTree } from "dpdm";
import { describe, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** A source file longer than this does more than one job: split it. */
const MAX_LINES = 400;

/**
 * The folders of src/ each folder must not import (directly: one import against the direction is
 * enough). A folder not listed here may import what it needs. `notify` is a leaf (what jobs say to
 * people over the ChatActors' RPC) that the actors and the sandbox may use.
 */
const FORBIDDEN_IMPORTS: Record<string, readonly string[]> = {
  ays: ["runs", "actors", "operations", "routes", "telegram", "sandbox", "notify"],
  runs: ["actors", "operations", "routes", "telegram"],
  actors: ["operations", "routes", "telegram"],
  operations: ["routes", "telegram"],
  telegram: ["routes"],
  sandbox: ["actors", "operations", "routes", "telegram"],
  notify: ["ays", "runs", "actors", "operations", "routes", "telegram", "sandbox"],
};

const dependencyTree = (cwd: string, dir: string): Promise<DependencyTree> =>
  parseDependencyTree([`${dir}/**/*.ts`, `${dir}/**/*.tsx`], { cwd, transform: false, skipDynamicImports: false });

/** The first folder of a path under `dir` (a file directly in it has none). */
const folderOf = (dir: string, path: string): string | undefined => {
  const parts = path.replace(/\\/g, "/").slice(dir === "." ? 0 : dir.length + 1).split("/");
  return parts.length > 1 ? parts[0] : undefined;
};

/** Every import under `dir` against `forbidden`, as `a.ts -> b.ts (x must not import y)`. */
async function wrongWayImports(cwd: string, dir: string, forbidden: Record<string, readonly string[]>): Promise<string[]> {
  const tree = await dependencyTree(cwd, dir);
  const offenders: string[] = [];
  for (const [file, deps] of Object.entries(tree)) {
    const from = folderOf(dir, file);
    for (const dep of deps ?? []) {
      const to = dep.id === null ? undefined : folderOf(dir, dep.id);
      if (from && to && forbidden[from]?.includes(to)) offenders.push(`${file} -> ${dep.id} (${from} must not import ${to})`);
    }
  }
  return offenders.sort();
}

/**
 * Every import cycle among the .ts and .tsx files under `dir` (relative to `cwd`), found with dpdm,
 * as `a.ts -> b.ts -> a.ts` starting from its first file in name order.
 */
async function importCycles(cwd: string, dir: string): Promise<string[]> {
  return parseCircular(await dependencyTree(cwd, dir)).map((cycle) => {
    const first = cycle.indexOf([...cycle].sort()[0]!);
    const turned = [...cycle.slice(first), ...cycle.slice(0, first)];
    return [...turned, turned[0]].join(" -> ");
  });
}

describe("the source tree", () => {
  it("has no import cycle", async ({ expect }) => {
    expect(await importCycles(ROOT, "src"), "import cycles in src/").toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines`, ({ expect }) => {
    const over = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })
      .filter((file) => /\.(tsx?|js)$/.test(file))
      .map((file) => ({ file: `src/${file}`, lines: readFileSync(join(ROOT, "src", file), "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
      .sort((a, b) => b.lines - a.lines)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(over, `files in src/ over ${MAX_LINES} lines`).toEqual([]);
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

  it("imports between folders one way only", async ({ expect }) => {
    expect(await wrongWayImports(ROOT, "src", FORBIDDEN_IMPORTS), "imports against the folder direction").toEqual([]);
  });

  it("the direction check lists each import against it, type-only ones too", async ({ expect }) => {
    const dir = mkdtempSync(join(tmpdir(), "cockpit-direction-"));
    try {
      for (const folder of ["low", "high"]) mkdirSync(join(dir, folder));
      writeFileSync(join(dir, "low", "a.ts"), 'import type { B } from "../high/b.ts";\nexport type A = B;\n');
      writeFileSync(join(dir, "high", "b.ts"), 'import type { A } from "../low/a.ts";\nexport type B = number;\nexport type C = A;\n');
      expect(await wrongWayImports(dir, ".", { low: ["high"] })).toEqual(["low/a.ts -> high/b.ts (low must not import high)"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
