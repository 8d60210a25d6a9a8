import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * An error meant for the caller: thrown anywhere in an operation, a guard or a handler, answered as
 * `{error, code}` by the API (src/routes/app.ts) and as a notice page by the console.
 */
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
