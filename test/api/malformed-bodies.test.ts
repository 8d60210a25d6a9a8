/**
 * Bodies a JSON route cannot read are the client's mistake, answered 400 or 415 with the reason and
 * the usual {error, code}; before, malformed or empty JSON and other content types answered 500.
 */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";

const post = (path: string, body: BodyInit | null, contentType?: string) =>
  api(path, { method: "POST", body, headers: contentType ? { "content-type": contentType } : {} });
const unauthenticated = (path: string, body: BodyInit | null, contentType?: string) =>
  exports.default.fetch(new Request(`http://cockpit.test${path}`, { method: "POST", body, headers: contentType ? { "content-type": contentType } : {} }));

describe("a body a JSON route cannot read", () => {
  it.for<[string, BodyInit | null, string | undefined, number, string]>([
    ["malformed JSON", "{not json", "application/json", 400, "invalid_request"],
    ["an empty JSON body", "", "application/json", 400, "invalid_request"],
    ["text/plain", '{"name":"x"}', "text/plain", 415, "unsupported_media_type"],
    ["a form", "name=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"],
    ["no content type", '{"name":"x"}', undefined, 415, "unsupported_media_type"],
    ["no body at all", null, undefined, 400, "invalid_request"],
  ])("(%s) is refused with a reason, nothing created", async ([, body, type, status, code], { expect }) => {
    const res = await post("/ays/repository", body, type);
    expect(res.status).toBe(status);
    const answer = (await res.json()) as { code: string; error: string };
    expect(answer.code).toBe(code);
    expect(answer.error.length).toBeGreaterThan(5);
    const list = (await (await api("/ays/repository")).json()) as { name: string }[];
    expect(list.map((r) => r.name)).not.toContain("x");
  });

  it("on the unauthenticated POST /webhooks/events too", async ({ expect }) => {
    const bad = await unauthenticated("/webhooks/events", "{oops", "application/json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe("invalid_request");
    const text = await unauthenticated("/webhooks/events", "hello", "text/plain");
    expect(text.status).toBe(415);
  });

  it("leaves routes without a body and file uploads alone", async ({ expect }) => {
    expect((await api("/ays/repository")).status).toBe(200);
    const noBody = await post("/ays/repository/none-such/aysrun", null);
    expect(noBody.status).toBe(404);
  });
});

describe("a JSON body nested too deep", () => {
  const nested = (depth: number, open = "[", close = "]") => open.repeat(depth) + close.repeat(depth);

  it("(100,000 levels) on POST /webhooks/events answers 400 with the limit, not 500", async ({ expect }) => {
    const body = `{"command":"deep","payload":{"x":${nested(100_000)}}}`;
    const res = await unauthenticated("/webhooks/events", body, "application/json");
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { code: string; error: string };
    expect(answer.code).toBe("too_deep");
    expect(answer.error).toMatch(/nested deeper than 64 levels/);
  });

  it("on an /ays route too, objects as well as arrays; nothing created", async ({ expect }) => {
    const body = `{"name":"deep","x":${'{"a":'.repeat(70_000)}1${"}".repeat(70_000)}}`;
    const res = await post("/ays/repository", body, "application/json");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("too_deep");
    const list = (await (await api("/ays/repository")).json()) as { name: string }[];
    expect(list.map((r) => r.name)).not.toContain("deep");
  });

  it("counts only brackets outside strings, and takes exactly the limit", async ({ expect }) => {
    // 64 levels in all (the body's own object is the first), and brackets inside a string are text.
    const payload = `{"x":${nested(62)},"s":"${"[".repeat(500)}\\"]"}`;
    const res = await unauthenticated("/webhooks/events", `{"command":"deep","payload":${payload}}`, "application/json");
    expect(res.status).toBe(202);
    const over = await unauthenticated("/webhooks/events", `{"command":"deep","payload":{"x":${nested(63)}}}`, "application/json");
    expect(over.status).toBe(400);
  });
});
