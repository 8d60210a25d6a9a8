/**
 * Planner benchmark: a layered DAG of 10,000 services (20 layers x 500), each service consuming
 * 1-3 services of the layer below, through templates built in memory. Measures blueprint parsing,
 * execution, scheduling `install` everywhere, and planning the run.
 *
 *   node bench/plan.ts            (or `npm run bench -- plan`)
 */
import { pathToFileURL } from "node:url";
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

function buildTemplates() {
  const list = [];
  for (let layer = 0; layer < LAYERS; layer++) {
    const config = layer === 0 ? "" : `links:\n  consume:\n  - role: layer${layer - 1}\n    argname: below\n    min: 1\n    max: 3\n`;
    const schema = `struct Schema {\n  weight @0 :Int64 = 1;\n  label @1 :Text;\n}\n`;
    list.push(parseTemplate(`layer${layer}`, { config, schema }, `bench/layer${layer}`));
  }
  return templateIndex(list);
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
    "parse blueprint ms": parseMs.toFixed(1),
    "execute blueprint ms": executeMs.toFixed(1),
    "schedule install ms": scheduleMs.toFixed(1),
    "plan run ms": planMs.toFixed(1),
    "plan run again ms": replanMs.toFixed(1),
    "plan steps": plan.steps.length,
    "plan jobs": jobs,
    "peak rss": mb(peakRss),
    "peak heapUsed": mb(peakHeap),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchPlan();
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [key, value] of Object.entries(figures)) console.log(`${key.padEnd(width)}  ${String(value)}`);
}
