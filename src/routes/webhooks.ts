/**
 * Inbound webhooks. `POST /webhooks/events` is the AYS 8.2 endpoint: `{command, tags, payload,
 * secret?}` becomes a Generic event for the filters with that command. Like the original it needs
 * no JWT (the callers are other systems); a filter that sets a secret only hears events carrying it.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { publish } from "../events/bus.ts";
import type { AppEnv } from "./app.ts";
import { validationHook } from "./errors.ts";
import { ErrorSchema, RepoName } from "./schemas.ts";

const GenericWebhook = z.strictObject({
  command: z.string().min(1).max(200).openapi({ example: "deploy" }),
  tags: z.array(z.string().max(200)).max(50).optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
  secret: z.string().max(500).optional(),
  repo: RepoName.optional().openapi({ description: "only this repository's filters; default: every repository" }),
});

export function createWebhooks() {
  const hooks = new OpenAPIHono<AppEnv>({
    defaultHook: validationHook,
  });

  hooks.openapi(
    createRoute({
      method: "post",
      path: "/events",
      request: { body: { content: { "application/json": { schema: GenericWebhook } }, required: true } },
      responses: {
        202: { description: "accepted: the event is on the bus", content: { "application/json": { schema: z.object({ id: z.string() }) } } },
        400: { description: "invalid request", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const org = c.get("config").oauth.organization;
      const id = crypto.randomUUID();
      await publish(c.env, {
        id,
        time: Date.now(),
        org,
        type: "generic",
        channel: "webservice",
        by: `webhook ${c.req.header("cf-connecting-ip") ?? "client"}`,
        command: input.command,
        ...(input.secret !== undefined ? { secret: input.secret } : {}),
        ...(input.repo !== undefined ? { repo: input.repo } : {}),
        ...(input.tags !== undefined ? { tags: input.tags } : {}),
        payload: { args: input.payload ?? {}, epoch: Date.now() },
      });
      return c.json({ id }, 202);
    },
  );
  return hooks;
}
