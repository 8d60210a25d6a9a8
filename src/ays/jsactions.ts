/**
 * Reads the action names of an `actions.js` ES module without executing it: every exported function
 * is an action. The scan runs over a copy of the source where comments, strings, template literals
 * and regular expressions are blanked out (same length, newlines kept), so an `export` inside a
 * string or comment is never mistaken for one, and only statements at brace depth 0 are considered.
 */
import YAML from "yaml";
import { AysError } from "./errors.ts";
import { isValidActionName } from "./names.ts";

export interface JsActionsScan {
  /** Exported action names in source order. */
  actions: string[];
  /** `export const dependencies = {...}` when present. */
  dependencies?: Record<string, string[]>;
}

interface Masked {
  /** Comments blanked; strings kept (used to read object literals). */
  noComments: string;
  /** Comments, string/template/regex contents blanked (used to find syntax). */
  code: string;
}

const REGEX_AFTER_KEYWORDS = new Set(["return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await"]);

function blank(text: string): string {
  return text.replace(/[^\n]/g, " ");
}

/** Blanks comments / literals. Throws on unterminated constructs (the file would not load anyway). */
export function maskJs(source: string, file: string): Masked {
  let noComments = "";
  let code = "";
  let i = 0;
  const n = source.length;
  // The last significant character/identifier emitted to `code`, to tell regex from division.
  const lastSignificant = (): string => {
    // Walk back over whitespace, then over one identifier (or take the single punctuation char).
    let end = code.length;
    while (end > 0 && /\s/.test(code[end - 1] as string)) end--;
    let start = end;
    while (start > 0 && /[\w$]/.test(code[start - 1] as string)) start--;
    return start === end ? code.slice(Math.max(0, end - 1), end) : code.slice(start, end);
  };
  const lineAt = (pos: number): number => source.slice(0, pos).split("\n").length;
  const fail = (reason: string, pos: number): never => {
    throw new AysError({ file, reason, line: lineAt(pos) });
  };
  while (i < n) {
    const ch = source[i] as string;
    const next = source[i + 1];
    if (ch === "/" && next === "/") {
      let j = i;
      while (j < n && source[j] !== "\n") j++;
      const text = source.slice(i, j);
      noComments += blank(text);
      code += blank(text);
      i = j;
      continue;
    }
    if (ch === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end === -1) fail("unterminated /* comment", i);
      const text = source.slice(i, end + 2);
      noComments += blank(text);
      code += blank(text);
      i = end + 2;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < n && source[j] !== ch) {
        if (source[j] === "\\") j++;
        else if (source[j] === "\n") fail("unterminated string literal", i);
        j++;
      }
      if (j >= n) fail("unterminated string literal", i);
      const text = source.slice(i, j + 1);
      noComments += text;
      code += ch + blank(text.slice(1, -1)) + ch;
      i = j + 1;
      continue;
    }
    if (ch === "`") {
      // Template literal; `${ expr }` parts may nest braces, strings and further templates.
      const frames: { tpl: boolean; depth: number }[] = [{ tpl: true, depth: 0 }];
      let j = i + 1;
      while (j < n && frames.length > 0) {
        const frame = frames[frames.length - 1] as { tpl: boolean; depth: number };
        const c = source[j];
        if (frame.tpl) {
          if (c === "\\") j += 2;
          else if (c === "`") {
            frames.pop();
            j++;
          } else if (c === "$" && source[j + 1] === "{") {
            frames.push({ tpl: false, depth: 0 });
            j += 2;
          } else j++;
        } else if (c === "`") {
          frames.push({ tpl: true, depth: 0 });
          j++;
        } else if (c === "{") {
          frame.depth++;
          j++;
        } else if (c === "}") {
          if (frame.depth === 0) frames.pop();
          else frame.depth--;
          j++;
        } else if (c === '"' || c === "'") {
          j++;
          while (j < n && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
          j++;
        } else j++;
      }
      if (frames.length > 0) fail("unterminated template literal", i);
      const text = source.slice(i, j);
      noComments += text;
      code += "`" + blank(text.slice(1, -1)) + "`";
      i = j;
      continue;
    }
    if (ch === "/") {
      const prev = lastSignificant();
      const prevChar = prev.slice(-1);
      const isDivision = prev !== "" && /[\w$)\]}"'`]/.test(prevChar) && !REGEX_AFTER_KEYWORDS.has(prev);
      if (!isDivision) {
        let j = i + 1;
        let inClass = false;
        while (j < n) {
          const c = source[j];
          if (c === "\n") fail("unterminated regular expression", i);
          if (c === "\\") j++;
          else if (c === "[") inClass = true;
          else if (c === "]") inClass = false;
          else if (c === "/" && !inClass) break;
          j++;
        }
        if (j >= n) fail("unterminated regular expression", i);
        const bodyEnd = j;
        j++;
        while (j < n && /[a-z]/i.test(source[j] as string)) j++;
        noComments += source.slice(i, j);
        code += "/" + blank(source.slice(i + 1, bodyEnd)) + source.slice(bodyEnd, j);
        i = j;
        continue;
      }
    }
    noComments += ch;
    code += ch;
    i++;
  }
  return { noComments, code };
}

/** Index of the `}` closing the `{` at `open` in masked code, or -1. */
function matchingBrace(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Offsets in `code` that are at brace depth 0. */
function topLevelMask(code: string): Uint8Array {
  const top = new Uint8Array(code.length);
  let depth = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === "}") depth = Math.max(0, depth - 1);
    top[i] = depth === 0 ? 1 : 0;
    if (c === "{") depth++;
  }
  return top;
}

const FUNCTION_VALUE = /^\s*(async\s+)?(function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)/;

export function scanJsActions(source: string, file = "actions.js"): JsActionsScan {
  const { code, noComments } = maskJs(source, file);
  const top = topLevelMask(code);
  const lineAt = (pos: number): number => code.slice(0, pos).split("\n").length;
  const actions: string[] = [];
  const seen = new Set<string>();
  let dependencies: Record<string, string[]> | undefined;
  const add = (name: string, pos: number): void => {
    if (!isValidActionName(name)) throw new AysError({ file, key: name, reason: "invalid action name", line: lineAt(pos) });
    // `_`-suffixed names are helpers by AYS convention (action_pre_, init_actions_), not actions.
    if (name.endsWith("_") || seen.has(name)) return;
    seen.add(name);
    actions.push(name);
  };

  const exportRe = /(^|[^\w$.])export\b\s*/g;
  for (let m = exportRe.exec(code); m; m = exportRe.exec(code)) {
    const at = m.index + (m[1] ?? "").length;
    if (!top[at]) continue;
    const rest = code.slice(m.index + m[0].length);
    const restAt = m.index + m[0].length;
    let d: RegExpExecArray | null;
    if ((d = /^(async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/.exec(rest))) {
      add(d[2] as string, at);
    } else if ((d = /^(const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/.exec(rest))) {
      const name = d[2] as string;
      const valueAt = restAt + d[0].length;
      if (name === "dependencies") {
        dependencies = readDependencies(code, noComments, valueAt, file, lineAt(at));
      } else if (FUNCTION_VALUE.test(code.slice(valueAt, valueAt + 200))) {
        add(name, at);
      }
      // Any other exported value (a constant, a config object) is not an action.
    } else if ((d = /^(const|let|var)\s*[{[]/.exec(rest))) {
      throw new AysError({ file, reason: "destructuring exports are not supported; export each action by name", line: lineAt(at) });
    } else if (/^\{/.test(rest)) {
      const close = code.indexOf("}", restAt);
      if (close === -1) throw new AysError({ file, reason: "unterminated export { ... }", line: lineAt(at) });
      const after = code.slice(close + 1, close + 200);
      if (/^\s*from\b/.test(after)) {
        throw new AysError({ file, reason: "re-exports (export { ... } from) are not supported: actions.js must be one self-contained module", line: lineAt(at) });
      }
      for (const part of code.slice(restAt + 1, close).split(",")) {
        const spec = part.trim();
        if (spec === "") continue;
        const s = /^([A-Za-z_$][\w$]*)(\s+as\s+([A-Za-z_$][\w$]*))?$/.exec(spec);
        if (!s) throw new AysError({ file, reason: `cannot read export specifier "${spec}"`, line: lineAt(at) });
        const exported = s[3] ?? (s[1] as string);
        if (exported === "dependencies") {
          throw new AysError({ file, key: "dependencies", reason: "must be declared as `export const dependencies = { ... }` (an object literal)", line: lineAt(at) });
        }
        if (exported !== "default") add(exported, at);
      }
    } else if (/^\*/.test(rest)) {
      throw new AysError({ file, reason: "export * is not supported: actions.js must be one self-contained module", line: lineAt(at) });
    }
    // `export default`, `export class`: not named function actions, ignored on purpose.
  }
  return dependencies ? { actions, dependencies } : { actions };
}

function readDependencies(code: string, noComments: string, valueAt: number, file: string, line: number): Record<string, string[]> {
  const open = code.slice(valueAt).search(/\S/) + valueAt;
  if (code[open] !== "{") {
    throw new AysError({ file, key: "dependencies", reason: "must be an object literal like { install: [\"init\"] }", line });
  }
  const close = matchingBrace(code, open);
  if (close === -1) throw new AysError({ file, key: "dependencies", reason: "unterminated object literal", line });
  return parseDependencyLiteral(noComments.slice(open, close + 1), file, line);
}

/**
 * Reads a JSON-ish / Python dict literal (`{ install: ["init"] }`, `{'a': ['b'],}`) with the YAML
 * flow parser, which accepts both quote styles, bare keys and trailing commas.
 */
export function parseDependencyLiteral(literal: string, file: string, line?: number): Record<string, string[]> {
  const where = { file, key: "dependencies", ...(line !== undefined ? { line } : {}) };
  let value: unknown;
  try {
    value = YAML.parse(literal);
  } catch {
    throw new AysError({ ...where, reason: "cannot read the object literal (use plain strings and lists only)" });
  }
  return checkDependencyMap(value, (reason) => new AysError({ ...where, reason }));
}

export function checkDependencyMap(value: unknown, error: (reason: string) => Error): Record<string, string[]> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw error("must be a mapping of action -> [actions]");
  const out: Record<string, string[]> = {};
  for (const [action, deps] of Object.entries(value as Record<string, unknown>)) {
    if (!isValidActionName(action)) throw error(`invalid action name "${action}"`);
    const list = typeof deps === "string" ? [deps] : deps;
    if (!Array.isArray(list) || list.some((d) => typeof d !== "string" || !isValidActionName(d))) {
      throw error(`${action}: must be a list of action names`);
    }
    out[action] = [...new Set(list as string[])];
  }
  return out;
}
