/**
 * `match:` of an event filter (blueprint `eventfilters:`, template `events:`): conditions on the
 * event's payload, all of which must hold. Each key is a path into the payload, dot-separated
 * (`ref`, `repository.full_name`, `commits.0.author.name`); each value is what is found there:
 * a string, number or boolean equal to it, or a string written `/regex/flags` that the value (a
 * string) must match: `subject: /^deploy/`. A path leading nowhere fails its condition.
 *
 * What the path reads: a webhook's delivery body (GitHub's JSON), a Generic event's `args`, and
 * the payload of the others (an email's `subject`, `sender`, ...).
 */
export type MatchValue = string | number | boolean;
export type MatchConditions = Record<string, MatchValue>;

export const MAX_MATCH_CONDITIONS = 20;
const MAX_PATH = 200;
const MAX_PATTERN = 500;
const SEGMENT = /^[A-Za-z0-9_$@-]+$/;
const REGEX = /^\/(.+)\/([dgimsuy]*)$/s;

/** Checks a `match:` mapping; the reason names the bad condition (`match.ref: ...`). */
export function parseMatch(value: unknown): { ok: true; match: MatchConditions } | { ok: false; key: string; reason: string } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { ok: false, key: "match", reason: "expected a mapping of payload paths to values, like ref: refs/heads/main" };
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return { ok: false, key: "match", reason: "expected at least one condition" };
  if (entries.length > MAX_MATCH_CONDITIONS) return { ok: false, key: "match", reason: `at most ${MAX_MATCH_CONDITIONS} conditions (got ${entries.length})` };
  const match: MatchConditions = {};
  for (const [path, want] of entries) {
    const key = `match.${path}`;
    if (path.length > MAX_PATH) return { ok: false, key, reason: `a path of at most ${MAX_PATH} characters` };
    const bad = path.split(".").find((s) => !SEGMENT.test(s));
    if (bad !== undefined) return { ok: false, key, reason: `invalid path segment ${JSON.stringify(bad)} (letters, digits, _ $ @ -, separated by dots)` };
    if (typeof want === "number" || typeof want === "boolean") match[path] = want;
    else if (typeof want === "string") {
      const re = REGEX.exec(want);
      if (re) {
        if (want.length > MAX_PATTERN) return { ok: false, key, reason: `a regular expression of at most ${MAX_PATTERN} characters` };
        try {
          new RegExp(re[1]!, re[2]);
        } catch (err) {
          return { ok: false, key, reason: `invalid regular expression ${want}: ${err instanceof Error ? err.message : String(err)}` };
        }
      }
      match[path] = want;
    } else return { ok: false, key, reason: `expected a string, number, boolean or /regex/, got ${want === null ? "null" : Array.isArray(want) ? "a list" : typeof want}` };
  }
  return { ok: true, match };
}

/** The value at a dot path, undefined when it leads nowhere. */
function at(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const segment of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, segment)) return undefined;
    cur = (cur as Record<string, unknown>)[segment];
  }
  return cur;
}

/** Whether every condition holds on the document. */
export function matchesConditions(match: MatchConditions, doc: unknown): boolean {
  for (const [path, want] of Object.entries(match)) {
    const found = at(doc, path);
    const re = typeof want === "string" ? REGEX.exec(want) : null;
    if (re) {
      if (typeof found !== "string" || !new RegExp(re[1]!, re[2]).test(found)) return false;
    } else if (found !== want) return false;
  }
  return true;
}
