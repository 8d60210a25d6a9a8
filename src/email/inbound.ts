/**
 * The Worker's email() handler: each accepted message becomes one Email event. The raw message and
 * every attachment are kept in R2; a refused or unreadable message leaves a log entry and nothing
 * else, and a failure half-way removes what was already stored.
 */
import PostalMime, { type Address, type Email } from "postal-mime";
import type { Channel } from "../actors/organization.ts";
import { publish } from "../events/bus.ts";
import type { CockpitEvent } from "../events/event.ts";
import { configFromBindings } from "../config/index.ts";
import { refusal, repositoryOf } from "./policy.ts";

/** Deeper MIME nesting than this is refused rather than parsed (postal-mime allows 256). */
const MAX_NESTING = 32;

type EmailEvent = Extract<CockpitEvent, { type: "email" }>;

function addresses(list: Address[] | undefined): string[] {
  return (list ?? []).flatMap((a) => (a.address !== undefined ? [a.address] : a.group.map((m) => m.address)));
}

/**
 * The attachment's name as the job will read it: the sandbox's file-name rule (letters, digits,
 * `.`, `_`, `-`, starting with a letter or digit, at most 128), made unique. A name with nothing of
 * that in its stem keeps its extension (`報告書.pdf` is `attachment-2.pdf`); none gets `attachment-N`.
 */
function jobFileName(name: string | null, index: number, taken: Set<string>): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  const dot = (name ?? "").lastIndexOf(".");
  const stem = dot > 0 ? name!.slice(0, dot) : (name ?? "");
  const extension = dot > 0 ? safe(name!.slice(dot + 1)).replace(/[^A-Za-z0-9]/g, "").slice(0, 16) : "";
  let cleaned = /[A-Za-z0-9]/.test(stem) ? safe(name ?? "").slice(0, 120).replace(/[._-]+$/, "") : "";
  if (!cleaned) cleaned = `attachment-${index + 1}${extension ? `.${extension}` : ""}`;
  let unique = cleaned;
  for (let n = 2; taken.has(unique); n++) unique = `${n}-${cleaned}`;
  taken.add(unique);
  return unique;
}

async function log(env: Env, org: string, type: string, by: string, message: string, repo: string | null, data: Record<string, unknown> | null) {
  const channel: Channel = "email";
  await env.ORGANIZATION.getByName(org).record({ type, repo, by, channel, message, data });
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

  // message.raw can be read once; the size was checked above, so holding it is bounded.
  const raw = await new Response(message.raw).arrayBuffer();
  let mail: Email;
  try {
    mail = await PostalMime.parse(raw, { maxNestingDepth: MAX_NESTING, attachmentEncoding: "arraybuffer" });
  } catch (err) {
    const reason = `malformed message: ${err instanceof Error ? err.message : String(err)}`;
    message.setReject(reason);
    await log(env, org, "mail.rejected", message.from, reason, repo, { to: message.to });
    return;
  }

  const id = crypto.randomUUID();
  const prefix = `mail/${id}`;
  const stored: string[] = [];
  const expires = new Date(Date.now() + (config.mail?.retention_days ?? 30) * 86_400_000).toISOString();
  try {
    await env.FILES.put(`${prefix}/message.eml`, raw, { httpMetadata: { contentType: "message/rfc822" }, customMetadata: { expires } });
    stored.push(`${prefix}/message.eml`);
    const attachments: EmailEvent["payload"]["attachments"] = [];
    const taken = new Set<string>();
    for (const [index, attachment] of mail.attachments.entries()) {
      const filename = jobFileName(attachment.filename, index, taken);
      const key = `${prefix}/attachments/${index + 1}-${filename}`;
      const content = attachment.content as ArrayBuffer;
      await env.FILES.put(key, content, { httpMetadata: { contentType: attachment.mimeType }, customMetadata: { expires, disposition: String(attachment.disposition ?? "") } });
      stored.push(key);
      attachments.push({ filename, original_filename: attachment.filename, content_type: attachment.mimeType, size: content.byteLength, key });
    }
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
