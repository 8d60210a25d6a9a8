/**
 * Validation of a template's `config.yaml` (AYS 8.2 keys plus Cockpit's `dependencies`, `retry`,
 * `egress`). Unknown keys are errors: a misspelt `recuring:` would otherwise silently do nothing.
 */
import { z } from "zod";
import { parseDuration } from "./duration.ts";
import { AysError } from "./errors.ts";
import { checkDependencyMap } from "./jsactions.ts";
import { parseMatch, type MatchConditions } from "./match.ts";
import { isValidActionName, isValidActorName } from "./names.ts";
import { formatPath, parseYaml, positionOf } from "./yamlutil.ts";

/** `run` and `job` carry the cockpit's own state changes; `all` does not include them (see filters.ts). */
export const EVENT_CHANNELS = ["all", "telegram", "email", "webservice", "blueprint", "webhook", "generic", "alarm", "run", "job"] as const;
export type EventChannel = (typeof EVENT_CHANNELS)[number];

export interface LinkDef {
  role: string;
  argname: string;
  min: number;
  max: number;
  auto: boolean;
  optional: boolean;
}

export interface TemplateEvent {
  channel: string;
  command?: string;
  actions: string[];
  secrets?: string[];
  match?: MatchConditions;
}

/** One action's settings from config.yaml `actions: {name: {...}}`. */
export interface ActionSettings {
  /** Retry delays in seconds (from max_repeats_if_failed / time_between_repeats); they win over `retry`. */
  delays?: number[];
  /** Only failures with one of these codes are retried (`timeout`, or an error's `code`). */
  errorCodes?: string[];
  /** At most this many jobs of the action run at once in the organization. */
  maxParallel?: number;
  /** The job's result files are deleted this many hours after they are written. */
  storageHours?: number;
}

export interface TemplateConfig {
  parent: LinkDef | null;
  consume: LinkDef[];
  recurring: { action: string; period: number; log: boolean }[];
  timeouts: Record<string, number>;
  events: TemplateEvent[];
  dependencies?: Record<string, string[]>;
  retry?: { delays: number[] };
  /** Per-action settings (config.yaml `actions:`), as the kontor seed's procedures had them. */
  actionSettings?: Record<string, ActionSettings>;
  egress: string[];
  /** config.yaml `secrets:`: the secrets (repository's, else the organization's) the actions may read. */
  secrets?: string[];
}

/** Both spellings of the original: `auto: true` and `auto: 'True'`. */
const boolLike = z.unknown().transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false|yes|no)$/i.test(v.trim())) return /^(true|yes)$/i.test(v.trim());
  ctx.addIssue({ code: "custom", message: "expected true or false" });
  return z.NEVER;
});

/** min/max were written as numbers or strings ('1') and `int()`-ed by AYS. */
const countLike = z.unknown().transform((v, ctx) => {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^\s*\d+\s*$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  ctx.addIssue({ code: "custom", message: "expected a whole number >= 0" });
  return z.NEVER;
});

const durationLike = z.unknown().transform((v, ctx) => {
  try {
    return parseDuration(v as string | number);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : "invalid duration" });
    return z.NEVER;
  }
});

const roleName = z.string().refine((s) => isValidActorName(s), "expected a role name (letters, digits, _ - .)");
const actionName = z.string().refine((s) => isValidActionName(s), "expected an action name");
/** A list of action names; a comma-separated string is accepted as in blueprints. */
const actionList = z.union([z.array(actionName), z.string().transform((s) => s.split(",").map((a) => a.trim()).filter((a) => a !== ""))]).pipe(z.array(actionName).min(1, "expected at least one action"));

const parentSchema = z.strictObject({
  role: roleName,
  argname: z.string().min(1).optional(),
  auto: boolLike.optional(),
  optional: boolLike.optional(),
});

const consumeSchema = z.strictObject({
  role: roleName,
  argname: z.string().min(1).optional(),
  min: countLike.optional(),
  max: countLike.optional(),
  auto: boolLike.optional(),
});

const linksSchema = z.strictObject({
  parent: parentSchema.nullish(),
  consume: z.array(consumeSchema).nullish(),
});

const hostPattern = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:\d{1,5})?$/;

const configSchema = z.strictObject({
  doc: z.unknown().optional(), // documentation only
  links: z
    .unknown()
    .transform((v, ctx) => {
      // AYS accepted `links:` as a mapping or as a one-element list (`links[0].parent`).
      if (Array.isArray(v)) {
        if (v.length !== 1) {
          ctx.addIssue({ code: "custom", message: "as a list, links must have exactly one element" });
          return z.NEVER;
        }
        return v[0] as unknown;
      }
      return v;
    })
    .pipe(linksSchema.nullish())
    .optional(),
  recurring: z
    .array(z.strictObject({ action: actionName, period: durationLike, log: boolLike.optional() }))
    .nullish(),
  timeouts: z
    .union([z.array(z.record(z.string(), z.unknown())), z.record(z.string(), z.unknown())])
    .nullish(),
  events: z
    .array(
      z.strictObject({
        channel: z.enum(EVENT_CHANNELS, { error: `expected one of ${EVENT_CHANNELS.join(", ")}` }).optional(),
        command: z.string().optional(),
        actions: actionList,
        secrets: z.union([z.array(z.string()), z.string().transform((s) => [s])]).optional(),
        match: z.unknown().optional(),
      }),
    )
    .nullish(),
  dependencies: z.record(z.string(), z.unknown()).nullish(),
  retry: z
    .strictObject({ delays: z.array(durationLike).max(20, "at most 20 retry delays") })
    .nullish(),
  egress: z.array(z.string().regex(hostPattern, "expected a host name like api.example.com or *.example.com")).nullish(),
  secrets: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "expected a secret's name: 1-64 of A-Z, a-z, 0-9 and _, not starting with a digit"), {
      error: "expected a list of secret names, e.g. [CLOUD_TOKEN]",
    })
    .max(50, "at most 50 secrets")
    .nullish(),
  // Per-action settings, as the kontor seed's procedures had them.
  actions: z
    .record(
      actionName,
      z.strictObject({
        error_codes: z
          .array(z.union([z.string().min(1), z.int()]), { error: "expected a list of error codes (e.g. [timeout, ECONNRESET, 503])" })
          .min(1, "list at least one error code, or leave error_codes out to retry every failure")
          .optional(),
        max_repeats_if_failed: z.int().min(0).max(20, "at most 20").optional(),
        time_between_repeats: durationLike.optional(),
        max_parallel: z.int("expected a whole number").min(1, "at least 1").max(1000, "at most 1000").optional(),
        max_storage_hours: z.number("expected a number of hours").positive("must be more than 0").max(24 * 365 * 10, "at most ten years").optional(),
      }),
    )
    .nullish(),
});

/** AYS RunScheduler's retry table, in seconds: what a run waits before retry N. */
export const DEFAULT_RETRY_DELAYS: readonly number[] = [10, 30, 60, 300, 600, 1800];

export function parseTemplateConfig(text: string | undefined, file: string): TemplateConfig {
  const empty: TemplateConfig = { parent: null, consume: [], recurring: [], timeouts: {}, events: [], egress: [] };
  if (text === undefined) return empty;
  const parsed = parseYaml(text, file);
  if (parsed.value === null || parsed.value === undefined) return empty;
  if (typeof parsed.value !== "object" || Array.isArray(parsed.value)) {
    throw new AysError({ file, reason: "config.yaml must be a mapping" });
  }
  const fail = (path: readonly PropertyKey[], reason: string): never => {
    const pos = positionOf(parsed, path.filter((p): p is string | number => typeof p !== "symbol"));
    throw new AysError({ file, key: formatPath(path), reason, ...(pos ?? {}) });
  };

  const result = configSchema.safeParse(parsed.value);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (!issue) return fail([], "invalid config");
    if (issue.code === "unrecognized_keys") return fail([...issue.path, issue.keys[0] ?? ""], "unknown key");
    return fail(issue.path, issue.message);
  }
  const cfg = result.data;
  /** A template event's `match:` (match.ts), or a failure naming the bad condition. */
  const matchOf = (value: unknown, i: number): MatchConditions => {
    const match = parseMatch(value);
    if (!match.ok) return fail(["events", i, "match", ...(match.key === "match" ? [] : [match.key.slice("match.".length)])], match.reason);
    return match.match;
  };

  const link = (l: { role: string; argname?: string | undefined }) => ({ role: l.role, argname: l.argname ?? l.role });
  const parentCfg = cfg.links?.parent;
  const parent: LinkDef | null = parentCfg
    ? { ...link(parentCfg), auto: parentCfg.auto ?? false, optional: parentCfg.optional ?? false, min: parentCfg.optional ? 0 : 1, max: 1 }
    : null;
  const consume: LinkDef[] = (cfg.links?.consume ?? []).map((c, i) => {
    // Defaults when absent (AYS required both): min 0, max 1 -> "at most one producer, none needed".
    const min = c.min ?? 0;
    const max = c.max ?? 1;
    if (max < 1) fail(["links", "consume", i, "max"], "max must be at least 1");
    if (min > max) fail(["links", "consume", i, "min"], `min (${min}) is larger than max (${max})`);
    return { ...link(c), min, max, auto: c.auto ?? false, optional: min === 0 };
  });
  const argnames = new Map<string, number>();
  consume.forEach((c, i) => {
    if (argnames.has(c.argname)) fail(["links", "consume", i, "argname"], `argname ${c.argname} is used by two consume links`);
    argnames.set(c.argname, i);
  });

  const timeouts: Record<string, number> = {};
  const timeoutEntries: [string, unknown, (string | number)[]][] = [];
  if (Array.isArray(cfg.timeouts)) {
    cfg.timeouts.forEach((entry, i) => {
      const keys = Object.keys(entry);
      if (keys.length !== 1) fail(["timeouts", i], "each entry must be one `action: duration` pair");
      const action = keys[0] as string;
      timeoutEntries.push([action, entry[action], ["timeouts", i, action]]);
    });
  } else if (cfg.timeouts) {
    for (const [action, value] of Object.entries(cfg.timeouts)) timeoutEntries.push([action, value, ["timeouts", action]]);
  }
  for (const [action, value, path] of timeoutEntries) {
    if (!isValidActionName(action)) fail(path, "expected an action name");
    try {
      timeouts[action] = parseDuration(value as string | number);
    } catch (err) {
      fail(path, err instanceof Error ? err.message : "invalid duration");
    }
  }

  const out: TemplateConfig = {
    parent,
    consume,
    recurring: (cfg.recurring ?? []).map((r) => ({ action: r.action, period: r.period, log: r.log ?? true })),
    timeouts,
    events: (cfg.events ?? []).map((e, i) => ({
      channel: e.channel ?? "all",
      ...(e.command !== undefined ? { command: e.command } : {}),
      actions: e.actions,
      ...(e.secrets !== undefined ? { secrets: e.secrets } : {}),
      ...(e.match !== undefined ? { match: matchOf(e.match, i) } : {}),
    })),
    egress: [...new Set(cfg.egress ?? [])],
  };
  if (cfg.secrets?.length) out.secrets = [...new Set(cfg.secrets)];
  if (cfg.dependencies) {
    out.dependencies = checkDependencyMap(cfg.dependencies, (reason) => {
      const action = /^([^:]+):/.exec(reason)?.[1];
      return fail(action ? ["dependencies", action] : ["dependencies"], reason.replace(/^[^:]+: /, ""));
    });
  }
  if (cfg.retry) out.retry = { delays: cfg.retry.delays };
  if (cfg.actions) {
    out.actionSettings = {};
    for (const [action, settings] of Object.entries(cfg.actions)) {
      const entry: ActionSettings = {};
      if (settings.max_repeats_if_failed !== undefined || settings.time_between_repeats !== undefined) {
        const base = out.retry?.delays ?? DEFAULT_RETRY_DELAYS;
        const count = settings.max_repeats_if_failed ?? base.length;
        entry.delays =
          settings.time_between_repeats !== undefined
            ? Array.from({ length: count }, () => settings.time_between_repeats as number)
            : Array.from({ length: count }, (_, i) => base[Math.min(i, base.length - 1)] ?? 10);
      }
      if (settings.error_codes) entry.errorCodes = settings.error_codes.map(String);
      if (settings.max_parallel !== undefined) entry.maxParallel = settings.max_parallel;
      if (settings.max_storage_hours !== undefined) entry.storageHours = settings.max_storage_hours;
      out.actionSettings[action] = entry;
    }
  }
  return out;
}
