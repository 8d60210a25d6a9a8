/**
 * Benchmark section "api": the REST API and run execution against `wrangler dev` on this machine,
 * started through `cockpit start` with a throwaway state folder and a throwaway dev key. Every
 * figure is printed next to the same measurement of a bare Durable Object round trip
 * (`GET /health?deep=1`), so the ratio shows what Cockpit adds on top of the platform.
 */
import { startCockpit } from "../scripts/local-cockpit.ts";

export const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
export const ms = (n: number) => `${n.toFixed(1)} ms`;

async function timed(n: number, fn: (i: number) => Promise<Response>): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fn(i);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`request ${i} answered ${res.status}`);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

interface JobView {
  state: string;
  started: number | null;
  ended: number | null;
  logs: { log: string }[];
}

interface RunView {
  key: string;
  state: string;
  steps: { number: number; jobs: JobView[] }[];
}

const probeFigure = (sorted: number[], bare: number) =>
  sorted.length ? `${ms(quantile(sorted, 0.5))} / ${ms(sorted.at(-1)!)}  (max ${(sorted.at(-1)! / bare).toFixed(1)}x bare p50)` : "(no probe)";

/** A job the RepositoryActor closed itself, without a ServiceActor or the sandbox: an AYS default action (or no-exec). */
const isInline = (job: JobView) => job.logs.some((l) => l.log.endsWith(": AYS default action (no-op)") || l.log.startsWith("no-exec mode:"));

export async function benchApi(): Promise<Record<string, unknown>> {
  const cockpit = await startCockpit();
  const headers = { authorization: `bearer ${cockpit.token}`, "content-type": "application/json" };
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${cockpit.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const must = async (res: Promise<Response>) => {
    const r = await res;
    if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
    return r.json() as Promise<unknown>;
  };
  const waitRun = async (repo: string, key: string): Promise<RunView> => {
    for (;;) {
      const run = (await must(call("GET", `/ays/repository/${repo}/aysrun/${key}`))) as RunView;
      if (["ok", "error", "cancelled"].includes(run.state)) return run;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    const N = 300;
    const baseline = await timed(N, () => fetch(`${cockpit.base}/health?deep=1`));

    await must(call("POST", "/ays/repository", { name: "bench" }));
    await must(call("POST", "/ays/repository/bench/template", { name: "box", actions: "export function install() {}" }));
    await must(call("POST", "/ays/repository/bench/blueprint", { name: "one.yaml", content: "box__one:\nactions:\n  - action: install\n" }));
    await must(call("POST", "/ays/repository/bench/blueprint/one.yaml"));
    const getService = await timed(N, () => call("GET", "/ays/repository/bench/service/box/one"));
    const simulate = await timed(100, () => call("POST", "/ays/repository/bench/aysrun?simulate=true"));

    // A chain of 60 services, each consuming the one before. Their `init` (the AYS default, done
    // inline without the sandbox) runs first in a run of its own, so the measured run is 60
    // sequential steps of one sandboxed `install` each: the gap between one job's end and the next
    // one's start is the platform's own overhead, and each job's duration is a sandboxed no-op.
    const CHAIN = 60;
    const chain = ["chain__s0:"];
    for (let i = 1; i < CHAIN; i++) chain.push(`chain__s${i}:\n  box: s${i - 1}`);
    await must(call("POST", "/ays/repository", { name: "chain" }));
    await must(call("POST", "/ays/repository/chain/template", { name: "box", actions: "export function install() {}" }));
    await must(call("POST", "/ays/repository/chain/template", {
      name: "chain",
      config: "links:\n  consume:\n    - role: chain\n      argname: box\n      min: 0\n      max: 1\n",
      actions: "export function install() {}",
    }));
    await must(call("POST", "/ays/repository/chain/blueprint", { name: "c.yaml", content: `${chain.join("\n")}\nactions:\n  - action: init\n` }));
    await must(call("POST", "/ays/repository/chain/blueprint/c.yaml"));
    const initRun = (await must(call("POST", "/ays/repository/chain/aysrun"))) as RunView;
    const initDone = await waitRun("chain", initRun.key);
    await must(call("POST", "/ays/repository/chain/blueprint", { name: "i.yaml", content: "actions:\n  - action: install\n    actor: chain\n" }));
    await must(call("POST", "/ays/repository/chain/blueprint/i.yaml"));
    console.error("  (requests measured; running the chain)");
    const chainRun = (await must(call("POST", "/ays/repository/chain/aysrun"))) as RunView;
    const chainDone = await waitRun("chain", chainRun.key);
    if (chainDone.steps.length !== CHAIN || chainDone.steps.some((s) => s.jobs.length !== 1)) {
      throw new Error(`the chain run is not ${CHAIN} steps of one job: ${chainDone.steps.map((s) => s.jobs.length).join(",")}`);
    }
    const gaps: number[] = [];
    for (let i = 1; i < chainDone.steps.length; i++) {
      const prevEnd = Math.max(...chainDone.steps[i - 1]!.jobs.map((j) => j.ended ?? 0));
      const nextStart = Math.min(...chainDone.steps[i]!.jobs.map((j) => j.started ?? Infinity));
      gaps.push(nextStart - prevEnd);
    }
    gaps.sort((a, b) => a - b);
    const chainJobs = [...initDone.steps, ...chainDone.steps].flatMap((s) => s.jobs);
    const sandboxed = chainJobs.filter((j) => !isInline(j));
    const durations = sandboxed.map((j) => (j.ended ?? 0) - (j.started ?? 0)).sort((a, b) => a - b);

    // 1,000 independent services with a no-op install in actions.js (run in the sandbox).
    const count = Number(process.env.BENCH_SERVICES ?? 1000);
    console.error(`  (chain done; installing ${count} services)`);
    const services = Array.from({ length: count }, (_, i) => `box__b${i}:`).join("\n");
    await must(call("POST", "/ays/repository", { name: "thousand" }));
    await must(call("POST", "/ays/repository/thousand/template", { name: "box", actions: "export function install() {}" }));
    await must(call("POST", "/ays/repository/thousand/blueprint", { name: "k.yaml", content: `${services}\nactions:\n  - action: install\n` }));
    await must(call("POST", "/ays/repository/thousand/blueprint/k.yaml"));
    const t0 = performance.now();
    const cpu0 = cockpit.cpuMs();
    const big = (await must(call("POST", "/ays/repository/thousand/aysrun"))) as RunView;
    const createMs = performance.now() - t0;
    // While the run dispatches and executes, /health (the Worker alone) and /health?deep=1 (a round
    // trip to the OrganizationActor, which every run and job state event also reaches: issue 18's
    // goal 3) keep being asked, one request at a time each.
    let running = true;
    const probe = async (path: string): Promise<number[]> => {
      const samples: number[] = [];
      while (running) {
        const t = performance.now();
        await (await fetch(`${cockpit.base}${path}`)).arrayBuffer();
        samples.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
      return samples.sort((a, b) => a - b);
    };
    const probes = Promise.all([probe("/health"), probe("/health?deep=1")]);
    const bigDone = await waitRun("thousand", big.key).finally(() => (running = false));
    const [health, deepHealth] = await probes;
    const wall = performance.now() - t0;
    const cpu1 = cockpit.cpuMs();
    const cpu = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
    const jobs = bigDone.steps.reduce((n, s) => n + s.jobs.length, 0);

    return {
      "bare DO round trip p50 / p99": `${ms(baseline.p50)} / ${ms(baseline.p99)}`,
      "GET service p50 / p99": `${ms(getService.p50)} / ${ms(getService.p99)}  (${(getService.p50 / baseline.p50).toFixed(1)}x / ${(getService.p99 / baseline.p99).toFixed(1)}x bare)`,
      "POST aysrun?simulate p50 / p99": `${ms(simulate.p50)} / ${ms(simulate.p99)}  (${(simulate.p50 / baseline.p50).toFixed(1)}x / ${(simulate.p99 / baseline.p99).toFixed(1)}x bare)`,
      "chain: steps of sandboxed jobs / state": `${chainDone.steps.length} / ${chainDone.state}`,
      "chain: sandboxed jobs / inline default actions (init, counted apart)": `${sandboxed.length} / ${chainJobs.length - sandboxed.length}`,
      "job-to-job gap p50 / p99": `${ms(quantile(gaps, 0.5))} / ${ms(quantile(gaps, 0.99))}  (${(quantile(gaps, 0.5) / baseline.p50).toFixed(1)}x bare)`,
      "sandboxed no-op job duration median / p99": `${ms(quantile(durations, 0.5))} / ${ms(quantile(durations, 0.99))}`,
      [`${count}-service install: POST aysrun answered (goal < 100 ms)`]: `${ms(createMs)}  (${(createMs / baseline.p50).toFixed(1)}x bare; goal ${createMs < 100 ? "met" : "NOT met"})`,
      [`${count}-service install: /health during the run p50 / max (${health.length} probes)`]: probeFigure(health, baseline.p50),
      [`${count}-service install: /health?deep=1 during the run p50 / max (${deepHealth.length} probes)`]: probeFigure(deepHealth, baseline.p50),
      [`${count}-service install: state`]: bigDone.state,
      [`${count}-service install: jobs / wall`]: `${jobs} / ${(wall / 1000).toFixed(1)} s`,
      [`${count}-service install: per job`]: `${ms(wall / jobs)}  (${(wall / jobs / baseline.p50).toFixed(1)}x bare)`,
      // CPU time of wrangler, workerd and every isolate: what a busy machine does not inflate.
      [`${count}-service install: CPU / per job`]: cpu === null ? "(no /proc here)" : `${(cpu / 1000).toFixed(1)} s / ${ms(cpu / jobs)}`,
    };
  } finally {
    await cockpit.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchApi());
