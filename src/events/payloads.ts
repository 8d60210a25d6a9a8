/**
 * Payloads by reference (a claim check). A Queue message may be at most 128 KB, so an event whose
 * payload is larger than PAYLOAD_INLINE_MAX travels without it: the payload is stored in R2 at
 * `events/<eventId>/payload.json`, and the queue message and the organization's log carry its key and
 * size (the log also a short preview). The action still gets the whole event as `job.args`: its
 * ServiceActor hands the sandbox the R2 object as a stream, which is parsed into `job.args.payload`
 * inside the action's own isolate (src/sandbox), whatever its size.
 *
 * Every message the bus sends goes through sendOnQueue, the one guard on the Queue's limits: a
 * message over QUEUE_MESSAGE_MAX is a bug (the claim check should have taken its payload), so it is
 * logged and thrown rather than sent.
 */
import type { EventMessage, CockpitEvent, MailAttachment, PayloadRef, ReferencedEvent } from "./event.ts";

/** Payloads whose JSON is larger than this (in bytes) travel by reference: well under the Queue's 128 KB. */
export const PAYLOAD_INLINE_MAX = 32 * 1024;
/** Cloudflare Queues: at most 128 KB per message (miniflare enforces 128,000 bytes). */
export const QUEUE_MESSAGE_MAX = 128_000;
/** Cloudflare Queues: at most 100 messages and 256 KB per sendBatch; each message's metadata is counted at 128 bytes. */
const QUEUE_BATCH_COUNT = 100;
const QUEUE_BATCH_BYTES = 240_000;
const MESSAGE_OVERHEAD_BYTES = 128;
/** How much of a payload stored in R2 its log entry shows. */
export const PAYLOAD_PREVIEW_CHARS = 500;

const encoder = new TextEncoder();
const byteLength = (text: string): number => encoder.encode(text).byteLength;

export const eventPayloadKey = (eventId: string): string => `events/${eventId}/payload.json`;

/** One event as the bus sends it: its message, and the payload JSON to store first when it goes by reference. */
export interface Outgoing {
  event: CockpitEvent;
  message: EventMessage;
  stored?: { key: string; json: string };
  /** What the organization's log keeps of the event. */
  logData: Record<string, unknown>;
}

/** Decides how an event travels: inline, or (its payload over PAYLOAD_INLINE_MAX) by reference. */
export function outgoing(event: CockpitEvent): Outgoing {
  const { secret: _secret, ...logged } = event;
  const json = JSON.stringify(event.payload);
  const size = byteLength(json);
  if (size <= PAYLOAD_INLINE_MAX) return { event, message: event, logData: logged };
  const { payload: _payload, ...rest } = event;
  const payload_ref: PayloadRef = { key: eventPayloadKey(event.id), size };
  const message: ReferencedEvent = { ...rest, payload_ref };
  const { secret: _s, ...loggedRef } = message;
  const preview = json.length > PAYLOAD_PREVIEW_CHARS ? `${json.slice(0, PAYLOAD_PREVIEW_CHARS)}…` : json;
  return { event, message, stored: { key: payload_ref.key, json }, logData: { ...loggedRef, payload_preview: preview } };
}

/** Stores the payloads of events that travel by reference (before their messages are sent). */
export async function storePayloads(env: Env, items: readonly Outgoing[]): Promise<void> {
  await Promise.all(
    items.flatMap(({ event, stored }) =>
      stored ? [env.FILES.put(stored.key, stored.json, { httpMetadata: { contentType: "application/json" }, customMetadata: { event: event.id } })] : [],
    ),
  );
}

/**
 * Deletes the stored payload of an event (`payload_ref.key` of its message or log entry). For the
 * retention of the event log: an entry pruned takes its payload with it. Keys outside `events/` are
 * refused, so a log entry cannot make it delete anything else.
 */
export async function deleteEventPayload(env: Pick<Env, "FILES">, key: string): Promise<void> {
  if (!/^events\/[^/]+\/payload\.json$/.test(key)) throw new Error(`not an event payload key: ${key}`);
  await env.FILES.delete(key);
}

/** The payload key a log entry's data points to, if its event went by reference (for deleteEventPayload). */
export function payloadKeyOfLogEntry(data: Record<string, unknown> | null): string | undefined {
  const ref = data?.payload_ref as { key?: unknown } | undefined;
  return typeof ref?.key === "string" ? ref.key : undefined;
}

/** The attachments listed in a mail event's stored payload (its input files), for a mail that went by reference. */
export async function storedAttachments(env: Pick<Env, "FILES">, key: string): Promise<MailAttachment[]> {
  const object = await env.FILES.get(key);
  if (object === null) throw new Error(`the event's payload is gone from storage (${key})`);
  return (await object.json<{ attachments?: MailAttachment[] }>()).attachments ?? [];
}

/** An input file of a job an event started: its name for `job.files.read(name)` and its R2 object. */
export interface EventInputFile {
  name: string;
  key: string;
  size: number;
  contentType?: string;
}

/** The job file name of a GitHub delivery: `github-<X-GitHub-Event>.json` (`github-push.json`). */
export const githubDeliveryFileName = (event: string): string => `github-${event}.json`;

/**
 * The input files of the jobs an event starts (`job.files`): a mail's attachments (listed in its
 * stored payload when the mail went by reference), and a GitHub delivery as GitHub sent it, byte
 * for byte (`github-<event>.json`, the object its `payload_key` names).
 */
export async function eventInputFiles(env: Pick<Env, "FILES">, event: EventMessage): Promise<EventInputFile[]> {
  if (event.type === "email") {
    const attachments = "payload_ref" in event ? await storedAttachments(env, event.payload_ref.key) : event.payload.attachments;
    return attachments.map((a) => ({ name: a.filename, key: a.key, size: a.size, contentType: a.content_type }));
  }
  if (event.type === "webhook" && "payload" in event && event.payload.source === "github" && ARG_PART_KEY.test(event.payload.payload_key)) {
    const { event: name, payload_key: key, size } = event.payload;
    // Deliveries stored before `size` was recorded: the object says.
    const bytes = size ?? (await env.FILES.head(key))?.size;
    if (bytes === undefined) throw new Error(`the GitHub delivery is gone from storage (${key})`);
    return [{ name: githubDeliveryFileName(name), key, size: bytes, contentType: "application/json" }];
  }
  return [];
}

/** A message too large for the Queue reached the send: a bug upstream. */
export class QueueLimitError extends Error {
  override readonly name = "QueueLimitError";
}

/** The serialized size of a message, or a QueueLimitError (logged) when it is over the Queue's limit. */
export function assertQueueable(body: unknown): number {
  const size = byteLength(JSON.stringify(body));
  if (size > QUEUE_MESSAGE_MAX) {
    const id = (body as { id?: unknown } | null)?.id;
    const message = `queue message ${typeof id === "string" ? id : "(no id)"} is ${size} bytes, over the Queue's limit of ${QUEUE_MESSAGE_MAX}: not sent (its payload should have gone by reference)`;
    console.error(message);
    throw new QueueLimitError(message);
  }
  return size;
}

/**
 * Sends messages on a queue in batches within the Queue's limits (100 messages, 256 KB); each
 * message is checked by assertQueueable first, so nothing over the limit is ever sent.
 * @param onSent called after each batch with the number of messages sent so far
 */
export async function sendOnQueue(queue: Queue<unknown>, bodies: readonly unknown[], onSent?: (sent: number) => void): Promise<void> {
  const sizes = bodies.map(assertQueueable);
  let start = 0;
  while (start < bodies.length) {
    let end = start;
    let bytes = 0;
    while (end < bodies.length && end - start < QUEUE_BATCH_COUNT && (end === start || bytes + sizes[end]! + MESSAGE_OVERHEAD_BYTES <= QUEUE_BATCH_BYTES)) {
      bytes += sizes[end]! + MESSAGE_OVERHEAD_BYTES;
      end++;
    }
    await queue.sendBatch(bodies.slice(start, end).map((body) => ({ body, contentType: "json" as const })));
    start = end;
    onSent?.(start);
  }
}

/** Keys a job's args may point to: stored event payloads and GitHub deliveries, nothing else of the bucket. */
const ARG_PART_KEY = /^(events\/[^/]+\/payload|webhooks\/github\/[A-Za-z0-9-]+)\.json$/;

/**
 * The parts of an event job's `job.args` (the event without its secret) that wait in R2, each read
 * into place by the sandbox before the action runs: a referenced event's `payload`, and a GitHub
 * delivery's body (`payload.body`, from `payload.payload_key`).
 */
export function eventArgParts(args: Record<string, unknown>): { at: string[]; key: string }[] {
  const ref = args.payload_ref as { key?: unknown } | undefined;
  if (typeof ref?.key === "string") return ARG_PART_KEY.test(ref.key) ? [{ at: ["payload"], key: ref.key }] : [];
  const payload = args.payload as { payload_key?: unknown } | undefined;
  if (args.type === "webhook" && typeof payload?.payload_key === "string" && ARG_PART_KEY.test(payload.payload_key)) {
    return [{ at: ["payload", "body"], key: payload.payload_key }];
  }
  return [];
}
