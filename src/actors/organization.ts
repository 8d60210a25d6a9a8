/**
 * OrganizationActor: one per organization. Owns the repository index, the members seen, the
 * Telegram users linked to members (with each one's current repository), and the event and audit
 * log (who did what, when, and through which channel).
 */
import { DurableObject } from "cloudflare:workers";
import { EVENT_CLAIMS_SCHEMA, EventClaims, type Claimed } from "./event-claims.ts";
import type { RetentionConfig } from "../config/schema.ts";
import { pruneOrganization, type OrganizationPruneReport } from "./org-retention.ts";
import { cutPage, LOG_PAGE_MAX, pageLimit } from "./paging.ts";
import { eventTypes, readEvents, recordEvent, type AuditEntry, type Channel, type EventQuery } from "./event-log.ts";
import { openSql, type Migration } from "./sql.ts";
import { API_KEYS_SCHEMA, apiKeyOp, type ApiKeyOp, type ApiKeyReply } from "./api-keys.ts";
import { SECRETS_SCHEMA, secretOp, type SecretOp, type SecretReply } from "./secrets.ts";
import type { RecheckOutcome } from "../auth/recheck.ts";
import { SESSIONS_RECHECK_MIGRATION, SESSIONS_SCHEMA, SessionStore, type Generation, type RotateRefusal, type SessionInfo } from "./sessions.ts";
import { TELEGRAM_RECHECK_MIGRATION, TELEGRAM_SCHEMA, TelegramLinkStore, type LinkCheck, type TelegramLink } from "./telegram-links.ts";

export type { TelegramLink } from "./telegram-links.ts";

export type { AuditEntry, Channel, EventQuery } from "./event-log.ts";

export interface RepositoryEntry {
  name: string;
  git_url: string;
  created: number;
}

export interface Member {
  user: string;
  kind: string;
  channel: Channel;
  first_seen: number;
  last_seen: number;
}

export interface Login {
  id: number;
  time: number;
  user: string;
  channel: Channel;
  /** What signed in: e.g. `telegram user 42` or the console. */
  detail: string;
}


/**
 * The OrganizationActor's tables, its sessions' and its event claims', oldest step first
 * (src/actors/sql.ts). The first is every shape organizations stored before versions.
 */
export const ORGANIZATION_MIGRATIONS: readonly Migration[] = [
  `
    CREATE TABLE IF NOT EXISTS repositories(name TEXT PRIMARY KEY, git_url TEXT NOT NULL, created INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS members(user TEXT PRIMARY KEY, kind TEXT NOT NULL, channel TEXT NOT NULL,
      first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, type TEXT NOT NULL,
      repo TEXT, by TEXT NOT NULL, channel TEXT NOT NULL, message TEXT NOT NULL, data TEXT);
    CREATE INDEX IF NOT EXISTS events_type ON events(type, id);
    CREATE INDEX IF NOT EXISTS events_repo ON events(repo, id);
    CREATE TABLE IF NOT EXISTS oauth_states_used(id TEXT PRIMARY KEY, expires INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS logins(id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, user TEXT NOT NULL,
      channel TEXT NOT NULL, detail TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS logins_user ON logins(user, id);
    CREATE TABLE IF NOT EXISTS slots(scope TEXT NOT NULL, holder TEXT PRIMARY KEY, expires INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS slots_scope ON slots(scope);
    CREATE TABLE IF NOT EXISTS slot_waiters(scope TEXT NOT NULL, service TEXT NOT NULL, since INTEGER NOT NULL, PRIMARY KEY (scope, service));
    ${TELEGRAM_SCHEMA}
    ${SESSIONS_SCHEMA}
    ${EVENT_CLAIMS_SCHEMA};
  `,
  // 2: membership re-checks (src/auth/recheck.ts): when each session and link was last proven, and the sealed grant to ask with.
  `${SESSIONS_RECHECK_MIGRATION}${TELEGRAM_RECHECK_MIGRATION}`,
  // 3: organization-wide secrets, sealed (src/actors/secrets.ts)
  SECRETS_SCHEMA,
  // 4: API keys, hashed (src/actors/api-keys.ts)
  API_KEYS_SCHEMA,
];

export class OrganizationActor extends DurableObject<Env> {
  readonly #sessions: SessionStore;
  readonly #claims: EventClaims;
  readonly #links: TelegramLinkStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    openSql(ctx.storage, ORGANIZATION_MIGRATIONS);
    this.#claims = new EventClaims(ctx.storage.sql);
    this.#sessions = new SessionStore(ctx.storage.sql, (type, user, message, data) => {
      this.record({ type, repo: null, by: user, channel: (data.channel as Channel | undefined) ?? "web", message, data });
    });
    this.#links = new TelegramLinkStore(ctx.storage.sql, (type, by, message, data) => this.record({ type, repo: null, by, channel: "telegram", message, data }));
  }

  /** Where the next retention sweep of stored files starts (src/files/retention.ts); null: at the start. */
  sweepResumeAfter(): string | null {
    return this.ctx.storage.kv.get<string>("sweep_resume_after") ?? null;
  }

  setSweepResumeAfter(key: string | null): void {
    if (key === null) this.ctx.storage.kv.delete("sweep_resume_after");
    else this.ctx.storage.kv.put("sweep_resume_after", key);
  }

  /** The hourly retention sweep's part here (src/actors/org-retention.ts): old log rows, then the repositories to visit. */
  pruneRetention(retention: RetentionConfig, now: number): Promise<OrganizationPruneReport> {
    return pruneOrganization(this.ctx.storage, this.env.FILES, retention, now);
  }

  /** Organization-wide secrets, sealed (src/actors/secrets.ts). */
  secrets(request: SecretOp): SecretReply {
    return secretOp(this.ctx.storage.sql, request);
  }

  /** API keys for automation, hashed (src/actors/api-keys.ts). */
  apiKeys(request: ApiKeyOp): ApiKeyReply {
    return apiKeyOp(this.ctx.storage.sql, request);
  }

  /** A bare round trip, for health checks and as the benchmark's baseline. */
  ping(): number {
    return Date.now();
  }

  listRepositories(): RepositoryEntry[] {
    return this.ctx.storage.sql
      .exec<{ name: string; git_url: string; created: number }>("SELECT name, git_url, created FROM repositories ORDER BY name")
      .toArray();
  }

  getRepository(name: string): RepositoryEntry | null {
    return (
      this.ctx.storage.sql
        .exec<{ name: string; git_url: string; created: number }>("SELECT name, git_url, created FROM repositories WHERE name = ?", name)
        .toArray()[0] ?? null
    );
  }

  /** @returns false when a repository of that name exists already */
  addRepository(name: string, git_url: string): boolean {
    if (this.getRepository(name)) return false;
    this.ctx.storage.sql.exec("INSERT INTO repositories(name, git_url, created) VALUES (?, ?, ?)", name, git_url, Date.now());
    return true;
  }

  removeRepository(name: string): boolean {
    // Nobody keeps working on a repository that is gone.
    this.ctx.storage.sql.exec("UPDATE telegram_users SET current_repo = NULL WHERE current_repo = ?", name);
    return this.ctx.storage.sql.exec("DELETE FROM repositories WHERE name = ?", name).rowsWritten > 0;
  }

  /** Records a member the first time they are seen, and when they were seen last. */
  memberSeen(user: string, kind: string, channel: Channel): void {
    const now = Date.now();
    this.ctx.storage.sql.exec(
      `INSERT INTO members(user, kind, channel, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(user) DO UPDATE SET last_seen = excluded.last_seen, channel = excluded.channel`,
      user, kind, channel, now, now,
    );
  }

  members(): Member[] {
    return this.ctx.storage.sql.exec<Member & Record<string, SqlStorageValue>>("SELECT * FROM members ORDER BY user").toArray();
  }

  record(entry: Omit<AuditEntry, "id" | "time">): number {
    return recordEvent(this.ctx.storage.sql, entry);
  }

  /** Several entries in one call (a burst of run and job events no filter wants). */
  recordMany(entries: Omit<AuditEntry, "id" | "time">[]): void { for (const entry of entries) this.record(entry); }

  /** Every event type the log holds, for filters to offer. */
  eventTypes(): string[] {
    return eventTypes(this.ctx.storage.sql);
  }

  /**
   * Claims bus events by id and logs the ones seen for the first time, in one synchronous step (no
   * other request runs in between), for a burst as for one. The caller sends the claimed events on
   * the queue, then settles them (src/events/bus.ts publishMany).
   * @returns per entry, its claim; null for a duplicate: the id is sent, or being sent by another copy
   */
  claimEvents(entries: { event: string; entry: Omit<AuditEntry, "id" | "time"> }[]): (Claimed | null)[] {
    return entries.map(({ event, entry }) => {
      const claim = this.#claims.claim(event);
      if (claim && !claim.logged) this.record(entry);
      return claim;
    });
  }

  /** After the queue send: sent ids stay claimed for good; the claims of unsent ones are freed for the next copy. */
  settleEvents(sent: string[], unsent: Claimed[]): void {
    this.#claims.settle(sent, unsent);
  }

  /**
   * One page of the log, oldest first after the cursor (or newest first before it, with `newest`);
   * `next` is the cursor for the following page.
   */
  events(query: EventQuery): { events: AuditEntry[]; next: number | null } {
    return readEvents(this.ctx.storage.sql, query);
  }

  /**
   * Marks an OAuth state as used. States are single-use so a leaked callback URL cannot sign anyone
   * in twice; rows are kept only until the state would have expired anyway.
   * @returns false when this state was used before
   */
  useOAuthState(id: string, expires: number): boolean {
    const now = Date.now();
    this.ctx.storage.sql.exec("DELETE FROM oauth_states_used WHERE expires < ?", now);
    return this.ctx.storage.sql.exec("INSERT INTO oauth_states_used(id, expires) VALUES (?, ?) ON CONFLICT(id) DO NOTHING", id, expires).rowsWritten > 0;
  }

  /** Records a sign-in in the login history (and the member as seen through that channel). */
  recordLogin(user: string, channel: Channel, detail: string): Login {
    this.memberSeen(user, "user", channel);
    return this.ctx.storage.sql
      .exec<Login & Record<string, SqlStorageValue>>(
        "INSERT INTO logins(time, user, channel, detail) VALUES (?, ?, ?, ?) RETURNING *",
        Date.now(), user, channel, detail,
      )
      .one();
  }

  /** The login history, newest first; `before` is the cursor of the next (older) page. */
  logins(query: { user?: string; before?: number; limit?: number } = {}): { logins: Login[]; next: number | null } {
    const limit = pageLimit(query.limit, LOG_PAGE_MAX, 50);
    const where = ["id < ?"];
    const params: SqlStorageValue[] = [query.before ?? Number.MAX_SAFE_INTEGER];
    if (query.user) (where.push("user = ?"), params.push(query.user));
    const rows = this.ctx.storage.sql
      .exec<Login & Record<string, SqlStorageValue>>(`SELECT * FROM logins WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`, ...params, limit + 1)
      .toArray();
    const page = cutPage(rows, limit, (r) => r.id);
    return { logins: page.items, next: page.next };
  }

  /**
   * Takes one of `limit` slots of `scope` (an action's `max_parallel`, counted across the whole
   * organization) for `holder`, a job attempt. A slot lapses at `expires`, so a holder that vanished
   * (its repository deleted mid-job) cannot block the action for good.
   * @param service the ServiceActor to wake when a slot frees, if none is free now
   * @returns whether the holder has a slot (true again for a holder that has one already)
   */
  acquireSlot(scope: string, holder: string, limit: number, expires: number, service: string): boolean {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM slots WHERE expires < ?", Date.now());
    if (sql.exec("SELECT 1 FROM slots WHERE holder = ?", holder).toArray().length > 0) return true;
    const taken = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM slots WHERE scope = ?", scope).one().n;
    if (taken >= limit) {
      sql.exec("INSERT INTO slot_waiters(scope, service, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", scope, service, Date.now());
      return false;
    }
    sql.exec("INSERT INTO slots(scope, holder, expires) VALUES (?, ?, ?)", scope, holder, expires);
    sql.exec("DELETE FROM slot_waiters WHERE scope = ? AND service = ?", scope, service);
    return true;
  }

  /** Frees a holder's slot (idempotent) and wakes the service that has waited longest for one. */
  async releaseSlot(scope: string, holder: string): Promise<void> {
    const sql = this.ctx.storage.sql;
    if (sql.exec("DELETE FROM slots WHERE holder = ?", holder).rowsWritten === 0) return;
    const waiter = sql.exec<{ service: string }>("SELECT service FROM slot_waiters WHERE scope = ? ORDER BY since LIMIT 1", scope).toArray()[0];
    if (!waiter) return;
    sql.exec("DELETE FROM slot_waiters WHERE scope = ? AND service = ?", scope, waiter.service);
    // Waiters also poll, so a lost wake-up only costs a few seconds.
    await this.env.SERVICE.getByName(waiter.service).wake().catch(() => undefined);
  }

  /** Slots in use per scope (for tests and the console). */
  slotsInUse(): Record<string, number> {
    const rows = this.ctx.storage.sql
      .exec<{ scope: string; n: number }>("SELECT scope, COUNT(*) AS n FROM slots WHERE expires >= ? GROUP BY scope", Date.now())
      .toArray();
    return Object.fromEntries(rows.map((r) => [r.scope, r.n]));
  }

  // === Sessions (src/actors/sessions.ts): the console's sign-ins and their rotating refresh tokens

  openSession(user: string, kind: string, channel: Channel, grant: string | null = null): Generation {
    return this.#sessions.open(user, kind, channel, grant);
  }

  rotateSession(id: string, token: string, recheckAfterMs?: number): ({ ok: true } & Generation) | RotateRefusal {
    return this.#sessions.rotate(id, token, recheckAfterMs);
  }

  /** The provider's answer to a re-check `rotateSession` claimed; false when the session ended. */
  sessionRechecked(id: string, outcome: RecheckOutcome): boolean {
    return this.#sessions.rechecked(id, outcome);
  }

  /** Ends a session: its own user signing out, or `by` another member revoking it. */
  endSession(id: string, by?: string): SessionInfo | null {
    return this.#sessions.end(id, by);
  }

  /** Whether an access token's session is still open; notes the member as seen through the console. */
  sessionSeen(id: string, user: string, kind: string): boolean {
    if (!this.#sessions.alive(id)) return false;
    this.memberSeen(user, kind, "web");
    return true;
  }

  sessions(query: { user?: string; active?: boolean; limit?: number } = {}): SessionInfo[] {
    return this.#sessions.list(query);
  }

  // === Telegram users (src/actors/telegram-links.ts)

  telegramUser(id: number): TelegramLink | null {
    return this.#links.get(id);
  }

  /** Every linked user, for notifications addressed by member name. */
  telegramUsers(): TelegramLink[] {
    return this.#links.all();
  }

  /** `/start` from an unlinked user: remembered until the sign-in finishes, or clean_cache forgets it. */
  telegramPending(id: number, chat: number): void {
    this.#links.pending(id, chat);
  }

  /**
   * Links a Telegram user to a member after a sign-in that this user started with `/start`; `grant`
   * is what re-checks of the membership need, sealed.
   * @returns null when no `/start` is pending for this user (it was forgotten by clean_cache)
   */
  telegramLink(id: number, chat: number, user: string, name: string | null, grant: string | null = null): TelegramLink | null {
    return this.#links.link(id, chat, user, name, grant);
  }

  /** The link as a chat's update finds it: expired after `maxAgeMs`, claimed for a re-check after `recheckAfterMs`. */
  telegramCheck(id: number, recheckAfterMs: number, maxAgeMs: number): LinkCheck {
    return this.#links.check(id, recheckAfterMs, maxAgeMs);
  }

  /** Links due for a re-check or past their age, for the hourly sweep (src/telegram/link-check.ts). */
  telegramDue(recheckAfterMs: number, maxAgeMs: number, limit: number): { id: number; chat: number }[] {
    return this.#links.due(recheckAfterMs, maxAgeMs, limit);
  }

  /** The provider's answer to a re-check `telegramCheck` claimed; null when the link ended. */
  telegramRechecked(id: number, outcome: RecheckOutcome): TelegramLink | null {
    return this.#links.rechecked(id, outcome);
  }

  /** `/unlink`: the person unlinks their own Telegram user. @returns the link it was, or null */
  telegramUnlink(id: number): TelegramLink | null {
    const link = this.#links.get(id);
    return link ? this.#links.unlink(id, link.user, "unlinked") : null;
  }

  /** `DELETE /ays/telegram/links/{user}`: unlinks every Telegram user of member `user`. */
  telegramUnlinkUser(user: string, by: string): TelegramLink[] {
    return this.#links.unlinkUser(user, by);
  }

  /** Sets (or clears) the repository a linked user works on; false when the user is not linked. */
  telegramSelect(id: number, repo: string | null): boolean {
    return this.#links.select(id, repo);
  }

  /** `cockpit clean_cache`: forgets every linked user, pending sign-in and current repository. */
  telegramForget(): { users: number; pending: number } {
    return this.#links.forget();
  }
}
