/**
 * Which of a repository's services an event from the bus starts (their input files: payloads.ts
 * eventInputFiles): the filters' channel, command and secret first (no storage read for an event nobody hears), then,
 * only when some filter hearing it has `match:` conditions, its payload, read once: from R2 when
 * it travelled by reference (payloads.ts), and for a webhook the delivery body it points to.
 */
import type { RepositoryState } from "../../ays/index.ts";
import { isReferenced, type EventMessage } from "../../events/event.ts";
import { matchEvent, needsDocument, payloadDocument } from "../../events/filters.ts";

export interface Delivery {
  matches: { service: string; action: string }[];
}

async function readJson(env: Pick<Env, "FILES">, key: string, what: string): Promise<unknown> {
  const object = await env.FILES.get(key);
  if (object === null) throw new Error(`${what} is gone from storage (${key})`);
  return object.json();
}

export async function deliveryOf(env: Pick<Env, "FILES">, state: RepositoryState, event: EventMessage): Promise<Delivery> {
  const withDocument = needsDocument(state, event);
  // Most events (every finished job, for one) reach no filter here: nothing read, nothing to start.
  if (!withDocument && matchEvent(state, event).length === 0) return { matches: [] };
  let payload: unknown = isReferenced(event) ? undefined : event.payload;
  const payloadNow = async () => (payload ??= await readJson(env, (event as { payload_ref: { key: string } }).payload_ref.key, "the event's payload"));
  let doc: unknown;
  if (withDocument) {
    const p = await payloadNow();
    doc = event.type === "webhook" ? await readJson(env, (p as { payload_key: string }).payload_key, "the webhook delivery") : payloadDocument(event.type, p);
  }
  return { matches: matchEvent(state, event, doc) };
}
