/**
 * Sign-in sessions of an organization, kept by its OrganizationActor: one row per session (a family
 * of rotating refresh tokens). Only the newest token of a session may be exchanged; presenting an
 * older one means a copy is in someone else's hands, so the whole session is revoked. Ended sessions
 * are kept for the record for `[retention] ended_sessions_days`, then the hourly sweep deletes them
 * (src/actors/org-retention.ts).
 *
 * Each session also keeps, sealed, what the identity provider needs to be asked about its member
 * again (src/auth/recheck.ts), and when membership was last proven: a refresh past
 * `[auth] recheck_minutes` of it asks again, and a member the provider no longer knows is ended.
 */
import type { RecheckOutcome } from "../auth/recheck.ts";

/** How long a session lives after sign-in, however often it is refreshed: then sign in again. */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600_000;
/** A refresh token unused this long expires, even if its session would live on. */
export const REFRESH_IDLE_MS = 7 * 24 * 3600_000;
/**
 * Two tabs refreshing at once send the same token; the second, within this window, is told to retry
 * (its cookie jar already holds the new token) instead of being taken for a thief.
 */
export const ROTATION_GRACE_MS = 10_000;
/**
 * A re-check started this long ago and never finished (its Worker died) no longer holds others
 * back; within it, a second tab's refresh does not ask the provider too (it would spend the same
 * refresh token twice, which a provider takes for theft).
 */
export const RECHECK_CLAIM_MS = 60_000;

export type SessionInfo = {
  id: string;
  user: string;
  kind: string;
  channel: string;
  created: number;
  /** When the session ends at the latest (ms since the epoch). */
  expires: number;
  last_refresh: number | null;
  refreshes: number;
  ended: number | null;
  /**
   * `logout`, `revoked` (by another member), `reuse` (an old refresh token came back), `expired`,
   * `not_member` (the provider said so at a re-check), `unverified` (membership could not be asked again).
   */
  ended_reason: string | null;
  /** When membership was last proven: the sign-in, or the last re-check the provider answered. */
  checked: number | null;
};

/** A new token generation: its id and when it expires. */
export interface Generation {
  session: string;
  token: string;
  expires: number;
  user: string;
  kind: string;
  /** Present when membership is due to be asked again: the sealed grant kept for it (null: none kept). */
  recheck?: { grant: string | null };
}

export type RotateRefusal = {
  ok: false;
  code: "unknown_session" | "session_ended" | "token_reused" | "rotation_race";
  error: string;
};

/** The stored row: the session plus which refresh token of it is current, which it replaced, and the re-check's state. */
type Row = SessionInfo & { token: string; previous: string | null; rotated: number; grant_sealed: string | null; checking: number | null };

const newId = () => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
};

/** What the store tells the audit log. */
export type SessionAudit = (type: string, user: string, message: string, data: Record<string, unknown>) => void;

/** The sessions table, as the OrganizationActor's first migration creates it. */
export const SESSIONS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS sessions(id TEXT PRIMARY KEY, user TEXT NOT NULL, kind TEXT NOT NULL, channel TEXT NOT NULL,
    created INTEGER NOT NULL, expires INTEGER NOT NULL, token TEXT NOT NULL, previous TEXT, rotated INTEGER NOT NULL,
    last_refresh INTEGER, refreshes INTEGER NOT NULL DEFAULT 0, ended INTEGER, ended_reason TEXT);
  CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user, created);
`;

/** The OrganizationActor's second migration: what membership re-checks keep per session. */
export const SESSIONS_RECHECK_MIGRATION = `
  ALTER TABLE sessions ADD COLUMN checked INTEGER;
  ALTER TABLE sessions ADD COLUMN grant_sealed TEXT;
  ALTER TABLE sessions ADD COLUMN checking INTEGER;
`;

type Ending = "logout" | "revoked" | "reuse" | "expired" | "not_member" | "unverified";

export class SessionStore {
  readonly #sql: SqlStorage;
  readonly #audit: SessionAudit;

  /** The table must exist: SESSIONS_SCHEMA is among the OrganizationActor's migrations. */
  constructor(sql: SqlStorage, audit: SessionAudit) {
    this.#sql = sql;
    this.#audit = audit;
  }

  #row(id: string): Row | undefined {
    return this.#sql.exec<Row>("SELECT * FROM sessions WHERE id = ?", id).toArray()[0];
  }

  /** Starts a session and returns its first token generation; `grant` is sealed already (or null). */
  open(user: string, kind: string, channel: string, grant: string | null = null): Generation {
    const now = Date.now();
    const id = newId();
    const token = newId();
    const expires = now + SESSION_MAX_AGE_MS;
    this.#sql.exec(
      "INSERT INTO sessions(id, user, kind, channel, created, expires, token, rotated, checked, grant_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      id, user, kind, channel, now, expires, token, now, now, grant,
    );
    this.#audit("session.start", user, `${user} started a session (${channel})`, { session: id, channel });
    return { session: id, token, expires: Math.min(expires, now + REFRESH_IDLE_MS), user, kind };
  }

  /**
   * Exchanges the current token of a session for the next one. An older token revokes the session,
   * except the one just replaced, within the grace window (a second tab racing the first).
   * With `recheckAfterMs`, a session whose membership was proven longer ago than that is claimed
   * for a re-check (the answer says so with `recheck`); `rechecked` then takes the provider's word.
   */
  rotate(id: string, token: string, recheckAfterMs?: number): ({ ok: true } & Generation) | RotateRefusal {
    const row = this.#row(id);
    const now = Date.now();
    if (!row) return { ok: false, code: "unknown_session", error: "no such session: sign in again" };
    if (row.ended !== null) return { ok: false, code: "session_ended", error: `session ended (${row.ended_reason}): sign in again` };
    if (row.expires <= now) {
      this.#end(row, "expired");
      return { ok: false, code: "session_ended", error: "session expired: sign in again" };
    }
    if (token !== row.token) {
      if (token === row.previous && now - row.rotated < ROTATION_GRACE_MS) {
        return { ok: false, code: "rotation_race", error: "this refresh token was just rotated by another request: retry with the new one" };
      }
      this.#end(row, "reuse");
      return { ok: false, code: "token_reused", error: "refresh token used twice: the session is revoked, sign in again" };
    }
    const next = newId();
    this.#sql.exec(
      "UPDATE sessions SET token = ?, previous = ?, rotated = ?, last_refresh = ?, refreshes = refreshes + 1 WHERE id = ?",
      next, row.token, now, now, id,
    );
    const generation = { ok: true as const, session: id, token: next, expires: Math.min(row.expires, now + REFRESH_IDLE_MS), user: row.user, kind: row.kind };
    const due = recheckAfterMs !== undefined && now - (row.checked ?? row.created) >= recheckAfterMs;
    if (!due || (row.checking !== null && now - row.checking < RECHECK_CLAIM_MS)) return generation;
    this.#sql.exec("UPDATE sessions SET checking = ? WHERE id = ?", now, id);
    return { ...generation, recheck: { grant: row.grant_sealed } };
  }

  /**
   * What the provider said at a re-check: a member's proof is renewed (and a rotated grant kept); a
   * provider that could not answer leaves it as it was, to ask at the next refresh; a member it no
   * longer knows, or one it cannot be asked about, is ended.
   * @returns whether the session is still open
   */
  rechecked(id: string, outcome: RecheckOutcome): boolean {
    const row = this.#row(id);
    if (!row || row.ended !== null) return false;
    if (outcome.status === "member") {
      this.#sql.exec("UPDATE sessions SET checked = ?, checking = NULL, grant_sealed = COALESCE(?, grant_sealed) WHERE id = ?", Date.now(), outcome.grant ?? null, id);
      return true;
    }
    if (outcome.status === "unavailable") {
      this.#sql.exec("UPDATE sessions SET checking = NULL WHERE id = ?", id);
      this.#audit("session.recheck_deferred", row.user, `membership of ${row.user} could not be re-checked, asked again at the next refresh: ${outcome.reason}`, {
        session: id, user: row.user, reason: outcome.reason,
      });
      return true;
    }
    this.#end(row, outcome.status === "ended" ? "not_member" : "unverified", row.user, outcome.reason);
    return false;
  }

  /**
   * Ends a session: its user signing out, or (with `by`) another member revoking it.
   * @returns the session as it was, or null if it had ended already (or never existed)
   */
  end(id: string, by?: string): SessionInfo | null {
    const row = this.#row(id);
    if (!row || row.ended !== null) return null;
    this.#end(row, by ? "revoked" : "logout", by);
    return this.list({ id })[0] ?? null;
  }

  #end(row: Row, reason: Ending, by = row.user, detail?: string): void {
    this.#sql.exec("UPDATE sessions SET ended = ?, ended_reason = ?, checking = NULL, grant_sealed = NULL WHERE id = ?", Date.now(), reason, row.id);
    const message = {
      logout: `${row.user} signed out`,
      revoked: `session of ${row.user} revoked by ${by}`,
      reuse: `session of ${row.user} revoked: an old refresh token was presented again (stolen or replayed)`,
      expired: `session of ${row.user} expired`,
      not_member: `session of ${row.user} ended: no longer a member (${detail})`,
      unverified: `session of ${row.user} ended: membership could not be asked again (${detail})`,
    }[reason];
    if (reason === "not_member" || reason === "unverified") {
      const why = reason === "not_member" ? "no longer a member" : "membership not re-checked";
      this.#audit("session.ended", by, message, { session: row.id, user: row.user, reason: why, detail });
      return;
    }
    this.#audit(reason === "logout" ? "session.logout" : "session.revoked", by, message, { session: row.id, user: row.user, reason });
  }

  /** True while the session is open and unexpired: access tokens of an ended session are refused. */
  alive(id: string): boolean {
    const row = this.#sql.exec<{ ended: number | null; expires: number }>("SELECT ended, expires FROM sessions WHERE id = ?", id).toArray()[0];
    return !!row && row.ended === null && row.expires > Date.now();
  }

  /** Sessions, newest first; `active` keeps the open ones only. */
  list(query: { id?: string; user?: string; active?: boolean; limit?: number } = {}): SessionInfo[] {
    const where: string[] = [];
    const params: SqlStorageValue[] = [];
    if (query.id) (where.push("id = ?"), params.push(query.id));
    if (query.user) (where.push("user = ?"), params.push(query.user));
    if (query.active) (where.push("ended IS NULL AND expires > ?"), params.push(Date.now()));
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 500);
    return this.#sql
      .exec<Row>(`SELECT * FROM sessions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created DESC LIMIT ?`, ...params, limit)
      .toArray()
      .map(({ token: _t, previous: _p, rotated: _r, grant_sealed: _g, checking: _c, ...info }) => info);
  }
}
