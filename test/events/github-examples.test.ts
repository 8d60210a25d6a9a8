/**
 * Every example delivery of @octokit/webhooks-examples (the payloads GitHub documents, 329 of them
 * over 58 event names) is accepted by POST /webhooks/github as GitHub sends it. Before, event names
 * with digits (`projects_v2_item`) were refused with 400.
 */
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import examples from "@octokit/webhooks-examples";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

// The example configuration's [webhooks] github_secret, as vitest.config.ts hands it to the Worker.
const SECRET = "local-dev-github-webhook-secret";
const key = crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);

async function deliver(event: string, delivery: string, body: string): Promise<Response> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key, new TextEncoder().encode(body)));
  const signature = `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  const headers = { "content-type": "application/json", "x-github-event": event, "x-github-delivery": delivery, "x-hub-signature-256": signature };
  return exports.default.fetch(new Request("http://cockpit.test/webhooks/github", { method: "POST", headers, body }));
}

describe("GitHub's documented webhook examples", () => {
  it("are each accepted once, whatever their event name", async ({ expect }) => {
    const refused: string[] = [];
    let n = 0;
    for (const { name, examples: payloads } of examples) {
      for (const payload of payloads) {
        const res = await deliver(name, `example-${++n}`, JSON.stringify(payload));
        const body = (await res.json()) as { duplicate?: boolean; error?: string };
        if (res.status !== 202 || body.duplicate !== false) refused.push(`${name} #${n}: ${res.status} ${body.error ?? ""}`);
      }
    }
    expect(n).toBe(329);
    expect(refused).toEqual([]);
  }, 120_000);

  it("run the action a filter names for an event with digits in its name (projects_v2_item)", async ({ expect }) => {
    const repo = "hooked-projects";
    await api("/ays/repository", { method: "POST", json: { name: repo } });
    await api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "board", actions: `export function sync(job) { job.log("synced " + job.args.payload.event); }` } });
    const content = "board__main:\neventfilters:\n  - channel: webhook\n    command: projects_v2_item\n    actions: [sync]\n";
    expect((await api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "board.yaml", content } })).status).toBe(201);
    expect((await api(`/ays/repository/${repo}/blueprint/board.yaml`, { method: "POST" })).status).toBe(200);
    const item = examples.find((e) => e.name === "projects_v2_item")!.examples[0];
    expect((await deliver("projects_v2_item", "projects-item-1", JSON.stringify(item))).status).toBe(202);
    // The examples the test above delivered may still be on the queue and reach this repository too: the job to look at is this event's.
    const synced = await until(
      async () => ((await env.SERVICE.getByName(`${ORG}/${repo}/board!main`).jobs()) as unknown as JobView[]).filter((j) => j.key === "event.github-projects-item-1.board!main.sync"),
      (jobs) => jobs.some((j) => j.state === "ok"),
    );
    // Deliveries of the test above may still be on the queue and reach this filter too: any finished
    // job is one of a projects_v2_item delivery.
    expect(synced.find((j) => j.state === "ok")!.logs.map((l) => l.log)).toContain("synced projects_v2_item");
  });
});
