/**
 * Planner benchmark: a layered DAG of 10,000 services (20 layers x 500), each service consuming
 * 1-3 services of the layer below. Measures blueprint parsing, execution, scheduling `install`
 * everywhere and planning the run in memory, then the same repository written to a folder and
 * planned end to end by `cockpit plan --action install` in its own process (issue 18, goal 1: under
 * 1 s), beside a process that only reads and parses the same text with `yaml`.
 *
 *   node bench/plan.ts            (or `npm run bench -- plan`)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import YAML from "yaml";
import { emptyRepository, executeBlueprint, parseBlueprint, parseTemplate, planRun, scheduleAction, templateIndex } from "../src/ays/index.ts";

const LAYERS = 20;
const PER_LAYER = 500;

/** Small deterministic PRNG so every run builds the same graph. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function templateFiles(layer: number): { config: string; schema: string } {
  const config = layer === 0 ? "" : `links:\n  consume:\n  - role: layer${layer - 1}\n    argname: below\n    min: 1\n    max: 3\n`;
  const schema = `struct Schema {\n  weight @0 :Int64 = 1;\n  label @1 :Text;\n}\n`;
  return { config, schema };
}

function buildTemplates() {
  const list = [];
  for (let layer = 0; layer < LAYERS; layer++) list.push(parseTemplate(`layer${layer}`, templateFiles(layer), `bench/layer${layer}`));
  return templateIndex(list);
}

/** The repository as `cockpit plan` reads it: actorTemplates/layerN/ and blueprints/dag.yaml. */
function writeRepository(dir: string, blueprint: string): void {
  for (let layer = 0; layer < LAYERS; layer++) {
    const folder = join(dir, "actorTemplates", `layer${layer}`);
    mkdirSync(folder, { recursive: true });
    const files = templateFiles(layer);
    writeFileSync(join(folder, "config.yaml"), files.config);
    writeFileSync(join(folder, "schema.capnp"), files.schema);
  }
  mkdirSync(join(dir, "blueprints"));
  writeFileSync(join(dir, "blueprints", "dag.yaml"), blueprint);
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU time of this process's ended (waited-for) children, from /proc/self/stat cutime + cstime; null off Linux. */
function childrenCpuMs(): number | null {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / USER_HZ;
  } catch {
    return null;
  }
}

/** Runs `node ARGS` in ROOT `times` times; the median wall and CPU time (ms), and the last stdout. */
function timeProcess(args: string[], times: number): { wallMs: number; cpuMs: number | null; stdout: string } {
  const walls: number[] = [];
  const cpus: number[] = [];
  let stdout = "";
  for (let i = 0; i < times; i++) {
    const cpuBefore = childrenCpuMs();
    const start = performance.now();
    const child = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    walls.push(performance.now() - start);
    const cpuAfter = childrenCpuMs();
    if (cpuBefore !== null && cpuAfter !== null) cpus.push(cpuAfter - cpuBefore);
    if (child.status !== 0) throw new Error(`node ${args.join(" ")} exited ${child.status}: ${child.stderr}`);
    stdout = child.stdout;
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
  return { wallMs: median(walls), cpuMs: cpus.length ? median(cpus) : null, stdout };
}

const PLAIN_PARSE = `import { readFileSync } from "node:fs"; import YAML from "yaml";
const value = YAML.parse(readFileSync(process.argv[1], "utf8"), { uniqueKeys: false });
console.log(Object.keys(value).length);`;

/** \`cockpit plan --action install\` of the repository written to disk, and a plain parse of its blueprint, each in a fresh process. */
function endToEnd(text: string): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "cockpit-bench-plan-"));
  try {
    writeRepository(dir, text);
    const runs = 3;
    const plan = timeProcess(["bin/cockpit.js", "plan", dir, "--action", "install"], runs);
    if (!plan.stdout.includes(`Run: ${LAYERS + 1} steps, ${2 * LAYERS * PER_LAYER} jobs`)) throw new Error(`unexpected cockpit plan output: ${plan.stdout.slice(0, 300)}`);
    const parse = timeProcess(["--input-type=module", "-e", PLAIN_PARSE, join(dir, "blueprints", "dag.yaml")], runs);
    if (parse.stdout.trim() !== String(LAYERS * PER_LAYER)) throw new Error(`unexpected plain parse output: ${parse.stdout}`);
    const cpu = (ms: number | null) => (ms === null ? "n/a" : ms.toFixed(0));
    return {
      [`cockpit plan end to end, median of ${runs} (goal < 1000) wall ms`]: plan.wallMs.toFixed(0),
      "cockpit plan end to end cpu ms": cpu(plan.cpuMs),
      "plain parse process (node + yaml parse(), uniqueKeys off) wall ms": parse.wallMs.toFixed(0),
      "plain parse process cpu ms": cpu(parse.cpuMs),
      "cockpit plan / plain parse (wall, cpu)": `${(plan.wallMs / parse.wallMs).toFixed(2)}x, ${plan.cpuMs !== null && parse.cpuMs ? (plan.cpuMs / parse.cpuMs).toFixed(2) : "n/a"}x`,
      "goal 1 (end to end < 1 s wall)": plan.wallMs < 1000 ? "met" : "NOT met",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildBlueprint(): string {
  const random = mulberry32(42);
  const out: string[] = [];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let i = 0; i < PER_LAYER; i++) {
      out.push(`layer${layer}__s${i}:`);
      out.push(`  label: 'layer ${layer} service ${i}'`);
      if (layer > 0) {
        const picks = new Set<number>();
        const count = 1 + Math.floor(random() * 3);
        while (picks.size < count) picks.add(Math.floor(random() * PER_LAYER));
        out.push(`  below: [${[...picks].map((p) => `s${p}`).join(", ")}]`);
      }
    }
  }
  return `${out.join("\n")}\n`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export async function benchPlan(): Promise<Record<string, unknown>> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const time = <T>(fn: () => T): [T, number] => {
    const start = performance.now();
    const value = fn();
    const ms = performance.now() - start;
    sample();
    return [value, ms];
  };
  sample();

  const [templates, templatesMs] = time(buildTemplates);
  const text = buildBlueprint();
  const [, plainParseMs] = time(() => YAML.parse(text, { uniqueKeys: false }));
  const [bp, parseMs] = time(() => parseBlueprint("dag.yaml", text));
  const [executed, executeMs] = time(() => executeBlueprint(emptyRepository(), templates, bp));
  const [scheduled, scheduleMs] = time(() => scheduleAction(executed.state, templates, { action: "install" }));
  const [plan, planMs] = time(() => planRun(scheduled.state, templates));
  // A second plan of the same state: the steady-state cost without first-touch effects.
  const [, replanMs] = time(() => planRun(scheduled.state, templates));

  const services = Object.keys(scheduled.state.services).length;
  const edges = Object.values(scheduled.state.services).reduce((n, s) => n + s.producers.length, 0);
  const jobs = plan.steps.reduce((n, s) => n + s.jobs.length, 0);
  if (services !== LAYERS * PER_LAYER || jobs !== 2 * services || plan.steps.length !== LAYERS + 1) {
    throw new Error(`unexpected plan: ${services} services, ${jobs} jobs, ${plan.steps.length} steps`);
  }
  return {
    services,
    "producer links": edges,
    "blueprint size": `${(text.length / 1024).toFixed(0)} KiB`,
    "templates (20) ms": templatesMs.toFixed(1),
    "yaml parse() of the text, uniqueKeys off, ms": plainParseMs.toFixed(1),
    "parse blueprint ms": parseMs.toFixed(1),
    "execute blueprint ms": executeMs.toFixed(1),
    "schedule install ms": scheduleMs.toFixed(1),
    "plan run ms": planMs.toFixed(1),
    "plan run again ms": replanMs.toFixed(1),
    "plan steps": plan.steps.length,
    "plan jobs": jobs,
    "peak rss": mb(peakRss),
    "peak heapUsed": mb(peakHeap),
    ...endToEnd(text),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchPlan();
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [key, value] of Object.entries(figures)) console.log(`${key.padEnd(width)}  ${String(value)}`);
}
