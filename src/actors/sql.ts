/**
 * SQLite storage helpers shared by the actors: one schema version per actor, kept with the actor's
 * other single values in a `_meta` key/value table (the way cloudflare/agents keeps its own tables).
 *
 * Use, in the actor's constructor (synchronous, so no request runs before the tables are ready):
 *
 *   const MIGRATIONS: Migration[] = [
 *     // 1: the tables as they were before versions, made idempotent against every older shape
 *     (sql) => { sql.exec("CREATE TABLE IF NOT EXISTS things(...)"); addMissingColumns(sql, "things", {...}); },
 *     // 2, 3, ...: plain steps, each run once; never edit or reorder one that has shipped
 *     "ALTER TABLE things ADD COLUMN colour TEXT",
 *   ];
 *   this.db = openSql<{ owner: string }>(ctx.storage, MIGRATIONS);
 *   this.db.setMeta("owner", "me"); this.db.meta("owner"); // "me"
 *
 * Storage written before versions existed has no `_meta` (version 0), so the first migration runs
 * on it and must accept any table shape an older release left (hence `CREATE TABLE IF NOT EXISTS`,
 * `addMissingColumns`, and `adoptOldMeta` for an actor that kept its single values in a `meta`
 * table); every later one runs on a known shape: these two helpers are for first migrations only. The pending migrations and the
 * new version are written in one transaction: a failing step leaves the storage as it was, and the
 * constructor throws (the next request retries). Every actor uses it.
 */

/** One schema step: SQL statements, or a function for what SQL alone cannot say (a check first, say). */
export type Migration = string | ((sql: SqlStorage) => void);

/** A `_meta` value: the column has no type affinity, so a number comes back a number. */
export type MetaValue = string | number | null;

/** The key under which `_meta` holds how many migrations have run. */
export const SCHEMA_VERSION = "schema_version";

export interface ActorSql<M extends Record<string, MetaValue>> {
  readonly sql: SqlStorage;
  /** How many migrations this storage has had: the length of the list it was opened with. */
  readonly version: number;
  meta<K extends keyof M & string>(key: K): M[K] | undefined;
  setMeta<K extends keyof M & string>(key: K, value: M[K]): void;
  deleteMeta(key: keyof M & string): void;
  /** Drops the values read so far (after the storage was deleted). */
  forget(): void;
}

/**
 * Runs the migrations this storage has not had yet (those after its `schema_version`) and returns
 * the actor's SQL handle with typed `meta`/`setMeta` on `_meta`. Storage from a newer release (a
 * version beyond the list) is refused rather than written with an older idea of its tables.
 */
export function openSql<M extends Record<string, MetaValue> = Record<never, MetaValue>>(
  storage: DurableObjectStorage,
  migrations: readonly Migration[],
): ActorSql<M> {
  const sql = storage.sql;
  const read = (key: string): MetaValue | undefined => sql.exec<{ value: MetaValue }>("SELECT value FROM _meta WHERE key = ?", key).toArray()[0]?.value;
  const write = (key: string, value: MetaValue): void => {
    sql.exec("INSERT INTO _meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
  };
  storage.transactionSync(() => {
    sql.exec("CREATE TABLE IF NOT EXISTS _meta(key TEXT PRIMARY KEY, value)");
    const from = Number(read(SCHEMA_VERSION) ?? 0);
    if (from > migrations.length) throw new Error(`storage has schema version ${from}, newer than this code's ${migrations.length}`);
    for (const step of migrations.slice(from)) {
      if (typeof step === "string") sql.exec(step);
      else step(sql);
    }
    if (from < migrations.length) write(SCHEMA_VERSION, migrations.length);
  });
  // The actor is the only writer of its storage, so a value read once stays true until it writes it.
  const cache = new Map<string, MetaValue | undefined>();
  return {
    sql,
    version: migrations.length,
    meta: (key) => {
      if (!cache.has(key)) cache.set(key, read(key));
      return cache.get(key) as never;
    },
    setMeta: (key, value) => {
      cache.delete(key);
      write(key, value);
      cache.set(key, value);
    },
    deleteMeta: (key) => {
      cache.delete(key);
      sql.exec("DELETE FROM _meta WHERE key = ?", key);
    },
    forget: () => cache.clear(),
  };
}

/**
 * Moves the rows of the `meta` table an actor kept its single values in before versions into
 * `_meta` (a value already there wins), and drops it. For a first migration (see above).
 */
export function adoptOldMeta(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO _meta(key, value) SELECT key, value FROM meta WHERE true ON CONFLICT(key) DO NOTHING;
    DROP TABLE meta;
  `);
}

/**
 * Adds the columns a table stored by an older version lacks: `CREATE TABLE IF NOT EXISTS` leaves an
 * existing table as it was. `columns` maps each name to its type and default, as ALTER TABLE takes them.
 * For a first migration (see above); a later one knows its table's shape and says ALTER TABLE.
 */
export function addMissingColumns(sql: SqlStorage, table: string, columns: Record<string, string>): void {
  const have = new Set(sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name));
  for (const [name, type] of Object.entries(columns)) {
    if (!have.has(name)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
}
