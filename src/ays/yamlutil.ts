/**
 * YAML helpers shared by the blueprint and template parsers: parse with positions, and turn
 * syntax errors into AysErrors that carry the line and column.
 */
import YAML, { isMap, isScalar, isSeq, LineCounter } from "yaml";
import type { Document } from "yaml";
import { AysError } from "./errors.ts";

export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
}

export function parseYaml(content: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  // YAML 1.2 core schema (the `yaml` default): `22:80` stays a string instead of the YAML 1.1
  // sexagesimal number PyYAML would have produced. Duplicate keys are errors, but checked here:
  // the library's own check compares every key with every other one, which takes seconds on a
  // 10,000-entry blueprint.
  const doc = YAML.parseDocument(content, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const first = doc.errors[0];
  if (first) {
    // Some errors (duplicate keys) start at the line break before the offending token.
    let offset = first.pos[0];
    while (offset < content.length && /\s/.test(content[offset] as string)) offset++;
    if (offset >= content.length) offset = first.pos[0];
    const pos = lines.linePos(offset);
    throw new AysError({ file, reason: `invalid YAML: ${first.message}`, line: pos.line, column: pos.col });
  }
  const duplicate = findDuplicateKey(doc.contents);
  if (duplicate !== undefined) {
    const pos = lines.linePos(duplicate);
    throw new AysError({ file, reason: "invalid YAML: Map keys must be unique", line: pos.line, column: pos.col });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new AysError({ file, reason: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` });
  }
  return { doc, lines, value };
}

/**
 * Offset of the first key that repeats an earlier key of the same mapping, if any. Keys are
 * compared as strings, the way they end up as JS object properties (`1` and `"1"` collide).
 */
function findDuplicateKey(root: unknown): number | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const key = String(pair.key.value);
          if (seen.has(key)) return pair.key.range?.[0] ?? 0;
          seen.add(key);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return undefined;
}

/**
 * Line/column (1-based) of the entry at `path`: the key when the last step is a mapping key,
 * else the node itself; falls back to the nearest ancestor that exists.
 */
export function positionOf(parsed: ParsedYaml, path: readonly (string | number)[]): { line: number; column: number } | undefined {
  const last = path[path.length - 1];
  if (typeof last === "string") {
    const parent = path.length === 1 ? parsed.doc.contents : parsed.doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      const offset = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      if (offset !== undefined) {
        const pos = parsed.lines.linePos(offset);
        return { line: pos.line, column: pos.col };
      }
    }
  }
  for (let len = path.length; len >= 0; len--) {
    const node = parsed.doc.getIn(path.slice(0, len), true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    if (offset !== undefined) {
      const pos = parsed.lines.linePos(offset);
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

/** `links.consume[1].min` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}
