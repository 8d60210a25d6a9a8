/**
 * The Worker's bindings. COCKPIT_CONFIG is the JSON of the validated TOML configuration without its
 * secrets; the secrets arrive as their own bindings (see src/config/bindings.ts).
 */
interface Env {
  COCKPIT_CONFIG?: string;
  OAUTH_CLIENT_SECRET?: string;
  BOT_TOKEN?: string;
  BOT_WEBHOOK_SECRET?: string;
}

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./index.ts");
  }
}
