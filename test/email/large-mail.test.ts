/**
 * Mail past the Queue's 128 KB: a message with a 2 MB text body is accepted, its raw form streamed
 * to R2 and its attachment stored, and the action its filter names reads the whole body from
 * `job.args.payload.body` (the event's payload waits in R2; the queue message carries its key). A
 * stream longer than `[mail] max_bytes`, or than its declared size, is refused with the reason and
 * leaves nothing stored.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { QUEUE_MESSAGE_MAX } from "../../src/events/payloads.ts";
import worker from "../../src/index.ts";
import { api, ORG } from "../helpers/auth.ts";
import { incoming } from "../helpers/mail.ts";
import { until } from "../helpers/until.ts";

const REPO = "bigmail";
const TO = `repo+${REPO}@cockpit.example.com`;
const encoder = new TextEncoder();

const sent: { size: number; body: Record<string, unknown> }[] = [];
const recordingQueue = {
  send: (body: unknown, options?: QueueSendOptions) => (sent.push({ size: encoder.encode(JSON.stringify(body)).byteLength, body: body as Record<string, unknown> }), env.EVENTS.send(body, options)),
  sendBatch: (messages: Iterable<MessageSendRequest<unknown>>, options?: QueueSendBatchOptions) => {
    const list = [...messages];
    for (const m of list) sent.push({ size: encoder.encode(JSON.stringify(m.body)).byteLength, body: m.body as Record<string, unknown> });
    return env.EVENTS.sendBatch(list, options);
  },
} as unknown as Queue<unknown>;

async function mailWorker(message: ForwardableEmailMessage, bindings: Env = { ...env, EVENTS: recordingQueue }): Promise<void> {
  await worker.email(message, bindings);
}

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const ACTIONS = `
export async function read(job) {
  const body = job.args.payload.body.replace(/\\r\\n/g, "\\n").trimEnd();
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return {
    length: body.length,
    sha256: [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""),
    subject: job.args.payload.subject,
    notes: await job.files.read("notes.txt"),
    by_reference: job.args.payload_ref !== undefined,
  };
}
`;

beforeAll(async () => {
  await api("/ays/repository", { method: "POST", json: { name: REPO } });
  await api(`/ays/repository/${REPO}/template`, { method: "POST", json: { name: "inbox", actions: ACTIONS } });
  const content = "inbox__main:\neventfilters:\n  - channel: email\n    actions: [read]\n";
  expect201(await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "inbox.yaml", content } }));
  await api(`/ays/repository/${REPO}/blueprint/inbox.yaml`, { method: "POST" });
});

function expect201(res: Response) {
  if (res.status !== 201) throw new Error(`blueprint: ${res.status}`);
}

/** A multipart mail whose text part is `lines` (joined by CRLF) and with one small attachment. */
function mail(lines: string[], subject: string): string {
  return [
    "From: Ops <ops@example.com>",
    `To: repo+${REPO}@cockpit.example.com`,
    `Subject: ${subject}`,
    `Message-ID: <${crypto.randomUUID()}@example.com>`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    ...lines,
    "--b",
    'Content-Type: text/plain; name="notes.txt"',
    'Content-Disposition: attachment; filename="notes.txt"',
    "Content-Transfer-Encoding: base64",
    "",
    btoa("rotate the keys"),
    "--b--",
    "",
  ].join("\r\n");
}

const loggedMail = async (subject: string) => {
  const page = (await (await api("/ays/events?type=event.email&limit=500")).json()) as { events: AuditEntry[] };
  return page.events.find((e) => JSON.stringify(e.data).includes(subject));
};

describe("a mail with a 2 MB body", () => {
  it("is accepted and its whole body reaches the action; the queue carries only its payload's key", async ({ expect }) => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${String(i).padStart(5, "0")}: the quick brown fox jumps over the lazy dog`);
    const raw = mail(lines, "big body");
    expect(raw.length).toBeGreaterThan(2 * 1024 * 1024);
    const { message, rejects } = incoming(raw, { to: TO });
    const before = sent.length;
    await mailWorker(message);
    expect(rejects).toEqual([]);

    const messages = sent.slice(before);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.size).toBeLessThanOrEqual(QUEUE_MESSAGE_MAX);
    expect(messages[0]!.body).not.toHaveProperty("payload");
    const id = messages[0]!.body.id as string;
    expect(messages[0]!.body.payload_ref).toMatchObject({ key: `events/${id}/payload.json` });
    expect(await (await env.FILES.get(`mail/${id}/message.eml`))!.text()).toBe(raw);

    const jobs = await until(
      async () => ((await env.SERVICE.getByName(`${ORG}/${REPO}/inbox!main`).jobs()) as unknown as JobView[]).filter((j) => j.key.startsWith(`event.${id}.`)),
      (list) => list.some((j) => j.state === "ok" || j.state === "error"),
      60_000,
    );
    const text = lines.join("\n");
    expect(jobs[0]!.state, jobs[0]!.logs.map((l) => l.log).join(" | ")).toBe("ok");
    expect(jobs[0]!.result).toEqual({ length: text.length, sha256: await sha256(text), subject: "big body", notes: "rotate the keys", by_reference: true });

    const entry = await loggedMail(id);
    expect(entry!.data).not.toHaveProperty("payload");
    expect((entry!.data!.payload_preview as string).length).toBeLessThanOrEqual(501);
  }, 90_000);
});

describe("the raw stream", () => {
  const config = JSON.parse(env.COCKPIT_CONFIG!) as { mail: Record<string, unknown> };
  const small = { ...env, EVENTS: recordingQueue, COCKPIT_CONFIG: JSON.stringify({ ...config, mail: { ...config.mail, max_bytes: 64 * 1024 } }) };
  const stored = async () => (await env.FILES.list({ prefix: "mail/" })).objects.map((o) => o.key);

  it("is cut off past [mail] max_bytes, or past the size it declared, and nothing is stored", async ({ expect }) => {
    const keys = await stored();
    const raw = mail(Array.from({ length: 2000 }, (_, i) => `line ${i} of a message that is longer than it says`), "liar");
    const atLimit = incoming(raw, { to: TO, rawSize: 64 * 1024 });
    await mailWorker(atLimit.message, small);
    expect(atLimit.rejects).toEqual(["message too large: more than 65536 bytes, the limit is 65536 ([mail] max_bytes)"]);
    const under = incoming(raw, { to: TO, rawSize: 1000 });
    await mailWorker(under.message, small);
    expect(under.rejects).toHaveLength(1);
    expect(under.rejects[0]).toMatch(/^message size \d+\+ does not match its declared size 1000$/);
    expect(await stored()).toEqual(keys);
  });

  it("is refused when it is not of its declared size, and nothing is stored", async ({ expect }) => {
    const keys = await stored();
    const raw = mail(["short"], "short");
    const { message, rejects } = incoming(raw, { to: TO, rawSize: raw.length + 10 });
    await mailWorker(message, small);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toBe(`message size ${raw.length} does not match its declared size ${raw.length + 10}`);
    expect(await stored()).toEqual(keys);
  });
});
