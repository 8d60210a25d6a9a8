/**
 * Who may mail the cockpit, and which messages are refused before anything is stored.
 */
import type { CockpitConfig } from "../config/index.ts";

/** `ops@example.com` matches that address; `@example.com` any address of that domain. */
export function senderAllowed(sender: string, allowed: readonly string[]): boolean {
  const address = sender.trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf("@"));
  return allowed.some((rule) => {
    const r = rule.toLowerCase();
    return r.startsWith("@") ? domain === r : address === r;
  });
}

/**
 * Auto-replies (vacation notices, bounces of bounces) would answer our own mail forever; RFC 3834's
 * Auto-Submitted and the common Precedence / X-Autoreply headers mark them.
 */
export function isAutoReply(headers: Headers): boolean {
  const autoSubmitted = headers.get("auto-submitted")?.trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== "no") return true;
  const precedence = headers.get("precedence")?.trim().toLowerCase();
  if (precedence && ["bulk", "auto_reply", "junk", "list"].includes(precedence)) return true;
  return headers.has("x-autoreply") || headers.has("x-autorespond") || headers.has("x-auto-response-suppress");
}

/** The reason to refuse a message before reading it, or undefined to accept it. */
export function refusal(message: { from: string; rawSize: number; headers: Headers }, mail: NonNullable<CockpitConfig["mail"]> | undefined): string | undefined {
  if (!mail?.active) return "this cockpit does not accept mail";
  if (message.rawSize > mail.max_bytes) return `message too large: ${message.rawSize} bytes, the limit is ${mail.max_bytes}`;
  if (isAutoReply(message.headers)) return "auto-replies are not accepted";
  if (!mail.allowed_senders.length) return "no sender is allowed yet ([mail] allowed_senders is empty)";
  if (!senderAllowed(message.from, mail.allowed_senders)) return `sender ${message.from} is not allowed`;
  return undefined;
}

/** `repo+<name>@domain` targets that repository's filters; any other address the organization's. */
export function repositoryOf(to: string): string | undefined {
  const local = to.slice(0, to.lastIndexOf("@"));
  const match = /^repo\+([A-Za-z0-9_-]+)$/i.exec(local);
  return match?.[1];
}
