/**
 * `args` of `POST …/service/{role}/{name}/action/{action}`: what the scheduled job gets as `job.args`.
 * Templates declare no inputs (config.yaml has no such key), so what is checked is the shape: a JSON
 * object of at most MAX_ARGS_BYTES once serialized. It comes as `{args}` in a JSON body, or as a
 * form field `args` (JSON text) beside uploaded files in a multipart body.
 */
import { ApiError } from "../../operations/errors.ts";

export const MAX_ARGS_BYTES = 64 * 1024;

/** Checks a body's `args`; undefined when there is none. @throws ApiError 400/413 naming what is wrong */
export function checkArgs(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ApiError(400, "invalid_request", `args: expected a JSON object, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`);
  }
  const size = new TextEncoder().encode(JSON.stringify(value)).length;
  if (size > MAX_ARGS_BYTES) throw new ApiError(413, "too_large", `args: ${size} bytes of JSON, over the limit of ${MAX_ARGS_BYTES} bytes (64 KiB)`);
  return value as Record<string, unknown>;
}

/** The `args` of a JSON body (other keys refused by name), or undefined for a body without one. */
export function argsOfJson(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_request", "the body is not valid JSON");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, "invalid_request", "the body must be a JSON object {args}");
  const extra = Object.keys(body).filter((k) => k !== "args");
  if (extra.length) throw new ApiError(400, "invalid_request", `unknown key ${extra[0]} in the body (expected only args)`);
  return checkArgs((body as { args?: unknown }).args);
}

/** The `args` form field of a multipart body (JSON text), or undefined. */
export function argsOfForm(field: string | File | null): Record<string, unknown> | undefined {
  if (field === null) return undefined;
  if (typeof field !== "string") throw new ApiError(400, "invalid_request", "args: expected a form field of JSON text, not a file");
  let value: unknown;
  try {
    value = JSON.parse(field);
  } catch {
    throw new ApiError(400, "invalid_request", "args: the form field is not valid JSON");
  }
  return checkArgs(value);
}
