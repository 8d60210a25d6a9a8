/**
 * Benchmark section "events": bursts of 1,000 events through each ingress (generic webhook, signed
 * GitHub webhook, inbound mail through wrangler dev's local email endpoint) into services whose
 * filters run a no-op action. Reports events per second from the first send to the last job
 * start, p50/p99 of ingress-to-job-start, and whether any event was lost or left waiting.
 */
import { createHmac } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SEED_CONFIG, startCockpit } from "../scripts/local-cockpit.ts";
import { ms, quantile } from "./api.ts";

const SERVICES = 10;
const BURST = Number(process.env.BENCH_EVENTS ?? 1000);
const CONCURRENCY = 16;
// config/cockpit.example.toml's [webhooks] github_secret.
const GITHUB_SECRET = "local-dev-github-webhook-secret";

async function pool<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/**
 * The seed's configuration with a per-source rate above the bursts: every request of the benchmark
 * comes from this one machine, which [webhooks] events_per_minute (600 by default) would stop.
 */
async function benchConfig(): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "cockpit-bench-")), "cockpit.toml");
  const seed = await readFile(SEED_CONFIG, "utf8");
  await writeFile(file, seed.replace("[webhooks]\n", `[webhooks]\nevents_per_minute = ${Math.max(100_000, BURST * 10)}\n`));
  return file;
}

export async function benchEvents(): Promise<Record<string, unknown>> {
  const cockpit = await startCockpit({ config: await benchConfig() });
  const headers = { authorization: `bearer ${cockpit.token}`, "content-type": "application/json" };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cockpit.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  try {
    // One repository per channel; each event reaches exactly one of its services.
    const setup = async (repo: string, channel: string, commandOf: (i: number) => string | undefined) => {
      await call("POST", "/ays/repository", { name: repo });
      await call("POST", `/ays/repository/${repo}/template`, { name: "sink", actions: "export function react(job) { job.log(job.args.id + ' ' + job.args.time); }" });
      const lines: string[] = [];
      for (let i = 0; i < SERVICES; i++) lines.push(`sink__s${i}:`);
      lines.push("eventfilters:");
      for (let i = 0; i < SERVICES; i++) {
        const command = commandOf(i);
        lines.push(`  - service: s${i}`, `    channel: ${channel}`, ...(command ? [`    command: ${command}`] : []), "    actions: [react]");
      }
      await call("POST", `/ays/repository/${repo}/blueprint`, { name: "sinks.yaml", content: lines.join("\n") });
      await call("POST", `/ays/repository/${repo}/blueprint/sinks.yaml`);
    };
    await setup("gen", "webservice", (i) => `c${i}`);
    await setup("gh", "webhook", (i) => (i === 0 ? "push" : `x${i}`));
    await setup("mail", "email", () => undefined);

    const collect = async (repo: string, perService: (i: number) => number, sentAt: Map<string, number>) => {
      const latencies: number[] = [];
      let lastStart = 0;
      const deadline = Date.now() + 300_000;
      for (;;) {
        latencies.length = 0;
        let count = 0;
        for (let i = 0; i < SERVICES; i++) {
          if (perService(i) === 0) continue;
          const jobs = ((await call("GET", `/ays/repository/${repo}/service/sink/s${i}/jobs?limit=1000`)) as { jobs: { state: string; started: number | null; logs: { log: string }[] }[] }).jobs;
          for (const job of jobs) {
            if (job.state !== "ok" || job.started === null) continue;
            count++;
            const [id, time] = (job.logs[0]?.log ?? "").split(" ");
            const t = sentAt.get(id ?? "") ?? Number(time);
            latencies.push(job.started - t);
            lastStart = Math.max(lastStart, job.started);
          }
        }
        const expected = Array.from({ length: SERVICES }, (_, i) => perService(i)).reduce((a, b) => a + b, 0);
        if (count >= expected || Date.now() > deadline) return { count, expected, latencies: latencies.sort((a, b) => a - b), lastStart };
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    // `accepted` is when the last ingress request was answered: ingress alone, before the queue and the jobs.
    const report = (name: string, started: number, accepted: number, r: Awaited<ReturnType<typeof collect>>) => ({
      [`${name}: accepted per second (ingress only)`]: (BURST / ((accepted - started) / 1000)).toFixed(0),
      [`${name}: delivered / sent`]: `${r.count} / ${r.expected}${r.count < r.expected ? "  (LOST OR STUCK)" : ""}`,
      [`${name}: events per second`]: (r.count / ((r.lastStart - started) / 1000)).toFixed(0),
      [`${name}: ingress-to-job-start p50 / p99`]: r.latencies.length ? `${ms(quantile(r.latencies, 0.5))} / ${ms(quantile(r.latencies, 0.99))}` : "n/a",
    });

    const results: Record<string, unknown> = {};

    // Generic: POST /webhooks/events, spread over ten commands.
    let started = Date.now();
    const genSent = new Map<string, number>();
    await pool([...Array(BURST).keys()], async (i) => {
      const t = Date.now();
      const res = (await call("POST", "/webhooks/events", { command: `c${i % SERVICES}`, repo: "gen", payload: { i } })) as { id: string };
      genSent.set(res.id, t);
    });
    let accepted = Date.now();
    Object.assign(results, report("generic", started, accepted, await collect("gen", () => BURST / SERVICES, genSent)));

    // GitHub: signed deliveries of `push`, all to one service.
    started = Date.now();
    const ghSent = new Map<string, number>();
    await pool([...Array(BURST).keys()], async (i) => {
      const body = JSON.stringify({ ref: "refs/heads/main", i });
      const signature = `sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`;
      const t = Date.now();
      const res = await fetch(`${cockpit.base}/webhooks/github`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": `bench-${i}`, "x-hub-signature-256": signature },
        body,
      });
      if (res.status !== 202) throw new Error(`github: ${res.status} ${await res.text()}`);
      ghSent.set(`github-bench-${i}`, t);
    });
    accepted = Date.now();
    Object.assign(results, report("github", started, accepted, await collect("gh", (i) => (i === 0 ? BURST : 0), ghSent)));

    // Email: through wrangler dev's local Email Routing endpoint, to repo+mail@.
    started = Date.now();
    await pool([...Array(BURST).keys()], async (i) => {
      const raw = `From: ops@example.com\r\nTo: repo+mail@cockpit.example.com\r\nSubject: bench ${i}\r\nMessage-ID: <bench-${i}@example.com>\r\n\r\nbody ${i}\r\n`;
      const url = `${cockpit.base}/cdn-cgi/local/email?from=ops@example.com&to=${encodeURIComponent("repo+mail@cockpit.example.com")}&format=json`;
      const res = await fetch(url, { method: "POST", body: raw });
      const out = (await res.json()) as { rejectReason?: string };
      if (out.rejectReason) throw new Error(`mail rejected: ${out.rejectReason}`);
    });
    accepted = Date.now();
    // Every mail reaches every one of the ten email filters: ten jobs per event.
    Object.assign(results, report("email (x10 services)", started, accepted, await collect("mail", () => BURST, new Map())));
    return results;
  } finally {
    await cockpit.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchEvents());
