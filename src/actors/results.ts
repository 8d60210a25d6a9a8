/**
 * Actor RPC results. Exceptions cross Durable Object RPC without their class or fields, so a refusal
 * the caller must turn into a precise 4xx travels as a value instead.
 */
export type Refusal = { ok: false; status: 400 | 404 | 409 | 413 | 422; code: string; error: string };
export type Result<T> = { ok: true; value: T } | Refusal;

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const refuse = (status: Refusal["status"], code: string, error: string): Refusal => ({ ok: false, status, code, error });
