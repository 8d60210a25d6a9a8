/**
 * Egress rules: which hosts an action may fetch through job.fetch(). An entry is an exact host name
 * ("api.example.com") or a wildcard for subdomains ("*.example.com", which does not match
 * "example.com" itself). Ports are not restricted; schemes are limited to http and https.
 */

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Normalises a host: lower case, without a trailing dot. */
export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

/** Returns why `entry` is not a valid egress entry, or null. */
export function egressEntryProblem(entry: string): string | null {
  if (typeof entry !== "string" || entry.length === 0) return "an egress entry must be a non-empty string";
  const host = normalizeHost(entry.startsWith("*.") ? entry.slice(2) : entry);
  // IPv6 literals are written as URL.hostname gives them: "[::1]".
  if (/^\[[0-9a-f:.]+\]$/.test(host)) return entry.startsWith("*.") ? `egress entry "${entry}": a wildcard needs a host name` : null;
  if (host.split(".").every((label) => HOST_LABEL.test(label))) return null;
  return `egress entry "${entry}" is not a host name (use "api.example.com" or "*.example.com", without scheme, port or path)`;
}

export function isHostAllowed(host: string, egress: readonly string[]): boolean {
  const h = normalizeHost(host);
  return egress.some((raw) => {
    const entry = normalizeHost(raw);
    if (entry.startsWith("*.")) return h.endsWith(entry.slice(1)) && h.length > entry.length - 1;
    return h === entry;
  });
}

export function egressDenied(host: string, egress: readonly string[]): string {
  const allowed = egress.length > 0 ? egress.join(", ") : "none";
  return `egress to ${host} is not allowed (allowed: ${allowed})`;
}

/**
 * Checks a URL against the rules and returns it parsed, or throws the error the action sees.
 */
export function checkEgress(url: string, egress: readonly string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`job.fetch: invalid URL ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new TypeError(`job.fetch: only http and https URLs can be fetched, not ${parsed.protocol}`);
  }
  if (!isHostAllowed(parsed.hostname, egress)) throw new Error(egressDenied(parsed.hostname, egress));
  return parsed;
}
