/**
 * A short-lived, bounded cache, one per use and per isolate: what a provider said about a bearer
 * token (keyed by the token's SHA-256; the token itself is never kept), or what the
 * OrganizationActor said about a session, so that a busy API does not ask it on every request.
 */

export async function tokenHash(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class TokenCache<T> {
  private readonly entries = new Map<string, { until: number; value: T }>();

  private readonly max: number;

  constructor(max = 500) {
    this.max = max;
  }

  /** The value kept for this token's hash, while it is fresh. */
  get(hash: string, now = Date.now()): T | undefined {
    const hit = this.entries.get(hash);
    if (!hit) return undefined;
    if (hit.until > now) return hit.value;
    this.entries.delete(hash);
    return undefined;
  }

  delete(hash: string): void {
    this.entries.delete(hash);
  }

  set(hash: string, value: T, until: number): void {
    this.entries.delete(hash);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { until, value });
  }
}
