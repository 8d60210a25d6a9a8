/** `/ays/events`: the organization's event and audit log. */
import { z } from "@hono/zod-openapi";
import { LOG_PAGE_MAX } from "../../actors/paging.ts";
import { organization } from "../../operations/repository.ts";
import { queryInteger } from "../paging.ts";
import { scopeOf } from "../scope.ts";
import { aysRouter, errors, json, route } from "./common.ts";

/** A page of the log. */
export function eventRoutes() {
  const api = aysRouter();

  api.openapi(
    route({
      method: "get",
      path: "/events",
      request: {
        query: z.object({
          type: z.string().max(100).optional(),
          repo: z.string().max(100).optional(),
          after: queryInteger(0),
          before: queryInteger(0),
          since: queryInteger(0).openapi({ description: "only entries at or after this time (epoch ms)" }),
          until: queryInteger(0).openapi({ description: "only entries before this time (epoch ms)" }),
          order: z.enum(["oldest", "newest"]).optional().openapi({ description: "newest: newest first, paged with before=next" }),
          limit: queryInteger(1, LOG_PAGE_MAX),
        }),
      },
      responses: { 200: json(z.object({ events: z.array(z.unknown()), next: z.number().nullable() }), "a page of the log"), ...errors },
    }),
    async (c) => {
      const { order, ...query } = c.req.valid("query");
      return c.json(await organization(scopeOf(c)).events({ ...query, newest: order === "newest" }), 200);
    },
  );

  return api;
}
