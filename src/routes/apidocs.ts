/**
 * `GET /apidocs`: swagger-ui for /openapi.json, served from the Worker itself (no CDN: it works
 * offline and under the same strict Content-Security-Policy as the console). The `swagger-ui-dist`
 * package's bundle and stylesheet are bundled as text (the `?raw` imports: wrangler's `[[rules]]` in
 * wrangler.toml, vite's raw imports in tests); the page's own start-up code is a file of its own too.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { html } from "hono/html";
import swaggerPackage from "swagger-ui-dist/package.json";
import swaggerCss from "swagger-ui-dist/swagger-ui.css?raw";
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js?raw";
import { ApiError } from "../operations/errors.ts";
import type { AppEnv } from "./env.ts";
import { ErrorSchema } from "./schemas.ts";
import { secure } from "../console/security-headers.ts";

/** Starts swagger-ui on the page (no inline script); no badge from validator.swagger.io, nothing from another host. */
const INIT_JS = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });\n`;

const JS = "text/javascript; charset=utf-8";
const ASSETS: Record<string, { type: string; body: string }> = {
  "swagger-ui.css": { type: "text/css; charset=utf-8", body: swaggerCss },
  "swagger-ui-bundle.js": { type: JS, body: swaggerBundle },
  "init.js": { type: JS, body: INIT_JS },
};

/** Asset URLs carry the package's version (the init script is tied to it), so browsers may keep them. */
const VERSION = swaggerPackage.version;
const asset = (file: string) => `/apidocs/assets/${file}?v=${VERSION}`;

const PAGE = String(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Cockpit API</title>
    <link rel="stylesheet" href="${asset("swagger-ui.css")}" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${asset("swagger-ui-bundle.js")}"></script>
    <script src="${asset("init.js")}"></script>
  </body>
</html>
`);

export function createApiDocs() {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    await next();
    secure(c.res.headers);
  });
  app.get("/", (c) => c.html(PAGE, 200, { "cache-control": "no-cache" }));
  app.get("/assets/:file", (c) => {
    const found = ASSETS[c.req.param("file")];
    if (!found) throw new ApiError(404, "not_found", "no such asset");
    return c.body(found.body, 200, { "content-type": found.type, "cache-control": "public, max-age=86400" });
  });
  return app;
}

/** /apidocs in /openapi.json. */
export function describeApiDocs(registry: OpenAPIHono["openAPIRegistry"]): void {
  registry.registerPath({
    method: "get",
    path: "/apidocs",
    tags: ["documents"],
    summary: "This document in swagger-ui, served by the Worker (no CDN)",
    responses: { 200: { description: "the page", content: { "text/html": { schema: z.string() } } } },
  });
  registry.registerPath({
    method: "get",
    path: "/apidocs/assets/{file}",
    tags: ["documents"],
    summary: "swagger-ui's stylesheet and scripts",
    request: { params: z.object({ file: z.enum(Object.keys(ASSETS) as [string, ...string[]]) }) },
    responses: {
      200: { description: "the file", content: { "text/css": { schema: z.string() }, "text/javascript": { schema: z.string() } } },
      404: { description: "no such file", content: { "application/json": { schema: ErrorSchema } } },
    },
  });
}
