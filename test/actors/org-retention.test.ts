/**
 * The OrganizationActor's part of the retention sweep (src/actors/org-retention.ts): bounded work per
 * sweep, and the repositories handed out a page at a time, each sweep going on where the last stopped.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { pruneOrganization, REPOSITORIES_PER_SWEEP, ROWS_PER_SWEEP } from "../../src/actors/org-retention.ts";
import { RETENTION_DEFAULTS } from "../../src/config/schema.ts";

const DAY = 86_400_000;

describe("the organization's retention sweep", () => {
  it("hands out every repository, a page per sweep, then starts over", async ({ expect }) => {
    await runInDurableObject(env.ORGANIZATION.getByName("retention-paging"), async (_instance, state) => {
      const names = Array.from({ length: REPOSITORIES_PER_SWEEP * 2 + 50 }, (_, i) => `repo-${String(i).padStart(3, "0")}`);
      for (const name of names) state.storage.sql.exec("INSERT INTO repositories(name, git_url, created) VALUES (?, '', 0)", name);
      const pages: string[][] = [];
      for (let i = 0; i < 4; i++) pages.push((await pruneOrganization(state.storage, env.FILES, RETENTION_DEFAULTS, Date.now())).repositories);
      expect(pages.map((p) => p.length)).toEqual([REPOSITORIES_PER_SWEEP, REPOSITORIES_PER_SWEEP, 50, REPOSITORIES_PER_SWEEP]);
      expect(pages.slice(0, 3).flat()).toEqual(names);
      expect(pages[3]).toEqual(names.slice(0, REPOSITORIES_PER_SWEEP));
    });
  });

  it("deletes at most ROWS_PER_SWEEP old log rows per sweep, oldest first, and never a young one", async ({ expect }) => {
    await runInDurableObject(env.ORGANIZATION.getByName("retention-backlog"), async (_instance, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      const old = ROWS_PER_SWEEP + 5_000;
      sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO events(time, type, repo, by, channel, message, data) SELECT ? + i, 'old', NULL, 'x', 'api', 'm', NULL FROM n`,
        old, now - 100 * DAY,
      );
      sql.exec("INSERT INTO events(time, type, repo, by, channel, message, data) VALUES (?, 'young', NULL, 'x', 'api', 'm', NULL)", now - DAY);
      expect((await pruneOrganization(state.storage, env.FILES, RETENTION_DEFAULTS, now)).events).toBe(ROWS_PER_SWEEP);
      expect((await pruneOrganization(state.storage, env.FILES, RETENTION_DEFAULTS, now)).events).toBe(5_000);
      expect((await pruneOrganization(state.storage, env.FILES, RETENTION_DEFAULTS, now)).events).toBe(0);
      expect(sql.exec("SELECT type FROM events").toArray()).toEqual([{ type: "young" }]);
    });
  });

  it("deletes the R2 payload of an event that went by reference with its log entry, and keeps a young one's", async ({ expect }) => {
    await runInDurableObject(env.ORGANIZATION.getByName("retention-payloads"), async (_instance, state) => {
      const sql = state.storage.sql;
      const now = Date.now();
      const logged = (id: string, time: number) => {
        const key = `events/${id}/payload.json`;
        sql.exec(
          "INSERT INTO events(time, type, repo, by, channel, message, data) VALUES (?, 'event.generic', NULL, 'x', 'webhook', 'm', ?)",
          time, JSON.stringify({ id, payload_ref: { key, size: 40_000 }, payload_preview: "{" }),
        );
        return key;
      };
      const oldKey = logged("old-big", now - 100 * DAY);
      const youngKey = logged("young-big", now - DAY);
      await env.FILES.put(oldKey, "{}");
      await env.FILES.put(youngKey, "{}");
      expect((await pruneOrganization(state.storage, env.FILES, RETENTION_DEFAULTS, now)).events).toBe(1);
      expect(await env.FILES.head(oldKey)).toBeNull();
      expect(await env.FILES.head(youngKey)).not.toBeNull();
      expect(sql.exec("SELECT COUNT(*) AS n FROM events").one().n).toBe(1);
    });
  });
});
