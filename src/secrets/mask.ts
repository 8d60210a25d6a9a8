/**
 * Masking: every secret value a job received becomes `***` wherever the job's words come back
 * (log lines, result, error, data, questions, notifications). Done by the cockpit on what crosses
 * back from the sandbox, so the action's code cannot skip it. A value the action transforms first
 * (encodes, splits, reverses) is not recognised: masking catches leaks, it does not stop a hostile
 * action from sending a secret it was given.
 */

export const MASK = "***";

/**
 * The strings to look for, longest first (so a value containing another is masked whole): each
 * value, and its JSON-escaped form (a value with a quote or a line break, printed inside an object).
 */
export function maskList(values: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const value of values) {
    if (value === "") continue;
    all.add(value);
    all.add(JSON.stringify(value).slice(1, -1));
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each value replaced by `***`. */
export function maskText(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (out.includes(value)) out = out.split(value).join(MASK);
  return out;
}

/** A JSON-like value with every string (and object key) masked; other values as they were. */
export function maskDeep<T>(value: T, values: readonly string[]): T {
  if (values.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return maskText(v, values);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, item]) => [maskText(k, values), walk(item)]));
    }
    return v;
  };
  return walk(value) as T;
}
