/**
 * `DELETE /ays/telegram/links/{user}`: unlinks one person's Telegram account(s) from the bot, for an
 * organization admin (the organization's own token, as `cockpit clean_cache` takes: see
 * requireOrganization). Their chat is told; the next `/start` links it again.
 */
import { z } from "@hono/zod-openapi";
import { requireOrganization } from "../../auth/middleware.ts";
import { ApiError } from "../../operations/errors.ts";
import { organization } from "../../operations/repository.ts";
import { ErrorSchema } from "../schemas.ts";
import { scopeOf } from "../scope.ts";
import { aysRouter, errors, json, route } from "./common.ts";

/** A member's user name at the identity provider (an e-mail address, a login, a subject). */
const MemberName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\u0000-\u001f\u007f/]+$/, { error: "a user name without control characters or /" })
  .openapi({ description: "the member's user name, as /ays/logins shows it", example: "alice" });

const Link = z.object({ id: z.number(), user: z.string(), chat: z.number(), name: z.string().nullable(), linked: z.number() }).openapi("TelegramLink");

export function telegramLinkRoutes() {
  const api = aysRouter();

  api.openapi(
    {
      ...route({
        method: "delete",
        path: "/telegram/links/{user}",
        summary: "Unlinks a member's Telegram account from the bot (organization admins)",
        description: "Needs the organization's own token (like `cockpit clean_cache`); a member's token or console session is 403. The chat is told, and `/start` links it again.",
        request: { params: z.object({ user: MemberName }) },
        responses: {
          200: json(z.object({ user: z.string(), unlinked: z.array(Link) }), "the links that were removed"),
          ...errors,
          403: json(ErrorSchema, "not the organization's own token"),
          404: json(ErrorSchema, "no Telegram account is linked to this user"),
        },
      }),
      middleware: [requireOrganization] as const,
    },
    async (c) => {
      const { user } = c.req.valid("param");
      const by = c.get("caller").user;
      const unlinked = await organization(scopeOf(c)).telegramUnlinkUser(user, by);
      if (!unlinked.length) throw new ApiError(404, "not_found", `no Telegram account is linked to ${user}`);
      // Telling the chats is a courtesy: the links are gone either way.
      const org = c.get("config").oauth.organization;
      for (const link of unlinked) {
        const text = `An admin of ${org} unlinked this Telegram account from ${user}. Use /start to sign in again.`;
        c.executionCtx.waitUntil(c.env.CHAT.getByName(String(link.chat)).tell(link.chat, text).catch(() => undefined));
      }
      return c.json({ user, unlinked: unlinked.map(({ id, user, chat, name, linked }) => ({ id, user, chat, name, linked })) }, 200);
    },
  );

  return api;
}
