/**
 * Reads the action names of an `actions.js` ES module without executing it: every exported function
 * is an action. The module is parsed with acorn, so comments, strings, template literals and regular
 * expressions can never be mistaken for exports, and a syntax error is reported at its line and
 * column when the template is stored rather than when a job first runs.
 */
import { parse, type Expression, type ModuleDeclaration, type Program, type SpreadElement, type Statement } from "acorn";
import YAML from "yaml";
import { AysError } from "./errors.ts";
import { isValidActionName } from "./names.ts";

export interface JsActionsScan {
  /** Exported action names in source order. */
  actions: string[];
  /** `export const dependencies = {...}` when present. */
  dependencies?: Record<string, string[]>;
}

type TopLevel = Statement | ModuleDeclaration;

function isFunctionValue(node: Expression | null | undefined): boolean {
  return node?.type === "FunctionExpression" || node?.type === "ArrowFunctionExpression";
}

/** Local top-level names bound to functions, so `export { name }` can tell actions from constants. */
function localFunctions(program: Program): Map<string, boolean> {
  const names = new Map<string, boolean>();
  const visit = (node: TopLevel | null | undefined) => {
    if (!node) return;
    if (node.type === "FunctionDeclaration") names.set(node.id.name, true);
    if (node.type === "ClassDeclaration") names.set(node.id.name, false);
    if (node.type === "VariableDeclaration") {
      for (const d of node.declarations) if (d.id.type === "Identifier") names.set(d.id.name, isFunctionValue(d.init));
    }
    if (node.type === "ExportNamedDeclaration") visit(node.declaration);
  };
  for (const node of program.body) visit(node);
  return names;
}

/** `{ install: ["init"], backup: "install" }` from the AST: literal keys, strings and lists of strings only. */
function literalDependencies(node: Expression, file: string, line: number): Record<string, string[]> {
  const where = { file, key: "dependencies", line };
  if (node.type !== "ObjectExpression") throw new AysError({ ...where, reason: 'must be an object literal like { install: ["init"] }' });
  const map: Record<string, unknown> = {};
  for (const prop of node.properties) {
    if (prop.type !== "Property" || prop.computed) throw new AysError({ ...where, reason: "use plain keys and lists of strings only" });
    const key = prop.key.type === "Identifier" ? prop.key.name : prop.key.type === "Literal" ? String(prop.key.value) : undefined;
    const value = prop.value as Expression;
    const strings = (n: Expression | SpreadElement): string | undefined => (n.type === "Literal" && typeof n.value === "string" ? n.value : undefined);
    let deps: unknown;
    if (value.type === "ArrayExpression") deps = value.elements.map((e) => (e ? strings(e) : undefined));
    else deps = strings(value);
    if (key === undefined || deps === undefined) throw new AysError({ ...where, reason: "use plain keys and lists of strings only" });
    map[key] = deps;
  }
  return checkDependencyMap(map, (reason) => new AysError({ ...where, reason }));
}

export function scanJsActions(source: string, file = "actions.js"): JsActionsScan {
  let program: Program;
  try {
    program = parse(source, { ecmaVersion: "latest", sourceType: "module", locations: true });
  } catch (err) {
    const loc = (err as { loc?: { line: number; column: number } }).loc;
    const reason = `syntax error: ${(err as Error).message.replace(/\s*\(\d+:\d+\)$/, "")}`;
    throw new AysError({ file, reason, ...(loc ? { line: loc.line, column: loc.column + 1 } : {}) });
  }
  const functions = localFunctions(program);
  const actions: string[] = [];
  const seen = new Set<string>();
  let dependencies: Record<string, string[]> | undefined;
  const add = (name: string, line: number): void => {
    if (!isValidActionName(name)) throw new AysError({ file, key: name, reason: "invalid action name", line });
    // `_`-suffixed names are helpers by AYS convention (action_pre_, init_actions_), not actions.
    if (name.endsWith("_") || seen.has(name)) return;
    seen.add(name);
    actions.push(name);
  };

  for (const node of program.body) {
    const line = node.loc?.start.line ?? 1;
    if (node.type === "ExportAllDeclaration") {
      throw new AysError({ file, reason: "export * is not supported: actions.js must be one self-contained module", line });
    }
    if (node.type !== "ExportNamedDeclaration") continue; // `export default` and plain code are not named actions
    if (node.source) {
      throw new AysError({ file, reason: "re-exports (export { ... } from) are not supported: actions.js must be one self-contained module", line });
    }
    const decl = node.declaration;
    if (decl?.type === "FunctionDeclaration") add(decl.id.name, line);
    if (decl?.type === "VariableDeclaration") {
      for (const d of decl.declarations) {
        if (d.id.type !== "Identifier") {
          throw new AysError({ file, reason: "destructuring exports are not supported; export each action by name", line });
        }
        if (d.id.name === "dependencies") dependencies = literalDependencies(d.init ?? { type: "Identifier" } as Expression, file, line);
        else if (isFunctionValue(d.init)) add(d.id.name, line);
        // Any other exported value (a constant, a config object) is not an action.
      }
    }
    for (const spec of node.specifiers) {
      const exported = spec.exported.type === "Identifier" ? spec.exported.name : String(spec.exported.value);
      const local = spec.local.type === "Identifier" ? spec.local.name : String(spec.local.value);
      if (exported === "dependencies") {
        throw new AysError({ file, key: "dependencies", reason: "must be declared as `export const dependencies = { ... }` (an object literal)", line });
      }
      if (exported !== "default" && functions.get(local) !== false) add(exported, line);
    }
  }
  return dependencies ? { actions, dependencies } : { actions };
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

/**
 * The source text of each exported function of an actions.js module: an action's code, as AYS keyed
 * it (by content, per action). Empty for a module that does not parse.
 */
function actionSources(source: string): Map<string, string> {
  let program: Program;
  try {
    program = parse(source, { ecmaVersion: "latest", sourceType: "module" });
  } catch {
    return new Map();
  }
  const text = (node: { start: number; end: number }) => source.slice(node.start, node.end);
  const local = new Map<string, string>();
  const visit = (node: TopLevel | null | undefined) => {
    if (node?.type === "FunctionDeclaration") local.set(node.id.name, text(node));
    if (node?.type === "VariableDeclaration") {
      for (const d of node.declarations) if (d.id.type === "Identifier" && isFunctionValue(d.init)) local.set(d.id.name, text(d));
    }
    if (node?.type === "ExportNamedDeclaration") visit(node.declaration);
  };
  for (const node of program.body) visit(node);
  const exported = new Map<string, string>();
  for (const node of program.body) {
    if (node.type !== "ExportNamedDeclaration" || node.source) continue;
    const decl = node.declaration;
    if (decl?.type === "FunctionDeclaration") exported.set(decl.id.name, local.get(decl.id.name)!);
    if (decl?.type === "VariableDeclaration") {
      for (const d of decl.declarations) if (d.id.type === "Identifier" && local.has(d.id.name)) exported.set(d.id.name, local.get(d.id.name)!);
    }
    for (const spec of node.specifiers) {
      const name = spec.exported.type === "Identifier" ? spec.exported.name : String(spec.exported.value);
      const code = local.get(spec.local.type === "Identifier" ? spec.local.name : String(spec.local.value));
      if (code !== undefined) exported.set(name, code);
    }
  }
  return exported;
}

/**
 * The actions whose code differs between two versions of an actions.js (AYS `action_mod_<name>`,
 * plus actions gaining or losing their code), sorted. Only an action's own function counts: a
 * change to a helper it calls does not.
 */
export function changedJsActions(before: string, after: string): string[] {
  const a = actionSources(before);
  const b = actionSources(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((name) => a.get(name) !== b.get(name)).sort();
}
