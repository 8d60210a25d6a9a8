/**
 * Event ids an organization has taken in, kept by its OrganizationActor so that the same event (a
 * GitHub delivery resent, a client retrying with its event id) is logged and sent once however many
 * copies arrive at the same time. The check and the claim are one synchronous SQL step inside the
 * actor, so no other request can slip in between; the claim is stored, so it survives an eviction.
 *
 * A claim is first a lease: the publisher holds it while it sends the event on the queue, then
 * confirms it. A publisher that fails releases its lease, and one that vanished (its request
 * evicted mid-way) lets it lapse; either way the next copy takes the event over, so a failure after
 * the claim never leaves an id claimed whose event went nowhere.
 */

/** How long a publisher may take from claim to queue before another copy may take the event over. */
export const CLAIM_LEASE_MS = 60_000;
/** Redeliveries come within minutes or days; a week of ids is kept, pruned at most hourly. */
const KEEP_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/** A claim taken: `logged` is false when an earlier copy logged the event but never sent it. */
export interface Claimed {
  id: string;
  /** The lease's end, which also tells this holder's claim from a later one's. */
  lease: number;
  logged: boolean;
}

/**
 * The claims table, as the OrganizationActor's first migration creates it. lease: until when the
 * publisher holds the claim (ms since the epoch); NULL once the event is sent.
 */
export const EVENT_CLAIMS_SCHEMA = "CREATE TABLE IF NOT EXISTS event_claims(id TEXT PRIMARY KEY, time INTEGER NOT NULL, lease INTEGER)";

export class EventClaims {
  readonly #sql: SqlStorage;
  #lastPrune = 0;

  /** The table must exist: EVENT_CLAIMS_SCHEMA is among the OrganizationActor's migrations. */
  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Claims `id` for a publisher; null when it is taken (sent, or being sent by another copy). */
  claim(id: string, now = Date.now()): Claimed | null {
    if (now - this.#lastPrune > PRUNE_EVERY_MS) {
      this.#lastPrune = now;
      this.#sql.exec("DELETE FROM event_claims WHERE time < ?", now - KEEP_MS);
    }
    const lease = now + CLAIM_LEASE_MS;
    if (this.#sql.exec("INSERT INTO event_claims(id, time, lease) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING", id, now, lease).rowsWritten > 0) {
      return { id, lease, logged: false };
    }
    const retaken = this.#sql.exec("UPDATE event_claims SET lease = ? WHERE id = ? AND lease IS NOT NULL AND lease <= ?", lease, id, now).rowsWritten;
    return retaken > 0 ? { id, lease, logged: true } : null;
  }

  /** Marks sent events as sent for good, and frees the claims still held for events that could not be sent. */
  settle(sent: readonly string[], unsent: readonly Claimed[]): void {
    for (const id of sent) this.#sql.exec("UPDATE event_claims SET lease = NULL WHERE id = ?", id);
    for (const { id, lease } of unsent) this.#sql.exec("UPDATE event_claims SET lease = 0 WHERE id = ? AND lease = ?", id, lease);
  }
}
