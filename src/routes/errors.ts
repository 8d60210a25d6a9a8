import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../operations/errors.ts";

/** Every error the API returns has this shape, with a stable machine-readable `code`. */
export interface ErrorBody {
  error: string;
  code: string;
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, error: string) {
  return c.json<ErrorBody>({ error, code }, status);
}

/**
 * The zod-openapi hook every router uses: the first failed check becomes a 400 naming where the
 * request went wrong (`json name: expected ...`, `query simulate: ...`).
 */
export function validationHook(result: { success: true } | { success: false; target: string; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }): void {
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.map(String).join(".")}: ` : "";
  throw new ApiError(400, "invalid_request", `${result.target} ${where}${issue.message}`);
}
