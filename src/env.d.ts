/**
 * The Worker's bindings. COCKPIT_CONFIG is the JSON of the validated TOML configuration without its
 * secrets; the secrets arrive as their own bindings (see src/config/bindings.ts).
 */
declare namespace Cloudflare {
  interface Env {
    COCKPIT_CONFIG?: string;
    OAUTH_CLIENT_SECRET?: string;
    BOT_TOKEN?: string;
    BOT_WEBHOOK_SECRET?: string;
    GITHUB_WEBHOOK_SECRET?: string;
    EVENTS_WEBHOOK_SECRET?: string;
    AUTH_SECRET?: string;
    AUTH_SIGNING_KEY?: string;
    /** `[secrets] key` and `previous_keys`: seal the secrets actions read (src/secrets/crypto.ts). */
    SECRETS_KEY?: string;
    SECRETS_PREVIOUS_KEYS?: string;
    /** Loads template action code into sandboxed isolates (src/sandbox). */
    LOADER: WorkerLoader;
    /** Job input and result files. */
    FILES: R2Bucket;
    ORGANIZATION: DurableObjectNamespace<import("./actors/organization.ts").OrganizationActor>;
    REPOSITORY: DurableObjectNamespace<import("./actors/repository/actor.ts").RepositoryActor>;
    SERVICE: DurableObjectNamespace<import("./actors/service/actor.ts").ServiceActor>;
    /** One per Telegram chat (src/telegram/chat-actor.ts). */
    CHAT: DurableObjectNamespace<import("./telegram/chat-actor.ts").ChatActor>;
    /** One Workflow instance per execution of a job's action (src/actors/service/workflow.ts). */
    JOB_EXECUTIONS: Workflow<import("./actors/service/workflow.ts").ExecutionParams>;
    /** The event bus (src/events/bus.ts). */
    EVENTS: Queue<unknown>;
    /** Requests per source to POST /webhooks/events ([[ratelimits]]; its limit is [webhooks] events_per_minute). */
    EVENTS_RATE_LIMIT: RateLimit;
  }

  interface GlobalProps {
    mainModule: typeof import("./index.ts");
  }
}

/** `env` from `cloudflare:workers` and the handlers' `env` argument are the same bindings. */
interface Env extends Cloudflare.Env {}
