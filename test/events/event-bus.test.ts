import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import type { JobView } from "../../src/actors/service/protocol.ts";
import { DEAD_LETTER_QUEUE, EVENTS_QUEUE } from "../../src/events/bus.ts";
import worker from "../../src/index.ts";
import type { CockpitEvent } from "../../src/events/event.ts";
import { api, ORG } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";

const REPO = "eventful";

async function setUp() {
  await api("/ays/repository", { method: "POST", json: { name: REPO } });
  await api(`/ays/repository/${REPO}/template`, {
    method: "POST",
    json: {
      name: "app",
      actions: `export function redeploy(job) { job.log("redeploy " + job.service.name + " v" + job.args.payload.args.version + " by " + job.args.by); }`,
    },
  });
  const content = [
    "app__web:",
    "app__db:",
    "app__vault:",
    "eventfilters:",
    "  - service: web",
    "    channel: webservice",
    "    command: deploy",
    "    actions: [redeploy]",
    "  - service: db",
    "    channel: webservice",
    "    command: migrate",
    "    actions: [redeploy]",
    "  - service: vault",
    "    channel: all",
    "    command: deploy",
    "    secret: s3cret",
    "    actions: [redeploy]",
  ].join("\n");
  const bp = await api(`/ays/repository/${REPO}/blueprint`, { method: "POST", json: { name: "apps.yaml", content } });
  if (bp.status !== 201) throw new Error(await bp.text());
  await api(`/ays/repository/${REPO}/blueprint/apps.yaml`, { method: "POST" });
}

const jobsOf = async (service: string) =>
  ((await env.SERVICE.getByName(`${ORG}/${REPO}/${service}`).jobs()) as unknown as JobView[]).filter((j) => j.action === "redeploy");

function genericEvent(id: string, command: string, secret?: string): CockpitEvent {
  return {
    id, time: Date.now(), org: ORG, type: "generic", channel: "webservice", by: "test", command,
    ...(secret ? { secret } : {}),
    payload: { args: { version: 7 }, epoch: Date.now() },
  };
}

describe("the event bus", () => {
  it("runs the actions of matching filters only, with the event as args", async ({ expect }) => {
    await setUp();
    const res = await exports.default.fetch(
      new Request("http://cockpit.test/webhooks/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ command: "deploy", payload: { version: 3 }, repo: REPO }),
      }),
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const web = await until(() => jobsOf("app!web"), (j) => j.some((x) => x.state === "ok"));
    expect(web[0]!.logs.map((l) => l.log)).toEqual([`redeploy web v3 by webhook client`]);
    expect(web[0]!.key).toBe(`event.${id}.app!web.redeploy`);
    // db filters on another command; vault needs the secret.
    expect(await jobsOf("app!db")).toEqual([]);
    expect(await jobsOf("app!vault")).toEqual([]);
    const log = (await (await api(`/ays/events?type=event.generic`)).json()) as { events: AuditEntry[] };
    expect(log.events.map((e) => e.data?.id)).toContain(id);
  });

  it("requires the filter's secret where one is set, and keeps the secret out of the log and the args", async ({ expect }) => {
    const post = (body: unknown) =>
      exports.default.fetch(new Request("http://cockpit.test/webhooks/events", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
    expect((await post({ command: "deploy", secret: "wrong", payload: { version: 4 } })).status).toBe(202);
    expect((await post({ command: "deploy", secret: "s3cret", payload: { version: 5 } })).status).toBe(202);
    const vault = await until(() => jobsOf("app!vault"), (j) => j.some((x) => x.state === "ok"));
    expect(vault).toHaveLength(1);
    expect(vault[0]!.logs[0]!.log).toBe("redeploy vault v5 by webhook client");
    const log = await (await api("/ays/events?type=event.generic")).text();
    expect(log).not.toContain("s3cret");
    expect((await post({ payload: {} })).status).toBe(400);
  });

  it("does not run a redelivered event's actions twice", async ({ expect }) => {
    const event = genericEvent(crypto.randomUUID(), "migrate");
    for (let i = 0; i < 2; i++) {
      const batch = createMessageBatch(EVENTS_QUEUE, [{ id: `m${i}`, timestamp: new Date(), attempts: i + 1, body: event }]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual([`m${i}`]);
    }
    const db = await until(() => jobsOf("app!db"), (j) => j.some((x) => x.state === "ok"));
    await new Promise((r) => setTimeout(r, 300));
    expect((await jobsOf("app!db")).filter((j) => j.key.includes(event.id))).toHaveLength(1);
    expect(db[0]!.state).toBe("ok");
  });

  it("retries a poison message, and logs it as event.dead once it reaches the dead-letter queue", async ({ expect }) => {
    const poison = { id: "p1", org: ORG, type: "generic", payload: "not an object" };
    const batch = createMessageBatch(EVENTS_QUEUE, [{ id: "poison", timestamp: new Date(), attempts: 1, body: poison }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).retryMessages.map((m) => m.msgId)).toEqual(["poison"]);

    const dead = createMessageBatch(DEAD_LETTER_QUEUE, [{ id: "dead", timestamp: new Date(), attempts: 1, body: poison }]);
    await worker.queue(dead, env);
    const log = (await (await api("/ays/events?type=event.dead")).json()) as { events: AuditEntry[] };
    expect(log.events).toHaveLength(1);
    expect(log.events[0]!.message).toMatch(/could not be delivered: /);
  });
});
