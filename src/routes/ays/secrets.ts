/**
 * `/ays/repository/{repo}/secret` and `/ays/secret`: the write-only secret store. A value goes in
 * (sealed with `[secrets] key` before any actor stores it) and never comes out: the listing has
 * names, who set them and when. Actions read them with `job.secrets.get(name)` when their template
 * lists the name in config.yaml `secrets:`; a repository's secret shadows the organization's.
 */
import { z } from "@hono/zod-openapi";
import { deleteSecret, listSecrets, putSecret } from "../../operations/secrets.ts";
import { MAX_SECRET_BYTES, SECRET_NAME } from "../../secrets/names.ts";
import { actorOf, auditRequest, scopeOf } from "../scope.ts";
import { ErrorSchema } from "../schemas.ts";
import { aysRouter, body, errors, json, RepoParam, route } from "./common.ts";

const SecretName = z
  .string()
  .regex(SECRET_NAME, { error: "expected a secret's name: 1-64 of A-Z, a-z, 0-9 and _, not starting with a digit" })
  .openapi({ example: "CLOUD_TOKEN" });
const SecretInfoSchema = z
  .object({
    name: z.string(),
    set_by: z.string(),
    set_at: z.number().openapi({ description: "epoch ms" }),
    key_id: z.string().openapi({ description: "the id of the [secrets] key that sealed it" }),
  })
  .openapi("SecretInfo");
const SecretPut = z
  .strictObject({ value: z.string().min(1, { error: "value must not be empty" }).openapi({ description: `the value, at most ${MAX_SECRET_BYTES} bytes of UTF-8; never shown again` }) })
  .openapi("SecretPut");

const storeErrors = {
  ...errors,
  413: json(ErrorSchema, `too_large: a value over ${MAX_SECRET_BYTES} bytes`),
  503: json(ErrorSchema, "secrets_not_configured: the cockpit has no [secrets] key"),
};

/** The same three routes for a repository (`/repository/{repo}/secret`) and for the organization (`/secret`). */
export function secretRoutes() {
  const api = aysRouter();
  const scopes = [
    { base: "/repository/{repo}/secret", params: RepoParam, what: "a repository's", repoOf: (p: { repo?: string }) => p.repo ?? null },
    { base: "/secret", params: z.object({}), what: "the organization's", repoOf: () => null },
  ] as const;
  for (const { base, params, what, repoOf } of scopes) {
    api.openapi(
      route({
        method: "get",
        path: base,
        description: `Lists ${what} secrets: names, who set each and when, never values.`,
        request: { params },
        responses: { 200: json(z.array(SecretInfoSchema), "the secrets"), ...errors },
      }),
      async (c) => c.json(await listSecrets(scopeOf(c), repoOf(c.req.valid("param") as { repo?: string })), 200),
    );

    api.openapi(
      route({
        method: "put",
        path: `${base}/{name}`,
        description: `Sets ${what} secret (201 new, 200 replaced). The value is stored sealed (AES-GCM) and never answered.`,
        request: { params: params.extend({ name: SecretName }), ...body(SecretPut) },
        responses: { 200: json(SecretInfoSchema, "replaced"), 201: json(SecretInfoSchema, "created"), 409: json(ErrorSchema, "too_many secrets"), ...storeErrors },
      }),
      async (c) => {
        const p = c.req.valid("param") as { repo?: string; name: string };
        const repo = repoOf(p);
        const { created, info } = await putSecret(scopeOf(c), c.get("config"), repo, p.name, c.req.valid("json").value, actorOf(c).by);
        auditRequest(c, "secret.set", repo, `secret ${p.name} ${created ? "created" : "replaced"}${repo === null ? " (organization)" : ""}`, { secret: p.name, key_id: info.key_id });
        return c.json(info, created ? 201 : 200);
      },
    );

    api.openapi(
      route({
        method: "delete",
        path: `${base}/{name}`,
        description: `Deletes ${what} secret.`,
        request: { params: params.extend({ name: SecretName }) },
        responses: { 204: { description: "deleted" }, ...errors },
      }),
      async (c) => {
        const p = c.req.valid("param") as { repo?: string; name: string };
        const repo = repoOf(p);
        await deleteSecret(scopeOf(c), repo, p.name);
        auditRequest(c, "secret.deleted", repo, `secret ${p.name} deleted${repo === null ? " (organization)" : ""}`, { secret: p.name });
        return c.body(null, 204);
      },
    );
  }
  return api;
}
