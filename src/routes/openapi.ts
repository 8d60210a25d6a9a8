/**
 * `/openapi.json`: the document zod-openapi makes from the routes' schemas, completed with what the
 * app's shared middleware answers on every operation it covers (a body over the size limit: 413; a
 * JSON-only route's other content types: 415, a malformed or too deeply nested body: 400), and the
 * 405 of a known path with another method, said once for all. test/api/openapi-matches.test.ts
 * calls every operation and checks the server answers only what this says.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { AppEnv } from "./env.ts";
import { MAX_JSON_DEPTH } from "./json-bodies.ts";

/** Which documented paths (`/ays/repository/{repo}`) the body middleware covers, as app.ts mounts it. */
export interface BodyRules {
  /** The largest body a path takes, or undefined where no limit applies. */
  limitOf(path: string): number | undefined;
  /** Whether a path takes only JSON bodies (415 for another type). */
  jsonOnly(path: string): boolean;
}

const WITH_BODY = new Set(["post", "put", "patch", "delete"]);
/** ErrorSchema's component (src/routes/schemas.ts names it "Error"; every /ays route uses it). */
const ERROR = { $ref: "#/components/schemas/Error" };
const errorAnswer = (description: string) => ({ description, content: { "application/json": { schema: ERROR } } });

type Operation = { responses?: Record<string, unknown> };

/** Serves the document at /openapi.json, made once per isolate. */
export function serveOpenApi(app: OpenAPIHono<AppEnv>, rules: BodyRules, info: { title: string; version: string; description: string }): void {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    tags: ["documents"],
    summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
  });
  let document: object | undefined;
  app.get("/openapi.json", (c) => {
    document ??= complete(app.getOpenAPI31Document({ openapi: "3.1.0", info }) as unknown as Document, rules);
    return c.json(document);
  });
}

type Document = { paths?: Record<string, Record<string, unknown>>; components?: Record<string, unknown> };

function complete(doc: Document, rules: BodyRules): Document {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!WITH_BODY.has(method)) continue;
      const responses = ((op as Operation).responses ??= {});
      const limit = rules.limitOf(path);
      if (limit !== undefined) responses["413"] ??= errorAnswer(`too_large: the request body is over ${limit} bytes`);
      if (rules.jsonOnly(path)) {
        responses["400"] ??= errorAnswer(`invalid_request: the JSON body is malformed; too_deep: nested deeper than ${MAX_JSON_DEPTH} levels`);
        responses["415"] ??= errorAnswer("unsupported_media_type: a body that is not application/json");
      }
    }
  }
  const components = (doc.components ??= {}) as { responses?: Record<string, unknown> };
  components.responses = {
    ...components.responses,
    MethodNotAllowed: {
      description: "Any path of this document called with a method it does not list: 405 method_not_allowed, with an Allow header naming the methods it has",
      headers: { Allow: { description: "the path's methods, such as `GET, HEAD, POST`", schema: { type: "string" } } },
      content: { "application/json": { schema: ERROR } },
    },
  };
  return doc;
}
