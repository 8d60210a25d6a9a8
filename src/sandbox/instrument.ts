/**
 * Loop and function-entry guards for template action code.
 *
 * Why this exists: local workerd runs every isolate, dynamic ones included, on one thread and does
 * not enforce `limits.cpuMs` (its isolate limit enforcer is a no-op). A `while (true) {}` in an
 * action would therefore freeze the whole cockpit under `wrangler dev` and in tests, and no timer
 * of the parent could fire. Cloudflare enforces `cpuMs` in production; this guard is the local
 * (and defence-in-depth) counterpart: every loop condition and function body calls a guard that
 * throws once the job's deadline has passed.
 *
 * There is no JavaScript parser in the Worker bundle and `eval`/`new Function` are disallowed, so
 * this is a careful lexer plus a few syntactic rules instead of an AST transform. Insertions are
 * inline (never a newline), so line numbers in stack traces stay those of the user's file.
 *
 * Guarded:
 * - `while (c)` and `do ... while (c)` become `while (G() && (c))`;
 * - `for (a; c; b)` becomes `for (a; G() && (c); b)` (`for (;;)` gets `G()`);
 * - `for (x of it)` / `for await (x of it)` iterate `G.of(it)` / `G.ofAsync(it)`, which call the
 *   guard per element;
 * - bodies of `function`s, arrow functions with a block body, and methods of classes and object
 *   literals start with `G();`.
 * Not guarded: `for (k in o)` (finite), arrow functions with an expression body, and long-running
 * built-ins (a catastrophic regular expression, `new Array(2 ** 28).fill(0)`).
 */

export class InstrumentError extends Error {
  override name = "InstrumentError";
  readonly line: number;
  constructor(message: string, line: number) {
    super(`${message} (line ${line})`);
    this.line = line;
  }
}

type Kind = "id" | "punct" | "str" | "num" | "re" | "tpl" | "tplOpen" | "tplMid" | "tplClose";
/** What an open `{` is: a statement block (function bodies included), an object literal, or a class body. */
type BraceKind = "block" | "object" | "class";

interface Token {
  kind: Kind;
  text: string;
  start: number;
  end: number;
  /** Index of the matching bracket token, for ( ) [ ] { } and template `${` `}`. */
  match: number;
  /** Kind of the innermost enclosing `{` ("block" at the top level). */
  context: BraceKind;
  /** For `{` tokens: what this brace opens. */
  braceKind?: BraceKind;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else",
  "yield", "await", "extends",
]);
const CONTROL_KEYWORDS_WITH_PARENS = new Set(["if", "while", "for", "with"]);
const PUNCTUATORS = [
  ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
  "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=",
  "|=", "^=", "**", "<<", ">>",
];
const DECLARATION_KEYWORDS = new Set(["var", "let", "const", "using"]);

const isIdStart = (c: string): boolean => /[A-Za-z_$\\]/.test(c) || c.charCodeAt(0) > 0x7f;
const isIdPart = (c: string): boolean => /[\w$\\]/.test(c) || c.charCodeAt(0) > 0x7f;

/** Splits `source` into tokens, skipping whitespace and comments. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const n = source.length;
  const lineAt = (pos: number): number => source.slice(0, pos).split("\n").length;
  const fail = (message: string, pos: number): never => {
    throw new InstrumentError(message, lineAt(pos));
  };
  // Open brackets: token index; for `(` also whether it follows if/while/for/with (so that a `/`
  // right after its `)` starts a regular expression).
  const open: { index: number; control: boolean }[] = [];
  // Depth at which a `class` keyword waits for its body, and pending `?` of conditionals per depth.
  let classAt = -1;
  let classToken = -1;
  const ternaries: number[] = [0];
  let lastCloseWasControlParen = false;

  const context = (): BraceKind => {
    for (let i = open.length - 1; i >= 0; i--) {
      const t = tokens[open[i]!.index]!;
      if (t.text === "{") return t.braceKind ?? "block";
      if (t.kind === "tplOpen" || t.kind === "tplMid") return "object";
    }
    return "block";
  };
  const prev = (): Token | undefined => tokens[tokens.length - 1];
  const push = (kind: Kind, start: number, end: number): Token => {
    const token: Token = { kind, text: source.slice(start, end), start, end, match: -1, context: context() };
    tokens.push(token);
    // `class` used as a property name (`{ class: 1 }`, `{ class() {} }`) opens no class body.
    if (classToken === tokens.length - 2 && kind === "punct" && /^([:(=,;?)}]|\?\.)$/.test(token.text)) classAt = -1;
    return token;
  };
  const close = (token: Token, opener: string): void => {
    const top = open.pop();
    if (!top || tokens[top.index]!.text !== opener && !(opener === "${" && /^(tplOpen|tplMid)$/.test(tokens[top.index]!.kind))) {
      fail(`unbalanced "${token.text.slice(0, 1)}"`, token.start);
    }
    token.match = top!.index;
    tokens[top!.index]!.match = tokens.length - 1;
    lastCloseWasControlParen = top!.control;
    ternaries.pop();
  };
  const regexAllowed = (): boolean => {
    const p = prev();
    if (!p) return true;
    if (p.kind === "id") return KEYWORDS_BEFORE_EXPRESSION.has(p.text);
    if (p.kind === "tplOpen" || p.kind === "tplMid") return true;
    if (p.kind !== "punct") return false;
    if (p.text === ")") return lastCloseWasControlParen;
    if (p.text === "]" || p.text === "++" || p.text === "--") return false;
    // After `}`: a block's end starts a new statement (regex); an object literal's end does not.
    if (p.text === "}") return tokens[p.match]?.braceKind !== "object";
    return true;
  };
  const braceKindHere = (): BraceKind => {
    const p = prev();
    if (classAt === open.length) {
      classAt = -1;
      return "class";
    }
    if (!p) return "block";
    if (p.kind === "id") return KEYWORDS_BEFORE_EXPRESSION.has(p.text) && p.text !== "else" && p.text !== "do" ? "object" : "block";
    if (p.kind === "tplOpen" || p.kind === "tplMid") return "object";
    if (p.kind !== "punct") return "block";
    if (p.text === "=>" || p.text === ")" || p.text === ";" || p.text === "{" || p.text === "}") return "block";
    if (p.text === ":") {
      const depth = ternaries.length - 1;
      if ((ternaries[depth] ?? 0) > 0) return "object";
      return context() === "object" ? "object" : "block";
    }
    return "object";
  };
  // Scans a template chunk starting just after "`" or "}" and emits it.
  const template = (start: number, from: number, continuing: boolean): number => {
    let j = from;
    while (j < n) {
      const c = source[j];
      if (c === "\\") {
        j += 2;
        continue;
      }
      if (c === "`") {
        const t = push(continuing ? "tplClose" : "tpl", start, j + 1);
        if (continuing) close(t, "${");
        return j + 1;
      }
      if (c === "$" && source[j + 1] === "{") {
        const t = push(continuing ? "tplMid" : "tplOpen", start, j + 2);
        if (continuing) close(t, "${");
        open.push({ index: tokens.length - 1, control: false });
        ternaries.push(0);
        return j + 2;
      }
      j++;
    }
    return fail("unterminated template literal", start);
  };

  let i = 0;
  if (source.startsWith("#!")) {
    while (i < n && source[i] !== "\n") i++;
  }
  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "/" && next === "/") {
      while (i < n && source[i] !== "\n" && source[i] !== "\r") i++;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end === -1) fail("unterminated /* comment", i);
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c) {
        if (source[j] === "\\") j++;
        else if (source[j] === "\n") fail("unterminated string literal", i);
        j++;
      }
      if (j >= n) fail("unterminated string literal", i);
      push("str", i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === "`") {
      i = template(i, i + 1, false);
      continue;
    }
    if (c === "/" && regexAllowed()) {
      let j = i + 1;
      let inClass = false;
      while (j < n) {
        const d = source[j];
        if (d === "\\") j++;
        else if (d === "\n") fail("unterminated regular expression", i);
        else if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      if (j >= n) fail("unterminated regular expression", i);
      j++;
      while (j < n && /[A-Za-z]/.test(source[j]!)) j++;
      push("re", i, j);
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next ?? ""))) {
      let j = i + 1;
      const hex = c === "0" && /[xXoObB]/.test(next ?? "");
      while (j < n) {
        const d = source[j]!;
        if (/[\w.]/.test(d)) j++;
        else if ((d === "+" || d === "-") && !hex && /[eE]/.test(source[j - 1]!)) j++;
        else break;
      }
      push("num", i, j);
      i = j;
      continue;
    }
    if (isIdStart(c) || (c === "#" && next !== undefined && isIdStart(next))) {
      let j = i + 1;
      while (j < n && isIdPart(source[j]!)) {
        if (source[j] !== "\\") {
          j++;
          continue;
        }
        // An escaped identifier character: \uXXXX or \u{X...}.
        if (source[j + 1] !== "u") fail("invalid escape in identifier", j);
        if (source[j + 2] === "{") {
          const end = source.indexOf("}", j);
          if (end === -1) fail("invalid escape in identifier", j);
          j = end + 1;
        } else j += 6;
      }
      const p = prev();
      const t = push("id", i, j);
      const isProperty = p?.kind === "punct" && (p.text === "." || p.text === "?.");
      if (t.text === "class" && !isProperty) {
        classAt = open.length;
        classToken = tokens.length - 1;
      }
      i = j;
      continue;
    }
    // Punctuators.
    if (c === "}") {
      const top = open[open.length - 1];
      if (top && /^(tplOpen|tplMid)$/.test(tokens[top.index]!.kind)) {
        i = template(i, i + 1, true);
        continue;
      }
      const t = push("punct", i, i + 1);
      close(t, "{");
      i++;
      continue;
    }
    if (c === ")" || c === "]") {
      const t = push("punct", i, i + 1);
      close(t, c === ")" ? "(" : "[");
      i++;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") {
      const p = prev();
      const braceKind = c === "{" ? braceKindHere() : undefined;
      const t = push("punct", i, i + 1);
      if (braceKind) t.braceKind = braceKind;
      const control = c === "(" && p?.kind === "id" && CONTROL_KEYWORDS_WITH_PARENS.has(p.text);
      open.push({ index: tokens.length - 1, control });
      ternaries.push(0);
      i++;
      continue;
    }
    const op = PUNCTUATORS.find((p) => source.startsWith(p, i)) ?? c;
    // `?.` followed by a digit is a conditional followed by a number (`a?.5:b`).
    const text = op === "?." && /[0-9]/.test(source[i + 2] ?? "") ? "?" : op;
    push("punct", i, i + text.length);
    const depth = ternaries.length - 1;
    if (text === "?") ternaries[depth] = (ternaries[depth] ?? 0) + 1;
    else if (text === ":" && (ternaries[depth] ?? 0) > 0) ternaries[depth] = (ternaries[depth] ?? 0) - 1;
    i += text.length;
  }
  if (open.length > 0) fail(`unclosed "${tokens[open[open.length - 1]!.index]!.text}"`, tokens[open[open.length - 1]!.index]!.start);
  return tokens;
}

function isOpener(t: Token): boolean {
  if (t.kind === "tplOpen" || t.kind === "tplMid") return true;
  return t.kind === "punct" && (t.text === "(" || t.text === "[" || t.text === "{");
}

/** Every identifier of the source, with `\u` escapes decoded (so a guard name cannot be spelled another way). */
function identifiers(tokens: Token[]): Set<string> {
  const names = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== "id") continue;
    names.add(
      t.text.replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})/g, (_, a: string | undefined, b: string | undefined) =>
        String.fromCodePoint(parseInt(a ?? b ?? "0", 16)),
      ),
    );
  }
  return names;
}

/** A guard name that the user's code neither contains nor can spell with escapes. */
function pickGuardName(source: string, names: Set<string>): string {
  for (let n = 0; ; n++) {
    const name = `__cockpitGuard${n}`;
    if (!source.includes(name) && !names.has(name)) return name;
  }
}

export interface Instrumented {
  code: string;
  /** The identifier the code expects to import from the bootstrap module. */
  guard: string;
  /** Maps a 1-based line and column of `code` back to the column in the original source. */
  originalColumn(line: number, column: number): number;
}

/**
 * Adds guards to `source` (an ES module). `importFrom` is the module that exports the guard.
 * Throws InstrumentError when the source cannot be tokenised (it would not load either).
 */
export function instrument(source: string, importFrom: string): Instrumented {
  const tokens = tokenize(source);
  const G = pickGuardName(source, identifiers(tokens));
  const inserts: { at: number; text: string }[] = [];
  const prevOf = (i: number): Token | undefined => tokens[i - 1];

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const before = prevOf(i);
    const isProperty = before?.kind === "punct" && (before.text === "." || before.text === "?.");

    // Loops: only where a statement can stand, i.e. not as a method name in a class or object.
    if (t.kind === "id" && (t.text === "while" || t.text === "for") && !isProperty && t.context === "block") {
      let j = i + 1;
      const isAwait = t.text === "for" && tokens[j]?.text === "await";
      if (isAwait) j++;
      const open = tokens[j];
      if (open?.text !== "(" || open.match <= j + 1) continue;
      const close = tokens[open.match]!;
      if (t.text === "while") {
        inserts.push({ at: open.end, text: `${G}() && (` }, { at: close.start, text: ")" });
        continue;
      }
      // Depth-0 tokens of the for head (nested brackets and template expressions are skipped).
      const head: number[] = [];
      for (let k = j + 1; k < open.match; k++) {
        head.push(k);
        while (isOpener(tokens[k]!)) k = tokens[k]!.match;
      }
      const semis = head.filter((k) => tokens[k]!.kind === "punct" && tokens[k]!.text === ";");
      if (semis.length === 2) {
        const [a, b] = semis as [number, number];
        if (b === a + 1) inserts.push({ at: tokens[a]!.end, text: ` ${G}()` });
        else inserts.push({ at: tokens[a]!.end, text: ` ${G}() && (` }, { at: tokens[b]!.start, text: ")" });
        continue;
      }
      if (semis.length !== 0) continue;
      const of = head.find((k, idx) => {
        const tok = tokens[k]!;
        if (tok.kind !== "id" || tok.text !== "of" || idx === 0) return false;
        const p = tokens[k - 1]!;
        return !(p.kind === "id" && DECLARATION_KEYWORDS.has(p.text));
      });
      if (of === undefined) continue;
      inserts.push({ at: tokens[of]!.end, text: ` ${G}.${isAwait ? "ofAsync" : "of"}(` }, { at: close.start, text: ")" });
      continue;
    }

    // Function bodies.
    if (t.text === "{" && t.kind === "punct" && t.braceKind === "block" && before) {
      if (before.kind === "punct" && before.text === "=>") {
        inserts.push({ at: t.end, text: `${G}();` });
        continue;
      }
      if (before.kind === "punct" && before.text === ")") {
        const open = before.match;
        const name = tokens[open - 1];
        const beforeName = tokens[open - 2];
        const isFunction =
          (name?.kind === "id" && name.text === "function") ||
          (name?.kind === "punct" && name.text === "*" && beforeName?.text === "function") ||
          (name?.kind === "id" && (beforeName?.text === "function" || (beforeName?.text === "*" && tokens[open - 3]?.text === "function")));
        const isMethod =
          tokens[open]!.context !== "block" &&
          name !== undefined &&
          (name.kind === "id" || name.kind === "str" || name.kind === "num" || (name.kind === "punct" && name.text === "]"));
        if (isFunction || isMethod) inserts.push({ at: t.end, text: `${G}();` });
      }
    }
  }

  // The import goes on the first line (after a hashbang line), without a newline of its own.
  const importLine = `import { ${G} } from ${JSON.stringify(importFrom)}; `;
  if (source.startsWith("#!")) {
    const nl = source.indexOf("\n");
    if (nl === -1) inserts.push({ at: source.length, text: `\n${importLine}` });
    else inserts.push({ at: nl + 1, text: importLine });
  } else inserts.push({ at: 0, text: importLine });

  inserts.sort((a, b) => a.at - b.at);
  let code = "";
  let last = 0;
  for (const { at, text } of inserts) {
    code += source.slice(last, at) + text;
    last = at;
  }
  code += source.slice(last);

  // Insertions per original line, as [column in the instrumented line, length], for stack traces.
  const lineStarts = [0];
  for (let k = 0; k < source.length; k++) if (source[k] === "\n") lineStarts.push(k + 1);
  const shifts = new Map<number, [number, number][]>();
  for (const { at, text } of inserts) {
    if (text.includes("\n")) continue;
    let line = lineStarts.length;
    while (line > 1 && lineStarts[line - 1]! > at) line--;
    const list = shifts.get(line) ?? [];
    const before = list.reduce((sum, [, length]) => sum + length, 0);
    list.push([at - lineStarts[line - 1]! + 1 + before, text.length]);
    shifts.set(line, list);
  }
  const originalColumn = (line: number, column: number): number => {
    let shift = 0;
    for (const [start, length] of shifts.get(line) ?? []) {
      if (column >= start + length) shift += length;
      else if (column >= start) return Math.max(1, start - shift);
    }
    return Math.max(1, column - shift);
  };
  return { code, guard: G, originalColumn };
}
