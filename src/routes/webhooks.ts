/**
 * Inbound webhooks. `POST /webhooks/github` is GitHub's, verified with its HMAC signature (the
 * original accepted anything). `POST /webhooks/events` is the AYS 8.2 endpoint: `{command, tags, payload,
 * secret?}` becomes a Generic event for the filters with that command. Like the original it needs
 * no JWT (the callers are other systems); a filter that sets a secret only hears events carrying it.
 * Both are published once per id (a GitHub delivery id, or the `id` a generic caller sends to make
 * its retries safe): every other copy, concurrent or later, is answered `duplicate: true`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { DEFAULT_EVENT_MAX_BYTES } from "../config/index.ts";
import { publish } from "../events/bus.ts";
import type { AppEnv } from "./env.ts";
import { ApiError } from "../operations/errors.ts";
import { readCappedBody, refuseDeclaredOver } from "./capped-body.ts";
import { validationHook } from "./errors.ts";
import { ErrorSchema, RepoName } from "./schemas.ts";
import { GITHUB_DELIVERY_REQUEST } from "./webhook-docs.ts";

/** GitHub caps webhook payloads at 25 MB; a delivery up to 25 MiB is taken. */
export const GITHUB_MAX_BYTES = 25 * 1024 * 1024;
/** The rate-limiting binding counts per minute (`period = 60`): a refused source may try again after it. */
const RATE_PERIOD_SECONDS = 60;

/**
 * Before `POST /webhooks/events` reads anything: the source's rate (429 with Retry-After), then the
 * body read with its cap (413, `[webhooks] max_bytes`), then, when `[webhooks] events_secret` is set,
 * its signature (401). The body checked is the body the route then parses.
 */
export const eventsIngress: MiddlewareHandler<AppEnv> = async (c, next) => {
  const source = c.req.header("cf-connecting-ip") ?? "unknown";
  const { success } = await c.env.EVENTS_RATE_LIMIT.limit({ key: `webhooks/events ${source}` });
  if (!success) {
    c.header("Retry-After", String(RATE_PERIOD_SECONDS));
    throw new ApiError(429, "rate_limited", `too many events from ${source}: the limit is [webhooks] events_per_minute a minute per source; retry after ${RATE_PERIOD_SECONDS} s`);
  }
  const webhooks = c.get("config").webhooks;
  const body = await readCappedBody(c.req.raw, webhooks?.max_bytes ?? DEFAULT_EVENT_MAX_BYTES, "[webhooks] max_bytes");
  const secret = webhooks?.events_secret;
  if (secret !== undefined) {
    const header = c.req.header("x-hub-signature-256");
    if (header === undefined) throw new ApiError(401, "bad_signature", "missing X-Hub-Signature-256: [webhooks] events_secret is set, so events must be signed (sha256=<hex HMAC-SHA256 of the body>)");
    if (!(await signatureValid(secret, body, header))) {
      throw new ApiError(401, "bad_signature", "X-Hub-Signature-256 does not match the body signed with [webhooks] events_secret");
    }
  }
  c.req.raw = new Request(c.req.raw, { body });
  await next();
};

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
        401: { description: "[webhooks] events_secret is set and X-Hub-Signature-256 is missing or wrong", content: { "application/json": { schema: ErrorSchema } } },
        413: { description: "the body is over [webhooks] max_bytes", content: { "application/json": { schema: ErrorSchema } } },
        429: { description: "the source sent more than [webhooks] events_per_minute this minute; see Retry-After", content: { "application/json": { schema: ErrorSchema } } },
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
        413: { description: "the body is over 25 MiB", content: { "application/json": { schema: ErrorSchema } } },
        503: { description: "no secret configured", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      await refuseDeclaredOver(c.req.raw, GITHUB_MAX_BYTES, "GitHub's 25 MB");
      const secret = c.get("config").webhooks?.github_secret;
      if (!secret) throw new ApiError(503, "not_configured", "GitHub webhooks are off: set [webhooks] github_secret");
      const event = c.req.header("x-github-event");
      const delivery = c.req.header("x-github-delivery");
      // GitHub's event names are lower-case words joined by `_`, some with digits (`projects_v2_item`).
      if (!event || !/^[a-z][a-z0-9_]{0,63}$/.test(event)) throw new ApiError(400, "invalid_request", "missing or bad X-GitHub-Event header");
      if (!delivery || !/^[A-Za-z0-9-]{1,100}$/.test(delivery)) throw new ApiError(400, "invalid_request", "missing or bad X-GitHub-Delivery header");
      const body = await readCappedBody(c.req.raw, GITHUB_MAX_BYTES, "GitHub's 25 MB");
      if (!(await signatureValid(secret, body, c.req.header("x-hub-signature-256")))) {
        throw new ApiError(401, "bad_signature", "X-Hub-Signature-256 does not match the body signed with the configured secret");
      }
      if (!looksLikeJson(body)) throw new ApiError(400, "invalid_request", "the body is not JSON (set the webhook's content type to application/json)");
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
        payload: { source: "github", event, delivery, payload_key: key, size: body.byteLength, epoch: Date.now() },
      }, store);
      return c.json({ id, duplicate: !published }, 202);
    },
  );

  return hooks;
}

/**
 * Bodies up to this size are parsed to check they are JSON; a larger one (GitHub's go up to 25 MB,
 * whose parse would take several times that in a Worker's 128 MB) is checked for the shape of a JSON
 * object only: it is signed by GitHub, and the action's isolate parses it.
 */
const FULL_JSON_CHECK_BYTES = 1024 * 1024;

function looksLikeJson(body: Uint8Array): boolean {
  if (body.byteLength <= FULL_JSON_CHECK_BYTES) {
    try {
      JSON.parse(new TextDecoder().decode(body));
      return true;
    } catch {
      return false;
    }
  }
  const space = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
  let first = 0;
  let last = body.byteLength - 1;
  while (first < last && space(body[first]!)) first++;
  while (last > first && space(body[last]!)) last--;
  return body[first] === 0x7b && body[last] === 0x7d;
}

/** GitHub's `sha256=<hex HMAC of the raw body>`, compared in constant time by WebCrypto's verify. */
async function signatureValid(secret: string, body: Uint8Array, header: string | undefined): Promise<boolean> {
  const match = /^sha256=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return false;
  const signature = new Uint8Array(match[1]!.match(/../g)!.map((h) => parseInt(h, 16)));
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  return crypto.subtle.verify("HMAC", key, signature, body);
}
