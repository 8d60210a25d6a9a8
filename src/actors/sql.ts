/** SQLite storage helpers shared by the actors. */

/**
 * Adds the columns a table stored by an older version lacks: `CREATE TABLE IF NOT EXISTS` leaves an
 * existing table as it was. `columns` maps each name to its type and default, as ALTER TABLE takes them.
 */
export function addMissingColumns(sql: SqlStorage, table: string, columns: Record<string, string>): void {
  const have = new Set(sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name));
  for (const [name, type] of Object.entries(columns)) {
    if (!have.has(name)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
}
