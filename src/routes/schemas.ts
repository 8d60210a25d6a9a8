/** Request and response schemas of the `/ays` API; they drive validation and the OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { BLUEPRINT_NAME_PATTERN, NAME_PATTERN } from "../ays/names.ts";

const nameError = { error: "expected letters, digits, _ and - only" };

export const RepoName = z.string().min(1).max(100).regex(NAME_PATTERN, nameError).openapi({ example: "myrepo" });
export const BlueprintName = z
  .string()
  .min(1)
  .max(200)
  .regex(BLUEPRINT_NAME_PATTERN, { error: "expected letters, digits, _, . and - only, and not only dots" })
  .openapi({ example: "bp06.yaml" });
export const TemplateName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { error: "expected an actor name such as node.ovc" })
  .openapi({ example: "datacenter" });

export const ErrorSchema = z.object({ error: z.string(), code: z.string() }).openapi("Error");

export const RepositorySchema = z
  .object({ name: z.string(), git_url: z.string(), no_exec: z.boolean().optional() })
  .openapi("Repository");
export const RepositoryCreate = z.strictObject({
  name: RepoName,
  git_url: z.string().max(2048).optional(),
  no_exec: z.boolean().optional(),
});

export const TemplateCreate = z.strictObject({
  name: TemplateName,
  config: z.string().max(256 * 1024).optional(),
  schema: z.string().max(256 * 1024).optional(),
  actions: z.string().max(512 * 1024).optional().openapi({ description: "actions.js: an ES module whose exported functions are actions" }),
  actions_py: z
    .string()
    .max(512 * 1024)
    .optional()
    .openapi({ description: "actions.py of an original AYS template: read for its action names and dependency map; it cannot run" }),
});
export const TemplateSchema = z
  .object({
    name: z.string(),
    role: z.string(),
    actions: z.array(z.string()),
    code: z.enum(["js", "py", "none"]),
    config: z.string(),
    schema: z.string(),
    actions_js: z.string(),
    actions_py: z.string(),
  })
  .openapi("Template");

export const BlueprintCreate = z.strictObject({ name: BlueprintName, content: z.string().max(512 * 1024) });
export const BlueprintUpdate = z.strictObject({ content: z.string().max(512 * 1024) });
export const BlueprintSchema = z
  .object({ name: z.string(), content: z.string(), archived: z.boolean(), updated: z.number() })
  .openapi("Blueprint");

export const BlueprintCheckSchema = z
  .object({
    valid: z.boolean(),
    error: z.string().optional().openapi({ description: "the engine's message: file:line:column: key: reason" }),
    reason: z.string().optional(),
    key: z.string().optional(),
    line: z.number().optional(),
    column: z.number().optional(),
  })
  .openapi("BlueprintCheck");

export const ServiceSchema = z
  .object({
    key: z.string(),
    role: z.string(),
    name: z.string(),
    actor: z.string(),
    data: z.record(z.string(), z.unknown()),
    state: z.string(),
    parent: z.string().nullable(),
    producers: z.array(z.string()),
    consumers: z.array(z.string()),
    children: z.array(z.string()),
    actions: z.array(
      z.object({ name: z.string(), state: z.string(), period: z.number(), last_run: z.number().nullable(), error_count: z.number() }),
    ),
    events: z.array(z.unknown()),
    blueprint: z.string().nullable().openapi({ description: "the blueprint whose execution created the service" }),
  })
  .openapi("Service");

const LogSchema = z.object({ epoch: z.number(), level: z.string(), category: z.string(), log: z.string() });
const FileSchema = z.object({ name: z.string(), key: z.string(), size: z.number(), contentType: z.string().optional() });
export const JobSchema = z
  .object({
    key: z.string(),
    service: z.string(),
    actor: z.string(),
    action: z.string(),
    state: z.string(),
    attempts: z.number(),
    started: z.number().nullable(),
    ended: z.number().nullable(),
    logs: z.array(LogSchema),
    result: z.unknown(),
    files: z.array(FileSchema),
    inputs: z.array(FileSchema).optional(),
    error_code: z.string().optional().openapi({ description: "the last attempt's failure kind: timeout, or the thrown error's code" }),
    log_count: z.number().optional().openapi({ description: "in a run read with ?logs=none: how many log lines the job has (its `logs` are left empty)" }),
  })
  .openapi("Job");
export const RunSchema = z
  .object({
    key: z.string(),
    state: z.enum(["new", "running", "ok", "error", "cancelled"]),
    created: z.number(),
    simulate: z.boolean(),
    attempt: z.number(),
    rerun_of: z.string().optional().openapi({ description: "the run this one repeats (POST …/aysrun/{key}/rerun)" }),
    steps: z.array(
      z.object({
        number: z.number(),
        state: z.string(),
        jobs: z.array(JobSchema),
      }),
    ),
    errors: z.array(z.object({ job: z.string(), service: z.string(), action: z.string(), logs: z.array(LogSchema) })),
    logs_omitted: z.literal(true).optional().openapi({ description: "read with ?logs=none: the jobs' `logs` are left out, not empty" }),
  })
  .openapi("Run");

export const BoolQuery = z
  .enum(["true", "false", "1", "0"], { error: "expected true or false" })
  .transform((v) => v === "true" || v === "1")
  .optional();
