/**
 * API keys for automation (`POST /ays/keys`), kept by the OrganizationActor: only the SHA-256 of
 * each key is stored, so a key is shown once, when it is made, and cannot be read back from storage.
 */

export const API_KEYS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS api_keys(id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, repo TEXT,
    role TEXT NOT NULL, created INTEGER NOT NULL, created_by TEXT NOT NULL, expires INTEGER NOT NULL,
    revoked INTEGER, revoked_by TEXT, last_used INTEGER);
`;

/** A key as listed: never the key, nor its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  repo: string | null;
  role: string;
  created: number;
  created_by: string;
  expires: number;
  revoked: number | null;
  revoked_by: string | null;
  last_used: number | null;
}

export type ApiKeyOp =
  | { op: "create"; id: string; hash: string; name: string; repo: string | null; role: string; expires: number; by: string }
  | { op: "list" }
  | { op: "revoke"; id: string; by: string }
  | { op: "check"; hash: string; now: number };

export type ApiKeyReply =
  | { op: "create"; info: ApiKeyInfo }
  | { op: "list"; keys: ApiKeyInfo[] }
  | { op: "revoke"; info: ApiKeyInfo | null }
  | { op: "check"; info: ApiKeyInfo | null; refused?: string };

const COLUMNS = "id, name, repo, role, created, created_by, expires, revoked, revoked_by, last_used";
type Row = ApiKeyInfo & Record<string, SqlStorageValue>;

export function apiKeyOp(sql: SqlStorage, request: ApiKeyOp): ApiKeyReply {
  switch (request.op) {
    case "create": {
      const { id, hash, name, repo, role, expires, by } = request;
      const info = sql
        .exec<Row>(`INSERT INTO api_keys(id, hash, name, repo, role, created, created_by, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
          id, hash, name, repo, role, Date.now(), by, expires)
        .one();
      return { op: "create", info };
    }
    case "list":
      return { op: "list", keys: sql.exec<Row>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created DESC`).toArray() };
    case "revoke": {
      const info = sql
        .exec<Row>(`UPDATE api_keys SET revoked = ?, revoked_by = ? WHERE id = ? AND revoked IS NULL RETURNING ${COLUMNS}`, Date.now(), request.by, request.id)
        .toArray()[0];
      return { op: "revoke", info: info ?? null };
    }
    case "check": {
      const info = sql.exec<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE hash = ?`, request.hash).toArray()[0];
      if (!info) return { op: "check", info: null, refused: "unknown API key" };
      if (info.revoked !== null) return { op: "check", info: null, refused: `API key ${info.name} was revoked` };
      if (info.expires <= request.now) return { op: "check", info: null, refused: `API key ${info.name} expired at ${new Date(info.expires).toISOString()}` };
      sql.exec("UPDATE api_keys SET last_used = ? WHERE id = ?", request.now, info.id);
      return { op: "check", info: { ...info, last_used: request.now } };
    }
  }
}
