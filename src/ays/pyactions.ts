/**
 * Reads an AYS 8.2 `actions.py` without running it (it cannot run here): the action names are the
 * top-level `def name(` functions, as in AYS's own line-based parser (Actor._processActionsFile).
 * When `init_actions_` returns a dict literal, that literal is the actor's action dependency map.
 */
import { AysError } from "./errors.ts";
import { parseDependencyLiteral } from "./jsactions.ts";
import { isValidActionName } from "./names.ts";

export interface PyActionsScan {
  actions: string[];
  dependencies?: Record<string, string[]>;
}

function blank(text: string): string {
  return text.replace(/[^\n]/g, " ");
}

/** Blanks comments and string contents (keeping quotes and newlines) so syntax can be searched. */
function maskPython(source: string): { code: string; noComments: string } {
  let code = "";
  let noComments = "";
  let i = 0;
  const n = source.length;
  while (i < n) {
    const ch = source[i] as string;
    if (ch === "#") {
      let j = i;
      while (j < n && source[j] !== "\n") j++;
      code += blank(source.slice(i, j));
      noComments += blank(source.slice(i, j));
      i = j;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const triple = source.startsWith(ch.repeat(3), i);
      const quote = triple ? ch.repeat(3) : ch;
      let j = i + quote.length;
      let closed = false;
      while (j < n) {
        if (source[j] === "\\") {
          j += 2;
          continue;
        }
        if (source.startsWith(quote, j)) {
          closed = true;
          break;
        }
        if (!triple && source[j] === "\n") break; // unterminated: stop at the end of the line
        j++;
      }
      const bodyEnd = Math.min(j, n);
      const end = closed ? j + quote.length : bodyEnd;
      noComments += source.slice(i, end);
      code += quote + blank(source.slice(i + quote.length, bodyEnd)) + (closed ? quote : "");
      i = end;
      continue;
    }
    code += ch;
    noComments += ch;
    i++;
  }
  return { code, noComments };
}

export function scanPyActions(source: string, file = "actions.py"): PyActionsScan {
  const { code, noComments } = maskPython(source);
  const lineAt = (pos: number): number => code.slice(0, pos).split("\n").length;

  const cls = /^class\s+Actions\b/m.exec(code);
  if (cls) {
    throw new AysError({
      file,
      line: lineAt(cls.index),
      reason: "class-based actions (AYS 8.0 `class Actions`) are not supported; use top-level `def name(job):` functions",
    });
  }

  const actions: string[] = [];
  const seen = new Set<string>();
  const defRe = /^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm;
  let initActionsAt = -1;
  for (let m = defRe.exec(code); m; m = defRe.exec(code)) {
    const name = m[1] as string;
    if (name === "init_actions_") initActionsAt = m.index;
    // `_`-suffixed functions are in-process helpers (init_actions_, action_pre_), never jobs.
    if (name.endsWith("_") || seen.has(name) || !isValidActionName(name)) continue;
    seen.add(name);
    actions.push(name);
  }

  if (initActionsAt === -1) return { actions };
  const dependencies = readInitActionsLiteral(code, noComments, initActionsAt, file, lineAt(initActionsAt));
  return dependencies ? { actions, dependencies } : { actions };
}

/** The dict returned by `init_actions_`, when its body has exactly one `return {...}` literal. */
function readInitActionsLiteral(code: string, noComments: string, defAt: number, file: string, line: number): Record<string, string[]> | undefined {
  // The body ends at the next non-blank line that starts in column 0.
  const bodyStart = code.indexOf("\n", defAt) + 1;
  if (bodyStart === 0) return undefined;
  const endMatch = /^\S/m.exec(code.slice(bodyStart));
  const bodyEnd = endMatch ? bodyStart + endMatch.index : code.length;
  const body = code.slice(bodyStart, bodyEnd);
  const returns = [...body.matchAll(/\breturn\b/g)];
  if (returns.length !== 1) return undefined;
  const after = body.slice((returns[0]?.index ?? 0) + "return".length);
  const braceOffset = after.search(/\S/);
  if (braceOffset === -1 || after[braceOffset] !== "{") return undefined;
  const open = bodyStart + (returns[0]?.index ?? 0) + "return".length + braceOffset;
  let depth = 0;
  for (let i = open; i < bodyEnd; i++) {
    const c = code[i];
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") {
      depth--;
      if (depth === 0) {
        return parseDependencyLiteral(noComments.slice(open, i + 1), file, line);
      }
    }
  }
  throw new AysError({ file, key: "init_actions_", line, reason: "unterminated dict literal" });
}
