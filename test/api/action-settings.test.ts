import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { describe, it } from "vitest";
import type { JobRecord, RunRecord } from "../../src/runs/model.ts";
import { sweepExpiredFiles } from "../../src/files/retention.ts";
import worker from "../../src/index.ts";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

// config.yaml `actions:` settings as the kontor seed's procedures had them, through the real path:
// REST API → RepositoryActor → ServiceActor → sandbox → R2.

const SCHEMA = "@0xd1a2b3c4d5e6f708;\nstruct Schema {\n  note @0 :Text;\n}\n";

async function repoWith(repo: string, actions: string, config: string, blueprint: string) {
  const created = await api("/ays/repository", { method: "POST", json: { name: repo } });
  if (created.status !== 201) throw new Error(await created.text());
  const t = await api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "proc", schema: SCHEMA, config, actions } });
  if (t.status !== 201) throw new Error(await t.text());
  const bp = await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content: blueprint } });
  if (bp.status !== 201) throw new Error(await bp.text());
  const ex = await api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" });
  if (ex.status !== 200) throw new Error(await ex.text());
}

async function runToEnd(repo: string, timeoutMs = 20_000): Promise<RunRecord> {
  const res = await api(`/ays/repository/${repo}/aysrun`, { method: "POST" });
  if (res.status !== 200) throw new Error(await res.text());
  const { key } = (await res.json()) as RunRecord;
  return until(
    async () => (await (await api(`/ays/repository/${repo}/aysrun/${key}`)).json()) as RunRecord,
    (run) => ["ok", "error", "cancelled"].includes(run.state),
    timeoutMs,
  );
}

const installs = (run: RunRecord): JobRecord[] => run.steps.flatMap((s) => s.jobs).filter((j) => j.action === "install");

describe("error_codes", () => {
  it("does not retry a failure whose code is not listed, and says why", async ({ expect }) => {
    await repoWith(
      "codes-refused",
      `export function install() { throw Object.assign(new Error("bad input file"), { code: "EINVAL" }); }`,
      "actions:\n  install:\n    error_codes: [ECONNRESET, timeout]\n    time_between_repeats: 1s\n",
      "proc__a:\nactions:\n  - action: install\n",
    );
    const run = await runToEnd("codes-refused");
    expect(run.state).toBe("error");
    expect(run.attempt).toBe(1);
    const [install] = installs(run);
    expect(install).toMatchObject({ attempts: 1, error_code: "EINVAL" });
    expect(install!.logs.map((l) => l.log)).toContain("not retried: error code EINVAL is not in error_codes (ECONNRESET, timeout)");
  });

  it("retries a listed code, and a timeout when `timeout` is listed", async ({ expect }) => {
    await repoWith(
      "codes-retried",
      `export async function install(job) {
         if (job.service.name === "slow") await new Promise((r) => setTimeout(r, 5_000));
         throw Object.assign(new Error("peer reset"), { code: "ECONNRESET" });
       }`,
      "timeouts:\n  install: 1\nactions:\n  install:\n    error_codes: [ECONNRESET, timeout]\n    max_repeats_if_failed: 1\n    time_between_repeats: 1s\n",
      "proc__flaky:\nproc__slow:\nactions:\n  - action: install\n",
    );
    const run = await runToEnd("codes-retried", 25_000);
    expect(run.state).toBe("error");
    expect(run.attempt).toBe(2);
    const byName = Object.fromEntries(installs(run).map((j) => [j.service, j]));
    expect(byName["proc!flaky"]).toMatchObject({ attempts: 2, error_code: "ECONNRESET" });
    expect(byName["proc!slow"]).toMatchObject({ attempts: 2, error_code: "timeout" });
    expect(byName["proc!flaky"]!.logs.map((l) => l.log)).toContain("attempt 1 failed; retrying in 1 s");
  });
});

describe("max_parallel", () => {
  it("runs at most N jobs of the action at once across the organization, and frees the slots", async ({ expect }) => {
    await repoWith(
      "parallel",
      `export async function install() {
         const began = Date.now();
         await new Promise((r) => setTimeout(r, 700));
         return { began, ended: Date.now() };
       }`,
      "actions:\n  install:\n    max_parallel: 1\n",
      "proc__a:\nproc__b:\nproc__c:\nactions:\n  - action: install\n",
    );
    const run = await runToEnd("parallel", 30_000);
    expect(run.state).toBe("ok");
    const spans = installs(run)
      .map((j) => j.result as { began: number; ended: number })
      .sort((x, y) => x.began - y.began);
    expect(spans).toHaveLength(3);
    // Three jobs of one step, yet never two at once.
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.began).toBeGreaterThanOrEqual(spans[i - 1]!.ended);
    const waited = installs(run).filter((j) => j.logs.some((l) => /^waited [\d.]+ s for a slot \(max_parallel 1 of proc\.install in the organization\)$/.test(l.log)));
    expect(waited.length).toBeGreaterThanOrEqual(2);
    expect(await env.ORGANIZATION.getByName(ORG).slotsInUse()).toEqual({});
  });
});

describe("max_storage_hours and the retention sweep", () => {
  it("dates a job's result files, and the hourly sweep deletes them once expired", async ({ expect }) => {
    await repoWith(
      "storage",
      `export async function install(job) { await job.files.write("report.txt", "done"); }`,
      // 0.0003 h is about a second: long enough to see the file, short enough to see it go.
      "actions:\n  install:\n    max_storage_hours: 0.0003\n",
      "proc__a:\nactions:\n  - action: install\n",
    );
    const before = Date.now();
    const run = await runToEnd("storage");
    expect(run.state).toBe("ok");
    const [file] = installs(run)[0]!.files;
    const stored = await env.FILES.head(file!.key);
    const expires = Date.parse(stored!.customMetadata!.expires!);
    expect(expires).toBeGreaterThanOrEqual(before + 1080);
    expect(expires).toBeLessThan(Date.now() + 1100);

    // Files with no expiry (uploads, webhook payloads) and files not yet expired are kept.
    await env.FILES.put("keep/forever.txt", "x");
    await env.FILES.put("keep/later.txt", "x", { customMetadata: { expires: new Date(Date.now() + 3_600_000).toISOString() } });
    await env.FILES.put("mail/old.eml", "x", { customMetadata: { expires: new Date(Date.now() - 1).toISOString() } });
    await until(async () => Date.now(), (now) => now > expires, 5_000);
    // Past its date the file is no longer served, even before the hourly sweep has run.
    const late = await api(`/ays/files/${encodeURIComponent(file!.key)}`);
    expect(late.status).toBe(410);
    expect(await late.json()).toMatchObject({ code: "expired", error: expect.stringContaining("retention ended") });

    await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env);
    expect(await env.FILES.head(file!.key)).toBeNull();
    expect(await env.FILES.head("mail/old.eml")).toBeNull();
    expect(await env.FILES.head("keep/forever.txt")).not.toBeNull();
    expect(await env.FILES.head("keep/later.txt")).not.toBeNull();
    const download = await api(`/ays/files/${encodeURIComponent(file!.key)}`);
    expect(download.status).toBe(404);
  });
});

describe("a bucket longer than one sweep", () => {
  it("is finished by the next sweeps, each starting where the last one stopped", async ({ expect }) => {
    const past = new Date(Date.now() - 1000).toISOString();
    const keys = ["sweep/a", "sweep/b", "sweep/c", "sweep/d", "sweep/e"];
    for (const key of keys) await env.FILES.put(key, "x", { customMetadata: { expires: past } });
    const left = async () => (await env.FILES.list({ prefix: "sweep/" })).objects.map((o) => o.key);

    // Two pages of two keys per sweep: the first sweep stops after four keys of the bucket.
    const first = await sweepExpiredFiles(env.FILES, { pages: 2, pageSize: 2, startAfter: "sweep/" });
    expect(first).toMatchObject({ scanned: 4, deleted: 4, resumeAfter: "sweep/d" });
    expect(await left()).toEqual(["sweep/e"]);

    const second = await sweepExpiredFiles(env.FILES, { pages: 2, pageSize: 2, startAfter: first.resumeAfter });
    expect(second.deleted).toBeGreaterThanOrEqual(1);
    expect(await left()).toEqual([]);
  });

  it("remembers where the hourly sweep stopped in the organization's actor", async ({ expect }) => {
    const org = env.ORGANIZATION.getByName(ORG);
    await org.setSweepResumeAfter("mail/half-way");
    await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env);
    // This bucket fits in one sweep, so the next one starts from the beginning again.
    expect(await org.sweepResumeAfter()).toBeNull();
  });
});
