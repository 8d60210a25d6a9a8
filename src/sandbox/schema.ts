/**
 * Validation of job.setData() patches against the service's schema (the capnp subset of the
 * template). This is the authoritative check, run in the cockpit. The sandbox runs a copy first
 * (bootstrap.ts) so that a bad patch throws synchronously inside the action; the two must give the
 * same messages, which test/sandbox/set-data.test.ts checks.
 */
import type { SandboxFieldDef, SandboxFieldType } from "./types.ts";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const FLOAT32_MAX = 3.4028234663852886e38;

/** Returns what a single value of `type` should have been, or null when it fits. */
function scalarProblem(type: SandboxFieldType, value: unknown): string | null {
  switch (type) {
    case "Text":
      return typeof value === "string" ? null : "expected a string";
    case "Data":
      return typeof value === "string" ? null : "expected a string (Data is stored as text, e.g. base64)";
    case "Bool":
      return typeof value === "boolean" ? null : "expected a boolean";
    case "Int32":
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
        ? null
        : "expected a 32-bit integer";
    case "Int64":
      return Number.isSafeInteger(value) ? null : "expected an integer";
    case "UInt64":
      return Number.isSafeInteger(value) && (value as number) >= 0 ? null : "expected a non-negative integer";
    case "Float64":
      return typeof value === "number" && Number.isFinite(value) ? null : "expected a number";
    case "Float32":
      return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= FLOAT32_MAX
        ? null
        : "expected a 32-bit float";
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks a patch and returns a clean copy of it (plain JSON values only), or throws a TypeError
 * naming the field and what was expected.
 */
export function validatePatch(patch: unknown, schema: readonly SandboxFieldDef[]): Record<string, unknown> {
  if (!isPlainObject(patch)) throw new TypeError("setData: the patch must be an object of field values");
  const fields = new Map(schema.map((f) => [f.name, f]));
  const clean: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(patch)) {
    const field = fields.get(name);
    if (!field) throw new TypeError(`setData: unknown field ${JSON.stringify(name)}`);
    if (field.list) {
      if (!Array.isArray(value)) throw new TypeError(`setData: field ${JSON.stringify(name)} expected a list`);
      value.forEach((item: unknown, i: number) => {
        const problem = scalarProblem(field.type, item);
        if (problem) throw new TypeError(`setData: field ${JSON.stringify(name)} item ${i} ${problem}`);
      });
      clean[name] = [...(value as unknown[])];
    } else {
      const problem = scalarProblem(field.type, value);
      if (problem) throw new TypeError(`setData: field ${JSON.stringify(name)} ${problem}`);
      clean[name] = value;
    }
  }
  return clean;
}
