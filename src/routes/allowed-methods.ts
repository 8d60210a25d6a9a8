/**
 * A known path called with a method it does not have is a 405 with an Allow header, not a 404:
 * the methods come from the app's own route list (hono's `app.routes`), matched once per isolate.
 */
import type { Context } from "hono";
import { errorResponse } from "./errors.ts";

type RouteList = readonly { method: string; path: string }[];

/** `/ays/repository/:repo/*` as a RegExp of the whole path. */
function pattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) => (part === "*" ? ".*" : part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}

/** Answers a request no route took: 405 when other methods of the same path exist, else a 404. */
export function notFoundOrNotAllowed(routes: () => RouteList) {
  let table: { method: string; match: RegExp }[] | undefined;
  return (c: Context) => {
    const path = new URL(c.req.url).pathname;
    table ??= routes()
      .filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method, match: pattern(r.path) }));
    const methods = new Set(table.filter((r) => r.match.test(path)).map((r) => r.method));
    if (methods.size === 0) return errorResponse(c, 404, "not_found", `no route for ${c.req.method} ${path}`);
    if (methods.has("GET")) methods.add("HEAD");
    const allow = [...methods].sort().join(", ");
    c.header("allow", allow);
    return errorResponse(c, 405, "method_not_allowed", `${c.req.method} is not a method of ${path}: it takes ${allow}`);
  };
}
