/**
 * Benchmark section "repos": is one actor the bottleneck? The same API load against one repository
 * and spread over ten (each repository its own RepositoryActor; the OrganizationActor shared), and
 * the same number of jobs as one repository's run and as ten repositories' runs at once. Printed as
 * ratios of the two, with the CPU time each took (steadier than wall time on a busy machine).
 * Locally every actor shares one workerd process, so a ratio near 1 here means that no actor queues
 * the others; on Cloudflare each actor runs apart and ten repositories scale further.
 */
import { startCockpit } from "../scripts/local-cockpit.ts";
import { ms, quantile } from "./api.ts";

const REPOS = 10;

export async function benchRepos(): Promise<Record<string, unknown>> {
  const cockpit = await startCockpit();
  const headers = { authorization: `bearer ${cockpit.token}`, "content-type": "application/json" };
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${cockpit.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const must = async (res: Promise<Response>) => {
    const r = await res;
    if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
    return r.json() as Promise<unknown>;
  };
  const perCpu = (cpu0: number | null, cpu1: number | null, n: number) => (cpu0 === null || cpu1 === null ? "(no /proc)" : ms((cpu1 - cpu0) / n));

  /** `total` requests, 20 at a time, request i to repository `repoOf(i)`. */
  const load = async (total: number, repoOf: (i: number) => number) => {
    const samples: number[] = [];
    let next = 0;
    const cpu0 = cockpit.cpuMs();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = next++; i < total; i = next++) {
          const t = performance.now();
          const res = await call("GET", `/ays/repository/r${repoOf(i)}/template/box`);
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`GET answered ${res.status}`);
          samples.push(performance.now() - t);
        }
      }),
    );
    const wall = performance.now() - t0;
    samples.sort((a, b) => a - b);
    return { perSecond: total / (wall / 1000), p99: quantile(samples, 0.99), cpu: perCpu(cpu0, cockpit.cpuMs(), total) };
  };

  /** One run in each of `repos`, all at once, of `each` no-op installs in the sandbox: jobs/s. */
  const runAll = async (repos: number[], each: number, tag: string) => {
    const services = Array.from({ length: each }, (_, i) => `box__${tag}${i}:`).join("\n");
    for (const r of repos) {
      await must(call("POST", `/ays/repository/r${r}/blueprint`, { name: `${tag}.yaml`, content: `${services}\nactions:\n  - action: install\n` }));
      await must(call("POST", `/ays/repository/r${r}/blueprint/${tag}.yaml`));
    }
    const cpu0 = cockpit.cpuMs();
    const t0 = performance.now();
    const keys = await Promise.all(repos.map(async (r) => ((await must(call("POST", `/ays/repository/r${r}/aysrun`))) as { key: string }).key));
    await Promise.all(
      repos.map(async (r, i) => {
        for (;;) {
          const run = (await must(call("GET", `/ays/repository/r${r}/aysrun/${keys[i]}?logs=none`))) as { state: string };
          if (run.state === "ok") return;
          if (run.state === "error" || run.state === "cancelled") throw new Error(`the run in r${r} ended ${run.state}`);
          await new Promise((res) => setTimeout(res, 200));
        }
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    const jobs = repos.length * each;
    return { perSecond: jobs / wall, jobs, cpu: perCpu(cpu0, cockpit.cpuMs(), jobs) };
  };

  try {
    for (let r = 0; r < REPOS; r++) {
      await must(call("POST", "/ays/repository", { name: `r${r}` }));
      await must(call("POST", `/ays/repository/r${r}/template`, { name: "box", actions: "export function install() {}" }));
    }
    const total = Number(process.env.BENCH_REPO_REQUESTS ?? 2000);
    await load(200, (i) => i % REPOS); // every actor awake
    const one = await load(total, () => 0);
    const ten = await load(total, (i) => i % REPOS);
    const each = Number(process.env.BENCH_REPO_SERVICES ?? 50);
    // The same jobs both ways: one repository runs one run at a time, so it gets one run ten times as big.
    const single = await runAll([0], each * REPOS, "single");
    const spread = await runAll(Array.from({ length: REPOS }, (_, r) => r), each, "spread");
    return {
      [`API: ${total} GETs, 20 at a time, 1 repository`]: `${one.perSecond.toFixed(0)}/s, p99 ${ms(one.p99)}, CPU ${one.cpu} a request`,
      [`API: the same over ${REPOS} repositories`]: `${ten.perSecond.toFixed(0)}/s, p99 ${ms(ten.p99)}, CPU ${ten.cpu} a request  (${(ten.perSecond / one.perSecond).toFixed(2)}x of 1)`,
      [`runs: ${single.jobs} jobs in 1 repository`]: `${single.perSecond.toFixed(1)} jobs/s, CPU ${single.cpu} a job`,
      [`runs: ${spread.jobs} jobs over ${REPOS} repositories at once`]: `${spread.perSecond.toFixed(1)} jobs/s, CPU ${spread.cpu} a job  (${(spread.perSecond / single.perSecond).toFixed(2)}x of 1)`,
    };
  } finally {
    await cockpit.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchRepos());
