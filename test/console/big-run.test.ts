import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { JobRecord, RunRecord } from "../../src/runs/model.ts";
import { drawnJobs, MAX_DRAWN_PER_STEP } from "../../src/console/run-graph.tsx";
import { INLINE_JOBS } from "../../src/console/runs.tsx";
import { api, mintToken, ORG } from "../helpers/auth.ts";
import { createRun, must, parseSse, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

async function page(path: string): Promise<string> {
  const headers = new Headers({ accept: "text/html", cookie: `jwt=${await mintToken()}` });
  const res = await exports.default.fetch(new Request(`http://cockpit.test${path}`, { headers }));
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return res.text();
}

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

describe("the run view of a big run", () => {
  it("folds 600 jobs by step, loads logs on demand, and draws a few boxes per step with +N more", async ({ expect }) => {
    // 300 services of a template without code: init and install are AYS defaults, done at once.
    const repo = "big-run";
    const services = Array.from({ length: 300 }, (_, i) => `box__b${i}:`).join("\n");
    await repoWithBlueprint(repo, `${services}\nactions:\n  - action: install\n`);
    const run = await waitForRun(repo, (await createRun(repo)).key, undefined, 30_000);
    expect(run.state).toBe("ok");
    expect(run.steps.map((s) => s.jobs.length)).toEqual([300, 300]);

    const html = await page(`/console/repo/${repo}/run/${run.key}`);
    // Before the jobs were folded this page was 713,807 bytes (every job with its log inline, all
    // 600 boxes drawn); now about 103 KB. The bound leaves room for small changes, not for logs.
    expect(new TextEncoder().encode(html).length).toBeLessThan(125_000);

    expect(html).toMatch(/<svg [^>]*aria-label="Run [^"]+: 2 steps, 600 jobs \(20 drawn\)"/);
    expect(count(html, /class="node st-ok"/g)).toBe(2 * MAX_DRAWN_PER_STEP);
    expect(count(html, /<text [^>]*>\+290 more<\/text>/g)).toBe(2);
    expect(html).toContain('<a href="#step-2" class="more" data-more="2" aria-label="290 more jobs in step 2: see the step&#39;s list">');

    // The script follows the run's stream without logs (?logs=none), as the page was read.
    expect(html).toMatch(new RegExp(`<section id="run" [^>]*data-stream="/ays/repository/${repo}/aysrun/${run.key}/stream" [^>]*data-without-logs="1"`));

    // Every job is listed, folded, with its state; no log is in the page.
    expect(count(html, /<details class="job-detail" id="job-[^"]+" data-state="ok">/g)).toBe(600);
    expect(html).not.toMatch(/<details class="(step|job-detail)"[^>]* open/);
    expect(html).not.toContain("AYS default action");
    expect(count(html, /<span data-counts="true">300 jobs: 300 ok<\/span>/g)).toBe(2);

    // Opening a job fetches its log and files.
    const job = run.steps[1]!.jobs.find((j) => j.service === "box!b299")!;
    expect(html).toContain(`<details class="job-detail" id="job-${job.key}" data-state="ok"><summary>box!b299 install <span class="badge st-ok">ok</span></summary></details>`);
    const detail = (await (await must(api(`/ays/repository/${repo}/aysrun/${run.key}/job/${job.key}`), 200)).json()) as JobRecord;
    expect(detail.logs.map((l) => l.log)).toEqual(["install: AYS default action (no-op)"]);
    // The page reads the run without its 600 logs; the API still has them all.
    const stub = env.REPOSITORY.getByName(`${ORG}/${repo}`);
    const lean = (await stub.getRun(run.key, { logsUpTo: INLINE_JOBS })) as unknown as { value: RunRecord };
    expect(lean.value.logs_omitted).toBe(true);
    expect(lean.value.steps.flatMap((s) => s.jobs).every((j) => j.logs.length === 0 && j.log_count === 1 && j.state === "ok")).toBe(true);
    const full = (await stub.getRun(run.key)) as unknown as { value: RunRecord };
    expect(full.value.steps.flatMap((s) => s.jobs).every((j) => j.logs.length === 1)).toBe(true);
  });

  it("streams a 600-job run of 20 log lines a job without its logs when asked to", async ({ expect }) => {
    const repo = "big-stream";
    const services = Array.from({ length: 300 }, (_, i) => `box__s${i}:`).join("\n");
    const twenty = 'for (let i = 1; i <= 20; i++) job.log(job.action + " " + job.service.name + ": step " + i + " of 20 done");';
    const actions = `export async function init(job) { ${twenty} }\nexport async function install(job) { ${twenty} }`;
    await repoWithBlueprint(repo, `${services}\nactions:\n  - action: install\n`, { actions });
    const run = await waitForRun(repo, (await createRun(repo)).key, undefined, 120_000);
    expect(run.state).toBe("ok");
    const jobs = run.steps.flatMap((s) => s.jobs);
    expect(jobs).toHaveLength(600);
    expect(jobs.every((j) => j.logs.length === 20)).toBe(true);

    // The run has ended, so each stream is its first message alone.
    const stream = `/ays/repository/${repo}/aysrun/${run.key}/stream`;
    const whole = await (await must(api(stream), 200)).text();
    const slim = await (await must(api(`${stream}?logs=none`), 200)).text();
    const bytes = (text: string) => new TextEncoder().encode(text).length;
    console.log(`first message of a 600-job run, 20 lines a job: ${bytes(whole)} bytes whole, ${bytes(slim)} bytes with ?logs=none`);
    // Measured: 1,286,303 bytes with every log, 117,723 without (the jobs' states, times and counts).
    expect(bytes(whole)).toBeGreaterThan(1_200_000);
    expect(bytes(slim)).toBeLessThan(140_000);

    const [first] = parseSse(slim);
    const lean = first!.data as unknown as RunRecord;
    expect(first!.event).toBe("run");
    expect(lean.logs_omitted).toBe(true);
    const leanJobs = lean.steps.flatMap((s) => s.jobs);
    expect(leanJobs.map((j) => [j.key, j.state, j.logs.length, j.log_count])).toEqual(jobs.map((j) => [j.key, "ok", 0, 20]));
    // The default stream is unchanged: the whole run, as GET …/aysrun/{key} answers it.
    expect(parseSse(whole)[0]!.data).toEqual(JSON.parse(JSON.stringify(run)));
  }, 150_000); // 600 sandboxed jobs, each in a Workflow instance of its own: longer than the default 30 s on a busy machine

  it("draws a wide step's failed and running jobs first, in step order", ({ expect }) => {
    const jobs = Array.from({ length: 40 }, (_, i) => ({ key: `j${i}`, state: i === 33 ? "error" : i === 21 ? "running" : "ok" }) as JobRecord);
    const drawn = drawnJobs(jobs).map((j) => j.key);
    expect(drawn).toEqual(["j0", "j1", "j2", "j3", "j4", "j5", "j6", "j7", "j21", "j33"]);
    expect(drawnJobs(jobs.slice(0, MAX_DRAWN_PER_STEP))).toHaveLength(MAX_DRAWN_PER_STEP);
  });
});
