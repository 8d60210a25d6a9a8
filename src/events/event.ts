/**
 * Cockpit events: the original's four (Email, Telegram, Alarm, Generic; ays-original.md §2), plus
 * Webhook and run/job state events. Every event has an id, a time, its organization, the channel
 * it came through and who or what caused it. Validated with zod wherever one enters the bus,
 * the queue consumer included: a message that does not parse is poison, not a crash.
 */
import { z } from "zod";

/**
 * A mail attachment: `filename` is the job's file name (`job.files.read(filename)`: the sandbox's safe
 * characters only), `original_filename` the name as the sender wrote it (RFC 2047/2231 decoded), or
 * null when the part had none.
 */
const Attachment = z.object({
  filename: z.string(),
  original_filename: z.string().nullable().optional(),
  content_type: z.string(),
  size: z.number().int().min(0),
  key: z.string(),
});

export type MailAttachment = z.infer<typeof Attachment>;

const payloads = {
  email: z.object({
    sender: z.string(),
    to: z.array(z.string()),
    cc: z.array(z.string()),
    subject: z.string(),
    body: z.string(),
    body_type: z.enum(["text", "html", "md"]),
    attachments: z.array(Attachment),
    epoch: z.number(),
  }),
  telegram: z.object({ io: z.enum(["input", "output"]), action: z.string(), args: z.record(z.string(), z.unknown()), epoch: z.number() }),
  alarm: z.object({ service: z.string(), method: z.string(), msg: z.string(), epoch: z.number() }),
  generic: z.object({ args: z.record(z.string(), z.unknown()), epoch: z.number() }),
  /** `payload_key`: the delivery's body in R2 (`size` bytes), which the action reads as `job.args.payload.body`. */
  webhook: z.object({ source: z.string(), event: z.string(), delivery: z.string(), payload_key: z.string(), size: z.number().int().min(0).optional(), epoch: z.number() }),
  run: z.object({ repo: z.string(), run: z.string(), state: z.string(), epoch: z.number() }),
  job: z.object({ repo: z.string(), run: z.string(), job: z.string(), service: z.string(), action: z.string(), state: z.string(), epoch: z.number() }),
} as const;

export type EventType = keyof typeof payloads;
export const EVENT_TYPES = Object.keys(payloads) as EventType[];

const base = {
  id: z.string().min(1).max(200),
  time: z.number(),
  org: z.string().min(1),
  /** The channel event filters match on (`email`, `telegram`, `webservice`, ...). */
  channel: z.string().min(1),
  /** Who or what caused it: a user, a sender address, a webhook source, a service. */
  by: z.string(),
  /** Only this repository's filters see it; absent = every repository of the organization. */
  repo: z.string().optional(),
  /** The filter command it is for (`/webhooks/events` {command}); absent = any command. */
  command: z.string().optional(),
  /** Proof for filters that require a secret; never stored in the log. */
  secret: z.string().optional(),
  tags: z.array(z.string()).optional(),
};

const variant = <T extends EventType>(type: T) => z.object({ ...base, type: z.literal(type), payload: payloads[type] });

export const CockpitEventSchema = z.discriminatedUnion("type", [
  variant("email"),
  variant("telegram"),
  variant("alarm"),
  variant("generic"),
  variant("webhook"),
  variant("run"),
  variant("job"),
]);

export type CockpitEvent = z.infer<typeof CockpitEventSchema>;

/**
 * Where a payload too large to travel inline waits (src/events/payloads.ts): an R2 key of env.FILES
 * and the size of its JSON in bytes.
 */
export const PayloadRefSchema = z.object({
  key: z.string().regex(/^events\/[^/]+\/payload\.json$/, "an events/<id>/payload.json key"),
  size: z.number().int().min(0),
});
export type PayloadRef = z.infer<typeof PayloadRefSchema>;

/** An event whose payload is in R2 (claim check): the event without `payload`, and its `payload_ref`. */
export const ReferencedEventSchema = z.object({ ...base, type: z.enum(Object.keys(payloads) as [EventType, ...EventType[]]), payload_ref: PayloadRefSchema });
export type ReferencedEvent = z.infer<typeof ReferencedEventSchema>;

/** What the queue carries and the repositories are handed: an event, or one whose payload waits in R2. */
export type EventMessage = CockpitEvent | ReferencedEvent;

export const isReferenced = (event: EventMessage): event is ReferencedEvent => "payload_ref" in event && !("payload" in event);

/** Parses an event from the outside world or the queue; `undefined` and the reason when it is not one. */
export function parseEvent(value: unknown): { ok: true; event: EventMessage } | { ok: false; reason: string } {
  // A message with a payload_ref and no payload is a referenced event; anything else must be whole.
  const referenced = value !== null && typeof value === "object" && "payload_ref" in value && !("payload" in value);
  const result = referenced ? ReferencedEventSchema.safeParse(value) : CockpitEventSchema.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, reason: `${issue.path.join(".") || "event"}: ${issue.message}` };
}

/** The event as it may be logged and handed to actions: the secret stays out. */
export function withoutSecret<E extends EventMessage>(event: E): Omit<E, "secret"> {
  const { secret: _secret, ...rest } = event;
  return rest;
}
