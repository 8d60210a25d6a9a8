/**
 * The few Durable Object storage types bench/storage.ts needs to type-check the actors' stores under
 * Node (tsconfig.node.json has no Workers types): the shapes of @cloudflare/workers-types' own.
 */
type SqlStorageValue = ArrayBuffer | string | number | null;
interface SqlStorageCursor<T> extends Iterable<T> {
  toArray(): T[];
  one(): T;
  readonly rowsWritten: number;
}
interface SqlStorage {
  exec<T = Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T>;
}
interface DurableObjectStorage {
  readonly sql: SqlStorage;
  transactionSync<T>(fn: () => T): T;
}
