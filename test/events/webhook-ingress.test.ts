/**
 * POST /webhooks/events needs no JWT, so what it takes in is bounded: a signature when
 * [webhooks] events_secret is set (HMAC-SHA256 of the raw body, as GitHub signs), a body cap
 * ([webhooks] max_bytes, default 1 MiB) and a rate per source (the Workers rate-limiting binding,
 * [webhooks] events_per_minute). The seed configuration sets no events_secret: the signed cases run
 * the Worker's own fetch with a copy of its bindings that adds the secret, as `cockpit start` would.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import worker from "../../src/index.ts";
import { DEFAULT_EVENTS_PER_MINUTE } from "../../src/config/index.ts";

const SECRET = "an-events-secret-of-some-length";
const URL = "http://cockpit.test/webhooks/events";

async function sign(body: string | Uint8Array, secret = SECRET): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function signedWorker(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, EVENTS_WEBHOOK_SECRET: SECRET }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request(URL, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

type ErrorBody = { error: string; code: string };

describe("POST /webhooks/events: signature", () => {
  it("takes a body signed with [webhooks] events_secret, and refuses a wrong or missing signature with 401 and the reason", async ({ expect }) => {
    const body = JSON.stringify({ command: "deploy", payload: { version: 1 } });
    const good = await signedWorker(post(body, { "x-hub-signature-256": await sign(body) }));
    expect(good.status).toBe(202);
    expect(await good.json()).toMatchObject({ duplicate: false });

    const wrong = await signedWorker(post(body, { "x-hub-signature-256": await sign(body, "another-secret-entirely") }));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ code: "bad_signature", error: "X-Hub-Signature-256 does not match the body signed with [webhooks] events_secret" });

    // The signature of another body does not pass either: the HMAC covers the bytes received.
    const tampered = await signedWorker(post(body.replace("1", "2"), { "x-hub-signature-256": await sign(body) }));
    expect(tampered.status).toBe(401);

    const missing = await signedWorker(post(body));
    expect(missing.status).toBe(401);
    const reason = (await missing.json()) as ErrorBody;
    expect(reason.code).toBe("bad_signature");
    expect(reason.error).toMatch(/^missing X-Hub-Signature-256: \[webhooks\] events_secret is set/);

    const malformed = await signedWorker(post(body, { "x-hub-signature-256": "sha1=abc" }));
    expect(malformed.status).toBe(401);
  });

  it("needs no signature while no events_secret is set", async ({ expect }) => {
    const res = await exports.default.fetch(post(JSON.stringify({ command: "deploy" })));
    expect(res.status).toBe(202);
  });
});

describe("POST /webhooks/events: body cap", () => {
  it("refuses a body over [webhooks] max_bytes (default 1 MiB) with 413 naming the limit, declared or streamed", async ({ expect }) => {
    const big = JSON.stringify({ command: "deploy", payload: { blob: "x".repeat(1024 * 1024) } });
    const declared = await exports.default.fetch(post(big));
    expect(declared.status).toBe(413);
    const reason = (await declared.json()) as ErrorBody;
    expect(reason.code).toBe("too_large");
    expect(reason.error).toBe(`the body is ${big.length} bytes, over the limit of 1048576 bytes ([webhooks] max_bytes)`);

    // No Content-Length (a chunked upload): refused once the bytes read pass the cap.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const chunked = await exports.default.fetch(new Request(URL, { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit));
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as ErrorBody).error).toBe("the body is more than 1048576 bytes, over the limit of 1048576 bytes ([webhooks] max_bytes)");
    expect(sent).toBeLessThan(4 * 1024 * 1024); // reading stopped at the cap
  });
});

describe("POST /webhooks/events: rate per source", () => {
  it("answers the request past [webhooks] events_per_minute from one source 429 with Retry-After, and other sources still pass", async ({ expect }) => {
    const from = (ip: string) => exports.default.fetch(post("{}", { "cf-connecting-ip": ip }));
    const statuses: number[] = [];
    for (let i = 0; i < DEFAULT_EVENTS_PER_MINUTE; i += 50) {
      statuses.push(...(await Promise.all(Array.from({ length: Math.min(50, DEFAULT_EVENTS_PER_MINUTE - i) }, async () => (await from("203.0.113.7")).status))));
    }
    // Every one of the limit's requests got through to the route (which refused the empty event).
    expect(statuses).toEqual(Array(DEFAULT_EVENTS_PER_MINUTE).fill(400));
    const refused = await from("203.0.113.7");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    const reason = (await refused.json()) as ErrorBody;
    expect(reason.code).toBe("rate_limited");
    expect(reason.error).toMatch(/^too many events from 203\.0\.113\.7: the limit is \[webhooks\] events_per_minute/);
    expect((await from("198.51.100.1")).status).toBe(400);
  }, 60_000);
});
