/**
 * JSON routes take JSON: a request that carries a body of another type is refused with 415 before
 * a route reads it (a validator would otherwise see no JSON and the handler no input), and a JSON
 * body nested deeper than MAX_JSON_DEPTH is refused with 400 before anything parses or walks it
 * (a 100,000-deep payload overflowed the stack of code that walks it recursively).
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../operations/errors.ts";

/** Deepest nesting of objects and arrays a JSON body may have; the body's own object is level 1. */
export const MAX_JSON_DEPTH = 64;

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
const MULTIPART = /^multipart\/form-data\s*(;|$)/i;
const WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Refuses a non-JSON body, or one nested too deep; `multipart` names the paths that also take file uploads. */
export function jsonBodiesOnly(options: { multipart?: (path: string) => boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    if (WITH_BODY.has(c.req.method)) {
      const length = c.req.header("content-length");
      const hasBody = length !== undefined ? Number(length) > 0 : c.req.raw.body !== null;
      const type = c.req.header("content-type") ?? "";
      const isJson = JSON_TYPE.test(type);
      if (hasBody && !isJson && !(options.multipart?.(c.req.path) && MULTIPART.test(type))) {
        throw new ApiError(415, "unsupported_media_type", `the body must be application/json${options.multipart?.(c.req.path) ? " or multipart/form-data" : ""}, not ${type || "untyped"}`);
      }
      // hono keeps the text: the route's validator parses this same copy.
      if (hasBody && isJson) checkJsonDepth(await c.req.text());
    }
    await next();
  };
}

/** Throws a 400 when `text` nests objects or arrays deeper than `max`; one pass, no recursion. */
export function checkJsonDepth(text: string, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > max) throw new ApiError(400, "too_deep", `the JSON body is nested deeper than ${max} levels of objects and arrays`);
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) {
      depth--;
    }
  }
}
