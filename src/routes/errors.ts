import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error the API returns has this shape, with a stable machine-readable `code`. */
export interface ErrorBody {
  error: string;
  code: string;
}

/** An error meant for the caller: thrown anywhere in a handler, answered as `{error, code}`. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;

  constructor(status: ContentfulStatusCode, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, error: string) {
  return c.json<ErrorBody>({ error, code }, status);
}
