/**
 * The cockpit's configuration: the seed's TOML sections (`[oauth]`, `[api.ays]`, `[bot]`, `[mail]`)
 * accepted exactly as the original wrote them, plus the few keys an edge deployment needs.
 *
 * One schema serves both sides: the CLI validates the TOML file, and the Worker validates the same
 * structure rebuilt from its vars and secrets (see `bindings.ts`). Every object is strict, so a typo in a
 * key is reported instead of silently ignored.
 */
import { z } from "zod";

const PORT = "expected an integer 1-65535";
const URL = "expected an absolute http(s) URL";

const port = z.int({ error: PORT }).min(1, { error: PORT }).max(65535, { error: PORT });
const httpUrl = z.url({ protocol: /^https?$/, error: URL });
const host = z.string({ error: "expected a host name or IP address" }).min(1, { error: "must not be empty" });
const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).trim().min(1, { error: "must not be empty" });

const PEM_BLOCK = /^-----BEGIN PUBLIC KEY-----\s*([\s\S]*?)\s*-----END PUBLIC KEY-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/**
 * `jwt_key` is an SPKI public key. The original cockpit broke on the one-line form (JSC #254/#262:
 * blueprints carried the bare base64 body), so both are accepted and normalised to PEM. The armour is
 * checked here; the key material itself is imported with jose where it is used, which names the
 * algorithm it expected.
 */
const publicKeyPem = z.string({ error: "not a PEM public key" }).transform((value, ctx) => {
  const text = value.trim();
  const armoured = PEM_BLOCK.exec(text);
  if (armoured) return text;
  if (text.length >= 64 && BASE64.test(text) && text.startsWith("MH")) {
    const body = text.replace(/\s+/g, "").match(/.{1,64}/g)!.join("\n");
    return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----`;
  }
  ctx.addIssue({ code: "custom", message: "not a PEM public key" });
  return z.NEVER;
});

/** Telegram's own rule for the webhook secret token: 1-256 of A-Z, a-z, 0-9, `_` and `-`. */
const webhookSecret = z
  .string({ error: "expected a string" })
  .regex(/^[A-Za-z0-9_-]{1,256}$/, { error: "expected 1-256 characters of A-Z, a-z, 0-9, _ and -" });

const email = z.string().regex(/^(?:[^@\s]+@)?[^@\s]+\.[^@\s]+$|^@[^@\s]+\.[^@\s]+$/, {
  error: "expected an address (ops@example.com) or a domain (@example.com)",
});

/** How people and API clients prove who they are (src/auth/providers/). */
export const OAUTH_PROVIDERS = ["itsyouonline", "oidc", "local", "github", "cloudflare-access"] as const;

/** A GitHub organization's team slug (`[oauth] team`), as it appears in the team's URL. */
const teamSlug = z.string({ error: "expected a team slug" }).regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: "expected a team slug such as ops-team (letters, digits, . _ -)" });

/**
 * `[oauth] team_domain`: the Zero Trust team's host (`myteam.cloudflareaccess.com`, or
 * `https://myteam.cloudflareaccess.com`); Access tokens are issued by `https://{team_domain}`.
 * `http://` is taken only for a loopback address (tests, a local fake): `cockpit deploy` refuses it.
 */
const TEAM_HOST = /^(?:https:\/\/)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))+\/?$/;
const LOOPBACK_ORIGIN = /^http:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d{1,5}\/?$/;
const teamDomain = z
  .string({ error: "expected the Access team domain" })
  .trim()
  .refine((v) => TEAM_HOST.test(v) || LOOPBACK_ORIGIN.test(v), {
    error: "expected the Zero Trust team domain, such as myteam.cloudflareaccess.com (https only; http://127.0.0.1:PORT only for a local test)",
  });

const claimName = z.string({ error: "expected a claim name" }).trim().min(1, { error: "must not be empty" });

/**
 * `[oauth.local]`: the users of the OpenID provider `cockpit start` runs on 127.0.0.1 for
 * `provider = "local"` (src/cli/local-provider.ts). Sign-in there takes a user name, no password.
 */
export const localProviderSchema = z.strictObject({
  users: z
    .array(
      z.strictObject({
        name: z.string({ error: "expected a user name" }).regex(/^[A-Za-z0-9._@-]{1,64}$/, { error: "expected 1-64 of A-Z, a-z, 0-9, . _ @ -" }),
        groups: z.array(z.string({ error: "expected a group name" }), { error: "expected a list of group names" }).default([]),
        email: z.string({ error: "expected an e-mail address" }).optional(),
      }),
      { error: "expected a list of users ({ name = \"admin\", groups = [\"MyID\"] })" },
    )
    .min(1, { error: "needs at least one user" }),
  /** Where the local provider listens on 127.0.0.1 (its issuer is http://127.0.0.1:PORT). */
  port: port.default(5001),
});

export const oauthSchema = z
  .strictObject({
    /** `itsyouonline` (the original's dialect, the default), `oidc` (any OpenID provider) or `local`. */
    provider: z.enum(OAUTH_PROVIDERS, { error: `expected one of ${OAUTH_PROVIDERS.join(", ")}` }).default("itsyouonline"),
    /** Required except for `cloudflare-access`, where Access itself is the client. */
    client_id: z.string({ error: "expected the OAuth client id" }).trim().default(""),
    client_secret: z.string({ error: "expected a string" }).optional(),
    redirect_uri: httpUrl.optional(),
    organization: nonEmpty("the organization name"),
    jwt_key: publicKeyPem.optional(),
    itsyouonlinehost: httpUrl.default("https://itsyou.online"),
    /** ItsYou.online: the `iss` every token carries. `oidc`: the issuer URL, whose discovery document is read. */
    issuer: nonEmpty("the token issuer").default("itsyouonline"),
    jwks_url: httpUrl.optional(),
    authorize_url: httpUrl.optional(),
    token_url: httpUrl.optional(),
    /** `oidc`: scopes asked for besides `openid profile email`. */
    scopes: z.array(nonEmpty("a scope"), { error: "expected a list of scopes" }).default([]),
    /** `oidc`: the claim (a dotted path, or a namespaced URL) listing what the person belongs to. */
    member_claim: claimName.default("groups"),
    /** `oidc`: values of `member_claim` that make a member; the organization name when empty. */
    member_values: z.array(nonEmpty("a value"), { error: "expected a list of values" }).default([]),
    /** `oidc`: the claim that names the person (then `email`, then `sub`). */
    username_claim: claimName.default("preferred_username"),
    /** `oidc`: the `aud` of API bearer tokens; the client_id when absent. */
    audience: nonEmpty("the API audience").optional(),
    local: localProviderSchema.optional(),
    /** `github`: the REST API root (GitHub Enterprise: https://HOST/api/v3); https://api.github.com when absent. */
    api_root: httpUrl.optional(),
    /** `github`: where the authorize and token endpoints live; https://github.com when absent. */
    web_root: httpUrl.optional(),
    /** `github`: members are the active members of this team of the organization (its slug). */
    team: teamSlug.optional(),
    /** `cloudflare-access`: the Zero Trust team domain (myteam.cloudflareaccess.com). */
    team_domain: teamDomain.optional(),
    /** `cloudflare-access`: the Application Audience (AUD) tag of the Access application. */
    access_aud: nonEmpty("the Access application's AUD tag").optional(),
  })
  .superRefine((oauth, ctx) => {
    if (oauth.provider !== "cloudflare-access" && oauth.client_id === "") {
      ctx.addIssue({ code: "custom", path: ["client_id"], message: "required" });
    }
    if (oauth.provider === "github" && !oauth.client_secret) {
      ctx.addIssue({ code: "custom", path: ["client_secret"], message: "required for provider = \"github\": the OAuth app's client secret (a Worker secret, OAUTH_CLIENT_SECRET)" });
    }
    if (oauth.provider === "cloudflare-access") {
      if (!oauth.team_domain) ctx.addIssue({ code: "custom", path: ["team_domain"], message: "required for provider = \"cloudflare-access\": the Zero Trust team domain (myteam.cloudflareaccess.com)" });
      if (!oauth.access_aud) ctx.addIssue({ code: "custom", path: ["access_aud"], message: "required for provider = \"cloudflare-access\": the Access application's Application Audience (AUD) tag" });
    }
    if (oauth.provider === "itsyouonline" && !oauth.jwt_key && !oauth.jwks_url) {
      ctx.addIssue({ code: "custom", path: ["jwt_key"], message: "required unless jwks_url is set" });
    }
    if (oauth.provider === "oidc" && !/^https?:\/\/[^\s/]/.test(oauth.issuer)) {
      ctx.addIssue({ code: "custom", path: ["issuer"], message: "required for provider = \"oidc\": the issuer URL (its /.well-known/openid-configuration is read)" });
    }
    if (oauth.provider === "local" && !oauth.local) {
      ctx.addIssue({ code: "custom", path: ["local"], message: "required for provider = \"local\": [oauth.local] users = [{ name = \"admin\", groups = [\"MyID\"] }]" });
    }
  });

export const apiSchema = z.strictObject({
  ays: z
    .strictObject({
      active: z.boolean({ error: "expected true or false" }).default(true),
      host: host.default("127.0.0.1"),
      port: port.default(5000),
    })
    .default({ active: true, host: "127.0.0.1", port: 5000 }),
});

export const botSchema = z.strictObject({
  active: z.boolean({ error: "expected true or false" }).default(true),
  token: z.string({ error: "expected a Bot API token" }).regex(/^\d+:\S+$/, {
    error: "expected a Bot API token like 123456789:AA...",
  }),
  webhook_secret: webhookSecret.optional(),
  api_root: httpUrl.default("https://api.telegram.org"),
  /** The bot's user name (from @BotFather): with it the Worker never needs to ask getMe. */
  username: z
    .string({ error: "expected the bot's user name" })
    .regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, { error: "expected a Telegram bot user name such as cockpit_bot (5-32 letters, digits and _)" })
    .optional(),
});

export const mailSchema = z.strictObject({
  active: z.boolean({ error: "expected true or false" }).default(true),
  // Kept so the seed's file loads unchanged; on Workers mail arrives through Email Routing.
  host: host.optional(),
  port: port.optional(),
  allowed_senders: z.array(email, { error: "expected a list of addresses" }).default([]),
  max_bytes: z
    .int({ error: "expected an integer number of bytes" })
    .min(1024, { error: "must be at least 1024" })
    .max(25 * 1024 * 1024, { error: "must be at most 26214400 (Email Routing's limit)" })
    .default(25 * 1024 * 1024),
  retention_days: z.int({ error: "expected an integer number of days" }).min(1, { error: "must be at least 1" }).default(30),
});

const PRIVATE_KEY_PEM = /^-----BEGIN PRIVATE KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PRIVATE KEY-----\s*$/;

/** A PKCS#8 private key as PEM, or its one-line base64 body (easier to hand to `wrangler secret put`). */
const privateKeyPem = z.string({ error: "expected a PKCS#8 PEM private key" }).transform((value, ctx) => {
  const text = value.trim();
  const armoured = PRIVATE_KEY_PEM.exec(text);
  const body = armoured ? armoured[1]!.replace(/\s+/g, "") : BASE64.test(text) && text.startsWith("M") ? text.replace(/\s+/g, "") : undefined;
  if (!body) {
    ctx.addIssue({ code: "custom", message: "expected a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----) or its base64 body" });
    return z.NEVER;
  }
  return `-----BEGIN PRIVATE KEY-----\n${body.match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----`;
});

/**
 * The cockpit's own keys. `secret` keys what the cockpit hands out and later reads back (the OAuth
 * state, refresh tokens), so it must be long and random; `signing_key` signs the cockpit's access JWTs
 * (an Ed25519 or P-256 PKCS#8 key). Both are Worker secrets; `cockpit start` makes local ones when absent.
 */
export const authSchema = z.strictObject({
  secret: z.string({ error: "expected a string" }).min(32, { error: "must be at least 32 characters (use `openssl rand -base64 32`)" }),
  signing_key: privateKeyPem.optional(),
  /** How long a pending sign-in link (the OAuth state) stays valid. */
  state_minutes: z.int({ error: "expected an integer number of minutes" }).min(1, { error: "must be at least 1" }).max(60, { error: "must be at most 60" }).default(10),
  /**
   * How often membership is asked of the provider again while access lasts (a console refresh, a
   * linked chat's message): at most every this many minutes (src/auth/recheck.ts).
   */
  recheck_minutes: z.int({ error: "expected an integer number of minutes" }).min(1, { error: "must be at least 1" }).max(24 * 60, { error: "must be at most 1440 (a day)" }).default(60),
  /** How long a Telegram link lives after its `/start`: then the bot asks for `/start` again. */
  link_days: z.int({ error: "expected an integer number of days" }).min(1, { error: "must be at least 1" }).max(365, { error: "must be at most 365" }).default(30),
});

const secretsKey = z.string({ error: "expected a string" }).min(32, { error: "must be at least 32 characters (use `openssl rand -base64 32`)" });

/**
 * `[secrets]`: the key that seals the secrets actions read (src/secrets/crypto.ts), a Worker secret
 * that `cockpit start` makes locally when absent. `previous_keys` (a list, or one string of keys
 * separated by commas) still open values sealed before the key rotated.
 */
export const secretsSchema = z.strictObject({
  key: secretsKey,
  previous_keys: z
    .union([z.array(secretsKey), z.string({ error: "expected a list of keys" })])
    .transform((keys, ctx) => {
      const list = typeof keys === "string" ? keys.split(/[\s,]+/).filter((k) => k !== "") : keys;
      if (list.some((k) => k.length < 32)) {
        ctx.addIssue({ code: "custom", message: "every previous key must be at least 32 characters" });
        return z.NEVER;
      }
      return list.join(",");
    })
    .optional(),
});

/** `POST /webhooks/events` bodies: 1 MiB unless `[webhooks] max_bytes` says otherwise (at most 25 MiB). */
export const DEFAULT_EVENT_MAX_BYTES = 1024 * 1024;
/**
 * Requests a minute one source (CF-Connecting-IP) may send to `POST /webhooks/events`: the limit of
 * the Workers rate-limiting binding, which `cockpit start` and `cockpit deploy` write from
 * `[webhooks] events_per_minute` (src/cli/wrangler.ts); wrangler.toml carries this default.
 */
export const DEFAULT_EVENTS_PER_MINUTE = 600;

export const webhooksSchema = z.strictObject({
  github_secret: z.string({ error: "expected a string" }).min(16, { error: "must be at least 16 characters" }).optional(),
  /** When set, `POST /webhooks/events` needs `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`, as GitHub signs. */
  events_secret: z.string({ error: "expected a string" }).min(16, { error: "must be at least 16 characters" }).optional(),
  max_bytes: z
    .int({ error: "expected an integer number of bytes" })
    .min(1024, { error: "must be at least 1024" })
    .max(25 * 1024 * 1024, { error: "must be at most 26214400 (25 MiB)" })
    .default(DEFAULT_EVENT_MAX_BYTES),
  events_per_minute: z
    .int({ error: "expected an integer number of requests" })
    .min(1, { error: "must be at least 1" })
    .max(1_000_000, { error: "must be at most 1000000" })
    .default(DEFAULT_EVENTS_PER_MINUTE),
});

/** Longest job timeout and CPU budget the sandbox accepts (src/sandbox/limits.ts). */
const MAX_TIMEOUT_SECONDS = 6 * 60 * 60;
const MAX_CPU_MS = 5 * 60 * 1000;

/**
 * Limits of every job. `default_timeout` is the timeout of an action whose template has no
 * `timeouts:` entry for it (absent: the design's 3000 s; `cockpit start` sets a short local one);
 * `cpu_ms` is the CPU time one job may use, handed to the Worker Loader in production and applied
 * locally to code that holds the thread without waiting.
 */
export const jobsSchema = z.strictObject({
  default_timeout: z
    .int({ error: "expected an integer number of seconds" })
    .min(1, { error: "must be at least 1" })
    .max(MAX_TIMEOUT_SECONDS, { error: `must be at most ${MAX_TIMEOUT_SECONDS} (6 hours)` })
    .optional(),
  cpu_ms: z
    .int({ error: "expected an integer number of milliseconds" })
    .min(10, { error: "must be at least 10" })
    .max(MAX_CPU_MS, { error: `must be at most ${MAX_CPU_MS} (the platform's 5 minutes)` })
    .default(30_000),
  /**
   * Tests only: the wall time of one alarm handler, enforced by the ServiceActor as Cloudflare
   * enforces its 15 minutes (the object is reset), so tests show that a job outlives it.
   */
  handler_wall_ms: z
    .int({ error: "expected an integer number of milliseconds" })
    .min(100, { error: "must be at least 100" })
    .max(15 * 60 * 1000, { error: "must be at most 900000 (the platform's 15 minutes)" })
    .optional(),
});

const days = (min: number) =>
  z.int({ error: "expected an integer number of days" }).min(min, { error: `must be at least ${min}` }).max(36_500, { error: "must be at most 36500 (100 years)" });

/** `[retention]`: what the hourly sweep keeps (src/retention/). Everything older or beyond is deleted. */
export const RETENTION_DEFAULTS = { events_days: 90, runs_days: 90, jobs_per_service: 200, logins_days: 365, ended_sessions_days: 30 } as const;

export const retentionSchema = z.strictObject({
  /** The organization's event and audit log. */
  events_days: days(1).default(RETENTION_DEFAULTS.events_days),
  /** Ended runs of each repository (a running or queued run is never pruned). */
  runs_days: days(1).default(RETENTION_DEFAULTS.runs_days),
  /** Ended job rows each service keeps, newest first (pending, running and waiting ones are never pruned). */
  jobs_per_service: z
    .int({ error: "expected an integer number of jobs" })
    .min(1, { error: "must be at least 1" })
    .max(100_000, { error: "must be at most 100000" })
    .default(RETENTION_DEFAULTS.jobs_per_service),
  /** The login history. */
  logins_days: days(1).default(RETENTION_DEFAULTS.logins_days),
  /** Sessions that ended (signed out, revoked, expired). */
  ended_sessions_days: days(1).default(RETENTION_DEFAULTS.ended_sessions_days),
});

export type RetentionConfig = z.output<typeof retentionSchema>;

export const configSchema = z.strictObject({
  oauth: oauthSchema,
  webhooks: webhooksSchema.optional(),
  auth: authSchema.optional(),
  secrets: secretsSchema.optional(),
  api: apiSchema.default({ ays: { active: true, host: "127.0.0.1", port: 5000 } }),
  bot: botSchema.optional(),
  mail: mailSchema.optional(),
  jobs: jobsSchema.default({ cpu_ms: 30_000 }),
  retention: retentionSchema.default({ ...RETENTION_DEFAULTS }),
});

export type CockpitConfig = z.output<typeof configSchema>;
export type CockpitConfigInput = z.input<typeof configSchema>;

/** Tables of the TOML file, longest first, so a key path can be printed as `[api.ays].port`. */
export const CONFIG_TABLES = ["api.ays", "oauth.local", "oauth", "api", "bot", "mail", "webhooks", "auth", "secrets", "jobs", "retention"] as const;
