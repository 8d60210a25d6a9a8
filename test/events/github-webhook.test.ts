import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

const REPO = "hooked";
// The example configuration's [webhooks] github_secret, as vitest.config.ts hands it to the Worker.
const SECRET = "local-dev-github-webhook-secret";

async function sign(body: string, secret = SECRET): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function deliver(body: string, delivery: string, signature: string | undefined, event = "push") {
  const headers: Record<string, string> = { "content-type": "application/json", "x-github-event": event, "x-github-delivery": delivery };
  if (signature) headers["x-hub-signature-256"] = signature;
  return exports.default.fetch(new Request("http://cockpit.test/webhooks/github", { method: "POST", headers, body }));
}

const builds = async () =>
  ((await env.SERVICE.getByName(`${ORG}/${REPO}/ci!main`).jobs()) as unknown as JobView[]).filter((j) => j.action === "build");

describe("POST /webhooks/github", () => {
  it("runs the filtered action for a signed push, once per delivery; refuses a bad signature and stores nothing", async ({ expect }) => {
    await api("/ays/repository", { method: "POST", json: { name: REPO } });
    await api(`/ays/repository/${REPO}/template`, {
      method: "POST",
      json: { name: "ci", actions: `export function build(job) { job.log("build " + job.args.payload.event + " " + job.args.payload.payload_key); }` },
    });
    const content = "ci__main:\neventfilters:\n  - channel: webhook\n    command: push\n    actions: [build]\n";
    await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "ci.yaml", content } });
    await api(`/ays/repository/${REPO}/blueprint/ci.yaml`, { method: "POST" });

    const body = JSON.stringify({ ref: "refs/heads/main", after: "abc123" });
    const forged = await deliver(body, "d-forged", await sign(body, "not-the-secret-at-all"));
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { code: string }).code).toBe("bad_signature");
    expect((await deliver(body, "d-unsigned", undefined)).status).toBe(401);
    expect(await env.FILES.head("webhooks/github/d-forged.json")).toBeNull();

    const ok = await deliver(body, "d-1", await sign(body));
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ id: "github-d-1", duplicate: false });
    expect(await (await env.FILES.get("webhooks/github/d-1.json"))!.text()).toBe(body);
    const jobs = await until(builds, (j) => j.some((x) => x.state === "ok"));
    expect(jobs[0]!.logs[0]!.log).toBe("build push webhooks/github/d-1.json");

    const again = await deliver(body, "d-1", await sign(body));
    expect(await again.json()).toEqual({ id: "github-d-1", duplicate: true });
    const issues = await deliver(body, "d-2", await sign(body), "issues");
    expect(issues.status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(await builds()).toHaveLength(1); // neither the duplicate nor the `issues` event built

    const log = await (await api("/ays/events?type=event.webhook")).json() as { events: { data: { id: string } }[] };
    expect(log.events.map((e) => e.data.id)).toEqual(["github-d-1", "github-d-2"]);
  });
});
