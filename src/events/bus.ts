/**
 * The event bus: publishing claims the event's id and writes it to the organization's log (once per
 * id, however many copies arrive) and sends it on a Queue; the Worker's queue() consumer hands it to
 * the repositories, whose filters decide who reacts.
 * A message that keeps failing goes to the dead-letter queue, whose consumer logs it as
 * `event.dead`, visible through GET /ays/events.
 */
import type { AuditEntry, Channel } from "../actors/organization.ts";
import { configFromBindings } from "../config/index.ts";
import { parseEvent, withoutSecret, type CockpitEvent, type EventMessage } from "./event.ts";
import { assertQueueable, deleteEventPayload, outgoing, sendOnQueue, storePayloads } from "./payloads.ts";

export const EVENTS_QUEUE = "cockpit-events";
export const DEAD_LETTER_QUEUE = "cockpit-events-dlq";

/** The audit-log channel an event came through. */
function logChannel(event: EventMessage): Channel {
  if (event.type === "email") return "email";
  if (event.type === "telegram") return "telegram";
  if (event.type === "webhook" || event.type === "generic") return "webhook";
  return "system";
}

/** An event as the organization's log keeps it (its secret removed). */
function logEntry(event: CockpitEvent, data: Record<string, unknown> = withoutSecret(event) as unknown as Record<string, unknown>): Omit<AuditEntry, "id" | "time"> {
  return {
    type: `event.${event.type}`,
    repo: event.repo ?? null,
    by: event.by,
    channel: logChannel(event),
    message: `${event.type} event ${event.id}${event.command ? ` (${event.command})` : ""}`,
    data,
  };
}

/**
 * Logs events of one organization that no filter wants, without sending them on the queue: a
 * repository's own run and job events, which it matched against its filters itself (state-events.ts).
 */
export async function logOnly(env: Env, events: readonly CockpitEvent[]): Promise<void> {
  if (events.length === 0) return;
  await env.ORGANIZATION.getByName(events[0]!.org).recordMany(events.map((event) => logEntry(event)));
}

/**
 * Publishes one event; see publishMany. `beforeSend` runs once the event is claimed, before it goes
 * on the queue (to store what the event points to): a duplicate never runs it.
 * @returns false for a duplicate: an event of that id was published already, or is being published
 */
export async function publish(env: Env, event: CockpitEvent, beforeSend?: () => Promise<void>): Promise<boolean> {
  return (await publishMany(env, [event], beforeSend))[0]!;
}

/**
 * Publishes events of one organization together: one call claims their ids and logs the new ones
 * (atomically in the OrganizationActor, so concurrent copies of one event are logged and sent once),
 * then stores the payloads too large for the queue in R2 (src/events/payloads.ts), then sends in
 * batches within the Queue's limits, then one call settles the claims. A failure frees the claims
 * of what was not sent, and removes their stored payloads, so a retried copy is published instead of
 * being taken for a duplicate.
 * @returns per event, whether it was published (false: a duplicate, dropped)
 */
export async function publishMany(env: Env, events: readonly CockpitEvent[], beforeSend?: () => Promise<void>): Promise<boolean[]> {
  if (events.length === 0) return [];
  const items = events.map(outgoing);
  // Checked before anything is claimed or stored: a message the Queue would refuse is a bug, refused whole.
  for (const item of items) assertQueueable(item.message);
  const org = env.ORGANIZATION.getByName(events[0]!.org);
  const claims = await org.claimEvents(items.map(({ event, logData }) => ({ event: event.id, entry: logEntry(event, logData) })));
  const claimed = items.flatMap((item, i) => (claims[i] ? [{ item, claim: claims[i] }] : []));
  let sent = 0;
  try {
    if (claimed.length > 0) {
      await beforeSend?.();
      await storePayloads(env, claimed.map(({ item }) => item));
    }
    await sendOnQueue(env.EVENTS, claimed.map(({ item }) => item.message), (n) => (sent = n));
  } catch (err) {
    const unsent = claimed.slice(sent);
    await Promise.all(unsent.flatMap(({ item }) => (item.stored ? [deleteEventPayload(env, item.stored.key).catch(() => undefined)] : [])));
    // Unsent claims lapse by themselves after their lease; freeing them now lets a retry in at once.
    await org.settleEvents(claimed.slice(0, sent).map(({ item }) => item.event.id), unsent.map(({ claim }) => claim)).catch(() => undefined);
    throw err;
  }
  if (claimed.length > 0) {
    // Sent already: a lost confirmation only lets a copy arriving after the lease send it again, which
    // the repositories drop as a redelivery (deliverEvent's events_seen).
    await org.settleEvents(claimed.map(({ item }) => item.event.id), []).catch((e: unknown) =>
      console.error(`${claimed.length} event claim(s) not confirmed`, e instanceof Error ? e.message : String(e)),
    );
  }
  return claims.map((claim) => claim !== null);
}

/** Hands one event to its repository, or to every repository of the organization. */
export async function deliver(env: Env, event: EventMessage): Promise<string[]> {
  const org = env.ORGANIZATION.getByName(event.org);
  const repos = event.repo ? [event.repo] : (await org.listRepositories()).map((r) => r.name);
  const jobs: string[] = [];
  for (const repo of repos) {
    if (event.repo && !(await org.getRepository(repo))) continue; // gone since: nothing to do
    const result = await env.REPOSITORY.getByName(`${event.org}/${repo}`).deliverEvent(event);
    jobs.push(...result.jobs);
  }
  return jobs;
}

/** The queue() handler for both queues. */
export async function consume(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // Messages of a batch are independent (dedupe is per event id), so they are handled together.
  await Promise.all(batch.messages.map((message) => consumeOne(batch.queue, message, env)));
}

async function consumeOne(queue: string, message: Message<unknown>, env: Env): Promise<void> {
  const parsed = parseEvent(message.body);
  if (queue === DEAD_LETTER_QUEUE) {
    await recordDead(env, message.body, parsed.ok ? undefined : parsed.reason);
    message.ack();
    return;
  }
  if (!parsed.ok) {
    // Poison: retrying cannot help, but the dead-letter queue keeps it visible.
    console.error(`event refused: ${parsed.reason}`);
    message.retry();
    return;
  }
  try {
    await deliver(env, parsed.event);
    message.ack();
  } catch (err) {
    console.error(`event ${parsed.event.id} not delivered; retrying`, err instanceof Error ? err.message : String(err));
    message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
  }
}

async function recordDead(env: Env, body: unknown, reason: string | undefined): Promise<void> {
  const parsed = parseEvent(body);
  const orgName = parsed.ok ? parsed.event.org : typeof (body as { org?: unknown })?.org === "string" ? (body as { org: string }).org : undefined;
  const org = env.ORGANIZATION.getByName(orgName ?? configFromBindings(env).oauth.organization);
  await org.record({
    type: "event.dead",
    repo: parsed.ok ? (parsed.event.repo ?? null) : null,
    by: parsed.ok ? parsed.event.by : "queue",
    channel: "system",
    message: `event ${parsed.ok ? parsed.event.id : "(unreadable)"} could not be delivered${reason ? `: ${reason}` : ""}`,
    data: parsed.ok ? (withoutSecret(parsed.event) as unknown as Record<string, unknown>) : { body: JSON.stringify(body ?? null).slice(0, 2000) },
  });
}
