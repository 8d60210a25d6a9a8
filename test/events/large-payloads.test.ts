/**
 * Payloads of any accepted size reach the actions their filters name: a 130 KB and a 5 MB generic
 * event, and a 20 MB GitHub push (GitHub's own example push, padded with commits). Their payloads
 * wait in R2 (the claim check of src/events/payloads.ts); the queue and the organization's log carry
 * the key. Every queue message the Worker sends here goes through a recording wrapper of its EVENTS
 * binding, so the test sees each one's size: none is over the Queue's 128 KB.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
// The first push with commits among @octokit/webhooks-examples' push payloads, copied as it is (the
// package's 4 MB index is too large to load in a second test file at once; test/cli/fixtures.test.ts
// checks the copy against the package).
import pushExample from "../fixtures/github/push.json";
import type { AuditEntry } from "../../src/actors/organization.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { EVENTS_QUEUE } from "../../src/events/bus.ts";
import { PAYLOAD_INLINE_MAX, QUEUE_MESSAGE_MAX, assertQueueable, deleteEventPayload, sendOnQueue } from "../../src/events/payloads.ts";
import worker from "../../src/index.ts";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

const REPO = "bigloads";
const GITHUB_SECRET = "local-dev-github-webhook-secret";
const encoder = new TextEncoder();

/** Every message sent on EVENTS through the wrapper: its serialized size and body. */
const sent: { size: number; body: Record<string, unknown> }[] = [];
const record = (body: unknown) => sent.push({ size: encoder.encode(JSON.stringify(body)).byteLength, body: body as Record<string, unknown> });
const recordingQueue = {
  send: (body: unknown, options?: QueueSendOptions) => (record(body), env.EVENTS.send(body, options)),
  sendBatch: (messages: Iterable<MessageSendRequest<unknown>>, options?: QueueSendBatchOptions) => {
    const list = [...messages];
    for (const m of list) record(m.body);
    return env.EVENTS.sendBatch(list, options);
  },
} as unknown as Queue<unknown>;

// The seed sets no [webhooks] max_bytes (1 MiB); the 5 MB event needs a larger one, as a deployment would set.
const config = JSON.parse(env.COCKPIT_CONFIG!) as { webhooks?: Record<string, unknown> };
const bindings = { ...env, EVENTS: recordingQueue, COCKPIT_CONFIG: JSON.stringify({ ...config, webhooks: { ...config.webhooks, max_bytes: 8 * 1024 * 1024 } }) };

async function fetchWorker(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// The action digests what it got, so the test can tell it is the whole payload.
const ACTIONS = `
async function digest(text) {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
export async function absorb(job) {
  const text = JSON.stringify(job.args.payload.args);
  return { length: text.length, sha256: await digest(text), ref: job.args.payload_ref ?? null };
}
export async function build(job) {
  const body = job.args.payload.body;
  return { commits: body.commits.length, after: body.after, pusher: body.pusher.name, sha256: await digest(JSON.stringify(body)) };
}
`;

const jobsOf = async (service: string, action: string) =>
  ((await env.SERVICE.getByName(`${ORG}/${REPO}/${service}`).jobs()) as unknown as JobView[]).filter((j) => j.action === action);

async function jobOfEvent(service: string, action: string, id: string): Promise<JobView> {
  const jobs = await until(
    () => jobsOf(service, action),
    (list) => list.some((j) => j.key.startsWith(`event.${id}.`) && (j.state === "ok" || j.state === "error")),
    60_000,
  );
  const job = jobs.find((j) => j.key.startsWith(`event.${id}.`))!;
  if (job.state !== "ok") throw new Error(`job ${job.key} ended ${job.state}: ${job.logs.map((l) => l.log).join(" | ")}`);
  return job;
}

async function logged(type: string, id: string): Promise<AuditEntry> {
  const page = (await (await api(`/ays/events?type=${type}&limit=500`)).json()) as { events: AuditEntry[] };
  return page.events.find((e) => e.data?.id === id)!;
}

beforeAll(async () => {
  await api("/ays/repository", { method: "POST", json: { name: REPO } });
  await api(`/ays/repository/${REPO}/template`, { method: "POST", json: { name: "sink", actions: ACTIONS } });
  const content = [
    "sink__main:",
    "eventfilters:",
    "  - channel: webservice",
    "    command: absorb",
    "    actions: [absorb]",
    "  - channel: webhook",
    "    command: push",
    "    actions: [build]",
  ].join("\n");
  const bp = await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "sink.yaml", content } });
  if (bp.status !== 201) throw new Error(await bp.text());
  await api(`/ays/repository/${REPO}/blueprint/sink.yaml`, { method: "POST" });
});

/** A generic payload whose JSON is about `bytes` bytes: records with varied text (some of it not ASCII), so a cut would show. */
function genericPayload(bytes: number): Record<string, unknown> {
  const items: { n: number; text: string }[] = [];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const text = `item ${n} ${"é∑x".repeat(30 + (n % 17))}`;
    items.push({ n, text });
    size += encoder.encode(JSON.stringify({ n, text })).byteLength + 1;
  }
  return { items, last: items.length };
}

describe("payloads by reference", () => {
  for (const [label, bytes] of [["130 KB", 130 * 1024], ["5 MB", 5 * 1024 * 1024]] as const) {
    it(`a ${label} generic event reaches its action whole, through R2, and no queue message is over the limit`, async ({ expect }) => {
      const payload = genericPayload(bytes);
      const body = JSON.stringify({ command: "absorb", repo: REPO, payload });
      expect(encoder.encode(body).byteLength).toBeGreaterThan(bytes);
      const before = sent.length;
      const res = await fetchWorker(new Request("http://cockpit.test/webhooks/events", { method: "POST", headers: { "content-type": "application/json" }, body }));
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };

      const messages = sent.slice(before);
      expect(messages).toHaveLength(1);
      expect(messages[0]!.size).toBeLessThanOrEqual(QUEUE_MESSAGE_MAX);
      expect(messages[0]!.body).not.toHaveProperty("payload");
      const key = `events/${id}/payload.json`;
      const stored = await env.FILES.get(key);
      expect(messages[0]!.body.payload_ref).toEqual({ key, size: stored!.size });
      // Compared by digest: a diff of megabytes would not fit the test runner's messages.
      expect(await sha256(JSON.stringify((JSON.parse(await stored!.text()) as { args: unknown }).args))).toBe(await sha256(JSON.stringify(payload)));

      const job = await jobOfEvent("sink!main", "absorb", id);
      const text = JSON.stringify(payload);
      expect(job.result).toEqual({ length: text.length, sha256: await sha256(text), ref: messages[0]!.body.payload_ref });

      // The log keeps the key, the size and a short preview, not the payload.
      const entry = await logged("event.generic", id);
      expect(entry.data).not.toHaveProperty("payload");
      expect(entry.data!.payload_ref).toEqual(messages[0]!.body.payload_ref);
      expect(entry.data!.payload_preview).toMatch(/^\{"args":\{"items":\[\{"n":0,"text":"item 0 /);
      expect((entry.data!.payload_preview as string).length).toBeLessThanOrEqual(501);
      expect(JSON.stringify(entry).length).toBeLessThan(4096);
    }, 90_000);
  }

  it("a 20 MB GitHub push reaches its action with the delivery's body as job.args.payload.body", async ({ expect }) => {
    const example = structuredClone(pushExample) as unknown as {
      commits: Record<string, unknown>[]; after: string; pusher: { name: string };
    };
    const template = example.commits[0]!;
    let n = 0;
    while (JSON.stringify(example).length < 20 * 1024 * 1024) {
      const batch = Array.from({ length: 2000 }, () => ({ ...template, id: (++n).toString(16).padStart(40, "0"), message: `commit ${n}: ${"pad ".repeat(n % 40)}` }));
      example.commits.push(...batch);
    }
    const body = JSON.stringify(example);
    expect(body.length).toBeGreaterThan(20 * 1024 * 1024);
    const key = await crypto.subtle.importKey("raw", encoder.encode(GITHUB_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
    const signature = `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    const before = sent.length;
    const res = await fetchWorker(new Request("http://cockpit.test/webhooks/github", {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "big-push-1", "x-hub-signature-256": signature },
      body,
    }));
    expect(res.status).toBe(202);
    const messages = sent.slice(before);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.size).toBeLessThan(1024);
    expect(messages[0]!.body.payload).toMatchObject({ payload_key: "webhooks/github/big-push-1.json", size: body.length });

    const job = await jobOfEvent("sink!main", "build", "github-big-push-1");
    expect(job.result).toEqual({ commits: example.commits.length, after: example.after, pusher: example.pusher.name, sha256: await sha256(body) });
  }, 120_000);

  it("refuses a signed delivery over 1 MiB that is not a JSON object with 400, storing nothing", async ({ expect }) => {
    const body = `[${"1,".repeat(1024 * 1024)}1]`;
    const key = await crypto.subtle.importKey("raw", encoder.encode(GITHUB_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
    const res = await fetchWorker(new Request("http://cockpit.test/webhooks/github", {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "not-an-object", "x-hub-signature-256": `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}` },
      body,
    }));
    expect(res.status).toBe(400);
    expect(await env.FILES.head("webhooks/github/not-an-object.json")).toBeNull();
  });

  it("refuses a GitHub delivery over 25 MiB with 413 naming the limit", async ({ expect }) => {
    const res = await fetchWorker(new Request("http://cockpit.test/webhooks/github", {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "too-big", "x-hub-signature-256": "sha256=" + "0".repeat(64) },
      body: "x".repeat(25 * 1024 * 1024 + 1),
    }));
    expect(res.status).toBe(413);
    // A body built here has no Content-Length header: it is refused while being read, at the cap.
    expect(await res.json()).toEqual({ code: "too_large", error: "the body is more than 26214400 bytes, over the limit of 26214400 bytes (GitHub's 25 MB)" });
    expect(await env.FILES.head("webhooks/github/too-big.json")).toBeNull();
  });

  it("keeps small payloads inline", async ({ expect }) => {
    const before = sent.length;
    const res = await fetchWorker(new Request("http://cockpit.test/webhooks/events", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ command: "absorb", repo: REPO, payload: { small: true } }) }));
    const { id } = (await res.json()) as { id: string };
    expect(sent.slice(before).map((m) => m.body.payload)).toEqual([{ args: { small: true }, epoch: expect.any(Number) }]);
    expect(await env.FILES.head(`events/${id}/payload.json`)).toBeNull();
    expect((await jobOfEvent("sink!main", "absorb", id)).result).toMatchObject({ ref: null });
  });
});

describe("a payload gone from R2", () => {
  it("fails the job with the reason instead of running the action without it", async ({ expect }) => {
    const id = "generic-pruned-1";
    const body = { id, time: Date.now(), org: ORG, type: "generic", channel: "webservice", by: "test", command: "absorb", repo: REPO, payload_ref: { key: `events/${id}/payload.json`, size: 200_000 } };
    const batch = createMessageBatch(EVENTS_QUEUE, [{ id: "m-pruned", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m-pruned"]);
    const jobs = await until(
      () => jobsOf("sink!main", "absorb"),
      (list) => list.some((j) => j.key.startsWith(`event.${id}.`) && j.state === "error"),
      30_000,
    );
    const job = jobs.find((j) => j.key.startsWith(`event.${id}.`))!;
    expect(job.logs.map((l) => l.log)).toContain(`job.args.payload: events/${id}/payload.json is gone from storage (its event was pruned?)`);
  });
});

describe("the queue guard", () => {
  it("refuses, loudly and before sending anything, a message over the Queue's limit; splits batches within 256 KB", async ({ expect }) => {
    const calls: number[] = [];
    const counting = { sendBatch: async (m: Iterable<MessageSendRequest<unknown>>) => void calls.push([...m].length) } as unknown as Queue<unknown>;
    const big = { id: "too-big", blob: "x".repeat(QUEUE_MESSAGE_MAX) };
    expect(() => assertQueueable(big)).toThrow(/^queue message too-big is 128\d{3} bytes, over the Queue's limit of 128000/);
    await expect(sendOnQueue(counting, [{ id: "ok" }, big])).rejects.toThrow(/over the Queue's limit/);
    expect(calls).toEqual([]);
    // 20 messages of 30 KB: at most 7 fit in one 240 KB batch.
    const inline = Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, blob: "y".repeat(PAYLOAD_INLINE_MAX - 2000) }));
    await sendOnQueue(counting, inline);
    expect(calls).toEqual([7, 7, 6]);
  });

  it("deleteEventPayload removes a stored payload and refuses keys outside events/", async ({ expect }) => {
    await env.FILES.put("events/gone-1/payload.json", "{}");
    await deleteEventPayload(env, "events/gone-1/payload.json");
    expect(await env.FILES.head("events/gone-1/payload.json")).toBeNull();
    await expect(deleteEventPayload(env, "mail/x/message.eml")).rejects.toThrow(/not an event payload key/);
  });
});
