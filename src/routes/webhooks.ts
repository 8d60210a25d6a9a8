/**
 * Inbound webhooks. `POST /webhooks/github` is GitHub's, verified with its HMAC signature (the
 * original accepted anything). `POST /webhooks/events` is the AYS 8.2 endpoint: `{command, tags, payload,
 * secret?}` becomes a Generic event for the filters with that command. Like the original it needs
 * no JWT (the callers are other systems); a filter that sets a secret only hears events carrying it.
 * Both are published once per id (a GitHub delivery id, or the `id` a generic caller sends to make
 * its retries safe): every other copy, concurrent or later, is answered `duplicate: true`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { publish } from "../events/bus.ts";
import type { AppEnv } from "./env.ts";
import { ApiError } from "../operations/errors.ts";
import { validationHook } from "./errors.ts";
import { ErrorSchema, RepoName } from "./schemas.ts";
import { GITHUB_DELIVERY_REQUEST } from "./webhook-docs.ts";

/** What the id a generic caller sends may be made of (it ends up in keys and log lines). */
const ExternalId = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, "1-100 letters, digits, '.', '_', ':' or '-'");

const Accepted = z.object({ id: z.string(), duplicate: z.boolean() });

const GenericWebhook = z.strictObject({
  id: ExternalId.optional().openapi({
    example: "release-2026-12-03",
    description: "the caller's id for this event (the event's id is `generic-<id>`): a copy with an id seen before is dropped; default: a new id each time",
  }),
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
        202: { description: "accepted: the event is on the bus (or a duplicate of one, dropped)", content: { "application/json": { schema: Accepted } } },
        400: { description: "invalid request", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const org = c.get("config").oauth.organization;
      const id = input.id !== undefined ? `generic-${input.id}` : crypto.randomUUID();
      const published = await publish(c.env, {
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
      return c.json({ id, duplicate: !published }, 202);
    },
  );
  hooks.openapi(
    createRoute({
      method: "post",
      path: "/github",
      ...GITHUB_DELIVERY_REQUEST,
      description:
        "A GitHub webhook delivery, verified with X-Hub-Signature-256 against [webhooks].github_secret, stored in R2 and " +
        "emitted as a Webhook event whose command is the X-GitHub-Event name (`push`, `issues`, ...).",
      responses: {
        202: { description: "accepted (or a duplicate delivery, ignored)", content: { "application/json": { schema: Accepted } } },
        400: { description: "missing headers or not JSON", content: { "application/json": { schema: ErrorSchema } } },
        401: { description: "bad or missing signature: nothing stored", content: { "application/json": { schema: ErrorSchema } } },
        503: { description: "no secret configured", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const secret = c.get("config").webhooks?.github_secret;
      if (!secret) throw new ApiError(503, "not_configured", "GitHub webhooks are off: set [webhooks] github_secret");
      const event = c.req.header("x-github-event");
      const delivery = c.req.header("x-github-delivery");
      // GitHub's event names are lower-case words joined by `_`, some with digits (`projects_v2_item`).
      if (!event || !/^[a-z][a-z0-9_]{0,63}$/.test(event)) throw new ApiError(400, "invalid_request", "missing or bad X-GitHub-Event header");
      if (!delivery || !/^[A-Za-z0-9-]{1,100}$/.test(delivery)) throw new ApiError(400, "invalid_request", "missing or bad X-GitHub-Delivery header");
      const body = await c.req.arrayBuffer();
      if (!(await signatureValid(secret, body, c.req.header("x-hub-signature-256")))) {
        throw new ApiError(401, "bad_signature", "X-Hub-Signature-256 does not match the body signed with the configured secret");
      }
      try {
        JSON.parse(new TextDecoder().decode(body));
      } catch {
        throw new ApiError(400, "invalid_request", "the body is not JSON (set the webhook's content type to application/json)");
      }
      const id = `github-${delivery}`;
      const key = `webhooks/github/${delivery}.json`;
      // GitHub redelivers with the same delivery id: only the copy that claims the id stores the payload.
      const store = async () => {
        await c.env.FILES.put(key, body, { httpMetadata: { contentType: "application/json" }, customMetadata: { event } });
      };
      const published = await publish(c.env, {
        id,
        time: Date.now(),
        org: c.get("config").oauth.organization,
        type: "webhook",
        channel: "webhook",
        by: "github",
        command: event,
        payload: { source: "github", event, delivery, payload_key: key, epoch: Date.now() },
      }, store);
      return c.json({ id, duplicate: !published }, 202);
    },
  );

  return hooks;
}

/** GitHub's `sha256=<hex HMAC of the raw body>`, compared in constant time by WebCrypto's verify. */
async function signatureValid(secret: string, body: ArrayBuffer, header: string | undefined): Promise<boolean> {
  const match = /^sha256=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return false;
  const signature = new Uint8Array(match[1]!.match(/../g)!.map((h) => parseInt(h, 16)));
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  return crypto.subtle.verify("HMAC", key, signature, body);
}
