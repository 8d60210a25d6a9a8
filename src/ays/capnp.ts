/**
 * A parser for the subset of Cap'n Proto schema language that AYS 8.2 templates use for service data:
 *
 *   @0xc91f66e09156887c;
 *   struct Schema {
 *     location @0 :Text;
 *     port @5 :Int64 = 443;
 *     uservdc @6 :List(Text);
 *   }
 *
 * Only `struct` declarations with scalar / `List(scalar)` fields and literal defaults are accepted;
 * anything else (unions, enums, nested structs, `using`, imports, annotations) is rejected with a
 * message naming the line, because silently dropping a field would lose user data.
 */
import { AysError } from "./errors.ts";

export type ScalarType = "Text" | "Int64" | "Int32" | "UInt64" | "Bool" | "Float64" | "Float32" | "Data";

export interface FieldDef {
  name: string;
  ordinal: number;
  type: ScalarType;
  list: boolean;
  default?: unknown;
}

export interface SchemaDef {
  fields: FieldDef[];
}

export const SCALAR_TYPES: readonly ScalarType[] = ["Text", "Int64", "Int32", "UInt64", "Bool", "Float64", "Float32", "Data"];

const INT_RANGES: Readonly<Partial<Record<ScalarType, readonly [number, number]>>> = {
  Int32: [-(2 ** 31), 2 ** 31 - 1],
  // 64-bit values are held in JS numbers, so the usable range is the safe-integer range.
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
};

export function emptySchema(): SchemaDef {
  return { fields: [] };
}

export function isIntegerType(type: ScalarType): boolean {
  return type in INT_RANGES;
}

export function integerRange(type: ScalarType): readonly [number, number] | undefined {
  return INT_RANGES[type];
}

export function isFloatType(type: ScalarType): boolean {
  return type === "Float64" || type === "Float32";
}

/** The value a field takes when neither the blueprint nor the schema default gives one. */
export function zeroValue(field: FieldDef): unknown {
  if (field.list) return [];
  if (field.type === "Bool") return false;
  if (field.type === "Text" || field.type === "Data") return "";
  return 0;
}

/** Default if declared, else the type's zero value. Lists are copied so callers may keep them. */
export function defaultValue(field: FieldDef): unknown {
  const value = field.default !== undefined ? field.default : zeroValue(field);
  return Array.isArray(value) ? [...(value as unknown[])] : value;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = "ident" | "number" | "string" | "punct" | "eof";
interface Token {
  kind: TokenKind;
  text: string;
  value?: string; // decoded string literal
  line: number;
  column: number;
}

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (reason: string, at: number): never => {
    throw new AysError({ file, reason, line, column: at - lineStart + 1 });
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === "\n") {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\f" || ch === "\v" || ch === "\uFEFF") {
      i++;
      continue;
    }
    if (ch === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const start = i;
    const column = i - lineStart + 1;
    if (/[A-Za-z_]/.test(ch)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i] as string)) i++;
      tokens.push({ kind: "ident", text: text.slice(start, i), line, column });
      continue;
    }
    if (/[0-9]/.test(ch)) {
      const m = /^(0x[0-9A-Fa-f]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)/.exec(text.slice(i));
      const lit = m?.[0] ?? ch;
      i += lit.length;
      tokens.push({ kind: "number", text: lit, line, column });
      continue;
    }
    if (ch === '"') {
      i++;
      let value = "";
      for (;;) {
        if (i >= text.length || text[i] === "\n") fail("unterminated string literal", start);
        const c = text[i] as string;
        if (c === '"') {
          i++;
          break;
        }
        if (c === "\\") {
          const e = text[i + 1] ?? "";
          const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "'": "'", "\\": "\\", "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };
          if (e in simple) {
            value += simple[e];
            i += 2;
          } else if (e === "x" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
            value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
            i += 4;
          } else {
            fail(`unsupported escape \\${e} in string literal`, i);
          }
          continue;
        }
        value += c;
        i++;
      }
      tokens.push({ kind: "string", text: text.slice(start, i), value, line, column });
      continue;
    }
    if ("@;:={}()[],-$".includes(ch)) {
      i++;
      tokens.push({ kind: "punct", text: ch, line, column });
      continue;
    }
    fail(`unexpected character ${JSON.stringify(ch)}`, i);
  }
  tokens.push({ kind: "eof", text: "end of file", line, column: i - lineStart + 1 });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

const UNSUPPORTED_DECLS = new Set(["using", "import", "const", "enum", "interface", "annotation", "union", "group"]);

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  private readonly file: string;

  constructor(tokens: Token[], file: string) {
    this.tokens = tokens;
    this.file = file;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return token;
  }

  fail(reason: string, token: Token = this.peek(), key?: string): never {
    throw new AysError({ file: this.file, reason, line: token.line, column: token.column, ...(key !== undefined ? { key } : {}) });
  }

  private expect(text: string, what = `"${text}"`): Token {
    const token = this.next();
    if (token.text !== text || token.kind === "string") this.fail(`expected ${what}, found "${token.text}"`, token);
    return token;
  }

  private expectIdent(what: string): Token {
    const token = this.next();
    if (token.kind !== "ident") this.fail(`expected ${what}, found "${token.text}"`, token);
    return token;
  }

  /** file := [ "@" id ";" ] { "struct" Name [ "@" id ] "{" fields "}" } */
  parseFile(): Map<string, { fields: FieldDef[]; token: Token }> {
    const structs = new Map<string, { fields: FieldDef[]; token: Token }>();
    if (this.peek().text === "@") {
      this.next();
      const id = this.next();
      if (id.kind !== "number" || !id.text.startsWith("0x")) this.fail("expected a file id like @0xc91f66e09156887c", id);
      this.expect(";");
    }
    while (this.peek().kind !== "eof") {
      const token = this.peek();
      if (token.kind === "ident" && token.text === "struct") {
        this.next();
        const name = this.expectIdent("a struct name");
        if (structs.has(name.text)) this.fail(`duplicate struct ${name.text}`, name);
        if (this.peek().text === "@") {
          this.next();
          this.next();
        }
        structs.set(name.text, { fields: this.parseStructBody(), token: name });
        continue;
      }
      if (token.kind === "ident" && UNSUPPORTED_DECLS.has(token.text)) {
        this.fail(`unsupported declaration "${token.text}": only struct fields of ${SCALAR_TYPES.join(", ")} and List(...) are supported`, token);
      }
      this.fail(`expected "struct", found "${token.text}"`, token);
    }
    return structs;
  }

  private parseStructBody(): FieldDef[] {
    this.expect("{");
    const fields: FieldDef[] = [];
    const names = new Set<string>();
    const ordinals = new Map<number, string>();
    while (this.peek().text !== "}") {
      if (this.peek().kind === "eof") this.fail(`expected "}" to close the struct`);
      const nameToken = this.expectIdent("a field name");
      const name = nameToken.text;
      if (UNSUPPORTED_DECLS.has(name) || name === "struct") {
        this.fail(`unsupported declaration "${name}" inside a struct: only plain fields are supported`, nameToken);
      }
      if (!/^[a-z][A-Za-z0-9]*$/.test(name)) {
        // capnp itself refuses underscores and upper-case initials in field names.
        this.fail("field names must be camelCase (start lower-case, letters and digits only)", nameToken, name);
      }
      if (names.has(name)) this.fail("duplicate field name", nameToken, name);
      names.add(name);
      this.expect("@", `"@<ordinal>" after field ${name}`);
      const ordToken = this.next();
      if (ordToken.kind !== "number" || !/^\d+$/.test(ordToken.text)) this.fail("expected a field ordinal like @0", ordToken, name);
      const ordinal = Number(ordToken.text);
      const clash = ordinals.get(ordinal);
      if (clash !== undefined) this.fail(`ordinal @${ordinal} already used by field ${clash}`, ordToken, name);
      ordinals.set(ordinal, name);
      this.expect(":", `":" and a type after @${ordinal}`);
      const { type, list } = this.parseType(name);
      const field: FieldDef = { name, ordinal, type, list };
      if (this.peek().text === "=") {
        const eq = this.next();
        field.default = this.checkDefault(this.parseValue(name), field, eq);
      }
      if (this.peek().text === "$") this.fail("annotations are not supported", this.peek(), name);
      this.expect(";", `";" after field ${name}`);
      fields.push(field);
    }
    this.expect("}");
    // Cap'n Proto requires ordinals to be exactly 0..n-1; a gap means a field was lost in editing.
    const sorted = [...ordinals.keys()].sort((a, b) => a - b);
    sorted.forEach((ordinal, index) => {
      if (ordinal !== index) {
        const field = fields.find((f) => f.ordinal === ordinal) as FieldDef;
        throw new AysError({ file: this.file, key: field.name, reason: `ordinals must be @0..@${fields.length - 1} without gaps; @${index} is missing` });
      }
    });
    return fields;
  }

  private parseType(field: string): { type: ScalarType; list: boolean } {
    const token = this.expectIdent(`a type for field ${field}`);
    if (token.text === "List") {
      this.expect("(");
      const inner = this.expectIdent("a list element type");
      if (inner.text === "List") this.fail("nested lists are not supported", inner, field);
      if (!(SCALAR_TYPES as readonly string[]).includes(inner.text)) {
        this.fail(`unsupported type List(${inner.text}): use one of ${SCALAR_TYPES.join(", ")}`, inner, field);
      }
      this.expect(")");
      return { type: inner.text as ScalarType, list: true };
    }
    if (!(SCALAR_TYPES as readonly string[]).includes(token.text)) {
      this.fail(`unsupported type ${token.text}: use one of ${SCALAR_TYPES.join(", ")} or List(...)`, token, field);
    }
    return { type: token.text as ScalarType, list: false };
  }

  private parseValue(field: string): unknown {
    const token = this.next();
    if (token.kind === "string") return token.value;
    if (token.text === "-") {
      const num = this.next();
      if (num.kind !== "number") this.fail("expected a number after '-'", num, field);
      return -Number(num.text);
    }
    if (token.kind === "number") return Number(token.text);
    if (token.kind === "ident" && (token.text === "true" || token.text === "false")) return token.text === "true";
    if (token.text === "[") {
      const items: unknown[] = [];
      while (this.peek().text !== "]") {
        items.push(this.parseValue(field));
        if (this.peek().text === ",") this.next();
        else if (this.peek().text !== "]") this.fail(`expected "," or "]" in list default`, this.peek(), field);
      }
      this.next();
      return items;
    }
    return this.fail(`unsupported default value "${token.text}"`, token, field);
  }

  private checkDefault(value: unknown, field: FieldDef, at: Token): unknown {
    const checkOne = (v: unknown): unknown => {
      const bad = (): never => this.fail(`default ${JSON.stringify(v)} does not fit type ${field.type}`, at, field.name);
      if (field.type === "Text" || field.type === "Data") return typeof v === "string" ? v : bad();
      if (field.type === "Bool") return typeof v === "boolean" ? v : bad();
      if (typeof v !== "number") return bad();
      const range = INT_RANGES[field.type];
      if (range) {
        if (!Number.isInteger(v) || v < range[0] || v > range[1]) bad();
        return v;
      }
      return v;
    };
    if (field.list) {
      if (!Array.isArray(value)) this.fail(`default of a List(${field.type}) must be a list`, at, field.name);
      return (value as unknown[]).map(checkOne);
    }
    if (Array.isArray(value)) this.fail(`a list default does not fit type ${field.type}`, at, field.name);
    return checkOne(value);
  }
}

/**
 * Parses schema.capnp text and returns the fields of `struct Schema` (the struct AYS loads).
 * A file that holds only whitespace and comments yields an empty schema.
 */
export function parseCapnpSchema(text: string, origin = "schema.capnp"): SchemaDef {
  const tokens = tokenize(text, origin);
  if (tokens.length === 1) return emptySchema();
  const parser = new Parser(tokens, origin);
  const structs = parser.parseFile();
  const schema = structs.get("Schema");
  if (!schema) {
    const names = [...structs.keys()];
    throw new AysError({
      file: origin,
      reason: names.length === 0 ? "no struct Schema declared" : `no struct Schema declared (found ${names.join(", ")})`,
    });
  }
  return { fields: [...schema.fields].sort((a, b) => a.ordinal - b.ordinal) };
}
