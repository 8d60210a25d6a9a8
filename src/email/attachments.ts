/**
 * A mail's attachments, stored byte for byte as they were in the message: each part's content is
 * decoded here from the raw message (mime-parts.ts, transfer-encoding.ts) rather than taken from
 * postal-mime, which joins 7bit and quoted-printable lines with LF and rewrites calendar parts.
 * postal-mime still says which parts are attachments and what they are called (RFC 2047/2231
 * decoded); the two readings are checked against each other. A part whose bytes are those of
 * another one (a calendar invite sent as the message's text/calendar alternative and again as
 * `invite.ics`) is stored once: an unnamed copy is not listed, named copies share one object.
 */
import type { Attachment } from "postal-mime";
import type { MailAttachment } from "../events/event.ts";
import { leafParts, type RawPart } from "./mime-parts.ts";
import { decodeTransfer } from "./transfer-encoding.ts";

/**
 * The attachment's name as the job will read it: the sandbox's file-name rule (letters, digits,
 * `.`, `_`, `-`, starting with a letter or digit, at most 128), made unique. A name with nothing of
 * that in its stem keeps its extension (`報告書.pdf` is `attachment-2.pdf`); none gets `attachment-N`.
 */
export function jobFileName(name: string | null, index: number, taken: Set<string>): string {
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

/** What postal-mime lists as attachments, given forceRfc822Attachments: every leaf but inline text/plain and text/html. */
const isAttachmentPart = (part: RawPart): boolean => part.disposition === "attachment" || (part.type !== "text/plain" && part.type !== "text/html");

/** Types whose content postal-mime rewrites (as text ending in one LF). */
const REWRITTEN = new Set(["text/calendar", "application/ics"]);

const bytesOf = (content: Attachment["content"]): Uint8Array =>
  typeof content === "string" ? new TextEncoder().encode(content) : new Uint8Array(content);

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Each attachment's content as a function (decoded when called, so only one is held at a time):
 * from the raw message when its parts are those postal-mime found, else, with a warning, postal-mime's.
 */
function contents(raw: Uint8Array, parsed: Attachment[], maxDepth: number): (() => Uint8Array)[] {
  const fallback = (reason: string) => {
    console.warn(`mail attachments: ${reason}; storing them as postal-mime decoded them (line breaks may differ from the message)`);
    return parsed.map((a) => () => bytesOf(a.content));
  };
  let parts: RawPart[];
  try {
    parts = leafParts(raw, maxDepth).filter(isAttachmentPart);
  } catch (err) {
    return fallback(`the raw parts could not be read (${err instanceof Error ? err.message : String(err)})`);
  }
  if (parts.length !== parsed.length) return fallback(`${parts.length} raw parts against postal-mime's ${parsed.length}`);
  for (const [i, part] of parts.entries()) {
    if (part.type !== parsed[i]!.mimeType) return fallback(`part ${i + 1} is ${part.type}, postal-mime's ${parsed[i]!.mimeType}`);
    // Base64 decodes the same either way (but for calendar parts, which postal-mime rewrites): a
    // check that the boundaries were read alike.
    if (part.encoding.includes("base64") && !REWRITTEN.has(part.type) && !equal(decodeTransfer(raw.subarray(part.start, part.end), part.encoding), bytesOf(parsed[i]!.content))) {
      return fallback(`part ${i + 1} decodes differently`);
    }
  }
  // postal-mime's decoded copies are not needed any more: let them go before anything is stored.
  for (const attachment of parsed) (attachment as { content: unknown }).content = null;
  return parts.map((part) => () => decodeTransfer(raw.subarray(part.start, part.end), part.encoding));
}

/**
 * Stores the mail's attachments under `prefix` (each put before the next is decoded) and lists them
 * for the Email event; `stored` collects the keys put, for the caller to remove on a failure.
 */
export async function storeAttachments(
  env: Pick<Env, "FILES">,
  raw: Uint8Array,
  parsed: Attachment[],
  opts: { prefix: string; expires: string; maxDepth: number; stored: string[] },
): Promise<MailAttachment[]> {
  const content = contents(raw, parsed, opts.maxDepth);
  // First which parts are copies of which (by their bytes' SHA-256), then the storing.
  const hashes: string[] = [];
  for (const get of content) hashes.push(await sha256(get()));
  const named = new Set(hashes.filter((h, i) => parsed[i]!.filename !== null));
  const listed = new Set<string>();
  const keys = new Map<string, { key: string; size: number }>();
  const attachments: MailAttachment[] = [];
  const taken = new Set<string>();
  for (const [index, attachment] of parsed.entries()) {
    const hash = hashes[index]!;
    const name = attachment.filename;
    // An unnamed copy of a named part, or a second copy under the same name, is not listed again.
    const listing = `${hash} ${name ?? ""}`;
    if ((name === null && named.has(hash)) || listed.has(listing)) continue;
    listed.add(listing);
    const filename = jobFileName(name, index, taken);
    let object = keys.get(hash);
    if (!object) {
      const bytes = content[index]!();
      const key = `${opts.prefix}/attachments/${index + 1}-${filename}`;
      await env.FILES.put(key, bytes, { httpMetadata: { contentType: attachment.mimeType }, customMetadata: { expires: opts.expires, disposition: String(attachment.disposition ?? ""), sha256: hash } });
      opts.stored.push(key);
      object = { key, size: bytes.byteLength };
      keys.set(hash, object);
    }
    attachments.push({ filename, original_filename: name, content_type: attachment.mimeType, size: object.size, key: object.key });
  }
  return attachments;
}
