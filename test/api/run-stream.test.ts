import { describe, it } from "vitest";
import type { RunRecord } from "../../src/actors/run-model.ts";
import { api } from "../helpers/auth.ts";

interface SseEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const field = (name: string) => block.split("\n").find((l) => l.startsWith(`${name}: `))!.slice(name.length + 2);
      return { id: Number(field("id")), event: field("event"), data: JSON.parse(field("data")) as Record<string, unknown> };
    });
}

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

  it("answers a finished run's stream with the run alone, and 404 for an unknown run", async ({ expect }) => {
    const missing = await api("/ays/repository/streamed/aysrun/run-404/stream");
    expect(missing.status).toBe(404);
    const done = parseSse(await (await api("/ays/repository/streamed/aysrun/run-1/stream")).text());
    expect(done.map((e) => e.event)).toEqual(["run"]);
    expect((done[0]!.data as unknown as RunRecord).state).toBe("ok");
  });
});
