import { OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { ConfigError, configFromBindings } from "../config/index.ts";
import { notFoundOrNotAllowed } from "./allowed-methods.ts";
import { createApiDocs, describeApiDocs } from "./apidocs.ts";
import { createAysApi } from "./ays/index.ts";
import { MAX_UPLOAD_BYTES } from "./ays/services.ts";
import { createConsole, describeConsolePages } from "./console.ts";
import { createWebhooks, eventsIngress, GITHUB_MAX_BYTES } from "./webhooks.ts";
import { createOAuthRoutes } from "./oauth.ts";
import { createSessionRoutes, describeSessionRoutes, webSignIn } from "./session.ts";
import { csrfForCookies } from "../auth/csrf.ts";
import { createTelegramRoutes, describeTelegramRoutes } from "./telegram.ts";
import { telegramSignIn } from "../telegram/signin.ts";
import { ApiError } from "../operations/errors.ts";
import { errorResponse } from "./errors.ts";
import { jsonBodiesOnly } from "./json-bodies.ts";
import { serveOpenApi, type BodyRules } from "./openapi.ts";
import type { AppEnv } from "./env.ts";

/** Largest request body the API takes: blueprints and templates are text, well under this. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A body with uploaded files: the files and the multipart framing around them. */
const UPLOAD_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024;

/** Scheduling an action may carry uploaded files; every other body is JSON text. */
const takesUploads = (path: string) => /\/action\/[^/]+$/.test(path);

/**
 * Which paths the body middleware below covers, for /openapi.json (src/routes/openapi.ts): keep it in
 * step with the `app.use` lines; test/api/openapi-matches.test.ts checks both against the server.
 */
const bodyRules: BodyRules = {
  // /webhooks/events: the default of [webhooks] max_bytes, which the document states.
  limitOf: (path) =>
    !/^\/(ays|auth|telegram|webhooks)\//.test(path) ? undefined : path === "/webhooks/github" ? GITHUB_MAX_BYTES : takesUploads(path) ? UPLOAD_BODY_BYTES : MAX_BODY_BYTES,
  jsonOnly: (path) => path.startsWith("/ays/") || path === "/telegram/webhook" || path === "/webhooks/events",
};

/** Builds the Worker's HTTP application. */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>();
  const limit = (maxSize: number) =>
    bodyLimit({ maxSize, onError: (c) => errorResponse(c, 413, "too_large", `request body over ${maxSize} bytes`) });
  const jsonLimit = limit(MAX_BODY_BYTES);
  const uploadLimit = limit(UPLOAD_BODY_BYTES);

  app.use(async (c, next) => {
    c.set("config", configFromBindings(c.env));
    await next();
  });
  // Before every route: a browser's session cookies must not be spendable from another site.
  app.use(csrfForCookies);

  app.get("/", (c) => {
    // Browsers go to the console; API clients keep getting the JSON summary.
    if (c.req.header("accept")?.includes("text/html")) return c.redirect("/console", 302);
    const config = c.get("config");
    return c.json({
      name: "cockpit",
      organization: config.oauth.organization,
      api: config.api.ays.active ? "/ays" : null,
      bot: Boolean(config.bot?.active),
      mail: Boolean(config.mail?.active),
    });
  });

  // `?deep=1` also makes one round trip to the organization's Durable Object.
  app.get("/health", async (c) => {
    if (!c.req.query("deep")) return c.json({ ok: true });
    const started = Date.now();
    await c.env.ORGANIZATION.getByName(c.get("config").oauth.organization).ping();
    return c.json({ ok: true, actor_ms: Date.now() - started });
  });

  app.use(
    "/ays/*",
    async (c, next) => {
      if (!c.get("config").api.ays.active) throw new ApiError(404, "api_disabled", "the /ays API is disabled ([api.ays].active = false)");
      await next();
    },
    (c, next) => (takesUploads(c.req.path) ? uploadLimit : jsonLimit)(c, next),
    jsonBodiesOnly({ multipart: takesUploads }),
  );
  app.route("/ays", createAysApi());
  // Each feature that starts sign-ins registers what happens when one finishes.
  app.route("/oauth", createOAuthRoutes({ web: webSignIn, telegram: telegramSignIn }));
  app.use("/auth/*", jsonLimit);
  app.route("/", createSessionRoutes());
  app.route("/console", createConsole());
  app.use("/telegram/*", jsonLimit);
  app.use("/telegram/webhook", jsonBodiesOnly());
  app.route("/telegram", createTelegramRoutes());
  // Each webhook reads its body with its own cap: 25 MiB from GitHub, [webhooks] max_bytes for events.
  app.post("/webhooks/events", eventsIngress, jsonBodiesOnly());
  app.route("/webhooks", createWebhooks());

  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  describeAppRoutes(app.openAPIRegistry);
  describeSessionRoutes(app.openAPIRegistry);
  describeTelegramRoutes(app.openAPIRegistry);
  describeConsolePages(app.openAPIRegistry);
  describeApiDocs(app.openAPIRegistry);
  serveOpenApi(app, bodyRules, {
    title: "Cockpit AYS API",
    version: "1",
    description:
      "The AYS 8.2 resource tree. Every /ays route needs Authorization: bearer <JWT> (or a jwt cookie) from a member of the organization. " +
      "Any path here called with a method it does not list answers 405 with an Allow header (components.responses.MethodNotAllowed).",
  });
  app.route("/apidocs", createApiDocs());

  app.notFound(notFoundOrNotAllowed(() => app.routes));

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message);
    // hono's own refusals, such as its validator's "Malformed JSON in request body".
    if (err instanceof HTTPException && err.status < 500) {
      return errorResponse(c, err.status, err.status === 400 ? "invalid_request" : "refused", err.message || "the request was refused");
    }
    if (err instanceof ConfigError) {
      // Names the key that is wrong; secret values never appear in ConfigError messages.
      return errorResponse(c, 503, "config_invalid", err.message);
    }
    console.error("unhandled error", err instanceof Error ? err.stack : String(err));
    return errorResponse(c, 500, "internal", "internal error");
  });

  return app;
}

/** `/` and `/health` in /openapi.json. */
function describeAppRoutes(registry: OpenAPIHono["openAPIRegistry"]): void {
  registry.registerPath({
    method: "get",
    path: "/",
    summary: "What this Cockpit is (JSON); a browser asking for HTML goes to /console",
    responses: {
      200: {
        description: "the summary",
        content: {
          "application/json": {
            schema: z.object({ name: z.string(), organization: z.string(), api: z.string().nullable(), bot: z.boolean(), mail: z.boolean() }),
          },
        },
      },
      302: { description: "to /console (Accept: text/html)" },
    },
  });
  registry.registerPath({
    method: "get",
    path: "/health",
    summary: "Liveness; `?deep=1` also makes one round trip to the organization's Durable Object",
    request: { query: z.object({ deep: z.string().optional() }) },
    responses: {
      200: { description: "up", content: { "application/json": { schema: z.object({ ok: z.boolean(), actor_ms: z.number().optional() }) } } },
    },
  });
}
