/**
 * Checking blueprint argument values against a service's capnp schema. Values arrive as YAML
 * scalars/lists; they are coerced the way a capnp builder would accept them, or refused with a
 * reason that says what was expected.
 */
import { integerRange, isFloatType, isIntegerType } from "./capnp.ts";
import type { FieldDef, ScalarType } from "./capnp.ts";

export type Coerced = { ok: true; value: unknown } | { ok: false; reason: string };

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function coerceScalar(type: ScalarType, value: unknown): Coerced {
  if (type === "Text" || type === "Data") {
    if (typeof value === "string") return { ok: true, value };
    // YAML turns `port: 22` or `flag: true` into non-strings; a Text field still means the text.
    if (typeof value === "number" || typeof value === "boolean") return { ok: true, value: String(value) };
    return { ok: false, reason: `expected text, got ${describe(value)}` };
  }
  if (type === "Bool") {
    if (typeof value === "boolean") return { ok: true, value };
    if (typeof value === "string") {
      const s = value.trim().toLowerCase();
      if (s === "true" || s === "yes" || s === "on") return { ok: true, value: true };
      if (s === "false" || s === "no" || s === "off") return { ok: true, value: false };
    }
    return { ok: false, reason: `expected true or false, got ${describe(value)}` };
  }
  if (isIntegerType(type)) {
    const [lo, hi] = integerRange(type) ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    let n: number | undefined;
    if (typeof value === "number" && Number.isInteger(value)) n = value;
    else if (typeof value === "string" && /^\s*[-+]?\d+\s*$/.test(value)) n = Number(value);
    if (n === undefined) return { ok: false, reason: `expected an integer (${type}), got ${describe(value)}` };
    if (n < lo || n > hi) return { ok: false, reason: `${n} is outside the range of ${type}` };
    return { ok: true, value: n };
  }
  if (isFloatType(type)) {
    let n: number | undefined;
    if (typeof value === "number") n = value;
    else if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) n = Number(value);
    if (n === undefined || !Number.isFinite(n)) return { ok: false, reason: `expected a number (${type}), got ${describe(value)}` };
    return { ok: true, value: n };
  }
  return { ok: false, reason: `unsupported type ${type}` };
}

/** List fields take a list, or a single value that is wrapped into a one-element list. */
export function coerceArg(field: FieldDef, value: unknown): Coerced {
  if (!field.list) {
    if (Array.isArray(value)) return { ok: false, reason: `expected a single ${field.type} value, got a list` };
    return coerceScalar(field.type, value);
  }
  const items = Array.isArray(value) ? value : [value];
  const out: unknown[] = [];
  for (const [i, item] of items.entries()) {
    const c = coerceScalar(field.type, item);
    if (!c.ok) return { ok: false, reason: Array.isArray(value) ? `item ${i}: ${c.reason}` : c.reason };
    out.push(c.value);
  }
  return { ok: true, value: out };
}

/**
 * Value of a link argument: one instance name or a list of names; empty means "not given".
 * Numbers are accepted as names (`node: 4` names instance "4").
 */
export function linkNames(value: unknown): string[] | { reason: string } {
  if (value === undefined || value === null || value === "") return [];
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === "string") {
      if (item.trim() !== "") out.push(item.trim());
    } else if (typeof item === "number") out.push(String(item));
    else return { reason: `expected an instance name or a list of instance names, got ${describe(item)}` };
  }
  return [...new Set(out)];
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && deepEqual(ao[k], bo[k]));
}
