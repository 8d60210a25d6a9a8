/**
 * AYS duration values (`recurring` periods, `timeouts`, retry delays): `^(\d+)([wdhms]?)$`, where a
 * bare number means seconds (JC8@8.2.0 CustomTypes.py `Duration`). Returns whole seconds.
 */
const UNIT_SECONDS: Readonly<Record<string, number>> = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function parseDuration(text: string | number): number {
  if (typeof text === "number") {
    if (!Number.isSafeInteger(text) || text < 0) {
      throw new RangeError(`invalid duration ${String(text)}: expected a whole number of seconds >= 0`);
    }
    return text;
  }
  if (typeof text !== "string") {
    throw new TypeError(`invalid duration: expected a string like "30s", "5m", "1h", "1d", "1w" or a number`);
  }
  const match = /^(\d+)([wdhms]?)$/.exec(text.trim());
  if (!match) {
    throw new RangeError(`invalid duration "${text}": expected <number>[w|d|h|m|s], e.g. "30s", "5m", "12h", "1d"`);
  }
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] ?? ""] ?? 1);
  if (!Number.isSafeInteger(seconds)) throw new RangeError(`invalid duration "${text}": too large`);
  return seconds;
}
