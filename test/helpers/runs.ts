/**
 * A repository with one template and one executed blueprint, and runs of it, through the API: what
 * most run tests start from.
 */
import type { RunRecord } from "../../src/runs/model.ts";
import { api } from "./auth.ts";
import { until } from "./until.ts";

export const SCHEMA = "@0xe1a2b3c4d5e6f708;\nstruct Schema {\n  port @0 :Int64 = 80;\n}\n";

/** The response, after checking its status (the body names what went wrong otherwise). */
export async function must(res: Response | Promise<Response>, status: number): Promise<Response> {
  const r = await res;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${await r.text()}`);
  return r;
}

/** Creates `repo` with template `box` (schema SCHEMA unless given, the given actions.js) and executes `blueprint` (main.yaml). */
export async function repoWithBlueprint(repo: string, blueprint: string, template: { name?: string; actions?: string; config?: string; schema?: string } = {}) {
  await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
  await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "box", schema: SCHEMA, ...template } }), 201);
  await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content: blueprint } }), 201);
  await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);
}

export async function createRun(repo: string, simulate = false): Promise<RunRecord> {
  return (await (await must(api(`/ays/repository/${repo}/aysrun${simulate ? "?simulate=true" : ""}`, { method: "POST" }), 200)).json()) as RunRecord;
}

export async function getRun(repo: string, key: string): Promise<RunRecord> {
  return (await (await must(api(`/ays/repository/${repo}/aysrun/${key}`), 200)).json()) as RunRecord;
}

export const ended = (run: RunRecord) => run.state === "ok" || run.state === "error" || run.state === "cancelled";

export function waitForRun(repo: string, key: string, done: (run: RunRecord) => boolean = ended, timeoutMs = 20_000): Promise<RunRecord> {
  return until(() => getRun(repo, key), done, timeoutMs);
}

/** "service action" of each job, step by step. */
export const shape = (run: RunRecord) => run.steps.map((s) => s.jobs.map((j) => `${j.service} ${j.action}`));

export interface SseEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** The events of a Server-Sent Events body (`…/aysrun/{key}/stream`), in order. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const field = (name: string) => block.split("\n").find((l) => l.startsWith(`${name}: `))!.slice(name.length + 2);
      return { id: Number(field("id")), event: field("event"), data: JSON.parse(field("data")) as Record<string, unknown> };
    });
}
