/** `/ays/repository/{repo}/blueprint`: a repository's blueprints and their execution. */
import { z } from "@hono/zod-openapi";
import { repository } from "../../operations/repository.ts";
import { unwrap } from "../../operations/results.ts";
import { auditRequest, scopeOf } from "../scope.ts";
import { BlueprintCheckSchema, BlueprintCreate, BlueprintSchema, BlueprintUpdate, BoolQuery, ErrorSchema } from "../schemas.ts";
import { aysRouter, BlueprintParam, body, errors, json, RepoParam, route } from "./common.ts";

/** Blueprints: list, create, read, update, delete, execute, check, archive and restore. */
export function blueprintRoutes() {
  const api = aysRouter();

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/blueprint",
      request: { params: RepoParam, query: z.object({ archived: BoolQuery }) },
      responses: { 200: json(z.array(BlueprintSchema), "blueprints"), ...errors },
    }),
    async (c) => {
      const { archived } = c.req.valid("query");
      return c.json(await (await repository(scopeOf(c), c.req.valid("param").repo)).listBlueprints(archived), 200);
    },
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/blueprint",
      request: { params: RepoParam, ...body(BlueprintCreate) },
      responses: { 201: json(BlueprintSchema, "created"), 409: json(ErrorSchema, "exists"), ...errors },
    }),
    async (c) => {
      const { repo } = c.req.valid("param");
      const { name, content } = c.req.valid("json");
      const bp = unwrap(await (await repository(scopeOf(c), repo)).saveBlueprint(name, content, "create"));
      auditRequest(c, "blueprint.created", repo, `blueprint ${name} created`);
      return c.json(bp, 201);
    },
  );

  api.openapi(
    route({ method: "get", path: "/repository/{repo}/blueprint/{bp}", request: { params: BlueprintParam }, responses: { 200: json(BlueprintSchema, "blueprint"), ...errors } }),
    async (c) => {
      const { repo, bp } = c.req.valid("param");
      return c.json(unwrap(await (await repository(scopeOf(c), repo)).getBlueprint(bp)), 200);
    },
  );

  api.openapi(
    route({
      method: "put",
      path: "/repository/{repo}/blueprint/{bp}",
      request: { params: BlueprintParam, ...body(BlueprintUpdate) },
      responses: { 200: json(BlueprintSchema, "updated"), ...errors },
    }),
    async (c) => {
      const { repo, bp } = c.req.valid("param");
      const saved = unwrap(await (await repository(scopeOf(c), repo)).saveBlueprint(bp, c.req.valid("json").content, "update"));
      auditRequest(c, "blueprint.updated", repo, `blueprint ${bp} updated`);
      return c.json(saved, 200);
    },
  );

  api.openapi(
    route({ method: "delete", path: "/repository/{repo}/blueprint/{bp}", request: { params: BlueprintParam }, responses: { 204: { description: "deleted" }, ...errors } }),
    async (c) => {
      const { repo, bp } = c.req.valid("param");
      unwrap(await (await repository(scopeOf(c), repo)).deleteBlueprint(bp));
      auditRequest(c, "blueprint.deleted", repo, `blueprint ${bp} deleted`);
      return c.body(null, 204);
    },
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/blueprint/{bp}",
      request: { params: BlueprintParam },
      responses: { 200: json(z.object({ msg: z.string() }), "executed"), 409: json(ErrorSchema, "archived"), ...errors },
    }),
    async (c) => {
      const { repo, bp } = c.req.valid("param");
      const result = unwrap(await (await repository(scopeOf(c), repo)).executeBlueprint(bp));
      auditRequest(c, "blueprint.executed", repo, result.msg, { created: result.created, changed: result.changed });
      return c.json({ msg: result.msg }, 200);
    },
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/blueprint/{bp}/check",
      description: "Checks content as blueprint {bp} would be checked on save, against the repository's templates and services; stores nothing.",
      request: { params: BlueprintParam, ...body(BlueprintUpdate) },
      responses: { 200: json(BlueprintCheckSchema, "valid, or the engine's first problem with its line and column"), ...errors },
    }),
    async (c) => {
      const { repo, bp } = c.req.valid("param");
      return c.json(await (await repository(scopeOf(c), repo)).checkBlueprint(bp, c.req.valid("json").content), 200);
    },
  );

  for (const [verb, archived] of [["archive", true], ["restore", false]] as const) {
    api.openapi(
      route({
        method: "put",
        path: `/repository/{repo}/blueprint/{bp}/${verb}`,
        request: { params: BlueprintParam },
        responses: { 200: json(BlueprintSchema, `${verb}d`), ...errors },
      }),
      async (c) => {
        const { repo, bp } = c.req.valid("param");
        const saved = unwrap(await (await repository(scopeOf(c), repo)).setArchived(bp, archived));
        auditRequest(c, `blueprint.${verb}d`, repo, `blueprint ${bp} ${verb}d`);
        return c.json(saved, 200);
      },
    );
  }

  return api;
}
