/**
 * The leaf parts of a raw MIME message, as byte ranges of the message itself, so an attachment can
 * be stored exactly as it was sent (postal-mime decodes parts line by line and joins the lines with
 * LF, and rewrites calendar parts). Lines, boundaries and headers are read by postal-mime 4's rules
 * (a line ends at LF, trailing CR/LF are not part of it; a delimiter is `--boundary`, optionally
 * `--`, then only spaces or tabs; the innermost open boundary is tried first, and an outer one also
 * closes the parts inside it; the first of each content header counts), so the parts found here are
 * the ones postal-mime found, in the same order. As RFC 2046 says, the line break before a
 * delimiter belongs to the delimiter, not to the part.
 */

export interface RawPart {
  /** Content-Type's value, lower-cased (`text/plain` when the part has none; `message/rfc822` in a digest). */
  type: string;
  /** Content-Disposition's value, lower-cased, or "". */
  disposition: string;
  /** Content-Transfer-Encoding's first token, lower-cased, or "". */
  encoding: string;
  /** The part's body: bytes [start, end) of the message, still transfer-encoded. */
  start: number;
  end: number;
}

interface Node {
  parent: Node | undefined;
  depth: number;
  defaultType: string;
  headerLines: string[];
  state: "header" | "body";
  /** The subtype of a multipart node (read with its headers); its children follow its boundary. */
  multipart?: string;
  /** A node that is not multipart is a leaf: its part. */
  leaf?: RawPart;
}

// As postal-mime reads header lines: UTF-8, a BOM kept as a character.
const headerDecoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: false });

/** Strips RFC 822 comments outside quoted strings (enough for the values read here). */
function stripComments(value: string): string {
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && quoted) {
      out += c + (value[i + 1] ?? "");
      i++;
    } else if (c === '"' && depth === 0) {
      quoted = !quoted;
      out += c;
    } else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")" && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return depth === 0 ? out : value;
}

/** A structured header's value (lower-cased) and its parameters; the first of a repeated parameter counts. */
export function structuredHeader(raw: string): { value: string; params: Record<string, string> } {
  const text = stripComments(raw);
  const params: Record<string, string> = {};
  const pieces: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === "\\") current += text[++i] ?? "";
    else if (c === '"') quoted = !quoted;
    else if (c === ";" && !quoted) {
      pieces.push(current);
      current = "";
    } else current += c;
  }
  pieces.push(current);
  for (const piece of pieces.slice(1)) {
    const eq = piece.indexOf("=");
    if (eq < 0) continue;
    const key = piece.slice(0, eq).trim().toLowerCase();
    if (key && !Object.prototype.hasOwnProperty.call(params, key)) params[key] = piece.slice(eq + 1).trim();
  }
  return { value: pieces[0]!.trim().toLowerCase(), params };
}

/** Reads a node's headers (folded lines joined, the first of each field counting): its kind, and a multipart's boundary. */
function readHeaders(node: Node): string | undefined {
  const fields: string[] = [];
  for (const line of node.headerLines) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  const values = new Map<string, string>();
  for (const field of fields) {
    const sep = field.indexOf(":");
    const key = (sep < 0 ? field : field.slice(0, sep)).replace(/^[ \t]+|[ \t]+$/g, "").toLowerCase();
    if (!values.has(key)) values.set(key, sep < 0 ? "" : field.slice(sep + 1).trim());
  }
  const contentType = values.get("content-type");
  const type = contentType === undefined ? { value: node.defaultType, params: {} as Record<string, string> } : structuredHeader(contentType);
  if (type.value.startsWith("multipart/")) {
    node.multipart = type.value.slice("multipart/".length);
    return type.params.boundary || undefined;
  }
  const encoding = (stripComments(values.get("content-transfer-encoding") ?? "").toLowerCase().match(/[\w-]+/) ?? [""])[0]!;
  node.leaf = { type: type.value, disposition: structuredHeader(values.get("content-disposition") ?? "").value, encoding, start: 0, end: 0 };
  return undefined;
}

/** Where the line break that ends a line starts: its last CRLF or LF (any CR before that pair stays content). */
function lineBreakStart(bytes: Uint8Array, contentEnd: number, next: number): number {
  if (bytes[next - 1] !== 0x0a) return next; // the last line of the message, without a break
  return next - 2 >= contentEnd && bytes[next - 2] === 0x0d ? next - 2 : next - 1;
}

/**
 * The message's leaf parts in document order (the body of a message that is not multipart is its
 * one part). Nesting deeper than `maxDepth` throws, as in postal-mime.
 */
export function leafParts(bytes: Uint8Array, maxDepth: number): RawPart[] {
  const leaves: RawPart[] = [];
  const boundaries: { value: Uint8Array; node: Node }[] = [];
  const encoder = new TextEncoder();
  const root: Node = { parent: undefined, depth: 0, defaultType: "text/plain", headerLines: [], state: "header" };
  let current = root;
  const enterBody = (node: Node, at: number) => {
    node.state = "body";
    const boundary = readHeaders(node);
    if (boundary !== undefined) boundaries.push({ value: encoder.encode(boundary), node });
    if (node.leaf) {
      node.leaf.start = node.leaf.end = at;
      leaves.push(node.leaf);
    }
  };

  let pos = 0;
  /** Where the line break before the current line starts: a part a delimiter ends, ends there. */
  let breakBefore = 0;
  while (pos < bytes.length) {
    const lineStart = pos;
    let contentEnd = pos;
    while (pos < bytes.length) {
      const c = bytes[pos++]!;
      if (c !== 0x0d && c !== 0x0a) contentEnd = pos;
      if (c === 0x0a) break;
    }
    const line = bytes.subarray(lineStart, contentEnd);
    let matched: { node: Node; terminator: boolean } | undefined;
    if (boundaries.length && line.length > 2 && line[0] === 0x2d && line[1] === 0x2d) {
      for (let i = boundaries.length - 1; i >= 0 && !matched; i--) {
        const { value, node } = boundaries[i]!;
        if (line.length < value.length + 2 || value.some((v, j) => line[j + 2] !== v)) continue;
        let end = value.length + 2;
        const terminator = line.length >= end + 2 && line[end] === 0x2d && line[end + 1] === 0x2d;
        if (terminator) end += 2;
        if (line.subarray(end).every((c) => c === 0x20 || c === 0x09)) matched = { node, terminator };
      }
    }
    if (matched) {
      // The open part ends at the line break before the delimiter (one still in its headers is empty).
      if (current.state === "header") enterBody(current, lineStart);
      else if (current.leaf) current.leaf.end = Math.max(current.leaf.start, breakBefore);
      const owner = matched.node;
      while (boundaries[boundaries.length - 1]!.node !== owner) boundaries.pop();
      if (matched.terminator) {
        boundaries.pop();
        current = owner.parent ?? root;
      } else {
        if (owner.depth + 1 > maxDepth) throw new Error(`Maximum MIME nesting depth of ${maxDepth} levels exceeded`);
        current = { parent: owner, depth: owner.depth + 1, defaultType: owner.multipart === "digest" ? "message/rfc822" : "text/plain", headerLines: [], state: "header" };
      }
    } else if (current.state === "header") {
      if (line.length === 0) enterBody(current, pos);
      else current.headerLines.push(headerDecoder.decode(line));
    } else if (current.leaf) {
      current.leaf.end = pos; // until a delimiter says otherwise, a part runs to the end of its last line
    }
    breakBefore = lineBreakStart(bytes, contentEnd, pos);
  }
  if (current.state === "header") enterBody(current, bytes.length);
  return leaves;
}
