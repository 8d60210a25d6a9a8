/** `/ays/repository`: the organization's repositories. */
import { z } from "@hono/zod-openapi";
import { createRepository, deleteRepository } from "../../actors/repository-lifecycle.ts";
import { ApiError } from "../../operations/errors.ts";
import { organization, repository } from "../../operations/repository.ts";
import { auditRequest, scopeOf } from "../scope.ts";
import { ErrorSchema, RepositoryCreate, RepositorySchema } from "../schemas.ts";
import { aysRouter, body, errors, json, RepoParam, route } from "./common.ts";

/** Listing, creating, reading and deleting repositories. */
export function repositoryRoutes() {
  const api = aysRouter();

  api.openapi(
    route({ method: "get", path: "/repository", responses: { 200: json(z.array(RepositorySchema), "repositories"), ...errors } }),
    async (c) => {
      const repos = await organization(scopeOf(c)).listRepositories();
      return c.json(repos.map((r) => ({ name: r.name, git_url: r.git_url })), 200);
    },
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository",
      request: body(RepositoryCreate),
      responses: { 201: json(RepositorySchema, "created"), 409: json(ErrorSchema, "exists"), ...errors },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const git_url = input.git_url ?? "";
      if (!(await createRepository(c.env, c.get("config").oauth.organization, input.name, { git_url, no_exec: input.no_exec }))) {
        throw new ApiError(409, "exists", `repository ${input.name} exists already`);
      }
      auditRequest(c, "repository.created", input.name, `repository ${input.name} created`);
      return c.json({ name: input.name, git_url, no_exec: Boolean(input.no_exec) }, 201);
    },
  );

  api.openapi(
    route({ method: "get", path: "/repository/{repo}", request: { params: RepoParam }, responses: { 200: json(RepositorySchema, "repository"), ...errors } }),
    async (c) => {
      const info = await (await repository(scopeOf(c), c.req.valid("param").repo)).info();
      return c.json({ name: info.name, git_url: info.git_url, no_exec: info.noexec }, 200);
    },
  );

  api.openapi(
    route({ method: "delete", path: "/repository/{repo}", request: { params: RepoParam }, responses: { 204: { description: "deleted" }, ...errors } }),
    async (c) => {
      const { repo } = c.req.valid("param");
      if (!(await deleteRepository(c.env, c.get("config").oauth.organization, repo))) throw new ApiError(404, "not_found", `no repository ${repo}`);
      auditRequest(c, "repository.deleted", repo, `repository ${repo} deleted`);
      return c.body(null, 204);
    },
  );

  return api;
}
