/** `/ays/repository/{repo}/template`: a repository's actor templates. */
import { z } from "@hono/zod-openapi";
import type { TemplateInUse } from "../../actors/repository/views.ts";
import { repository } from "../../operations/repository.ts";
import { unwrap } from "../../operations/results.ts";
import { auditRequest, scopeOf } from "../scope.ts";
import { ErrorSchema, TemplateCreate, TemplateName, TemplateSchema } from "../schemas.ts";
import { aysRouter, body, errors, json, RepoParam, route } from "./common.ts";

/** Listing, storing, reading and deleting templates. */
export function templateRoutes() {
  const api = aysRouter();

  api.openapi(
    route({ method: "get", path: "/repository/{repo}/template", request: { params: RepoParam }, responses: { 200: json(z.array(TemplateSchema), "templates"), ...errors } }),
    async (c) => c.json(await (await repository(scopeOf(c), c.req.valid("param").repo)).listTemplates(), 200),
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/template",
      request: { params: RepoParam, ...body(TemplateCreate) },
      responses: { 201: json(TemplateSchema, "stored"), ...errors },
    }),
    async (c) => {
      const { repo } = c.req.valid("param");
      const template = unwrap(await (await repository(scopeOf(c), repo)).putTemplate(c.req.valid("json")));
      auditRequest(c, "template.stored", repo, `template ${template.name} stored`);
      return c.json(template, 201);
    },
  );

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/template/{name}",
      request: { params: RepoParam.extend({ name: TemplateName }) },
      responses: { 200: json(TemplateSchema, "template"), ...errors },
    }),
    async (c) => {
      const { repo, name } = c.req.valid("param");
      return c.json(unwrap(await (await repository(scopeOf(c), repo)).getTemplate(name)), 200);
    },
  );

  api.openapi(
    route({
      method: "delete",
      path: "/repository/{repo}/template/{name}",
      description:
        "Deletes a repository template. Refused with 409 `in_use` while services are of it, saved blueprints (archived ones too) name it, " +
        "or other templates auto-create it; the answer lists them.",
      request: { params: RepoParam.extend({ name: TemplateName }) },
      responses: {
        204: { description: "deleted" },
        409: json(
          ErrorSchema.extend({ services: z.array(z.string()), blueprints: z.array(z.string()), templates: z.array(z.string()) }),
          "in use: the services, blueprints and templates that use it",
        ),
        ...errors,
      },
    }),
    async (c) => {
      const { repo, name } = c.req.valid("param");
      const result = await (await repository(scopeOf(c), repo)).deleteTemplate(name);
      if (!result.ok && result.code === "in_use") {
        const { error, code, services, blueprints, templates } = result as TemplateInUse;
        return c.json({ error, code, services, blueprints, templates }, 409);
      }
      unwrap(result);
      auditRequest(c, "template.deleted", repo, `template ${name} deleted`);
      return c.body(null, 204);
    },
  );

  return api;
}
