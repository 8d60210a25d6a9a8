/**
 * Outgoing text for Telegram. Everything is sent in HTML parse mode, the one whose escaping is
 * simple and total (`&`, `<`, `>`): the original bot broke on Markdown whenever a service key or a
 * log line held a `_` or a `*` (JSC #111).
 *
 * A message is built from blocks that never leave a tag open across a line, so it can be split at
 * Telegram's 4096-character limit without breaking the markup.
 */

/** Telegram's limit for one message's text. */
export const MESSAGE_LIMIT = 4096;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Inline helpers: each returns HTML for one piece of plain text. */
export const b = (text: string) => `<b>${escapeHtml(text)}</b>`;
export const code = (text: string) => `<code>${escapeHtml(text)}</code>`;
export const i = (text: string) => `<i>${escapeHtml(text)}</i>`;

/** A block of a message: lines of HTML made with the helpers above, or preformatted plain text. */
export type Block = { html: string } | { pre: string };

export const html = (line: string): Block => ({ html: line });
export const pre = (text: string): Block => ({ pre: text });

/**
 * Splits blocks into messages of at most `limit` characters of HTML. HTML blocks split between
 * lines; a preformatted block that does not fit is cut into several `<pre>` blocks, cutting plain
 * text before escaping so an entity is never split.
 */
export function renderMessages(blocks: Block[], limit = MESSAGE_LIMIT): string[] {
  const messages: string[] = [];
  let current = "";
  const push = (piece: string) => {
    const joined = current ? `${current}\n${piece}` : piece;
    if (joined.length <= limit) {
      current = joined;
      return;
    }
    if (current) messages.push(current);
    current = piece;
  };
  for (const block of blocks) {
    if ("html" in block) {
      for (const line of block.html.split("\n")) {
        // A single line of HTML longer than a message only happens with runaway input: cut its text.
        push(line.length <= limit ? line : escapeHtml(stripTags(line).slice(0, Math.floor(limit / 5) - 1)) + "…");
      }
      continue;
    }
    if (block.pre === "") continue;
    const whole = `<pre>${escapeHtml(block.pre)}</pre>`;
    if (whole.length <= limit) {
      push(whole);
      continue;
    }
    const room = limit - "<pre></pre>".length;
    let rest = block.pre;
    while (rest.length > 0) {
      const take = fitEscaped(rest, room);
      push(`<pre>${escapeHtml(rest.slice(0, take))}</pre>`);
      rest = rest.slice(take);
    }
  }
  if (current) messages.push(current);
  return messages;
}

/** How many characters of `text` fit in `budget` once escaped, preferring to cut after a newline. */
function fitEscaped(text: string, budget: number): number {
  let size = 0;
  let n = 0;
  let lastNewline = -1;
  while (n < text.length) {
    const ch = text[n]!;
    const cost = ch === "&" ? 5 : ch === "<" || ch === ">" ? 4 : 1;
    if (size + cost > budget) break;
    size += cost;
    if (ch === "\n") lastNewline = n;
    n++;
  }
  if (n < text.length && lastNewline > n / 2) return lastNewline + 1;
  // Never cut a surrogate pair in two.
  if (n < text.length && n > 0 && /[\uD800-\uDBFF]/.test(text[n - 1]!)) n--;
  return Math.max(n, 1);
}

function stripTags(line: string): string {
  return line.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The last `n` characters of a long text, marked as cut. */
export function tail(text: string, n: number): string {
  return text.length <= n ? text : `…${text.slice(text.length - n + 1)}`;
}
