/**
 * The query parameters and answers of the paged list routes, one convention for all of them (as
 * `GET /ays/events` pages): `?limit=` and a cursor parameter, `after` for a list in ascending order,
 * `before` for one newest first; the answer is `{<items>: [...], next}`, `next` being that cursor's
 * value for the following page, or null on the last one.
 */
import { z } from "@hono/zod-openapi";
import { DEFAULT_PAGE, JOB_CURSOR, MAX_PAGE } from "../actors/paging.ts";

/**
 * A whole number in the query string, digits only: `?since=null`, `?since=`, `?limit=1e3` or `-1`
 * are a 400 naming the parameter (z.coerce read an empty value as 0, and its document said `null`
 * was allowed). Documented as an integer between `min` and `max`.
 */
export function queryInteger(min: number, max?: number, error = "expected a whole number (digits only)") {
  const bounded = max === undefined ? z.number().int().min(min) : z.number().int().min(min).max(max);
  return z
    .string()
    .regex(/^\d{1,16}$/, { error })
    .transform(Number)
    .pipe(bounded)
    .optional()
    .openapi({ type: "integer", minimum: min, ...(max === undefined ? {} : { maximum: max }) });
}

export const LimitQuery = queryInteger(1, MAX_PAGE, "expected a number").openapi({
    description: `how many items one page holds at most: 1 to ${MAX_PAGE}, ${DEFAULT_PAGE} unless given; a page of large items ends sooner (read on while next is not null)`,
  });

/** `after` of `GET …/service`: the `next` of the previous page, a service key. */
export const ServiceCursor = z
  .string()
  .max(400)
  .regex(/^[^!]+![^!]+$/, { error: "expected a service key role!instance (the next of the previous page)" })
  .optional()
  .openapi({ description: "the `next` of the previous page: services after this key" });

/** `before` of `GET …/aysrun`: the `next` of the previous page, a run number. */
export const RunCursor = queryInteger(1, undefined, "expected a run number (the next of the previous page)").openapi({ description: "the `next` of the previous page: runs older than run-{before}" });

/** `before` of `GET …/service/{role}/{name}/jobs`: the `next` of the previous page. */
export const JobCursor = z
  .string()
  .regex(JOB_CURSOR, { error: "expected the next of the previous page (started.attempt.key)" })
  .optional()
  .openapi({ description: "the `next` of the previous page: jobs older than that one" });

/** The answer of a paged list: `{[field]: items, next}`. */
export function pageOf<F extends string, T extends z.ZodType, C extends z.ZodType>(field: F, item: T, cursor: C, param: "after" | "before") {
  return z.object({
    [field]: z.array(item),
    next: cursor.nullable().openapi({ description: `the \`${param}\` of the following page; null on the last page` }),
  } as { [K in F]: z.ZodArray<T> } & { next: z.ZodNullable<C> });
}
