import { Hono } from "hono";
import { ConfigError, configFromBindings, type CockpitConfig } from "../config/index.ts";
import { ApiError, errorResponse } from "./errors.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: { config: CockpitConfig };
}

/**
 * The configuration is validated once per isolate and per binding values: vars and secrets do not
 * change while an isolate lives, but tests (and redeploys) may hand in different ones.
 */
let cached: { key: string; result: CockpitConfig | ConfigError } | undefined;

export function configFor(env: Env): CockpitConfig {
  const e = env as unknown as Record<string, string | undefined>;
  const key = [e.COCKPIT_CONFIG, e.OAUTH_CLIENT_SECRET, e.BOT_TOKEN, e.BOT_WEBHOOK_SECRET].join("\u0000");
  if (cached?.key !== key) {
    let result: CockpitConfig | ConfigError;
    try {
      result = configFromBindings(e);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      result = err;
    }
    cached = { key, result };
  }
  if (cached.result instanceof ConfigError) throw cached.result;
  return cached.result;
}

/** Builds the Worker's HTTP application. */
export function createApp() {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    c.set("config", configFor(c.env));
    await next();
  });

  app.get("/", (c) => {
    const config = c.get("config");
    return c.json({
      name: "cockpit",
      organization: config.oauth.organization,
      api: config.api.ays.active ? "/ays" : null,
      bot: Boolean(config.bot?.active),
      mail: Boolean(config.mail?.active),
    });
  });

  app.get("/health", (c) => c.json({ ok: true }));

  app.notFound((c) => errorResponse(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message);
    if (err instanceof ConfigError) {
      // Names the key that is wrong; secret values never appear in ConfigError messages.
      return errorResponse(c, 503, "config_invalid", err.message);
    }
    console.error("unhandled error", err instanceof Error ? err.stack : String(err));
    return errorResponse(c, 500, "internal", "internal error");
  });

  return app;
}
