/**
 * The `/ays` REST API, kept to the AYS 8.2 resource tree so the original's clients and docs still
 * make sense. Every route is described with zod, which validates the request and feeds /openapi.json.
 */
import { createRoute, OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Channel } from "../actors/organization.ts";
import type { Refusal, Result } from "../actors/results.ts";
import type { JobFile, JobRecord, RunRecord } from "../runs/model.ts";
import { fileNameProblem } from "../sandbox/files.ts";
import { requireMember } from "../auth/middleware.ts";
import { createRepository, deleteRepository } from "../actors/repositories.ts";
import type { TemplateInUse } from "../actors/repository/views.ts";
import type { AppEnv } from "./app.ts";
import { ApiError, validationHook } from "./errors.ts";
import { expiryOf } from "../files/retention.ts";
import { DEFAULT_JOBS_PAGE, DEFAULT_PAGE, LOG_PAGE_MAX } from "../actors/paging.ts";
import { JobCursor, LimitQuery, pageOf, RunCursor, ServiceCursor } from "./paging.ts";
import {
  BlueprintCheckSchema,
  BlueprintCreate,
  BlueprintName,
  BlueprintSchema,
  BlueprintUpdate,
  BoolQuery,
  ErrorSchema,
  JobSchema,
  RepoName,
  RepositoryCreate,
  RepositorySchema,
  RunSchema,
  ServiceSchema,
  TemplateCreate,
  TemplateName,
  TemplateSchema,
} from "./schemas.ts";

type Ctx = Context<AppEnv>;

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const errors = {
  400: json(ErrorSchema, "invalid request"),
  401: json(ErrorSchema, "missing or invalid token"),
  404: json(ErrorSchema, "not found"),
};
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });

function route<R extends RouteConfig>(config: R): R {
  return { ...config, security: [{ Bearer: [] }], middleware: [requireMember] as const } as R;
}

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const MAX_UPLOAD_FILES = 10;

/** Files of a multipart body, checked and stored in R2 under uploads/; none for other bodies. */
async function storeUploads(c: Ctx): Promise<JobFile[]> {
  if (!c.req.header("content-type")?.startsWith("multipart/form-data")) return [];
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new ApiError(400, "invalid_request", "body is not valid multipart/form-data");
  }
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
  return stored;
}

/** Unwraps an actor result, turning a refusal into the matching `{error, code}` answer. */
export function unwrap<R extends { ok: true; value: unknown } | Refusal>(result: R): Extract<R, { ok: true }>["value"] {
  if (!result.ok) {
    const refusal = result as Refusal;
    throw new ApiError(refusal.status, refusal.code, refusal.error);
  }
  return (result as Extract<R, { ok: true }>).value;
}

/**
 * Runs cross RPC as plain JSON, but workers-types cannot map their open-ended `result` field and drops
 * the success branch from the stub's type; this restores it.
 */
export function unwrapRun(result: unknown): RunRecord {
  return unwrap(result as Result<RunRecord>);
}

/** `?logs=none` as the RepositoryActor takes it: a run of more than 0 jobs comes without logs. */
function logsOption(logs: "all" | "none" | undefined): { logsUpTo?: number } {
  return logs === "none" ? { logsUpTo: 0 } : {};
}

export function org(c: Ctx) {
  return c.env.ORGANIZATION.getByName(c.get("config").oauth.organization);
}

/** The RepositoryActor of an existing repository; 404 for one the organization does not have. */
export async function repository(c: Ctx, name: string) {
  const entry = await org(c).getRepository(name);
  if (!entry) throw new ApiError(404, "not_found", `no repository ${name}`);
  return c.env.REPOSITORY.getByName(`${c.get("config").oauth.organization}/${name}`);
}

function audit(c: Ctx, type: string, repo: string | null, message: string, data?: Record<string, unknown>) {
  const caller = c.get("caller");
  // The console's session tokens come from the web channel; any other token is a direct API client.
  const entry = { type, repo, by: caller.user, channel: (caller.session ? "web" : "api") as Channel, message, data: data ?? null };
  c.executionCtx.waitUntil(org(c).record(entry).catch((err: unknown) => console.error("audit failed", String(err))));
}

const RepoParam = z.object({ repo: RepoName });
const BlueprintParam = RepoParam.extend({ bp: BlueprintName });
const ServiceParam = RepoParam.extend({ role: z.string().min(1).max(100), name: z.string().min(1).max(200) });
const RunParam = RepoParam.extend({ key: z.string().min(1).max(100) });
/** `?logs=none`: the run's jobs without their log lines (a view of a big run fetches them job by job). */
const RunLogsQuery = z.object({
  logs: z
    .enum(["all", "none"], { error: "expected all or none" })
    .optional()
    .openapi({
      description:
        "none: every job's `logs` left empty, its `log_count` saying how many lines it has, and the run marked `logs_omitted` " +
        "(a job's log is at …/aysrun/{key}/job/{job}); all (the default): every log line",
    }),
});

export function createAysApi() {
  const api = new OpenAPIHono<AppEnv>({
    defaultHook: validationHook,
  });

  // === Repositories

  api.openapi(
    route({ method: "get", path: "/repository", responses: { 200: json(z.array(RepositorySchema), "repositories"), ...errors } }),
    async (c) => {
      const repos = await org(c).listRepositories();
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
      audit(c, "repository.created", input.name, `repository ${input.name} created`);
      return c.json({ name: input.name, git_url, no_exec: Boolean(input.no_exec) }, 201);
    },
  );

  api.openapi(
    route({ method: "get", path: "/repository/{repo}", request: { params: RepoParam }, responses: { 200: json(RepositorySchema, "repository"), ...errors } }),
    async (c) => {
      const info = await (await repository(c, c.req.valid("param").repo)).info();
      return c.json({ name: info.name, git_url: info.git_url, no_exec: info.noexec }, 200);
    },
  );

  api.openapi(
    route({ method: "delete", path: "/repository/{repo}", request: { params: RepoParam }, responses: { 204: { description: "deleted" }, ...errors } }),
    async (c) => {
      const { repo } = c.req.valid("param");
      if (!(await deleteRepository(c.env, c.get("config").oauth.organization, repo))) throw new ApiError(404, "not_found", `no repository ${repo}`);
      audit(c, "repository.deleted", repo, `repository ${repo} deleted`);
      return c.body(null, 204);
    },
  );

  // === Templates

  api.openapi(
    route({ method: "get", path: "/repository/{repo}/template", request: { params: RepoParam }, responses: { 200: json(z.array(TemplateSchema), "templates"), ...errors } }),
    async (c) => c.json(await (await repository(c, c.req.valid("param").repo)).listTemplates(), 200),
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
      const template = unwrap(await (await repository(c, repo)).putTemplate(c.req.valid("json")));
      audit(c, "template.stored", repo, `template ${template.name} stored`);
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
      return c.json(unwrap(await (await repository(c, repo)).getTemplate(name)), 200);
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
      const result = await (await repository(c, repo)).deleteTemplate(name);
      if (!result.ok && result.code === "in_use") {
        const { error, code, services, blueprints, templates } = result as TemplateInUse;
        return c.json({ error, code, services, blueprints, templates }, 409);
      }
      unwrap(result);
      audit(c, "template.deleted", repo, `template ${name} deleted`);
      return c.body(null, 204);
    },
  );

  // === Blueprints

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/blueprint",
      request: { params: RepoParam, query: z.object({ archived: BoolQuery }) },
      responses: { 200: json(z.array(BlueprintSchema), "blueprints"), ...errors },
    }),
    async (c) => {
      const { archived } = c.req.valid("query");
      return c.json(await (await repository(c, c.req.valid("param").repo)).listBlueprints(archived), 200);
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
      const bp = unwrap(await (await repository(c, repo)).saveBlueprint(name, content, "create"));
      audit(c, "blueprint.created", repo, `blueprint ${name} created`);
      return c.json(bp, 201);
    },
  );

  api.openapi(
    route({ method: "get", path: "/repository/{repo}/blueprint/{bp}", request: { params: BlueprintParam }, responses: { 200: json(BlueprintSchema, "blueprint"), ...errors } }),
    async (c) => {
      const { repo, bp } = c.req.valid("param");
      return c.json(unwrap(await (await repository(c, repo)).getBlueprint(bp)), 200);
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
      const saved = unwrap(await (await repository(c, repo)).saveBlueprint(bp, c.req.valid("json").content, "update"));
      audit(c, "blueprint.updated", repo, `blueprint ${bp} updated`);
      return c.json(saved, 200);
    },
  );

  api.openapi(
    route({ method: "delete", path: "/repository/{repo}/blueprint/{bp}", request: { params: BlueprintParam }, responses: { 204: { description: "deleted" }, ...errors } }),
    async (c) => {
      const { repo, bp } = c.req.valid("param");
      unwrap(await (await repository(c, repo)).deleteBlueprint(bp));
      audit(c, "blueprint.deleted", repo, `blueprint ${bp} deleted`);
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
      const result = unwrap(await (await repository(c, repo)).executeBlueprint(bp));
      audit(c, "blueprint.executed", repo, result.msg, { created: result.created, changed: result.changed });
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
      return c.json(await (await repository(c, repo)).checkBlueprint(bp, c.req.valid("json").content), 200);
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
        const saved = unwrap(await (await repository(c, repo)).setArchived(bp, archived));
        audit(c, `blueprint.${verb}d`, repo, `blueprint ${bp} ${verb}d`);
        return c.json(saved, 200);
      },
    );
  }

  // === Services

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/service",
      description: `A page of the repository's services in key order: \`?after=next\` reads the following one (${DEFAULT_PAGE} a page unless \`limit\` says).`,
      request: { params: RepoParam, query: z.object({ role: z.string().max(100).optional(), after: ServiceCursor, limit: LimitQuery }) },
      responses: { 200: json(pageOf("services", ServiceSchema, z.string(), "after"), "a page of the services"), ...errors },
    }),
    async (c) => c.json((await (await repository(c, c.req.valid("param").repo)).listServices(c.req.valid("query"))) as never, 200),
  );

  api.openapi(
    route({ method: "get", path: "/repository/{repo}/service/{role}/{name}", request: { params: ServiceParam }, responses: { 200: json(ServiceSchema, "service"), ...errors } }),
    async (c) => {
      const { repo, role, name } = c.req.valid("param");
      return c.json(unwrap(await (await repository(c, repo)).getService(role, name)), 200);
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
      unwrap(await (await repository(c, repo)).getService(role, name));
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
      const result = unwrap(await (await repository(c, repo)).deleteService(role, name));
      audit(c, "service.deleted", repo, `service ${role}!${name} deleted`, result);
      return c.json(result, 200);
    },
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/service/{role}/{name}/action/{action}",
      description:
        "Schedules one action. A multipart/form-data body hands files to its next job (job.files.read(name)): " +
        `at most ${MAX_UPLOAD_FILES} files of ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB in all, named like site.yaml.`,
      request: { params: ServiceParam.extend({ action: z.string().min(1).max(100) }), query: z.object({ force: BoolQuery }) },
      responses: { 200: json(ServiceSchema, "scheduled"), 409: json(ErrorSchema, "cannot schedule"), ...errors },
    }),
    async (c) => {
      const { repo, role, name, action } = c.req.valid("param");
      const stub = await repository(c, repo);
      const files = await storeUploads(c);
      const result = await stub.scheduleServiceAction(role, name, action, c.req.valid("query").force ?? false, files);
      if (!result.ok) await Promise.all(files.map((f) => c.env.FILES.delete(f.key))); // nothing half-written
      const service = unwrap(result);
      audit(c, "action.scheduled", repo, `${action} scheduled on ${role}!${name}`);
      return c.json(service, 200);
    },
  );

  // === Runs

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/aysrun",
      description: `A page of the runs, newest first (${DEFAULT_PAGE} a page unless \`limit\` says): \`?before=next\` reads the following one.`,
      request: { params: RepoParam, query: z.object({ before: RunCursor, limit: LimitQuery }) },
      responses: {
        200: json(
          pageOf(
            "runs",
            z.object({ key: z.string(), state: z.string(), created: z.number(), simulate: z.boolean(), attempt: z.number(), steps: z.number(), jobs: z.number() }),
            z.number(),
            "before",
          ),
          "a page of the runs, newest first",
        ),
        ...errors,
      },
    }),
    async (c) => c.json(await (await repository(c, c.req.valid("param").repo)).listRuns(c.req.valid("query")), 200),
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/aysrun",
      request: { params: RepoParam, query: z.object({ simulate: BoolQuery }) },
      responses: { 200: json(RunSchema, "created (and started unless simulate)"), 409: json(ErrorSchema, "nothing to run"), ...errors },
    }),
    async (c) => {
      const { repo } = c.req.valid("param");
      const simulate = c.req.valid("query").simulate ?? false;
      const run = unwrapRun(await (await repository(c, repo)).createRun({ simulate, by: c.get("caller").user }));
      audit(c, "run.created", repo, `run ${run.key} created${simulate ? " (simulated)" : ""}`);
      return c.json(run, 200);
    },
  );

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/aysrun/{key}",
      request: { params: RunParam, query: RunLogsQuery },
      responses: { 200: json(RunSchema, "run"), ...errors },
    }),
    async (c) => {
      const { repo, key } = c.req.valid("param");
      return c.json(unwrapRun(await (await repository(c, repo)).getRun(key, logsOption(c.req.valid("query").logs))), 200);
    },
  );

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/aysrun/{key}/stream",
      request: { params: RunParam, query: RunLogsQuery },
      responses: {
        200: {
          description:
            "Server-Sent Events: `run` (the whole run, first; with `?logs=none` without its log lines), then `job` (a job changed state), " +
            "`log` (a new log line, with its `index` in the job's log; sent with `?logs=none` too, from each job's `log_count` on) " +
            "and `state` (the run changed state); the stream ends with the run",
          content: { "text/event-stream": { schema: z.string() } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const { repo, key } = c.req.valid("param");
      const result = await (await repository(c, repo)).streamRun(key, logsOption(c.req.valid("query").logs));
      if (!result.ok) throw new ApiError(result.status, result.code, result.error);
      return new Response(result.value as ReadableStream, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" },
      }) as never;
    },
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/aysrun/{key}",
      request: { params: RunParam },
      responses: { 200: json(RunSchema, "started"), 409: json(ErrorSchema, "not a simulated run"), ...errors },
    }),
    async (c) => {
      const { repo, key } = c.req.valid("param");
      const run = unwrapRun(await (await repository(c, repo)).startRun(key));
      audit(c, "run.started", repo, `run ${key} started`);
      return c.json(run, 200);
    },
  );

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/aysrun/{key}/job/{job}",
      description: "One job of the run with its whole log, result, input and result files (the run view loads a job's details with it).",
      request: { params: RunParam.extend({ job: z.string().min(1).max(200).openapi({ example: "run-3.2.1" }) }) },
      responses: { 200: json(JobSchema.extend({ run: z.string(), step: z.number() }), "the job"), ...errors },
    }),
    async (c) => {
      const { repo, key, job } = c.req.valid("param");
      return c.json(unwrap((await (await repository(c, repo)).getRunJob(key, job)) as Result<JobRecord & { run: string; step: number }>), 200);
    },
  );

  api.openapi(
    route({
      method: "post",
      path: "/repository/{repo}/aysrun/{key}/rerun",
      description:
        "Creates a new run with the jobs of run {key} (the same services and actions, in the same steps), run again even where " +
        "an action is ok. A simulated run is re-run as a simulated run, to be started with POST …/aysrun/{new key}; any other " +
        "is started (queued behind a run in progress). Answers like POST …/aysrun.",
      request: { params: RunParam },
      responses: {
        200: json(RunSchema, "the new run, with rerun_of = {key}"),
        409: json(ErrorSchema, "the run has not ended (not_ended), or one of its services or actions no longer exists (gone)"),
        ...errors,
      },
    }),
    async (c) => {
      const { repo, key } = c.req.valid("param");
      const run = unwrapRun(await (await repository(c, repo)).rerunRun(key, c.get("caller").user));
      audit(c, "run.created", repo, `run ${run.key} created as a re-run of ${key}${run.simulate ? " (simulated)" : ""}`, { rerun_of: key });
      return c.json(run, 200);
    },
  );

  api.openapi(
    route({
      method: "delete",
      path: "/repository/{repo}/aysrun/{key}",
      request: { params: RunParam },
      responses: { 200: json(RunSchema, "cancelled"), 409: json(ErrorSchema, "already ended"), ...errors },
    }),
    async (c) => {
      const { repo, key } = c.req.valid("param");
      const run = unwrapRun(await (await repository(c, repo)).cancelRun(key));
      audit(c, "run.cancelled", repo, `run ${key} cancelled`);
      return c.json(run, 200);
    },
  );

  api.openapi(
    route({
      method: "get",
      path: "/repository/{repo}/scheduler",
      request: { params: RepoParam },
      responses: { 200: json(z.object({ status: z.string(), queue_size: z.number(), running: z.string().nullable() }), "scheduler"), ...errors },
    }),
    async (c) => c.json(await (await repository(c, c.req.valid("param").repo)).scheduler(), 200),
  );

  // === Files

  api.openapi(
    route({
      method: "get",
      path: "/files/{key}",
      request: {
        params: z.object({
          key: z
            .string()
            .min(1)
            .max(1024)
            .regex(/^(mail|jobs|webhooks|uploads)\/[^\0]+$/, { error: "expected a key under mail/, jobs/, uploads/ or webhooks/" })
            .refine((k) => !k.split("/").includes(".."), { error: "must not contain .." })
            .openapi({ description: "the R2 key of a mail attachment, a job file or a webhook payload (URL-encode the slashes)" }),
        }),
      },
      responses: {
        200: { description: "the file", content: { "application/octet-stream": { schema: z.string() } } },
        410: json(ErrorSchema, "the file's retention (max_storage_hours, [mail] retention_days) has ended"),
        ...errors,
      },
    }),
    async (c) => {
      const { key } = c.req.valid("param");
      const object = await c.env.FILES.get(key);
      if (!object) throw new ApiError(404, "not_found", `no file ${key}`);
      // The sweep runs hourly; a file past its date is gone for its owner even before it runs.
      const expired = expiryOf(object);
      if (expired !== null && expired <= Date.now()) {
        throw new ApiError(410, "expired", `file ${key} expired at ${new Date(expired).toISOString()} (its retention ended)`);
      }
      const name = key.slice(key.lastIndexOf("/") + 1).replace(/^\d+-/, "");
      return new Response(object.body, {
        headers: {
          "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
          "content-length": String(object.size),
          "content-disposition": `attachment; filename="${name.replace(/["\\]/g, "_")}"`,
          "x-content-type-options": "nosniff",
        },
      }) as never;
    },
  );

  // === Events

  api.openapi(
    route({
      method: "get",
      path: "/events",
      request: {
        query: z.object({
          type: z.string().max(100).optional(),
          repo: z.string().max(100).optional(),
          after: z.coerce.number().int().min(0).optional(),
          before: z.coerce.number().int().min(0).optional(),
          since: z.coerce.number().int().min(0).optional().openapi({ description: "only entries at or after this time (epoch ms)" }),
          until: z.coerce.number().int().min(0).optional().openapi({ description: "only entries before this time (epoch ms)" }),
          order: z.enum(["oldest", "newest"]).optional().openapi({ description: "newest: newest first, paged with before=next" }),
          limit: z.coerce.number().int().min(1).max(LOG_PAGE_MAX).optional(),
        }),
      },
      responses: { 200: json(z.object({ events: z.array(z.unknown()), next: z.number().nullable() }), "a page of the log"), ...errors },
    }),
    async (c) => {
      const { order, ...query } = c.req.valid("query");
      return c.json(await org(c).events({ ...query, newest: order === "newest" }), 200);
    },
  );

  // === Sign-ins: who signed in when, through which channel, and the console sessions they hold

  api.openapi(
    route({
      method: "get",
      path: "/logins",
      request: {
        query: z.object({
          user: z.string().max(200).optional(),
          before: z.coerce.number().int().min(1).optional(),
          limit: z.coerce.number().int().min(1).max(LOG_PAGE_MAX).optional(),
        }),
      },
      responses: {
        200: json(z.object({ logins: z.array(z.unknown()), next: z.number().nullable() }), "the login history, newest first; `next` is the `before` of the following page"),
        ...errors,
      },
    }),
    async (c) => c.json(await org(c).logins(c.req.valid("query")), 200),
  );

  api.openapi(
    route({
      method: "get",
      path: "/sessions",
      request: {
        query: z.object({
          user: z.string().max(200).optional(),
          active: BoolQuery.optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
      responses: { 200: json(z.object({ sessions: z.array(z.unknown()) }), "console sessions, newest first, with how they ended"), ...errors },
    }),
    async (c) => c.json({ sessions: await org(c).sessions(c.req.valid("query")) }, 200),
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
      const ended = await org(c).endSession(id, c.get("caller").user);
      if (!ended) throw new ApiError(404, "not_found", `no open session ${id}`);
      return c.json({ session: ended }, 200);
    },
  );

  return api;
}
