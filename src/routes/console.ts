/**
 * The web console under `/console`: server-rendered pages (src/console) that read through the same
 * actor methods as the `/ays` API, while their buttons and forms call that API itself with the
 * session cookie. A browser without a valid session is sent to `/auth/resume` (requireSignedIn), which
 * renews it or signs in, and comes back.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context } from "hono";
import type { AuditEntry } from "../actors/organization.ts";
import type { ServiceView } from "../actors/repository/views.ts";
import type { Result } from "../actors/results.ts";
import { NAME_PATTERN } from "../ays/names.ts";
import { requireSignedIn } from "../auth/middleware.ts";
import { ASSETS } from "../console/assets.ts";
import { BlueprintPage } from "../console/blueprint.tsx";
import { EventsPage, type EventFilter } from "../console/events.tsx";
import type { Frame } from "../console/layout.tsx";
import { NoticePage } from "../console/notice.tsx";
import { RepositoriesPage } from "../console/repositories.tsx";
import { RepositoryPage } from "../console/repository.tsx";
import { INLINE_JOBS, RunPage, RunsPage } from "../console/runs.tsx";
import { ServicePage } from "../console/service.tsx";
import { ApiError } from "../operations/errors.ts";
import { organization, repository } from "../operations/repository.ts";
import { unwrap, unwrapRun } from "../operations/results.ts";
import type { AppEnv } from "./env.ts";
import { RunCursor, ServiceCursor } from "./paging.ts";
import { scopeOf } from "./scope.ts";
import { secure } from "../console/security-headers.ts";

type Ctx = Context<AppEnv>;
type EventPage = { events: AuditEntry[]; next: number | null };

function frame(c: Ctx): Omit<Frame, "title"> {
  return { organization: c.get("config").oauth.organization, user: c.get("caller").user };
}

function repoParam(c: Ctx): string {
  const repo = c.req.param("repo") ?? "";
  if (!NAME_PATTERN.test(repo) || repo.length > 100) throw new ApiError(404, "not_found", `no repository ${repo}`);
  return repo;
}

/** `YYYY-MM-DDTHH:MM` (a datetime-local field), read as UTC. */
function utcTime(name: string, value: string | undefined): number | undefined {
  if (!value) return undefined;
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? Date.parse(`${value}Z`) : NaN;
  if (Number.isNaN(at)) throw new ApiError(400, "invalid_request", `${name}: expected a date and time such as 2026-11-22T08:00`);
  return at;
}

/** A page's cursor from the query, checked as the API checks it; a bad one is a 400 page. */
function cursorParam<T>(schema: z.ZodType<T | undefined>, name: string, value: string | undefined): T | undefined {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(400, "invalid_request", `${name}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

export function createConsole() {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    await next();
    secure(c.res.headers);
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
  });

  app.get("/assets/:file", (c) => {
    const asset = ASSETS[c.req.param("file")];
    if (!asset) throw new ApiError(404, "not_found", "no such asset");
    // The page links assets with ?v=<hash of their text>, so a cached copy is never stale.
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "public, max-age=31536000, immutable" });
  });

  app.get("/signed-out", (c) =>
    c.html(
      NoticePage({
        title: "Signed out",
        message: "You are signed out of the console.",
        signIn: "/login?next=%2Fconsole",
        ...(["itsyouonline", "github"].includes(c.get("config").oauth.provider) ? {} : { providerSignOut: "/auth/provider-logout" }),
      }),
    ),
  );

  app.use(requireSignedIn);

  app.get("/", async (c) => c.html(RepositoriesPage({ frame: frame(c), repositories: await organization(scopeOf(c)).listRepositories() })));

  app.get("/events", async (c) => {
    const q = c.req.query();
    const filter: EventFilter = {
      ...(q.type ? { type: q.type.slice(0, 100) } : {}),
      ...(q.repo ? { repo: q.repo.slice(0, 100) } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.until ? { until: q.until } : {}),
    };
    const before = q.before && /^\d+$/.test(q.before) ? Number(q.before) : undefined;
    const since = utcTime("From", filter.since);
    const until = utcTime("Until", filter.until);
    const [page, repos, types, logins] = await Promise.all([
      // Stub types cannot map the entries' open-ended `data`; the values are plain JSON.
      organization(scopeOf(c)).events({ type: filter.type, repo: filter.repo, since, until, before, newest: true, limit: 100 }) as Promise<unknown> as Promise<EventPage>,
      organization(scopeOf(c)).listRepositories(),
      organization(scopeOf(c)).eventTypes(),
      organization(scopeOf(c)).logins({ limit: 10 }),
    ]);
    const older = page.next === null ? null : new URLSearchParams({ ...filter, before: String(page.next) } as Record<string, string>).toString();
    return c.html(EventsPage({ frame: frame(c), filter, repositories: repos.map((r) => r.name), types, events: page.events, older, logins: logins.logins }));
  });

  // One page of the services (`?after=` the next one), never all of them.
  app.get("/repo/:repo", async (c) => {
    const stub = await repository(scopeOf(c), repoParam(c));
    const after = cursorParam(ServiceCursor, "after", c.req.query("after"));
    const [info, blueprints, templates, services, runs, scheduler, secrets] = await Promise.all([
      stub.info(), stub.listBlueprints(), stub.listTemplates(),
      stub.listServices({ after }) as Promise<unknown> as Promise<{ services: ServiceView[]; next: string | null }>,
      stub.listRuns({ limit: 1 }), stub.scheduler(), stub.secrets({ op: "list" }),
    ]);
    const repo = {
      name: info.name, git_url: info.git_url, noexec: info.noexec, blueprints, templates, services: services.services, runs: runs.runs, scheduler,
      secrets: secrets.op === "list" ? secrets.secrets : [],
    };
    return c.html(RepositoryPage({ frame: frame(c), repo, servicesPage: { after: after ?? null, next: services.next } }));
  });

  app.get("/repo/:repo/blueprint-new", async (c) => {
    const repo = repoParam(c);
    await repository(scopeOf(c), repo);
    return c.html(BlueprintPage({ frame: frame(c), repo, blueprint: null }));
  });

  app.get("/repo/:repo/blueprint/:bp", async (c) => {
    const repo = repoParam(c);
    const blueprint = unwrap(await (await repository(scopeOf(c), repo)).getBlueprint(c.req.param("bp")));
    return c.html(BlueprintPage({ frame: frame(c), repo, blueprint }));
  });

  app.get("/repo/:repo/service/:role/:name", async (c) => {
    const repo = repoParam(c);
    const { role, name } = c.req.param();
    const service = unwrap((await (await repository(scopeOf(c), repo)).getService(role, name)) as Result<ServiceView>);
    const jobs = await c.env.SERVICE.getByName(`${c.get("config").oauth.organization}/${repo}/${service.key}`).jobs(10);
    return c.html(ServicePage({ frame: frame(c), repo, service, jobs }));
  });

  app.get("/repo/:repo/runs", async (c) => {
    const repo = repoParam(c);
    const page = await (await repository(scopeOf(c), repo)).listRuns({ before: cursorParam(RunCursor, "before", c.req.query("before")) });
    return c.html(RunsPage({ frame: frame(c), repo, runs: page.runs, older: page.next }));
  });

  app.get("/repo/:repo/run/:key", async (c) => {
    const repo = repoParam(c);
    const stub = await repository(scopeOf(c), repo);
    const run = unwrapRun(await stub.getRun(c.req.param("key"), { logsUpTo: INLINE_JOBS }));
    const producers = new Map(Object.entries(await stub.producersOf([...new Set(run.steps.flatMap((s) => s.jobs.map((j) => j.service)))])));
    return c.html(RunPage({ frame: frame(c), repo, run, producers }));
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      const title = err.status === 404 ? "Not found" : err.status === 400 ? "Bad request" : `Error ${err.status}`;
      return c.html(NoticePage({ title, message: err.message, back: "/console" }), err.status);
    }
    console.error("console error", err instanceof Error ? err.stack : String(err));
    return c.html(NoticePage({ title: "Something went wrong", message: "The console could not show this page. Try again.", back: "/console" }), 500);
  });

  return app;
}

/** The console's pages in /openapi.json (plain hono routes: each answers a browser with HTML). */
export function describeConsolePages(registry: OpenAPIHono["openAPIRegistry"]): void {
  const page = { description: "the page (HTML)", content: { "text/html": { schema: z.string() } } };
  const pages: [path: string, summary: string, params: string[]][] = [
    ["/console", "The repositories", []],
    ["/console/events", "The event and audit log (filters: type, repo, since, until as YYYY-MM-DDTHH:MM UTC)", []],
    ["/console/repo/{repo}", "A repository: blueprints, templates, services", ["repo"]],
    ["/console/repo/{repo}/blueprint-new", "A new blueprint's editor", ["repo"]],
    ["/console/repo/{repo}/blueprint/{bp}", "A blueprint's editor", ["repo", "bp"]],
    ["/console/repo/{repo}/service/{role}/{name}", "A service: its actions, jobs and data", ["repo", "role", "name"]],
    ["/console/repo/{repo}/runs", "A repository's runs", ["repo"]],
    ["/console/repo/{repo}/run/{key}", "A run, live", ["repo", "key"]],
  ];
  for (const [path, summary, params] of pages) {
    registry.registerPath({
      method: "get",
      path,
      tags: ["console"],
      summary,
      ...(params.length ? { request: { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } } : {}),
      responses: {
        200: page,
        302: { description: "no session: to /auth/resume?next=, which renews it or signs in" },
        400: { description: "a bad filter or cursor (an HTML page)" },
        404: { description: "no such repository, blueprint, service or run (an HTML page)" },
      },
    });
  }
  registry.registerPath({
    method: "get",
    path: "/console/signed-out",
    tags: ["console"],
    summary: "The page after signing out",
    responses: { 200: page },
  });
  registry.registerPath({
    method: "get",
    path: "/console/assets/{file}",
    tags: ["console"],
    summary: "The console's stylesheet and scripts (their URLs carry ?v=<hash>)",
    request: { params: z.object({ file: z.string() }) },
    responses: {
      200: { description: "the file", content: { "text/css": { schema: z.string() }, "text/javascript": { schema: z.string() } } },
      404: { description: "no such asset (an HTML page)" },
    },
  });
}
