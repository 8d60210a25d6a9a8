/**
 * The actors' SQL helper (src/actors/sql.ts): schema versions in `_meta`, migrations run once and
 * all or nothing, and each actor's first migration taking every table shape older releases stored.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { ORGANIZATION_MIGRATIONS } from "../../src/actors/organization.ts";
import { REPOSITORY_MIGRATIONS } from "../../src/actors/repository/store.ts";
import { SERVICE_MIGRATIONS } from "../../src/actors/service/store.ts";
import { addMissingColumns, adoptOldMeta, openSql, type Migration } from "../../src/actors/sql.ts";
import { CHAT_MIGRATIONS } from "../../src/telegram/chat-actor.ts";
import { beforeVersions } from "../helpers/storage.ts";

/** Runs `fn` on the storage of a fresh actor, emptied of the tables its constructor made. */
async function onEmptyStorage<T>(name: string, fn: (storage: DurableObjectStorage) => T): Promise<T> {
  return runInDurableObject(env.SERVICE.getByName(`sql-test/${name}`), (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'")
      .toArray();
    for (const t of tables) state.storage.sql.exec(`DROP TABLE "${t.name}"`);
    return fn(state.storage);
  });
}

const columns = (sql: SqlStorage, table: string) => sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name);
const tableNames = (sql: SqlStorage) =>
  sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' ORDER BY name").toArray().map((t) => t.name);

describe("openSql", () => {
  it("runs every migration on new storage and records the version", async ({ expect }) => {
    await onEmptyStorage("fresh", (storage) => {
      const db = openSql(storage, ["CREATE TABLE a(x TEXT)", (sql) => sql.exec("ALTER TABLE a ADD COLUMN y INTEGER")]);
      expect(db.version).toBe(2);
      expect(columns(storage.sql, "a")).toEqual(["x", "y"]);
      expect(storage.sql.exec<{ value: number }>("SELECT value FROM _meta WHERE key = 'schema_version'").one().value).toBe(2);
    });
  });

  it("runs only the migrations added since the storage's version", async ({ expect }) => {
    await onEmptyStorage("again", (storage) => {
      const ran: number[] = [];
      const steps: Migration[] = [() => ran.push(1), () => ran.push(2)];
      openSql(storage, steps);
      openSql(storage, steps);
      openSql(storage, [...steps, () => ran.push(3)]);
      expect(ran).toEqual([1, 2, 3]);
    });
  });

  it("writes nothing when a migration fails, and says why", async ({ expect }) => {
    await onEmptyStorage("failing", (storage) => {
      openSql(storage, ["CREATE TABLE a(x TEXT)"]);
      const steps: Migration[] = ["CREATE TABLE a(x TEXT)", "CREATE TABLE b(x TEXT)", "ALTER TABLE nowhere ADD COLUMN z TEXT"];
      expect(() => openSql(storage, steps)).toThrow(/nowhere/);
      expect(tableNames(storage.sql)).toEqual(["_meta", "a"]);
      expect(openSql<{ schema_version: number }>(storage, ["CREATE TABLE a(x TEXT)"]).meta("schema_version")).toBe(1);
    });
  });

  it("refuses storage a newer release wrote", async ({ expect }) => {
    await onEmptyStorage("newer", (storage) => {
      openSql(storage, ["CREATE TABLE a(x TEXT)", "CREATE TABLE b(x TEXT)"]);
      expect(() => openSql(storage, ["CREATE TABLE a(x TEXT)"])).toThrow("storage has schema version 2, newer than this code's 1");
    });
  });

  it("keeps typed single values in _meta, numbers as numbers", async ({ expect }) => {
    await onEmptyStorage("meta", (storage) => {
      const db = openSql<{ owner: string; count: number }>(storage, []);
      expect(db.meta("owner")).toBeUndefined();
      db.setMeta("owner", "me");
      db.setMeta("count", 3);
      db.setMeta("count", 4);
      expect([db.meta("owner"), db.meta("count")]).toEqual(["me", 4]);
      db.deleteMeta("owner");
      expect(db.meta("owner")).toBeUndefined();
    });
  });

  it("adds only the columns a table lacks", async ({ expect }) => {
    await onEmptyStorage("columns", (storage) => {
      storage.sql.exec("CREATE TABLE t(a TEXT)");
      addMissingColumns(storage.sql, "t", { a: "TEXT", b: "INTEGER NOT NULL DEFAULT 1" });
      addMissingColumns(storage.sql, "t", { b: "INTEGER NOT NULL DEFAULT 1" });
      expect(columns(storage.sql, "t")).toEqual(["a", "b"]);
    });
  });

  it("moves an old meta table into _meta, keeping a value _meta has already, and takes storage without one", async ({ expect }) => {
    await onEmptyStorage("old-meta", (storage) => {
      const db = openSql<{ a: string; b: string }>(storage, []);
      db.setMeta("b", "new");
      storage.sql.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('a', '1'), ('b', 'old')");
      adoptOldMeta(storage.sql);
      expect([db.meta("a"), db.meta("b")]).toEqual(["1", "new"]);
      adoptOldMeta(storage.sql);
      expect(tableNames(storage.sql)).toEqual(["_meta"]);
    });
  });
});

describe("each actor's first migration, on the tables older releases stored (no _meta yet)", () => {
  it("ServiceActor: questions before delivery was retried count as delivered; jobs before starts were counted gain the counter", async ({ expect }) => {
    await onEmptyStorage("service-old", (storage) => {
      storage.sql.exec(`
        CREATE TABLE jobs(key TEXT NOT NULL, attempt INTEGER NOT NULL, run_key TEXT NOT NULL, action TEXT NOT NULL, state TEXT NOT NULL,
          spec TEXT NOT NULL, outcome TEXT, reported INTEGER NOT NULL DEFAULT 0, started INTEGER, ended INTEGER, PRIMARY KEY (key, attempt));
        CREATE TABLE recurring(action TEXT PRIMARY KEY, period INTEGER NOT NULL, next_due INTEGER NOT NULL);
        CREATE TABLE questions(key TEXT NOT NULL, attempt INTEGER NOT NULL, id TEXT NOT NULL, deadline INTEGER NOT NULL,
          question TEXT NOT NULL, PRIMARY KEY (key, attempt));
        INSERT INTO jobs(key, attempt, run_key, action, state, spec) VALUES ('j', 1, 'run-1', 'install', 'running', '{}');
        INSERT INTO questions VALUES ('j', 1, 'q', 99, '{}');
      `);
      openSql(storage, SERVICE_MIGRATIONS);
      expect(storage.sql.exec("SELECT key, starts FROM jobs").toArray()).toEqual([{ key: "j", starts: 0 }]);
      expect(storage.sql.exec("SELECT id, delivered, tries, next_try, failure FROM questions").toArray()).toEqual([
        { id: "q", delivered: 1, tries: 0, next_try: null, failure: null },
      ]);
      expect(tableNames(storage.sql)).toEqual(["_meta", "code", "identity", "jobs", "questions", "recurring"]);
    });
  });

  it("ChatActor: its meta rows move to _meta, watches before the Re-run button gain the user column", async ({ expect }) => {
    await onEmptyStorage("chat-old", (storage) => {
      storage.sql.exec(`
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE watches(repo TEXT NOT NULL, run TEXT NOT NULL, message INTEGER NOT NULL, text TEXT NOT NULL,
          edited INTEGER NOT NULL, started INTEGER NOT NULL, PRIMARY KEY(repo, run));
        INSERT INTO meta VALUES ('chat', '42'), ('conversation', '{"value":"idle"}');
        INSERT INTO watches VALUES ('r', 'run-1', 7, 'text', 0, 0);
      `);
      const db = openSql<{ chat: string; conversation: string }>(storage, CHAT_MIGRATIONS);
      expect([db.meta("chat"), db.meta("conversation")]).toEqual(["42", '{"value":"idle"}']);
      expect(storage.sql.exec("SELECT run, user FROM watches").toArray()).toEqual([{ run: "run-1", user: null }]);
      expect(tableNames(storage.sql)).toEqual(["_meta", "buttons", "updates", "watches"]);
    });
  });

  it("RepositoryActor: its meta rows move to _meta, templates before actions.py gain the column, every row kept", async ({ expect }) => {
    await onEmptyStorage("repository-old", (storage) => {
      // The tables as the releases before actions.py was kept stored them (events_seen came later still).
      storage.sql.exec(`
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE templates(name TEXT PRIMARY KEY, config TEXT NOT NULL, schema TEXT NOT NULL, actions_js TEXT NOT NULL, updated INTEGER NOT NULL);
        CREATE TABLE blueprints(name TEXT PRIMARY KEY, content TEXT NOT NULL, archived INTEGER NOT NULL, updated INTEGER NOT NULL);
        CREATE TABLE services(key TEXT PRIMARY KEY, json TEXT NOT NULL);
        CREATE TABLE runs(key TEXT PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL,
          priority INTEGER NOT NULL, not_before INTEGER NOT NULL, simulate INTEGER NOT NULL, json TEXT NOT NULL);
        CREATE TABLE run_jobs(run TEXT NOT NULL, step INTEGER NOT NULL, idx INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run, step, idx));
        CREATE INDEX runs_queue ON runs(state, priority, seq);
        CREATE TABLE recurring(service TEXT PRIMARY KEY, json TEXT NOT NULL);
        INSERT INTO meta VALUES ('org', 'acme'), ('name', 'r'), ('git_url', 'git@x:r'), ('noexec', '1');
        INSERT INTO templates VALUES ('box', 'c', 's', 'export function install() {}', 1);
        INSERT INTO blueprints VALUES ('main.yaml', 'box__a:', 0, 1);
        INSERT INTO services VALUES ('box!a', '{}');
        INSERT INTO runs VALUES ('run-1', 1, 'ok', 1, 0, 0, '{}');
        INSERT INTO run_jobs VALUES ('run-1', 1, 0, '{}');
        INSERT INTO recurring VALUES ('box!a', '[]');
      `);
      const db = openSql<{ org: string; name: string; git_url: string; noexec: string }>(storage, REPOSITORY_MIGRATIONS);
      expect([db.meta("org"), db.meta("name"), db.meta("git_url"), db.meta("noexec")]).toEqual(["acme", "r", "git@x:r", "1"]);
      expect(storage.sql.exec("SELECT name, actions_js, actions_py FROM templates").toArray()).toEqual([
        { name: "box", actions_js: "export function install() {}", actions_py: "" },
      ]);
      for (const table of ["blueprints", "services", "runs", "run_jobs", "recurring"]) {
        expect(storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n, table).toBe(1);
      }
      expect(tableNames(storage.sql)).toEqual(["_meta", "blueprints", "events_seen", "job_failures", "recurring", "run_jobs", "runs", "secrets", "services", "templates"]);
    });
  });

  it("RepositoryActor: storage of today's shape, before versions, migrates as it is", async ({ expect }) => {
    await onEmptyStorage("repository-today", (storage) => {
      openSql<{ org: string }>(storage, REPOSITORY_MIGRATIONS).setMeta("org", "acme");
      storage.sql.exec("INSERT INTO templates VALUES ('box', 'c', 's', 'js', 'def install(): pass', 1)");
      // What the release before versions left: the same tables, and its single values in `meta`.
      beforeVersions(storage.sql, "meta");
      const db = openSql<{ org: string }>(storage, REPOSITORY_MIGRATIONS);
      expect(db.meta("org")).toBe("acme");
      expect(storage.sql.exec("SELECT actions_py FROM templates").toArray()).toEqual([{ actions_py: "def install(): pass" }]);
      expect(tableNames(storage.sql)).not.toContain("meta");
    });
  });

  it("OrganizationActor: its tables, sessions and event claims stay as they were, rows kept", async ({ expect }) => {
    await onEmptyStorage("org-old", (storage) => {
      // Storage before versions had the first step's tables only.
      storage.sql.exec(ORGANIZATION_MIGRATIONS[0] as string);
      storage.sql.exec("INSERT INTO repositories VALUES ('r', 'git', 1)");
      storage.sql.exec("INSERT INTO event_claims VALUES ('e', 1, NULL)");
      openSql(storage, ORGANIZATION_MIGRATIONS);
      expect(storage.sql.exec("SELECT name FROM repositories").toArray()).toEqual([{ name: "r" }]);
      expect(storage.sql.exec("SELECT id FROM event_claims").toArray()).toEqual([{ id: "e" }]);
      expect(tableNames(storage.sql)).toContain("sessions");
    });
  });

  it("OrganizationActor 1 → 2: sessions and Telegram links gain what re-checks keep, rows kept, nothing proven yet", async ({ expect }) => {
    await onEmptyStorage("org-v1", (storage) => {
      openSql(storage, ORGANIZATION_MIGRATIONS.slice(0, 1));
      storage.sql.exec("INSERT INTO sessions(id, user, kind, channel, created, expires, token, rotated) VALUES ('s', 'alice', 'user', 'web', 1, 2, 't', 1)");
      storage.sql.exec("INSERT INTO telegram_users(id, user, chat, linked) VALUES (7, 'alice', 7, 1)");
      const db = openSql(storage, ORGANIZATION_MIGRATIONS);
      expect(db.version).toBe(ORGANIZATION_MIGRATIONS.length); // 2 and every step after it ran
      expect(storage.sql.exec("SELECT id, checked, grant_sealed, checking FROM sessions").toArray()).toEqual([{ id: "s", checked: null, grant_sealed: null, checking: null }]);
      expect(storage.sql.exec("SELECT id, checked, grant_sealed, checking FROM telegram_users").toArray()).toEqual([{ id: 7, checked: null, grant_sealed: null, checking: null }]);
    });
  });
});
