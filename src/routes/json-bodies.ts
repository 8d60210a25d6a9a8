/**
 * JSON routes take JSON: a request that carries a body of another type is refused with 415 before
 * a route reads it (a validator would otherwise see no JSON and the handler no input).
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../operations/errors.ts";

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
const MULTIPART = /^multipart\/form-data\s*(;|$)/i;
const WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Refuses a non-JSON body; `multipart` names the paths that also take file uploads. */
export function jsonBodiesOnly(options: { multipart?: (path: string) => boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    if (WITH_BODY.has(c.req.method)) {
      const length = c.req.header("content-length");
      const hasBody = length !== undefined ? Number(length) > 0 : c.req.raw.body !== null;
      const type = c.req.header("content-type") ?? "";
      if (hasBody && !JSON_TYPE.test(type) && !(options.multipart?.(c.req.path) && MULTIPART.test(type))) {
        throw new ApiError(415, "unsupported_media_type", `the body must be application/json${options.multipart?.(c.req.path) ? " or multipart/form-data" : ""}, not ${type || "untyped"}`);
      }
    }
    await next();
  };
}
