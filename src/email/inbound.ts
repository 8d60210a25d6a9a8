/**
 * The Worker's email() handler: each accepted message becomes one Email event. The raw message is
 * streamed into R2 as it arrives (capped at `[mail] max_bytes`), then parsed from there, and every
 * attachment is written to R2 one by one; a body too large for the queue travels by reference
 * (src/events/payloads.ts). A refused or unreadable message leaves a log entry and nothing else, and
 * a failure half-way removes what was already stored.
 */
import PostalMime, { type Address, type Email } from "postal-mime";
import type { Channel } from "../actors/organization.ts";
import { publish } from "../events/bus.ts";
import type { CockpitEvent } from "../events/event.ts";
import { configFromBindings } from "../config/index.ts";
import { storeAttachments } from "./attachments.ts";
import { refusal, repositoryOf } from "./policy.ts";

/** Deeper MIME nesting than this is refused rather than parsed (postal-mime allows 256). */
const MAX_NESTING = 32;

type EmailEvent = Extract<CockpitEvent, { type: "email" }>;

function addresses(list: Address[] | undefined): string[] {
  return (list ?? []).flatMap((a) => (a.address !== undefined ? [a.address] : a.group.map((m) => m.address)));
}

async function log(env: Env, org: string, type: string, by: string, message: string, repo: string | null, data: Record<string, unknown> | null) {
  const channel: Channel = "email";
  await env.ORGANIZATION.getByName(org).record({ type, repo, by, channel, message, data });
}

/**
 * Streams `message.raw` into R2 at `key`, counting: a stream past `max` bytes, or not of its declared
 * `rawSize` (R2 takes a stream of a known length only), is cut off and nothing stays stored.
 * @returns "ok", or the reason to refuse the message
 */
async function streamToR2(env: Env, key: string, message: ForwardableEmailMessage, max: number, expires: string): Promise<string> {
  const fixed = new FixedLengthStream(message.rawSize);
  const writer = fixed.writable.getWriter();
  const reader = message.raw.getReader();
  let seen = 0;
  const pump = async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value.byteLength;
      if (seen > max || seen > message.rawSize) throw new RangeError("cut off");
      await writer.write(value);
    }
    if (seen !== message.rawSize) throw new RangeError("too short");
    await writer.close();
  };
  const pumped = pump().catch(async (err: unknown) => {
    await Promise.all([reader.cancel().catch(() => undefined), writer.abort(err).catch(() => undefined)]);
    throw err;
  });
  const [put, pipe] = await Promise.allSettled([
    env.FILES.put(key, fixed.readable, { httpMetadata: { contentType: "message/rfc822" }, customMetadata: { expires } }),
    pumped,
  ]);
  if (put.status === "fulfilled" && pipe.status === "fulfilled") return "ok";
  await env.FILES.delete(key).catch(() => undefined);
  if (seen > max) return `message too large: more than ${max} bytes, the limit is ${max} ([mail] max_bytes)`;
  if (seen !== message.rawSize) return `message size ${seen > message.rawSize ? `${seen}+` : seen} does not match its declared size ${message.rawSize}`;
  throw put.status === "rejected" ? put.reason : (pipe as PromiseRejectedResult).reason;
}

export async function handleEmail(message: ForwardableEmailMessage, env: Env): Promise<void> {
  const config = configFromBindings(env);
  const org = config.oauth.organization;
  const repo = repositoryOf(message.to) ?? null;
  const refused = refusal(message, config.mail);
  if (refused) {
    message.setReject(refused);
    await log(env, org, "mail.rejected", message.from, refused, repo, { to: message.to, size: message.rawSize });
    return;
  }
  if (repo && !(await env.ORGANIZATION.getByName(org).getRepository(repo))) {
    const reason = `no repository ${repo}`;
    message.setReject(reason);
    await log(env, org, "mail.rejected", message.from, reason, repo, { to: message.to });
    return;
  }

  const id = crypto.randomUUID();
  const prefix = `mail/${id}`;
  const rawKey = `${prefix}/message.eml`;
  const stored: string[] = [];
  const expires = new Date(Date.now() + (config.mail?.retention_days ?? 30) * 86_400_000).toISOString();
  const max = config.mail!.max_bytes;
  const refuse = async (reason: string) => {
    await Promise.all(stored.map((key) => env.FILES.delete(key).catch(() => undefined)));
    message.setReject(reason);
    await log(env, org, "mail.rejected", message.from, reason, repo, { to: message.to, size: message.rawSize });
  };

  // The raw message goes to R2 as it streams in, never held whole here; past [mail] max_bytes, or
  // longer than its declared size, it is refused.
  const streamed = await streamToR2(env, rawKey, message, max, expires);
  if (streamed !== "ok") return refuse(streamed);
  stored.push(rawKey);

  let mail: Email;
  let raw: Uint8Array;
  try {
    const object = await env.FILES.get(rawKey);
    if (object === null) throw new Error(`${rawKey} vanished from storage`);
    raw = new Uint8Array(await object.arrayBuffer());
    // A forwarded message (message/rfc822) is an attachment, kept whole, rather than text merged into the body.
    mail = await PostalMime.parse(raw, { maxNestingDepth: MAX_NESTING, attachmentEncoding: "arraybuffer", forceRfc822Attachments: true });
  } catch (err) {
    return refuse(`malformed message: ${err instanceof Error ? err.message : String(err)}`);
  }

  try {
    // Byte for byte as in the message, one by one, each released once stored (attachments.ts).
    const attachments = await storeAttachments(env, raw, mail.attachments, { prefix, expires, maxDepth: MAX_NESTING, stored });
    const html = mail.text === undefined && mail.html !== undefined;
    const event: EmailEvent = {
      id,
      time: Date.now(),
      org,
      type: "email",
      channel: "email",
      by: message.from,
      ...(repo ? { repo } : {}),
      payload: {
        sender: message.from,
        to: addresses(mail.to).length ? addresses(mail.to) : [message.to],
        cc: addresses(mail.cc),
        subject: mail.subject ?? "",
        body: (html ? mail.html : mail.text) ?? "",
        body_type: html ? "html" : "text",
        attachments,
        epoch: Date.now(),
      },
    };
    await publish(env, event);
  } catch (err) {
    // Never leave a half-stored message behind: what was put is removed, and the sender's server
    // is told to try again later (a thrown error is a temporary failure).
    await Promise.all(stored.map((key) => env.FILES.delete(key).catch(() => undefined)));
    throw err;
  }
}
