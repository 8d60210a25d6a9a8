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
 * The module is parsed with acorn, and the guards are spliced into the original text at positions
 * taken from the AST rather than printed from a rewritten tree: insertions are inline (never a
 * newline), so line numbers in stack traces stay those of the user's file, and `originalColumn`
 * maps columns back.
 *
 * Guarded:
 * - `while (c)` and `do ... while (c)` become `while (G() && (c))`;
 * - `for (a; c; b)` becomes `for (a; G() && (c); b)` (`for (;;)` gets `G()`);
 * - `for (x of it)` / `for await (x of it)` iterate `G.of(it)` / `G.ofAsync(it)`, which call the
 *   guard per element;
 * - bodies of functions, methods and arrow functions with a block body start with `G();`, and an
 *   arrow function's expression body `e` becomes `(G(), e)`.
 * Not guarded: `for (k in o)` (finite) and long-running built-ins (a catastrophic regular
 * expression, `new Array(2 ** 28).fill(0)`).
 */
import { parse, tokTypes, type Node, type Position, type Program, type SourceLocation, type Token } from "acorn";
import { simple, type SimpleVisitors } from "acorn-walk";

export class InstrumentError extends Error {
  override name = "InstrumentError";
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`${message} (line ${line}, column ${column})`);
    this.line = line;
    this.column = column;
  }
}

export interface Instrumented {
  code: string;
  /** The identifier the code expects to import from the bootstrap module. */
  guard: string;
  /** Maps a 1-based line and column of `code` back to the column in the original source. */
  originalColumn(line: number, column: number): number;
}

/** `text` goes in at offset `at` of the source, which is `line` (1-based) and `column` (0-based). */
interface Insertion {
  at: number;
  line: number;
  column: number;
  text: string;
}

/** Parsed with `locations: true`, so every node has one. */
function loc(node: Node): SourceLocation {
  if (!node.loc) throw new Error(`acorn gave no location for a ${node.type}`);
  return node.loc;
}

/** Index of the first of `tokens` (in source order) that starts at or after `pos`. */
function firstFrom(tokens: Token[], pos: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.start < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function found(token: Token | undefined, what: string): Token & { loc: SourceLocation } {
  if (!token?.loc) throw new Error(`no ${what} token where acorn parsed one`);
  return token as Token & { loc: SourceLocation };
}

/** A guard name that the user's code neither contains nor can spell with escapes. */
function pickGuardName(source: string, names: Set<string>): string {
  for (let n = 0; ; n++) {
    const name = `__cockpitGuard${n}`;
    if (!source.includes(name) && !names.has(name)) return name;
  }
}

/**
 * Adds guards to `source` (an ES module). `importFrom` is the module that exports the guard.
 * Throws InstrumentError when the source does not parse (it would not load either).
 */
export function instrument(source: string, importFrom: string): Instrumented {
  // The AST has no nodes for these tokens; the guards of `for` heads are placed after them.
  const semicolons: Token[] = [];
  const ofKeywords: Token[] = [];
  // Names with escapes decoded, so that `\u005f_cockpitGuard0` counts as `__cockpitGuard0`.
  const names = new Set<string>();
  let program: Program;
  try {
    program = parse(source, {
      ecmaVersion: "latest",
      sourceType: "module",
      locations: true,
      onToken(token) {
        if (token.type === tokTypes.semi) semicolons.push(token);
        if (token.type !== tokTypes.name && token.type !== tokTypes.privateId) return;
        // acorn's typings leave out `value`, which holds the decoded name.
        const name = (token as Token & { value: string }).value;
        names.add(name);
        if (name === "of") ofKeywords.push(token);
      },
    });
  } catch (err) {
    const where = (err as { loc?: Position }).loc;
    if (!(err instanceof SyntaxError) || !where) throw err;
    throw new InstrumentError(err.message.replace(/ \(\d+:\d+\)$/, ""), where.line, where.column + 1);
  }

  const G = pickGuardName(source, names);
  const inserts: Insertion[] = [];
  const insert = (at: number, { line, column }: Position, text: string): void => {
    inserts.push({ at, line, column, text });
  };
  const guardTest = (test: Node): void => {
    insert(test.start, loc(test).start, `${G}() && (`);
    insert(test.end, loc(test).end, ")");
  };
  const visitors: SimpleVisitors<unknown> = {
    WhileStatement: (node) => guardTest(node.test),
    DoWhileStatement: (node) => guardTest(node.test),
    ForStatement(node) {
      // The init may contain semicolons of its own (`for (let f = () => { a; }; ...)`), but not after its end.
      const semi = found(semicolons[firstFrom(semicolons, node.init?.end ?? node.start)], "; of a for head");
      if (!node.test) {
        insert(semi.end, semi.loc.end, ` ${G}()`);
        return;
      }
      insert(semi.end, semi.loc.end, ` ${G}() && (`);
      insert(node.test.end, loc(node.test).end, ")");
    },
    ForOfStatement(node) {
      // After the `of` keyword rather than at the iterable's start: with `for (x of (a, b))` the
      // iterable's node is `a, b`, and `(G.of(a, b))` would iterate `a`.
      const of = found(ofKeywords[firstFrom(ofKeywords, node.right.start) - 1], "of");
      insert(of.end, of.loc.end, ` ${G}.${node.await ? "ofAsync" : "of"}(`);
      insert(node.right.end, loc(node.right).end, ")");
    },
    Function(node) {
      const body = node.body;
      if (body.type === "BlockStatement") {
        const brace = loc(body).start;
        insert(body.start + 1, { line: brace.line, column: brace.column + 1 }, `${G}();`);
        return;
      }
      insert(body.start, loc(body).start, `(${G}(), `);
      insert(body.end, loc(body).end, ")");
    },
  };
  for (const statement of program.body) {
    try {
      simple(statement, visitors);
    } catch (err) {
      // acorn-walk recurses per level of nesting and runs out of stack on some input that acorn
      // still parses (a chain of a thousand method calls).
      if (!(err instanceof RangeError)) throw err;
      const { line, column } = loc(statement).start;
      throw new InstrumentError("too deeply nested to instrument", line, column + 1);
    }
  }

  // The import goes on the first line (after a hashbang line), without a newline of its own.
  const importLine = `import { ${G} } from ${JSON.stringify(importFrom)}; `;
  const hashbangEnd = source.startsWith("#!") ? /\r\n?|\n|\u2028|\u2029/.exec(source) : null;
  if (!source.startsWith("#!")) insert(0, { line: 1, column: 0 }, importLine);
  else if (hashbangEnd) insert(hashbangEnd.index + hashbangEnd[0].length, { line: 2, column: 0 }, importLine);
  else insert(source.length, { line: 1, column: source.length }, `\n${importLine}`);

  // Stable, so insertions at one offset keep the order they were made in.
  inserts.sort((a, b) => a.at - b.at);
  const pieces: string[] = [];
  let end = source.length;
  for (let i = inserts.length - 1; i >= 0; i--) {
    const { at, text } = inserts[i]!;
    pieces.push(source.slice(at, end), text);
    end = at;
  }
  pieces.push(source.slice(0, end));
  const code = pieces.reverse().join("");

  // Insertions per original line, as [1-based column in the instrumented line, length], for stack traces.
  const shifts = new Map<number, [number, number][]>();
  for (const { line, column, text } of inserts) {
    if (text.includes("\n")) continue;
    const list = shifts.get(line) ?? [];
    const before = list.reduce((sum, [, length]) => sum + length, 0);
    list.push([column + 1 + before, text.length]);
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
