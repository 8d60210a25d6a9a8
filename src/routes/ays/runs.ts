/** `/ays/repository/{repo}/aysrun` and `…/scheduler`: a repository's runs and its run queue. */
import { z } from "@hono/zod-openapi";
import { DEFAULT_PAGE } from "../../actors/paging.ts";
import type { Result } from "../../actors/results.ts";
import type { JobRecord } from "../../runs/model.ts";
import { ApiError } from "../../operations/errors.ts";
import { repository } from "../../operations/repository.ts";
import { unwrap, unwrapRun } from "../../operations/results.ts";
import { LimitQuery, pageOf, RunCursor } from "../paging.ts";
import { auditRequest, scopeOf } from "../scope.ts";
import { BoolQuery, ErrorSchema, JobSchema, RunSchema } from "../schemas.ts";
import { aysRouter, errors, json, RepoParam, route, RunParam } from "./common.ts";

/** `?logs=none` as the RepositoryActor takes it: a run of more than 0 jobs comes without logs. */
function logsOption(logs: "all" | "none" | undefined): { logsUpTo?: number } {
  return logs === "none" ? { logsUpTo: 0 } : {};
}

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

/** Runs: list, create, read, stream, start, a job, re-run, cancel; and the scheduler. */
export function runRoutes() {
  const api = aysRouter();

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
    async (c) => c.json(await (await repository(scopeOf(c), c.req.valid("param").repo)).listRuns(c.req.valid("query")), 200),
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
      const run = unwrapRun(await (await repository(scopeOf(c), repo)).createRun({ simulate, by: c.get("caller").user }));
      auditRequest(c, "run.created", repo, `run ${run.key} created${simulate ? " (simulated)" : ""}`);
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
      return c.json(unwrapRun(await (await repository(scopeOf(c), repo)).getRun(key, logsOption(c.req.valid("query").logs))), 200);
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
      const result = await (await repository(scopeOf(c), repo)).streamRun(key, logsOption(c.req.valid("query").logs));
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
      const run = unwrapRun(await (await repository(scopeOf(c), repo)).startRun(key));
      auditRequest(c, "run.started", repo, `run ${key} started`);
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
      return c.json(unwrap((await (await repository(scopeOf(c), repo)).getRunJob(key, job)) as Result<JobRecord & { run: string; step: number }>), 200);
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
      const run = unwrapRun(await (await repository(scopeOf(c), repo)).rerunRun(key, c.get("caller").user));
      auditRequest(c, "run.created", repo, `run ${run.key} created as a re-run of ${key}${run.simulate ? " (simulated)" : ""}`, { rerun_of: key });
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
      const run = unwrapRun(await (await repository(scopeOf(c), repo)).cancelRun(key));
      auditRequest(c, "run.cancelled", repo, `run ${key} cancelled`);
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
    async (c) => c.json(await (await repository(scopeOf(c), c.req.valid("param").repo)).scheduler(), 200),
  );

  return api;
}
