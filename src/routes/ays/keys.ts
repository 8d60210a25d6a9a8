/**
 * `/ays/keys`: API keys for automation. `POST` answers the key once (`ck_…`); only its SHA-256 is
 * kept. Until roles exist (issue 16, item 2) `role` is recorded and only `admin` is accepted: a key
 * can do what any member can. A key cannot manage keys.
 */
import { z } from "@hono/zod-openapi";
import { newApiKey } from "../../auth/api-keys.ts";
import { ApiError } from "../../operations/errors.ts";
import { organization, repository } from "../../operations/repository.ts";
import { actorOf, auditRequest, scopeOf } from "../scope.ts";
import { RepoName } from "../schemas.ts";
import { aysRouter, body, errors, json, route } from "./common.ts";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";

/** Longest a key may live. */
const MAX_KEY_DAYS = 366;

const ApiKeyInfoSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    repo: z.string().nullable(),
    role: z.string(),
    created: z.number(),
    created_by: z.string(),
    expires: z.number(),
    revoked: z.number().nullable(),
    revoked_by: z.string().nullable(),
    last_used: z.number().nullable(),
  })
  .openapi("ApiKey");
const ApiKeyCreate = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "expected 1-64 of letters, digits, _, . and -" }).openapi({ example: "ci-deploy" }),
    repo: RepoName.optional().openapi({ description: "limit the key to this repository's routes" }),
    role: z.string().min(1).max(32).openapi({ description: "only admin until roles exist", example: "admin" }),
    expires: z.iso.datetime({ offset: true, error: "expected an ISO 8601 time, e.g. 2027-01-31T00:00:00Z" }),
  })
  .openapi("ApiKeyCreate");


function notAKey(c: Context<AppEnv>): void {
  const key = c.get("caller").apiKey;
  if (key) throw new ApiError(403, "forbidden", `API key ${key.name} cannot manage API keys: use a member's token`);
}

export function keyRoutes() {
  const api = aysRouter();

  api.openapi(
    route({
      method: "post",
      path: "/keys",
      description: "Makes an API key (`Authorization: bearer ck_…`), answered once in `key`; only its hash is stored.",
      request: body(ApiKeyCreate),
      responses: { 201: json(ApiKeyInfoSchema.extend({ key: z.string() }), "made: the key, shown this once"), ...errors },
    }),
    async (c) => {
      notAKey(c);
      const input = c.req.valid("json");
      if (input.role !== "admin") throw new ApiError(400, "invalid_role", `role ${JSON.stringify(input.role)}: until roles exist, only admin is accepted`);
      const expires = Date.parse(input.expires);
      const now = Date.now();
      if (expires <= now) throw new ApiError(400, "invalid_expires", "expires must be in the future");
      if (expires > now + MAX_KEY_DAYS * 86_400_000) throw new ApiError(400, "invalid_expires", `expires must be within ${MAX_KEY_DAYS} days`);
      if (input.repo !== undefined) await repository(scopeOf(c), input.repo);
      const made = await newApiKey();
      const reply = await organization(scopeOf(c)).apiKeys({
        op: "create", id: made.id, hash: made.hash, name: input.name, repo: input.repo ?? null, role: input.role, expires, by: actorOf(c).by,
      });
      if (reply.op !== "create") throw new Error("api keys: unexpected reply");
      auditRequest(c, "apikey.created", input.repo ?? null, `API key ${input.name} (${made.id}) made, role ${input.role}, expires ${new Date(expires).toISOString()}`, { id: made.id });
      return c.json({ ...reply.info, key: made.key }, 201);
    },
  );

  api.openapi(
    route({ method: "get", path: "/keys", description: "The API keys: names, scope, expiry, last use; never the keys.", responses: { 200: json(z.array(ApiKeyInfoSchema), "the keys"), ...errors } }),
    async (c) => {
      notAKey(c);
      const reply = await organization(scopeOf(c)).apiKeys({ op: "list" });
      return c.json(reply.op === "list" ? reply.keys : [], 200);
    },
  );

  api.openapi(
    route({
      method: "delete",
      path: "/keys/{id}",
      description: "Revokes a key: from now on it is refused (401).",
      request: { params: z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, { error: "expected a key's id (16 hex digits)" }) }) },
      responses: { 204: { description: "revoked" }, ...errors },
    }),
    async (c) => {
      notAKey(c);
      const { id } = c.req.valid("param");
      const reply = await organization(scopeOf(c)).apiKeys({ op: "revoke", id, by: actorOf(c).by });
      if (reply.op !== "revoke" || !reply.info) throw new ApiError(404, "not_found", `no API key ${id} that is not revoked`);
      auditRequest(c, "apikey.revoked", reply.info.repo, `API key ${reply.info.name} (${id}) revoked`, { id });
      return c.body(null, 204);
    },
  );

  return api;
}
