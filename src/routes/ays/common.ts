/**
 * What every `/ays` resource file (src/routes/ays/*.ts) describes its routes with: the zod-openapi
 * router, the answer and body descriptions, the member guard and the path parameters.
 */
import { OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import { requireMember } from "../../auth/middleware.ts";
import type { AppEnv } from "../env.ts";
import { validationHook } from "../errors.ts";
import { BlueprintName, ErrorSchema, RepoName } from "../schemas.ts";

/** A router of `/ays` routes: a failed request check is a 400 naming where. */
export function aysRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: validationHook,
  });
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
export const errors = {
  400: json(ErrorSchema, "invalid request"),
  401: json(ErrorSchema, "missing or invalid token"),
  403: json(ErrorSchema, "forbidden: an API key limited to another repository (or one managing API keys)"),
  404: json(ErrorSchema, "not found"),
};
export const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });

/** A route only members of the organization may call, with a bearer token. */
export function route<R extends RouteConfig>(config: R): R {
  return { ...config, security: [{ Bearer: [] }], middleware: [requireMember] as const } as R;
}

export const RepoParam = z.object({ repo: RepoName });
export const BlueprintParam = RepoParam.extend({ bp: BlueprintName });
export const ServiceParam = RepoParam.extend({ role: z.string().min(1).max(100), name: z.string().min(1).max(200) });
export const RunParam = RepoParam.extend({ key: z.string().min(1).max(100) });
