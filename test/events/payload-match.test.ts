import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import push from "../fixtures/github/push.json";
import type { JobView } from "../../src/actors/service/protocol.ts";
import worker from "../../src/index.ts";
import { api, ORG } from "../helpers/auth.ts";
import { incoming } from "../helpers/mail.ts";
import { must } from "../helpers/runs.ts";
import { until } from "../helpers/until.ts";

// The example configuration's [webhooks] github_secret, as vitest.config.ts hands it to the Worker.
const SECRET = "local-dev-github-webhook-secret";

async function sign(body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function deliverPush(ref: string, delivery: string): Promise<void> {
  const body = JSON.stringify({ ...push, ref });
  const res = await exports.default.fetch(
    new Request("http://cockpit.test/webhooks/github", {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": delivery, "x-hub-signature-256": await sign(body) },
      body,
    }),
  );
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
}

const jobsOf = async (repo: string, service: string, action: string) =>
  ((await env.SERVICE.getByName(`${ORG}/${repo}/${service}`).jobs()) as unknown as JobView[]).filter((j) => j.action === action);

async function repoWith(repo: string, template: { name: string; actions: string; config?: string }, blueprint: string): Promise<Response> {
  await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
  await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: template }), 201);
  return api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content: blueprint } });
}

describe("event filters with match: conditions on the payload", () => {
  it("a signed GitHub push to main runs the action; a push to a branch does not", async ({ expect }) => {
    const repo = "match-push";
    const bp = [
      "ci__main:",
      "eventfilters:",
      "  - channel: webhook",
      "    command: push",
      "    match:",
      "      ref: refs/heads/main",
      "      repository.full_name: Codertocat/Hello-World",
      "    actions: [deploy]",
      "",
    ].join("\n");
    await must(repoWith(repo, { name: "ci", actions: `export function deploy(job) { job.log("deploy " + job.args.payload.body.ref); }` }, bp), 201);
    await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);

    await deliverPush("refs/heads/feature-x", "m-branch");
    await deliverPush(push.ref, "m-master"); // the example's own push, to refs/heads/master
    await deliverPush("refs/heads/main", "m-main");
    const jobs = await until(() => jobsOf(repo, "ci!main", "deploy"), (j) => j.some((x) => x.state === "ok"));
    await new Promise((r) => setTimeout(r, 500)); // the branch pushes had their chance
    const all = await jobsOf(repo, "ci!main", "deploy");
    expect(all).toHaveLength(1);
    expect(jobs[0]!.logs.map((l) => l.log)).toContain("deploy refs/heads/main");
    // Every delivery is still in the organization's log.
    const log = (await (await api("/ays/events?type=event.webhook&limit=500")).json()) as { events: { data: { id: string } }[] };
    expect(log.events.map((e) => e.data.id)).toEqual(expect.arrayContaining(["github-m-branch", "github-m-master", "github-m-main"]));
  });

  it("matches a Generic event's args, regexes included, also when its payload travelled by reference through R2", async ({ expect }) => {
    const repo = "match-generic";
    const bp = "app__one:\neventfilters:\n  - channel: webservice\n    command: release\n    match:\n      tag: /^v\\d+\\.\\d+$/\n      env: prod\n    actions: [ship]\n";
    await must(repoWith(repo, { name: "app", actions: `export function ship(job) { job.log("ship " + job.args.payload.args.tag + " " + (job.args.payload_ref ? "by reference" : "inline")); }` }, bp), 201);
    await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);
    const send = (id: string, args: Record<string, unknown>) =>
      exports.default.fetch(new Request("http://cockpit.test/webhooks/events", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id, command: "release", repo, payload: args }) }));
    const notes = "n".repeat(40 * 1024); // over PAYLOAD_INLINE_MAX: stored in R2, the message carries payload_ref
    expect((await send("rel-staging", { tag: "v1.2", env: "staging", notes })).status).toBe(202);
    expect((await send("rel-badtag", { tag: "v1.2-rc1", env: "prod", notes })).status).toBe(202);
    expect((await send("rel-prod", { tag: "v1.3", env: "prod", notes })).status).toBe(202);
    await until(() => jobsOf(repo, "app!one", "ship"), (j) => j.some((x) => x.state === "ok"));
    await new Promise((r) => setTimeout(r, 500));
    const jobs = await jobsOf(repo, "app!one", "ship");
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.logs.map((l) => l.log)).toContain("ship v1.3 by reference");
  });

  it("matches a mail's subject with a regular expression", async ({ expect }) => {
    const repo = "matchmail";
    const bp = "inbox__main:\neventfilters:\n  - channel: email\n    match:\n      subject: /^deploy /i\n    actions: [intake]\n";
    await must(repoWith(repo, { name: "inbox", actions: `export function intake(job) { job.log("intake " + job.args.payload.subject); }` }, bp), 201);
    await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);
    const mail = (id: string, subject: string) =>
      `From: ops@example.com\r\nTo: repo+${repo}@cockpit.example.com\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.com>\r\nDate: Thu, 03 Dec 2026 09:14:00 +0000\r\nContent-Type: text/plain\r\n\r\nhello\r\n`;
    for (const [id, subject] of [["m1", "Weekly report"], ["m2", "Re: deploy web"], ["m3", "Deploy web to prod"]] as const) {
      const { message, rejects } = incoming(mail(id, subject), { to: `repo+${repo}@cockpit.example.com` });
      await worker.email(message, env);
      expect(rejects).toEqual([]);
    }
    await until(() => jobsOf(repo, "inbox!main", "intake"), (j) => j.some((x) => x.state === "ok"));
    await new Promise((r) => setTimeout(r, 500));
    const jobs = await jobsOf(repo, "inbox!main", "intake");
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.logs.map((l) => l.log)).toContain("intake Deploy web to prod");
  });

  it("refuses a blueprint or template whose match: is malformed, naming the condition, and stores nothing", async ({ expect }) => {
    const repo = "match-invalid";
    const bad = async (match: string, reason: RegExp) => {
      const res = await api(`/ays/repository/${repo}/blueprint`, {
        method: "POST",
        json: { name: "bad.yaml", content: `x__one:\neventfilters:\n  - channel: email\n    match:\n${match}\n    actions: [go]\n` },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(reason);
    };
    await must(repoWith(repo, { name: "x", actions: "export function go() {}" }, "x__one:\n"), 201);
    await bad("      subject: /([a-z/", /eventfilters\[0\]\.match\.subject: invalid regular expression/);
    await bad("      subject: [a, b]", /eventfilters\[0\]\.match\.subject: expected a string, number, boolean or \/regex\/, got a list/);
    await bad("      'repository..name': x", /eventfilters\[0\]\.match\.repository\.\.name: invalid path segment ""/);
    const list = (await (await api(`/ays/repository/${repo}/blueprint`)).json()) as { name: string }[] | { blueprints: { name: string }[] };
    expect(JSON.stringify(list)).not.toContain("bad.yaml");

    const t = await api(`/ays/repository/${repo}/template`, {
      method: "POST",
      json: { name: "y", config: "events:\n  - channel: email\n    match:\n      subject: /(unclosed/\n    actions: [go]\n", actions: "export function go() {}" },
    });
    expect(t.status).toBe(400);
    expect(((await t.json()) as { error: string }).error).toMatch(/events\[0\]\.match\.subject.*invalid regular expression/);
    expect((await api(`/ays/repository/${repo}/template/y`)).status).toBe(404);
  });
});
