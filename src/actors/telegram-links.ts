/**
 * Telegram users linked to members by `/start` (the original's `cockpit.telegram.users` and
 * `cockpit.telegram.state`), kept by the OrganizationActor. A link lives at most `[auth] link_days`
 * after its sign-in, and keeps, sealed, what the identity provider needs to be asked about its member
 * again (src/auth/recheck.ts) every `[auth] recheck_minutes`; a member it no longer knows is unlinked.
 */
import type { RecheckOutcome } from "../auth/recheck.ts";
import { RECHECK_CLAIM_MS } from "./sessions.ts";

/** A Telegram user linked to a member of the organization by `/start` (ays-original.md §3.2). */
export interface TelegramLink {
  /** Telegram user id. */
  id: number;
  /** The member's user name at the identity provider. */
  user: string;
  /** The private chat the user linked from: where notifications for this user go. */
  chat: number;
  name: string | null;
  current_repo: string | null;
  /** When the link was made (its `/start`). */
  linked: number;
  /** When membership was last asked of the provider (the sign-in, then each re-check). */
  checked: number | null;
}

/** Why a link ended: the person or an admin unlinked it, it grew too old, or the provider said no. */
export type UnlinkReason = "unlinked" | "removed" | "expired" | "not_member";

/** The tables as the OrganizationActor's first migration creates them. */
export const TELEGRAM_SCHEMA = `
  CREATE TABLE IF NOT EXISTS telegram_users(id INTEGER PRIMARY KEY, user TEXT NOT NULL, chat INTEGER NOT NULL,
    name TEXT, current_repo TEXT, linked INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS telegram_pending(id INTEGER PRIMARY KEY, chat INTEGER NOT NULL, created INTEGER NOT NULL);
`;

/** The OrganizationActor's second migration: what membership re-checks keep per link. */
export const TELEGRAM_RECHECK_MIGRATION = `
  ALTER TABLE telegram_users ADD COLUMN checked INTEGER;
  ALTER TABLE telegram_users ADD COLUMN grant_sealed TEXT;
  ALTER TABLE telegram_users ADD COLUMN checking INTEGER;
`;

const COLUMNS = "id, user, chat, name, current_repo, linked, checked";

type Row = TelegramLink & Record<string, SqlStorageValue>;

/** What the store tells the audit log (type, by, message, data). */
export type LinkAudit = (type: string, by: string, message: string, data: Record<string, unknown>) => void;

/** Whether a chat's link stands, and whether its membership is due to be asked again. */
export interface LinkCheck {
  link: TelegramLink | null;
  /** Set when the link just ended here (it was older than `link_days`). */
  ended?: UnlinkReason;
  /** Present when a re-check is due: the sealed grant kept for it (null: none kept). */
  recheck?: { grant: string | null };
}

export class TelegramLinkStore {
  readonly #sql: SqlStorage;
  readonly #audit: LinkAudit;

  constructor(sql: SqlStorage, audit: LinkAudit) {
    this.#sql = sql;
    this.#audit = audit;
  }

  get(id: number): TelegramLink | null {
    return this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM telegram_users WHERE id = ?`, id).toArray()[0] ?? null;
  }

  all(): TelegramLink[] {
    return this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM telegram_users ORDER BY id`).toArray();
  }

  pending(id: number, chat: number): void {
    this.#sql.exec(
      "INSERT INTO telegram_pending(id, chat, created) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET chat = excluded.chat, created = excluded.created",
      id, chat, Date.now(),
    );
  }

  /** @returns null when no `/start` is pending for this user (it was forgotten by clean_cache) */
  link(id: number, chat: number, user: string, name: string | null, grant: string | null): TelegramLink | null {
    const pending = this.#sql.exec("DELETE FROM telegram_pending WHERE id = ? AND chat = ?", id, chat).rowsWritten;
    if (!pending) return null;
    const now = Date.now();
    return this.#sql
      .exec<Row>(
        `INSERT INTO telegram_users(id, user, chat, name, current_repo, linked, checked, grant_sealed, checking) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL)
         ON CONFLICT(id) DO UPDATE SET user = excluded.user, chat = excluded.chat, name = excluded.name, linked = excluded.linked,
           checked = excluded.checked, grant_sealed = excluded.grant_sealed, checking = NULL
         RETURNING ${COLUMNS}`,
        id, user, chat, name, now, now, grant,
      )
      .one();
  }

  select(id: number, repo: string | null): boolean {
    return this.#sql.exec("UPDATE telegram_users SET current_repo = ? WHERE id = ?", repo, id).rowsWritten > 0;
  }

  forget(): { users: number; pending: number } {
    const users = this.#sql.exec("DELETE FROM telegram_users").rowsWritten;
    const pending = this.#sql.exec("DELETE FROM telegram_pending").rowsWritten;
    return { users, pending };
  }

  /**
   * The link of Telegram user `id`, once it is known to stand: one older than `maxAgeMs` ends here;
   * one whose membership was asked longer ago than `recheckAfterMs` is claimed for a re-check.
   */
  check(id: number, recheckAfterMs: number, maxAgeMs: number): LinkCheck {
    const row = this.#sql.exec<Row & { grant_sealed: string | null; checking: number | null }>("SELECT * FROM telegram_users WHERE id = ?", id).toArray()[0];
    if (!row) return { link: null };
    const now = Date.now();
    if (now - row.linked >= maxAgeMs) {
      this.#unlink(row, "expired", "system", `signed in ${Math.floor((now - row.linked) / 86_400_000)} days ago`);
      return { link: null, ended: "expired" };
    }
    const link = this.get(id)!;
    const due = now - (row.checked ?? row.linked) >= recheckAfterMs;
    if (!due || (row.checking !== null && now - row.checking < RECHECK_CLAIM_MS)) return { link };
    this.#sql.exec("UPDATE telegram_users SET checking = ? WHERE id = ?", now, id);
    return { link, recheck: { grant: row.grant_sealed } };
  }

  /**
   * The links due for a look (proven longer than `recheckAfterMs` ago, or older than `maxAgeMs`),
   * least recently proven first, for the hourly sweep: people who send nothing are asked about too.
   */
  due(recheckAfterMs: number, maxAgeMs: number, limit: number): { id: number; chat: number }[] {
    const now = Date.now();
    return this.#sql
      .exec<{ id: number; chat: number }>(
        "SELECT id, chat FROM telegram_users WHERE COALESCE(checked, linked) <= ? OR linked <= ? ORDER BY COALESCE(checked, linked) LIMIT ?",
        now - recheckAfterMs, now - maxAgeMs, limit,
      )
      .toArray();
  }

  /**
   * What the provider said at a re-check `check` claimed. Only `ended` unlinks: a provider that
   * cannot be asked (`unsupported`) leaves the link to its `link_days`, one that could not answer
   * (`unavailable`) is asked again at the next message.
   * @returns the link, or null when it ended
   */
  rechecked(id: number, outcome: RecheckOutcome): TelegramLink | null {
    const row = this.get(id);
    if (!row) return null;
    if (outcome.status === "ended") {
      this.#unlink(row, "not_member", "system", outcome.reason);
      return null;
    }
    if (outcome.status === "unavailable") this.#sql.exec("UPDATE telegram_users SET checking = NULL WHERE id = ?", id);
    else this.#sql.exec("UPDATE telegram_users SET checked = ?, checking = NULL, grant_sealed = COALESCE(?, grant_sealed) WHERE id = ?", Date.now(), outcome.status === "member" ? (outcome.grant ?? null) : null, id);
    return this.get(id);
  }

  /** Unlinks Telegram user `id` (`/unlink`, by the person). @returns the link it was, or null */
  unlink(id: number, by: string, reason: UnlinkReason): TelegramLink | null {
    const row = this.get(id);
    if (row) this.#unlink(row, reason, by);
    return row;
  }

  /** Unlinks every Telegram user linked to `user` (an admin's DELETE). @returns the links they were */
  unlinkUser(user: string, by: string): TelegramLink[] {
    const rows = this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM telegram_users WHERE user = ? ORDER BY id`, user).toArray();
    for (const row of rows) this.#unlink(row, "removed", by);
    return rows;
  }

  #unlink(row: TelegramLink, reason: UnlinkReason, by: string, detail?: string): void {
    this.#sql.exec("DELETE FROM telegram_users WHERE id = ?", row.id);
    const who = `telegram user ${row.id}`;
    const message = {
      unlinked: `${who} unlinked from ${row.user} by themselves (/unlink)`,
      removed: `${who} unlinked from ${row.user} by ${by}`,
      expired: `${who} unlinked from ${row.user}: the link expired (${detail})`,
      not_member: `${who} unlinked from ${row.user}: no longer a member (${detail})`,
    }[reason];
    const why = { unlinked: "unlinked by the person", removed: "unlinked by an admin", expired: "link expired", not_member: "no longer a member" }[reason];
    this.#audit("telegram.unlinked", by, message, { telegram_user: row.id, user: row.user, reason: why, ...(detail ? { detail } : {}) });
  }
}
