/**
 * A ServiceActor's job rows refer to their actions.js in a content-addressed `code` table (keyed by
 * SHA-256) instead of each carrying a copy: schema step 2 moves the copies of rows stored before.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { sha256Hex } from "../../src/actors/sha256.ts";
import { SERVICE_MIGRATIONS, ServiceStore, specOf } from "../../src/actors/service/store.ts";
import { openSql } from "../../src/actors/sql.ts";

describe("job rows and their code", () => {
  it("sha256Hex is SHA-256 (as WebCrypto computes it), for ASCII, UTF-8 and block-boundary lengths", async ({ expect }) => {
    for (const text of ["", "abc", "a".repeat(55), "a".repeat(56), "a".repeat(64), "é".repeat(1000), "x".repeat(100_000)]) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
      expect(sha256Hex(text), `length ${text.length}`).toBe([...digest].map((b) => b.toString(16).padStart(2, "0")).join(""));
    }
  });

  it("migrates rows of version 1: each distinct actions.js stored once, the specs without it, read back whole", async ({ expect }) => {
    await runInDurableObject(env.SERVICE.getByName("service-code/old"), (_instance, state) => {
      const sql = state.storage.sql;
      // Back to version 1, as a release before the code table stored it.
      for (const t of ["jobs", "code", "recurring", "questions", "identity", "_meta"]) sql.exec(`DROP TABLE IF EXISTS ${t}`);
      openSql(state.storage, SERVICE_MIGRATIONS.slice(0, 1));
      const spec = (key: string, actionsJs: string) => JSON.stringify({ jobKey: key, attempt: 1, action: "install", actionsJs, args: { n: key } });
      const big = `export function install() {} // ${"x".repeat(10_000)}`;
      for (const [key, code] of [["a", big], ["b", big], ["c", big], ["d", "export function other() {}"], ["e", ""]] as const) {
        sql.exec("INSERT INTO jobs(key, attempt, run_key, action, state, spec) VALUES (?, 1, 'run-1', 'install', 'ok', ?)", key, spec(key, code));
      }
      const before = sql.exec<{ b: number }>("SELECT SUM(LENGTH(spec)) AS b FROM jobs").one().b;

      openSql(state.storage, SERVICE_MIGRATIONS);
      expect(sql.exec("SELECT sha FROM code ORDER BY sha").toArray().map((r) => r.sha)).toEqual([sha256Hex(big), sha256Hex("export function other() {}")].sort());
      expect(sql.exec("SELECT key, code_sha FROM jobs ORDER BY key").toArray()).toEqual([
        { key: "a", code_sha: sha256Hex(big) },
        { key: "b", code_sha: sha256Hex(big) },
        { key: "c", code_sha: sha256Hex(big) },
        { key: "d", code_sha: sha256Hex("export function other() {}") },
        { key: "e", code_sha: null },
      ]);
      const after = sql.exec<{ b: number }>("SELECT SUM(LENGTH(spec)) AS b FROM jobs").one().b;
      expect(after).toBeLessThan(before / 20);
      const store = new ServiceStore(sql);
      expect(specOf(store.job("b", 1)!)).toEqual({ jobKey: "b", attempt: 1, action: "install", actionsJs: big, args: { n: "b" } });
      expect(specOf(store.job("e", 1)!).actionsJs).toBe("");

      // Pruning to one ended row drops the code nothing refers to any more.
      sql.exec("UPDATE jobs SET reported = 1, ended = CASE key WHEN 'a' THEN 5 ELSE 1 END");
      expect(store.pruneJobs(1)).toEqual({ jobs: 4, code: 1 });
      expect(sql.exec("SELECT key FROM jobs").toArray()).toEqual([{ key: "a" }]);
      expect(sql.exec("SELECT sha FROM code").toArray()).toEqual([{ sha: sha256Hex(big) }]);
    });
  });
});
