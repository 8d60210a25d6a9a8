import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { CLAIM_LEASE_MS, EventClaims } from "../../src/actors/event-claims.ts";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { publish } from "../../src/events/bus.ts";
import type { CockpitEvent } from "../../src/events/event.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

const REPO = "dedupe";
// The example configuration's [webhooks] github_secret, as vitest.config.ts hands it to the Worker.
const SECRET = "local-dev-github-webhook-secret";
/** Copies of one delivery sent at once: enough that, unfixed, several pass the check before any claim. */
const COPIES = 10;

// A push delivery as GitHub sends it (trimmed to the fields a push always carries).
const PUSH = JSON.stringify({
  ref: "refs/heads/main",
  before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  after: "76ae82c7b1a177c8d03f9e96e0adf2466113728f",
  created: false,
  deleted: false,
  forced: false,
  compare: "https://github.com/octo-org/hello-world/compare/6113728f27ae...76ae82c7b1a1",
  commits: [
    {
      id: "76ae82c7b1a177c8d03f9e96e0adf2466113728f",
      message: "Fix the build",
      timestamp: "2026-12-03T16:00:00Z",
      author: { name: "Mona Octocat", email: "mona@github.com", username: "octocat" },
      added: [], removed: [], modified: ["README.md"],
    },
  ],
  repository: { id: 1296269, name: "hello-world", full_name: "octo-org/hello-world", private: false, default_branch: "main" },
  pusher: { name: "octocat", email: "mona@github.com" },
  sender: { login: "octocat", id: 1, type: "User" },
});

async function sign(body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return exports.default.fetch(new Request(`http://cockpit.test${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }));
}

const jobsOf = async (action: string) =>
  ((await env.SERVICE.getByName(`${ORG}/${REPO}/ci!main`).jobs()) as unknown as JobView[]).filter((j) => j.action === action);

async function logged(type: string, id: string): Promise<AuditEntry[]> {
  const log = (await (await api(`/ays/events?type=${type}&limit=500`)).json()) as { events: AuditEntry[] };
  return log.events.filter((e) => e.data?.id === id);
}

describe("the same event sent concurrently", () => {
  it("is logged and run once; every other copy is answered as a duplicate", async ({ expect }) => {
    await api("/ays/repository", { method: "POST", json: { name: REPO } });
    await api(`/ays/repository/${REPO}/template`, {
      method: "POST",
      json: { name: "ci", actions: `export function build(job) { job.log("build"); }\nexport function deploy(job) { job.log("deploy"); }` },
    });
    const content = [
      "ci__main:",
      "eventfilters:",
      "  - channel: webhook",
      "    command: push",
      "    actions: [build]",
      "  - channel: webservice",
      "    command: release",
      "    actions: [deploy]",
    ].join("\n");
    await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "ci.yaml", content } });
    await api(`/ays/repository/${REPO}/blueprint/ci.yaml`, { method: "POST" });

    const signature = await sign(PUSH);
    const delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    const github = await Promise.all(
      Array.from({ length: COPIES }, () => post("/webhooks/github", PUSH, { "x-github-event": "push", "x-github-delivery": delivery, "x-hub-signature-256": signature })),
    );
    const generic = await Promise.all(
      Array.from({ length: COPIES }, () => post("/webhooks/events", JSON.stringify({ id: "release-2026-12-03", command: "release", repo: REPO, payload: { version: 9 } }))),
    );

    for (const [answers, id] of [[github, `github-${delivery}`], [generic, "generic-release-2026-12-03"]] as const) {
      expect(answers.map((r) => r.status)).toEqual(Array(COPIES).fill(202));
      const bodies = (await Promise.all(answers.map((r) => r.json()))) as { id: string; duplicate: boolean }[];
      expect(bodies.map((b) => b.id)).toEqual(Array(COPIES).fill(id));
      expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
    }

    await until(() => jobsOf("build"), (j) => j.some((x) => x.state === "ok"));
    await until(() => jobsOf("deploy"), (j) => j.some((x) => x.state === "ok"));
    await new Promise((r) => setTimeout(r, 500)); // any second delivery would have started by now
    expect(await jobsOf("build")).toHaveLength(1);
    expect(await jobsOf("deploy")).toHaveLength(1);
    expect(await logged("event.webhook", `github-${delivery}`)).toHaveLength(1);
    expect(await logged("event.generic", "generic-release-2026-12-03")).toHaveLength(1);
  });

  it("frees the claim of a copy that failed after claiming it, so the next copy is published and logged once", async ({ expect }) => {
    const event: CockpitEvent = {
      id: `generic-${crypto.randomUUID()}`, time: Date.now(), org: ORG, type: "generic", channel: "webservice", by: "test", command: "nothing",
      payload: { args: {}, epoch: Date.now() },
    };
    const failing = () => Promise.reject(new Error("R2 is down"));
    await expect(publish(env, event, failing)).rejects.toThrow("R2 is down");
    let stored = 0;
    expect(await publish(env, event, async () => void stored++)).toBe(true);
    expect(await publish(env, event, async () => void stored++)).toBe(false);
    expect(stored).toBe(1);
    expect(await logged("event.generic", event.id)).toHaveLength(1);
  });

  it("keeps claims across an eviction, and lets another copy take over a lease its holder never settled", async ({ expect }) => {
    const org = env.ORGANIZATION.getByName(ORG);
    const entry = { type: "event.generic", repo: null, by: "test", channel: "webhook" as const, message: "m", data: { id: "generic-vanished" } };
    // A publisher that claims and then vanishes (its request evicted before the queue send).
    expect(await org.claimEvents([{ event: "generic-vanished", entry }])).toEqual([expect.objectContaining({ logged: false })]);
    await evictDurableObject(org);
    expect(await org.claimEvents([{ event: "generic-vanished", entry }])).toEqual([null]);
    await runInDurableObject(org, (_instance, state) => {
      const claims = new EventClaims(state.storage.sql);
      const later = Date.now() + CLAIM_LEASE_MS + 1;
      expect(claims.claim("generic-vanished", later)).toMatchObject({ logged: true });
      claims.settle(["generic-vanished"], []);
      expect(claims.claim("generic-vanished", later + CLAIM_LEASE_MS + 1)).toBeNull();
    });
    expect(await logged("event.generic", "generic-vanished")).toHaveLength(1);
  });
});
