/** `/ays/logins` and `/ays/sessions`: who signed in when, through which channel, and the console sessions they hold. */
import { z } from "@hono/zod-openapi";
import { LOG_PAGE_MAX } from "../../actors/paging.ts";
import { forgetSessionCheck } from "../../auth/session.ts";
import { ApiError } from "../../operations/errors.ts";
import { organization } from "../../operations/repository.ts";
import { queryInteger } from "../paging.ts";
import { scopeOf } from "../scope.ts";
import { BoolQuery } from "../schemas.ts";
import { aysRouter, errors, json, route } from "./common.ts";

/** The login history and the console sessions; ending one. */
export function signInRoutes() {
  const api = aysRouter();

  api.openapi(
    route({
      method: "get",
      path: "/logins",
      request: {
        query: z.object({
          user: z.string().max(200).optional(),
          before: queryInteger(1),
          limit: queryInteger(1, LOG_PAGE_MAX),
        }),
      },
      responses: {
        200: json(z.object({ logins: z.array(z.unknown()), next: z.number().nullable() }), "the login history, newest first; `next` is the `before` of the following page"),
        ...errors,
      },
    }),
    async (c) => c.json(await organization(scopeOf(c)).logins(c.req.valid("query")), 200),
  );

  api.openapi(
    route({
      method: "get",
      path: "/sessions",
      request: {
        query: z.object({
          user: z.string().max(200).optional(),
          active: BoolQuery.optional(),
          limit: queryInteger(1, 500),
        }),
      },
      responses: { 200: json(z.object({ sessions: z.array(z.unknown()) }), "console sessions, newest first, with how they ended"), ...errors },
    }),
    async (c) => c.json({ sessions: await organization(scopeOf(c)).sessions(c.req.valid("query")) }, 200),
  );

  // Signs a session out from elsewhere (a lost laptop): its refresh and access tokens stop working at once.
  api.openapi(
    route({
      method: "delete",
      path: "/sessions/{id}",
      request: { params: z.object({ id: z.string().min(1).max(100) }) },
      responses: { 200: json(z.object({ session: z.unknown() }), "the session, now ended"), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      forgetSessionCheck(id);
      const ended = await organization(scopeOf(c)).endSession(id, c.get("caller").user);
      if (!ended) throw new ApiError(404, "not_found", `no open session ${id}`);
      return c.json({ session: ended }, 200);
    },
  );

  return api;
}
