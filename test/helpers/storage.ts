/**
 * Storage as a release before schema versions (src/actors/sql.ts) left it: no `_meta` table, and
 * the single values back in the `meta` table such an actor kept them in (`keptIn`), if it had one.
 * The actor's next instance runs its first migration on it, as it would on a deployed actor.
 */
export function beforeVersions(sql: SqlStorage, keptIn?: "meta"): void {
  if (keptIn) {
    sql.exec(`
      CREATE TABLE ${keptIn}(key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO ${keptIn}(key, value) SELECT key, value FROM _meta WHERE key <> 'schema_version';
    `);
  }
  sql.exec("DROP TABLE _meta");
}
