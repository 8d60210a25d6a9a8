/**
 * `POST /telegram/webhook`: where Telegram delivers updates. The secret header is checked first
 * (401 without it), the update is dropped in its chat's inbox (a ChatActor, which ignores a replayed
 * update_id), and Telegram gets its 200 at once: the work happens in the chat's actor.
 *
 * `POST /telegram/admin/clean-cache` is what `cockpit clean_cache` calls. It unlinks every member,
 * so one member's token is not enough: it takes the organization's own (see requireOrganization).
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { Update } from "grammy/types";
import { requireOrganization } from "../auth/middleware.ts";
import type { AppEnv } from "./env.ts";
import { ApiError } from "../operations/errors.ts";
import { ErrorSchema } from "./schemas.ts";

const encoder = new TextEncoder();

/** Constant-time comparison, so the secret cannot be guessed byte by byte from response times. */
function sameSecret(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let n = 0; n < b.length; n++) diff |= (a[n] ?? 0) ^ b[n]!;
  return diff === 0;
}

/** The chat an update belongs to; null for kinds the bot does not handle (inline queries, ...). */
function chatOf(update: Update): number | null {
  const message = update.message ?? update.edited_message ?? update.callback_query?.message ?? update.my_chat_member ?? update.channel_post;
  const id = message?.chat?.id;
  return typeof id === "number" ? id : null;
}

export function createTelegramRoutes() {
  const app = new Hono<AppEnv>();

  app.post("/webhook", async (c) => {
    const bot = c.get("config").bot;
    if (!bot?.active) throw new ApiError(404, "bot_disabled", "the Telegram bot is not configured ([bot] is missing or active = false)");
    if (!bot.webhook_secret) throw new ApiError(503, "config_invalid", "[bot] webhook_secret is not set: the webhook refuses every update without it");
    if (!sameSecret(c.req.header("x-telegram-bot-api-secret-token") ?? "", bot.webhook_secret)) {
      throw new ApiError(401, "unauthorized", "missing or wrong X-Telegram-Bot-Api-Secret-Token");
    }
    let update: Update;
    try {
      update = (await c.req.json()) as Update;
    } catch {
      throw new ApiError(400, "invalid_request", "body is not JSON");
    }
    if (typeof update !== "object" || update === null || !Number.isSafeInteger(update.update_id)) {
      throw new ApiError(400, "invalid_request", "not a Telegram update: update_id must be an integer");
    }
    const chat = chatOf(update);
    if (chat === null) return c.json({ ok: true, ignored: "no chat" });
    const origin = new URL(c.req.url).origin;
    const { duplicate } = await c.env.CHAT.getByName(String(chat)).enqueue(chat, update, origin);
    return c.json({ ok: true, ...(duplicate ? { duplicate: true } : {}) });
  });

  app.post("/admin/clean-cache", requireOrganization, async (c) => {
    const config = c.get("config");
    const org = c.env.ORGANIZATION.getByName(config.oauth.organization);
    const forgotten = await org.telegramForget();
    const by = c.get("caller").user;
    await org.record({ type: "telegram.cache_cleaned", repo: null, by, channel: "api", message: `telegram users and pending sign-ins forgotten by ${by}`, data: { ...forgotten } });
    return c.json({ ...forgotten });
  });

  return app;
}

/** The Telegram routes in /openapi.json (plain hono routes: the update is Telegram's, read as it comes). */
export function describeTelegramRoutes(registry: OpenAPIHono["openAPIRegistry"]): void {
  const error = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });
  registry.registerPath({
    method: "post",
    path: "/telegram/webhook",
    tags: ["telegram"],
    summary: "Where Telegram delivers the bot's updates (setWebhook with secret_token = [bot] webhook_secret)",
    request: {
      headers: z.object({ "X-Telegram-Bot-Api-Secret-Token": z.string().openapi({ description: "[bot] webhook_secret" }) }),
      body: { content: { "application/json": { schema: z.object({ update_id: z.number().int() }).passthrough() } }, required: true },
    },
    responses: {
      200: { description: "taken (or ignored: no chat, a replayed update_id)", content: { "application/json": { schema: z.object({ ok: z.boolean() }).passthrough() } } },
      400: error("not JSON, not an update, or nested too deep"),
      401: error("missing or wrong X-Telegram-Bot-Api-Secret-Token"),
      404: error("the bot is off ([bot] missing or active = false)"),
      503: error("[bot] webhook_secret is not set"),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/telegram/admin/clean-cache",
    tags: ["telegram"],
    summary: "Forgets the linked Telegram users and pending sign-ins (cockpit clean_cache); the organization's own token only",
    security: [{ Bearer: [] }],
    responses: {
      200: { description: "what was forgotten", content: { "application/json": { schema: z.record(z.string(), z.number()) } } },
      401: error("missing or invalid token"),
      403: error("a member's token, not the organization's own"),
    },
  });
}
