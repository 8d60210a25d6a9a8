/** `/ays/files/{key}`: stored files (mail attachments, job files, uploads, webhook payloads) until their retention ends. */
import { z } from "@hono/zod-openapi";
import { expiryOf } from "../../files/retention.ts";
import { ApiError } from "../../operations/errors.ts";
import { ErrorSchema } from "../schemas.ts";
import { aysRouter, errors, json, route } from "./common.ts";

/** Reading one stored file. */
export function fileRoutes() {
  const api = aysRouter();

  api.openapi(
    route({
      method: "get",
      path: "/files/{key}",
      request: {
        params: z.object({
          key: z
            .string()
            .min(1)
            .max(1024)
            .regex(/^(mail|jobs|webhooks|uploads)\/[^\0]+$/, { error: "expected a key under mail/, jobs/, uploads/ or webhooks/" })
            .refine((k) => !k.split("/").includes(".."), { error: "must not contain .." })
            .openapi({ description: "the R2 key of a mail attachment, a job file or a webhook payload (URL-encode the slashes)" }),
        }),
      },
      responses: {
        200: {
          description: "the file, byte for byte, with the content type it was stored with (application/octet-stream when none) and Content-Disposition: attachment",
          headers: {
            "Content-Disposition": { description: "attachment; filename=\"<the key's last part>\"", schema: { type: "string" } },
            "X-Content-Type-Options": { description: "nosniff", schema: { type: "string" } },
          },
          content: { "*/*": { schema: z.string().openapi({ format: "binary" }) } },
        },
        410: json(ErrorSchema, "the file's retention (max_storage_hours, [mail] retention_days) has ended"),
        ...errors,
      },
    }),
    async (c) => {
      const { key } = c.req.valid("param");
      const object = await c.env.FILES.get(key);
      if (!object) throw new ApiError(404, "not_found", `no file ${key}`);
      // The sweep runs hourly; a file past its date is gone for its owner even before it runs.
      const expired = expiryOf(object);
      if (expired !== null && expired <= Date.now()) {
        throw new ApiError(410, "expired", `file ${key} expired at ${new Date(expired).toISOString()} (its retention ended)`);
      }
      const name = key.slice(key.lastIndexOf("/") + 1).replace(/^\d+-/, "");
      return new Response(object.body, {
        headers: {
          "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
          "content-length": String(object.size),
          "content-disposition": `attachment; filename="${name.replace(/["\\]/g, "_")}"`,
          "x-content-type-options": "nosniff",
        },
      }) as never;
    },
  );

  return api;
}
