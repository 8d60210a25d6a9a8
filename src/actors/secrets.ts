/**
 * The `secrets` table that a RepositoryActor (its repository's secrets) and the OrganizationActor
 * (organization-wide ones) each keep: sealed values only (src/secrets/crypto.ts); the Worker seals
 * before it calls and the job's host opens after it reads, so no actor ever holds a value in clear.
 */
import { MAX_SECRETS, type SealedSecret, type SecretInfo } from "../secrets/names.ts";

/** The table, for each actor's migration. */
export const SECRETS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS secrets(name TEXT PRIMARY KEY, key_id TEXT NOT NULL, iv TEXT NOT NULL,
    ciphertext TEXT NOT NULL, set_by TEXT NOT NULL, set_at INTEGER NOT NULL);
`;

/** One call for every secret operation, so each actor adds one RPC method. */
export type SecretOp =
  | { op: "put"; name: string; sealed: SealedSecret; by: string }
  | { op: "delete"; name: string }
  | { op: "list" }
  | { op: "get"; name: string };

export type SecretReply =
  | { op: "put"; created: boolean; info: SecretInfo }
  | { op: "put"; refused: string }
  | { op: "delete"; deleted: boolean }
  | { op: "list"; secrets: SecretInfo[] }
  | { op: "get"; sealed: SealedSecret | null };

type Row = { name: string; key_id: string; iv: string; ciphertext: string; set_by: string; set_at: number };

export function secretOp(sql: SqlStorage, request: SecretOp): SecretReply {
  switch (request.op) {
    case "put": {
      const exists = sql.exec("SELECT 1 FROM secrets WHERE name = ?", request.name).toArray().length > 0;
      if (!exists && sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM secrets").one().n >= MAX_SECRETS) {
        return { op: "put", refused: `at most ${MAX_SECRETS} secrets here: delete one first` };
      }
      const { key_id, iv, ciphertext } = request.sealed;
      const row = sql
        .exec<Row>(
          `INSERT INTO secrets(name, key_id, iv, ciphertext, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET key_id = excluded.key_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
             set_by = excluded.set_by, set_at = excluded.set_at
           RETURNING name, key_id, set_by, set_at`,
          request.name, key_id, iv, ciphertext, request.by, Date.now(),
        )
        .one();
      return { op: "put", created: !exists, info: { name: row.name, set_by: row.set_by, set_at: row.set_at, key_id: row.key_id } };
    }
    case "delete":
      return { op: "delete", deleted: sql.exec("DELETE FROM secrets WHERE name = ?", request.name).rowsWritten > 0 };
    case "list":
      return { op: "list", secrets: sql.exec<SecretInfo & Record<string, SqlStorageValue>>("SELECT name, set_by, set_at, key_id FROM secrets ORDER BY name").toArray() };
    case "get": {
      const row = sql.exec<Row>("SELECT key_id, iv, ciphertext FROM secrets WHERE name = ?", request.name).toArray()[0];
      return { op: "get", sealed: row ? { key_id: row.key_id, iv: row.iv, ciphertext: row.ciphertext } : null };
    }
  }
}
