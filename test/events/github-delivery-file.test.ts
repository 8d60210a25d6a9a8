/**
 * A push-triggered action reads the delivery as a file: `job.files` lists `github-push.json`, and
 * `job.files.read` gives it byte for byte as GitHub sent it (GitHub's own example push from
 * @octokit/webhooks-examples, pretty-printed as in that package, signed with the configured secret).
 * Before, the action got only the R2 key of the stored delivery and could not read it as a file.
 */
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { JobView } from "../../src/actors/service/protocol.ts";
import push from "../fixtures/github/push.json?raw";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

const REPO = "pushfiles";
// The example configuration's [webhooks] github_secret, as vitest.config.ts hands it to the Worker.
const SECRET = "local-dev-github-webhook-secret";
const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function deliver(body: string, delivery: string): Promise<Response> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = `sha256=${hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)))}`;
  const headers = { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": delivery, "x-hub-signature-256": signature };
  return exports.default.fetch(new Request("http://cockpit.test/webhooks/github", { method: "POST", headers, body }));
}

const ACTIONS = `
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
export async function build(job) {
  const bytes = await job.files.read("github-push.json", "arrayBuffer");
  const text = await job.files.read("github-push.json");
  return {
    files: job.files.list(),
    sha256: hex(await crypto.subtle.digest("SHA-256", bytes)),
    text_is_body: text === JSON.stringify(job.args.payload.body, null, 2) + "\\n",
    after: JSON.parse(text).after,
  };
}
`;

describe("a GitHub push", () => {
  it("is among the action's job.files as github-push.json, byte for byte", async ({ expect }) => {
    expect(push).toMatch(/^\{\n  "ref"/); // the example as its package has it: indented, with a final newline
    await api("/ays/repository", { method: "POST", json: { name: REPO } });
    await api(`/ays/repository/${REPO}/template`, { method: "POST", json: { name: "ci", actions: ACTIONS } });
    const content = "ci__main:\neventfilters:\n  - channel: webhook\n    command: push\n    actions: [build]\n";
    expect((await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "ci.yaml", content } })).status).toBe(201);
    expect((await api(`/ays/repository/${REPO}/blueprint/ci.yaml`, { method: "POST" })).status).toBe(200);

    const res = await deliver(push, "push-file-1");
    expect(res.status).toBe(202);
    const jobs = await until(
      async () => ((await env.SERVICE.getByName(`${ORG}/${REPO}/ci!main`).jobs()) as unknown as JobView[]).filter((j) => j.key === "event.github-push-file-1.ci!main.build"),
      (list) => list.some((j) => j.state === "ok" || j.state === "error"),
    );
    expect(jobs[0]!.state, jobs[0]!.logs.map((l) => l.log).join(" | ")).toBe("ok");
    const size = new TextEncoder().encode(push).byteLength;
    expect(jobs[0]!.result).toEqual({
      files: [{ name: "github-push.json", size, contentType: "application/json" }],
      sha256: hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(push))),
      text_is_body: true,
      after: JSON.parse(push).after,
    });
  });
});
