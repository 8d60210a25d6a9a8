/** `/ays/repository/{repo}/service`: a repository's services, their jobs and their actions. */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { DEFAULT_JOBS_PAGE, DEFAULT_PAGE } from "../../actors/paging.ts";
import type { JobFile } from "../../runs/model.ts";
import { ApiError } from "../../operations/errors.ts";
import { repository } from "../../operations/repository.ts";
import { unwrap } from "../../operations/results.ts";
import { fileNameProblem } from "../../sandbox/files.ts";
import type { AppEnv } from "../env.ts";
import { JobCursor, LimitQuery, pageOf, ServiceCursor } from "../paging.ts";
import { auditRequest, scopeOf } from "../scope.ts";
import { BoolQuery, ErrorSchema, ServiceSchema } from "../schemas.ts";
import { argsOfForm, argsOfJson } from "./action-args.ts";
import { aysRouter, errors, json, RepoParam, route, ServiceParam } from "./common.ts";

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const MAX_UPLOAD_FILES = 10;

/**
 * What a request hands the next job of an action: the files of a multipart body, checked and stored
 * in R2 under uploads/, and `args` (action-args.ts) from its `args` field or from a JSON body.
 */
async function jobInputs(c: Context<AppEnv>): Promise<{ files: JobFile[]; args: Record<string, unknown> | undefined }> {
  if (!c.req.header("content-type")?.startsWith("multipart/form-data")) return { files: [], args: argsOfJson(await c.req.text()) };
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new ApiError(400, "invalid_request", "body is not valid multipart/form-data");
  }
  const args = argsOfForm(form.get("args"));
  const uploads = [...form.values()].filter((v): v is File => typeof v !== "string");
  if (uploads.length > MAX_UPLOAD_FILES) throw new ApiError(413, "too_large", `at most ${MAX_UPLOAD_FILES} files per action`);
  const names = new Set<string>();
  for (const file of uploads) {
    const problem = fileNameProblem(file.name);
    if (problem) throw new ApiError(400, "invalid_request", `file ${JSON.stringify(file.name)}: ${problem}`);
    if (names.has(file.name)) throw new ApiError(400, "invalid_request", `file ${file.name} is given twice`);
    names.add(file.name);
  }
  const id = crypto.randomUUID();
  const stored: JobFile[] = [];
  for (const file of uploads) {
    const key = `uploads/${id}/${file.name}`;
    await c.env.FILES.put(key, await file.arrayBuffer(), { httpMetadata: { contentType: file.type || "application/octet-stream" } });
    stored.push({ name: file.name, key, size: file.size, ...(file.type ? { contentType: file.type } : {}) });
  }
  return { files: stored, args };
}

/** Services: list, read, their jobs, delete, scheduling an action (with uploaded files), disabling and enabling one. */
export function serviceRoutes() {
  const api = aysRouter();

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/service",
      description: `A page of the repository's services in key order: \`?after=next\` reads the following one (${DEFAULT_PAGE} a page unless \`limit\` says).`,
      request: { params: RepoParam, query: z.object({ role: z.string().max(100).optional(), after: ServiceCursor, limit: LimitQuery }) },
      responses: { 200: json(pageOf("services", ServiceSchema, z.string(), "after"), "a page of the services"), ...errors },
    }),
    async (c) => c.json((await (await repository(scopeOf(c), c.req.valid("param").repo)).listServices(c.req.valid("query"))) as never, 200),
  );

  api.openapi(
    route({ method: "get", path: "/repository/{repo}/service/{role}/{name}", request: { params: ServiceParam }, responses: { 200: json(ServiceSchema, "service"), ...errors } }),
    async (c) => {
      const { repo, role, name } = c.req.valid("param");
      return c.json(unwrap(await (await repository(scopeOf(c), repo)).getService(role, name)), 200);
    },
  );

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/service/{role}/{name}/jobs",
      description: `A page of the service's jobs, newest first (${DEFAULT_JOBS_PAGE} a page unless \`limit\` says): \`?before=next\` reads the following one.`,
      request: { params: ServiceParam, query: z.object({ before: JobCursor, limit: LimitQuery }) },
      responses: {
        200: json(
          pageOf(
            "jobs",
            z.object({
              key: z.string(), run: z.string(), action: z.string(), attempt: z.number(), state: z.string(),
              started: z.number().nullable(), ended: z.number().nullable(), logs: z.array(z.unknown()), result: z.unknown(),
            }),
            z.string(),
            "before",
          ),
          "the service's jobs, newest first: run jobs, recurring jobs and jobs started by events",
        ),
        ...errors,
      },
    }),
    async (c) => {
      const { repo, role, name } = c.req.valid("param");
      unwrap(await (await repository(scopeOf(c), repo)).getService(role, name));
      const org = c.get("config").oauth.organization;
      return c.json((await c.env.SERVICE.getByName(`${org}/${repo}/${role}!${name}`).jobsPage(c.req.valid("query"))) as never, 200);
    },
  );

  api.openapi(
    route({
      method: "delete",
      path: "/repository/{repo}/service/{role}/{name}",
      request: { params: ServiceParam },
      responses: { 200: json(z.object({ deleted: z.array(z.string()) }), "deleted with its children"), ...errors },
    }),
    async (c) => {
      const { repo, role, name } = c.req.valid("param");
      const result = unwrap(await (await repository(scopeOf(c), repo)).deleteService(role, name));
      auditRequest(c, "service.deleted", repo, `service ${role}!${name} deleted`, result);
      return c.json(result, 200);
    },
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/service/{role}/{name}/action/{action}",
      description:
        "Schedules one action. A JSON body `{args}` gives its next job `job.args` (a JSON object of at most 64 KiB). " +
        "A multipart/form-data body hands files to its next job (job.files.read(name)): " +
        `at most ${MAX_UPLOAD_FILES} files of ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB in all, named like site.yaml; its field \`args\` (JSON text) is job.args.`,
      request: { params: ServiceParam.extend({ action: z.string().min(1).max(100) }), query: z.object({ force: BoolQuery }) },
      responses: { 200: json(ServiceSchema, "scheduled"), 409: json(ErrorSchema, "cannot schedule"), ...errors },
    }),
    async (c) => {
      const { repo, role, name, action } = c.req.valid("param");
      const stub = await repository(scopeOf(c), repo);
      const { files, args } = await jobInputs(c);
      const result = await stub.scheduleServiceAction(role, name, action, c.req.valid("query").force ?? false, files, args);
      if (!result.ok) await Promise.all(files.map((f) => c.env.FILES.delete(f.key))); // nothing half-written
      const service = unwrap(result);
      auditRequest(c, "action.scheduled", repo, `${action} scheduled on ${role}!${name}`);
      return c.json(service, 200);
    },
  );

  for (const verb of ["disable", "enable"] as const) {
    api.openapi(
      route({
        method: "post",
        path: `/repository/{repo}/service/{role}/{name}/action/{action}/${verb}`,
        description:
          verb === "disable"
            ? "Disables one action, whatever its state: runs skip it, it cannot be scheduled and it does not recur until enabled. 409 when it is disabled already."
            : "Enables a disabled action again: it is `new`, to be scheduled like any other. 409 when it is not disabled.",
        request: { params: ServiceParam.extend({ action: z.string().min(1).max(100) }) },
        responses: { 200: json(ServiceSchema, `${verb}d`), 409: json(ErrorSchema, `the action's state does not allow it`), ...errors },
      }),
      async (c) => {
        const { repo, role, name, action } = c.req.valid("param");
        const service = unwrap(await (await repository(scopeOf(c), repo)).switchServiceAction(role, name, action, verb === "enable"));
        auditRequest(c, `action.${verb}d`, repo, `${action} ${verb}d on ${role}!${name}`);
        return c.json(service, 200);
      },
    );
  }

  return api;
}
