/**
 * The event bus: publishing writes the event to the organization's log and sends it on a Queue;
 * the Worker's queue() consumer hands it to the repositories, whose filters decide who reacts.
 * A message that keeps failing goes to the dead-letter queue, whose consumer logs it as
 * `event.dead`, visible through GET /ays/events.
 */
import type { Channel } from "../actors/organization.ts";
import { configFromBindings } from "../config/index.ts";
import { parseEvent, withoutSecret, type CockpitEvent } from "./event.ts";

export const EVENTS_QUEUE = "cockpit-events";
export const DEAD_LETTER_QUEUE = "cockpit-events-dlq";

/** The audit-log channel an event came through. */
function logChannel(event: CockpitEvent): Channel {
  if (event.type === "email") return "email";
  if (event.type === "telegram") return "telegram";
  if (event.type === "webhook" || event.type === "generic") return "webhook";
  return "system";
}

export async function publish(env: Env, event: CockpitEvent): Promise<void> {
  await publishMany(env, [event]);
}

/** Queues take at most 100 messages per batch. */
const SEND_BATCH = 100;

/** Publishes events of one organization together: one log write, and queue batches of 100. */
export async function publishMany(env: Env, events: readonly CockpitEvent[]): Promise<void> {
  if (events.length === 0) return;
  const org = env.ORGANIZATION.getByName(events[0]!.org);
  await org.recordMany(
    events.map((event) => ({
      type: `event.${event.type}`,
      repo: event.repo ?? null,
      by: event.by,
      channel: logChannel(event),
      message: `${event.type} event ${event.id}${event.command ? ` (${event.command})` : ""}`,
      data: withoutSecret(event) as unknown as Record<string, unknown>,
    })),
  );
  for (let i = 0; i < events.length; i += SEND_BATCH) {
    await env.EVENTS.sendBatch(events.slice(i, i + SEND_BATCH).map((body) => ({ body, contentType: "json" as const })));
  }
}

/** Hands one event to its repository, or to every repository of the organization. */
export async function deliver(env: Env, event: CockpitEvent): Promise<string[]> {
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
