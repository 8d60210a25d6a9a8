/**
 * A `.yaml` document sent to the bot: fetched through getFile (the cloud Bot API serves at most
 * 20 MB), kept in R2 under uploads/, and read as a blueprint's text.
 */
import { fileUrl } from "./bot.ts";
import type { CockpitContext } from "./context.ts";
import { escapeHtml } from "./format.ts";

/** Telegram's own download limit for bots. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
/** A blueprint is text; the REST API takes at most this much. */
const MAX_BLUEPRINT_BYTES = 512 * 1024;
const YAML_NAME = /^[A-Za-z0-9_.-]{1,200}\.ya?ml$/i;

async function tell(ctx: CockpitContext, text: string): Promise<void> {
  await ctx.api.sendMessage(ctx.cockpit.host.chat, escapeHtml(text), { parse_mode: "HTML" });
}

/** @returns the blueprint's name and text, or null after telling the chat why not */
export async function storeDocument(ctx: CockpitContext, repo: string): Promise<{ name: string; content: string } | null> {
  const document = ctx.message!.document!;
  const name = document.file_name ?? "";
  if (!YAML_NAME.test(name)) {
    await tell(ctx, `I only take blueprints: a .yaml or .yml file named with letters, digits, _, . and - (got "${name || "no name"}").`);
    return null;
  }
  if ((document.file_size ?? 0) > MAX_DOCUMENT_BYTES) {
    await tell(ctx, `${name} is over 20 MB, more than Telegram lets bots download.`);
    return null;
  }
  const file = await ctx.api.getFile(document.file_id);
  if (!file.file_path) {
    await tell(ctx, `Telegram did not give me ${name}; please send it again.`);
    return null;
  }
  const response = await fetch(fileUrl(ctx.cockpit.config.bot!, file.file_path), { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) {
    // The URL holds the bot token: only the status is told.
    await tell(ctx, `Downloading ${name} failed (HTTP ${response.status}); please send it again.`);
    return null;
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > MAX_DOCUMENT_BYTES) {
    await tell(ctx, `${name} is over 20 MB.`);
    return null;
  }
  const bytes = await response.arrayBuffer();
  if (bytes.byteLength > MAX_DOCUMENT_BYTES) {
    await tell(ctx, `${name} is over 20 MB.`);
    return null;
  }
  const key = `uploads/telegram/${ctx.cockpit.host.chat}/${document.file_unique_id}/${name}`;
  await ctx.cockpit.env.FILES.put(key, bytes, {
    httpMetadata: { contentType: "application/yaml" },
    customMetadata: { repo, from: String(ctx.from!.id), user: ctx.cockpit.link?.user ?? "" },
  });
  if (bytes.byteLength > MAX_BLUEPRINT_BYTES) {
    await tell(ctx, `${name} is kept (file ${key}), but a blueprint is at most 512 KiB, so it was not added.`);
    return null;
  }
  let content: string;
  try {
    content = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    await tell(ctx, `${name} is not UTF-8 text, so it cannot be a blueprint.`);
    return null;
  }
  return { name, content };
}
