import { describe, it } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import { api } from "../helpers/auth.ts";
import { createRun, getRun, must, parseSse, repoWithBlueprint, type SseEvent } from "../helpers/runs.ts";
import { until } from "../helpers/until.ts";

describe("GET …/aysrun/{key}/stream", () => {
  it("pushes the run, then every job change and log line, and ends with the run", async ({ expect }) => {
    const repo = "streamed";
    await api("/ays/repository", { method: "POST", json: { name: repo } });
    await api(`/ays/repository/${repo}/template`, {
      method: "POST",
      json: {
        name: "box",
        actions: `export async function install(job) { job.log("installing " + job.service.name); job.log("done"); }`,
      },
    });
    await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "b.yaml", content: "box__one:\nactions:\n  - action: install\n" } });
    await api(`/ays/repository/${repo}/blueprint/b.yaml`, { method: "POST" });
    const simulated = (await (await api(`/ays/repository/${repo}/aysrun?simulate=true`, { method: "POST" })).json()) as RunRecord;
    expect(simulated.state).toBe("new");

    const stream = await api(`/ays/repository/${repo}/aysrun/${simulated.key}/stream`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const started = await api(`/ays/repository/${repo}/aysrun/${simulated.key}`, { method: "POST" });
    expect(started.status).toBe(200);

    const events = parseSse(await stream.text());
    expect(events[0]!.event).toBe("run");
    expect((events[0]!.data as unknown as RunRecord).state).toBe("new");
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));

    const jobChanges = events.filter((e) => e.event === "job").map((e) => {
      const job = e.data.job as { action: string; state: string };
      return `${job.action} ${job.state}`;
    });
    // init is the AYS default (no code), done at once; install runs in the sandbox.
    expect(jobChanges).toEqual(["init ok", "install running", "install ok"]);
    const logs = events.filter((e) => e.event === "log").map((e) => e.data.log);
    expect(logs).toEqual(expect.arrayContaining(["installing one", "done"]));
    const last = events[events.length - 1]!;
    expect(last.event).toBe("state");
    expect(last.data.state).toBe("ok");
  });

  it("streams a running job's log lines before the job ends, without repeating them", async ({ expect }) => {
    const repo = "livelogs";
    await api("/ays/repository", { method: "POST", json: { name: repo } });
    await api(`/ays/repository/${repo}/template`, {
      method: "POST",
      json: {
        name: "box",
        actions: `export async function install(job) {
          job.log("step 1");
          await new Promise((r) => setTimeout(r, 700));
          job.log("step 2");
        }`,
      },
    });
    await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "b.yaml", content: "box__one:\nactions:\n  - action: install\n" } });
    await api(`/ays/repository/${repo}/blueprint/b.yaml`, { method: "POST" });
    const run = (await (await api(`/ays/repository/${repo}/aysrun?simulate=true`, { method: "POST" })).json()) as RunRecord;
    const stream = await api(`/ays/repository/${repo}/aysrun/${run.key}/stream`);
    await api(`/ays/repository/${repo}/aysrun/${run.key}`, { method: "POST" });
    const events = parseSse(await stream.text());
    const at = (pred: (e: SseEvent) => boolean) => events.findIndex(pred);
    const step1 = at((e) => e.event === "log" && e.data.log === "step 1");
    const installOk = at((e) => e.event === "job" && (e.data.job as { action: string; state: string }).action === "install" && (e.data.job as { state: string }).state === "ok");
    expect(step1).toBeGreaterThan(0);
    expect(step1).toBeLessThan(installOk);
    expect(events.filter((e) => e.event === "log" && e.data.log === "step 1")).toHaveLength(1);
    const final = (await (await api(`/ays/repository/${repo}/aysrun/${run.key}`)).json()) as RunRecord;
    const install = final.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!;
    expect(install.logs.map((l) => l.log)).toEqual(["step 1", "step 2"]);
    // Each line says where it sits in the job's log, so a page that fetched the log skips what it has.
    const lines = events.filter((e) => e.event === "log" && e.data.job === install.key).map((e) => [e.data.index, e.data.log]);
    expect(lines).toEqual([[0, "step 1"], [1, "step 2"]]);
  });

  it("leaves the logs out of the first event with ?logs=none, and sends every line after it", async ({ expect }) => {
    const repo = "slimstream";
    const actions = `export async function install(job) {
      job.log("begin " + job.service.name);
      await new Promise((r) => setTimeout(r, 1500));
      job.log("end " + job.service.name);
    }`;
    await repoWithBlueprint(repo, "box__one:\nbox__two:\nactions:\n  - action: install\n", { actions });
    const run = await createRun(repo, true);
    const base = `/ays/repository/${repo}/aysrun/${run.key}`;
    const whole = await must(api(`${base}/stream`), 200);
    const slim = await must(api(`${base}/stream?logs=none`), 200);
    await must(api(base, { method: "POST" }), 200);
    // A stream opened while a job has logged its first line counts that line and sends the next.
    const midway = await until(() => getRun(repo, run.key), (r) => r.steps.some((s) => s.jobs.some((j) => j.state === "running" && j.logs.length === 1)));
    const running = midway.steps.flatMap((s) => s.jobs).find((j) => j.state === "running" && j.logs.length === 1)!;
    const late = await must(api(`${base}/stream?logs=none`), 200);
    const [w, s, l] = (await Promise.all([whole.text(), slim.text(), late.text()])).map(parseSse);
    const final = await getRun(repo, run.key);
    expect(final.state).toBe("ok");

    // The default stream is as it was: the whole run first, nothing marked as left out.
    const wRun = w![0]!.data as unknown as RunRecord;
    expect(wRun.logs_omitted).toBeUndefined();
    expect(wRun.steps.flatMap((st) => st.jobs).every((j) => j.log_count === undefined)).toBe(true);
    // Without logs, the first event says so and counts each job's lines (none yet); then the same events follow.
    const sRun = s![0]!.data as unknown as RunRecord;
    expect(s![0]!.event).toBe("run");
    expect(sRun.logs_omitted).toBe(true);
    expect(sRun.steps.flatMap((st) => st.jobs).map((j) => [j.logs.length, j.log_count])).toEqual(final.steps.flatMap((st) => st.jobs).map(() => [0, 0]));
    expect(s!.slice(1)).toEqual(w!.slice(1));
    const logLines = (events: SseEvent[], job: string) => events.filter((e) => e.event === "log" && e.data.job === job).map((e) => [e.data.index, e.data.log]);
    for (const job of final.steps.flatMap((st) => st.jobs)) {
      expect(logLines(s!, job.key)).toEqual(job.logs.map((line, i) => [i, line.log]));
    }

    // The late stream starts from the line the running job had: its fetched log plus these lines is the whole log, once.
    const lRun = l![0]!.data as unknown as RunRecord;
    const counted = lRun.steps.flatMap((st) => st.jobs).find((j) => j.key === running.key)!;
    expect([counted.logs.length, counted.log_count]).toEqual([0, 1]);
    const name = running.service.split("!")[1];
    expect(logLines(l!, running.key)).toEqual([[1, `end ${name}`]]);
    const job = (await (await must(api(`${base}/job/${running.key}`), 200)).json()) as { logs: { log: string }[] };
    expect(job.logs.map((line) => line.log)).toEqual([`begin ${name}`, `end ${name}`]);

    // GET …/aysrun/{key} takes the same option; anything but all or none is refused.
    const lean = (await (await must(api(`${base}?logs=none`), 200)).json()) as RunRecord;
    expect(lean.logs_omitted).toBe(true);
    expect(lean.steps.flatMap((st) => st.jobs).map((j) => [j.logs.length, j.log_count])).toEqual(final.steps.flatMap((st) => st.jobs).map((j) => [0, j.logs.length]));
    expect(await (await must(api(`${base}?logs=all`), 200)).json()).toEqual(final);
    for (const path of [`${base}?logs=some`, `${base}/stream?logs=0`]) {
      const bad = await must(api(path), 400);
      expect(await bad.json()).toEqual({ code: "invalid_request", error: "query logs: expected all or none" });
    }
  });

  it("answers a finished run's stream with the run alone, and 404 for an unknown run", async ({ expect }) => {
    const missing = await api("/ays/repository/streamed/aysrun/run-404/stream");
    expect(missing.status).toBe(404);
    const done = parseSse(await (await api("/ays/repository/streamed/aysrun/run-1/stream")).text());
    expect(done.map((e) => e.event)).toEqual(["run"]);
    expect((done[0]!.data as unknown as RunRecord).state).toBe("ok");
  });
});
