/** Actor RPC results (src/actors/results.ts) as the channels read them. */
import type { Refusal, Result } from "../actors/results.ts";
import type { RunRecord } from "../runs/model.ts";
import { ApiError } from "./errors.ts";

/** Unwraps an actor result, turning a refusal into the matching ApiError (`{error, code}` answer). */
export function unwrap<R extends { ok: true; value: unknown } | Refusal>(result: R): Extract<R, { ok: true }>["value"] {
  if (!result.ok) {
    const refusal = result as Refusal;
    throw new ApiError(refusal.status, refusal.code, refusal.error);
  }
  return (result as Extract<R, { ok: true }>).value;
}

/**
 * Runs cross RPC as plain JSON, but workers-types cannot map their open-ended `result` field and drops
 * the success branch from the stub's type; this restores it.
 */
export function runResult(result: unknown): Result<RunRecord> {
  return result as Result<RunRecord>;
}

/** A run from an actor result: the run, or its refusal thrown as an ApiError. */
export function unwrapRun(result: unknown): RunRecord {
  return unwrap(runResult(result));
}
