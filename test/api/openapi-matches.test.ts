/**
 * /openapi.json describes what the server does. Every operation of the document is called the ways
 * clients get wrong (no token, a malformed body, another content type, a body over the limit, an
 * unknown method), and what the server answers must be among the statuses and content types the
 * document declares for it; every route of the hono app is in the document. Before, a fuzzer and a
 * validator found 303s, 413s, 415s and 405s nowhere in it, `?since=null` allowed by it and refused,
 * and /ays/files said application/octet-stream whatever it served.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, it, type ExpectStatic } from "vitest";
import { MAX_BODY_BYTES, createApp } from "../../src/routes/app.ts";
import { MAX_UPLOAD_BYTES } from "../../src/routes/ays/services.ts";
import { GITHUB_MAX_BYTES } from "../../src/routes/webhooks.ts";
import { mintToken } from "../helpers/auth.ts";

type Operation = {
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema?: { type?: unknown } }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};
type Doc = {
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { responses?: Record<string, { description: string }> };
  security?: unknown[];
};
type Op = { path: string; method: string; op: Operation };

const METHODS = ["get", "put", "post", "delete", "patch", "options", "head"];
const WITH_BODY = new Set(["post", "put", "patch", "delete"]);
let doc: Doc;
let ops: Op[];
let token: string;
/** What each answer of call() carried, read once. */
const bodies = new WeakMap<Response, string>();

beforeAll(async () => {
  const res = await exports.default.fetch("http://cockpit.test/openapi.json");
  doc = (await res.json()) as Doc;
  ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );
  token = await mintToken();
});

/** A concrete URL for a documented path: every parameter a name that exists nowhere. */
const urlOf = (path: string, query = "") => `http://cockpit.test${path.replace(/\{[^}]+\}/g, "nonesuch")}${query}`;
const needsAuth = (op: Operation) => (op.security ?? doc.security ?? []).length > 0;
/** Takes JSON, and nothing but a token is needed to reach its body (GitHub and Telegram check their own headers first). */
const hasJsonBody = (op: Operation) =>
  op.requestBody?.content["application/json"] !== undefined && !(op.parameters ?? []).some((p) => p.in === "header" && p.required);

async function call(op: Op, init: { auth?: boolean; body?: string; type?: string; query?: string } = {}) {
  const headers = new Headers({ accept: "application/json" });
  if (init.auth) headers.set("authorization", `Bearer ${token}`);
  if (init.type) headers.set("content-type", init.type);
  const res = await exports.default.fetch(
    new Request(urlOf(op.path, init.query), { method: op.method.toUpperCase(), headers, body: init.body ?? null, redirect: "manual" }),
  );
  bodies.set(res, await res.text());
  return res;
}

/** The status is declared for the operation, and so is the answer's content type where it declares content. */
function expectDeclared(expect: ExpectStatic, { path, method, op }: Op, res: Response, how: string) {
  const where = `${method.toUpperCase()} ${path} (${how}) answered ${res.status}`;
  expect(Object.keys(op.responses), where).toContain(String(res.status));
  const content = op.responses[String(res.status)]!.content;
  const type = res.headers.get("content-type")?.split(";")[0]?.trim();
  if (content && type && !content["*/*"]) expect(Object.keys(content), `${where} as ${type}`).toContain(type);
  // A JSON error is the document's Error: {error, code}, both strings.
  const text = bodies.get(res);
  if (res.status >= 400 && type === "application/json" && text !== undefined) {
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body, where).toMatchObject({ error: expect.any(String), code: expect.any(String) });
  }
}

describe("the OpenAPI document and the server", () => {
  it("document every route the hono app has", ({ expect }) => {
    const routes = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(ops.map((o) => `${o.method} ${o.path}`));
    expect([...routes].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !routes.has(r))).toEqual([]);
  });

  it("without a token, every operation that needs one answers 401, and every other one a status it declares", async ({ expect }) => {
    for (const o of ops) {
      const res = await call(o, WITH_BODY.has(o.method) ? { body: "{}", type: "application/json" } : {});
      if (needsAuth(o.op)) expect(res.status, `${o.method} ${o.path}`).toBe(401);
      expectDeclared(expect, o, res, "no token");
    }
  });

  it("a malformed JSON body is a 400 where the operation takes JSON, and a declared status everywhere", async ({ expect }) => {
    for (const o of ops.filter((o) => WITH_BODY.has(o.method))) {
      const res = await call(o, { auth: true, body: '{"oops', type: "application/json" });
      if (hasJsonBody(o.op)) expect(res.status, `${o.method} ${o.path}`).toBe(400);
      expectDeclared(expect, o, res, "malformed JSON");
    }
  });

  it("a body of another type is a 415 where the operation takes JSON, and a declared status everywhere", async ({ expect }) => {
    for (const o of ops.filter((o) => WITH_BODY.has(o.method))) {
      const res = await call(o, { auth: true, body: "name=x", type: "text/plain" });
      if (hasJsonBody(o.op)) expect(res.status, `${o.method} ${o.path}`).toBe(415);
      expectDeclared(expect, o, res, "text/plain");
    }
  });

  it("a body over the size limit is a 413 wherever one is declared, and a declared status everywhere", async ({ expect }) => {
    const uploads = (path: string) => /\/action\/\{action\}$/.test(path);
    let refused = 0;
    for (const o of ops.filter((o) => WITH_BODY.has(o.method))) {
      const size = (uploads(o.path) ? MAX_UPLOAD_BYTES + 64 * 1024 : o.path === "/webhooks/github" ? GITHUB_MAX_BYTES : MAX_BODY_BYTES) + 1;
      const res = await call(o, { auth: true, body: `{"x":"${"a".repeat(size)}"}`, type: "application/json" });
      if (o.op.responses["413"]) {
        expect(res.status, `${o.method} ${o.path}`).toBe(413);
        refused++;
      }
      expectDeclared(expect, o, res, "oversized body");
    }
    expect(refused).toBeGreaterThan(20);
  });

  it("?next= makes the session routes answer a 303 they declare", async ({ expect }) => {
    for (const path of ["/auth/refresh", "/auth/logout"]) {
      const o = ops.find((o) => o.path === path && o.method === "post")!;
      const res = await call(o, { query: "?next=%2Fconsole" });
      expect(res.status, path).toBe(303);
      expectDeclared(expect, o, res, "?next=");
    }
  });

  it("a known path with another method answers 405 with Allow naming the documented methods, documented once for all", async ({ expect }) => {
    expect(doc.components.responses?.MethodNotAllowed?.description).toMatch(/Allow/);
    expect(doc.info.description).toMatch(/405/);
    for (const [path, item] of Object.entries(doc.paths)) {
      const methods = Object.keys(item).filter((m) => METHODS.includes(m));
      const other = ["patch", "put", "delete", "post"].find((m) => !methods.includes(m))!;
      const res = await call({ path, method: other, op: item[methods[0]!]! }, { auth: true });
      expect(res.status, `${other} ${path}`).toBe(405);
      const allow = (res.headers.get("allow") ?? "").split(/,\s*/).filter((m) => m !== "HEAD");
      expect(allow.sort(), path).toEqual(methods.map((m) => m.toUpperCase()).sort());
    }
    // An unknown path stays a 404.
    const none = await exports.default.fetch("http://cockpit.test/ays/nothing-here", { method: "PATCH" });
    expect(none.status).toBe(404);
  });

  it("integer query parameters are integers: ?since=null and an empty ?since= are a 400, and the document allows no null", async ({ expect }) => {
    const events = ops.find((o) => o.path === "/ays/events")!;
    for (const name of ["after", "before", "since", "until", "limit"]) {
      const param = events.op.parameters!.find((p) => p.name === name)!;
      expect(param.schema?.type, name).toBe("integer");
    }
    for (const query of ["?since=null", "?since=", "?until=1e3", "?limit=null"]) {
      const res = await call(events, { auth: true, query });
      expect(res.status, query).toBe(400);
      expectDeclared(expect, events, res, query);
    }
    const fine = await call(events, { auth: true, query: "?since=0&limit=5" });
    expect(fine.status).toBe(200);
  });

  it("/ays/files/{key} serves a file with its own content type, as documented", async ({ expect }) => {
    const files = ops.find((o) => o.path === "/ays/files/{key}")!;
    await env.FILES.put("uploads/openapi-test/note.txt", "hello\r\n", { httpMetadata: { contentType: "text/plain; charset=utf-8" } });
    const res = await exports.default.fetch("http://cockpit.test/ays/files/uploads%2Fopenapi-test%2Fnote.txt", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("hello\r\n");
    expectDeclared(expect, files, res, "a text file");
  });

  it("/webhooks/github documents GitHub's headers and its JSON body", ({ expect }) => {
    const github = doc.paths["/webhooks/github"]!.post!;
    const headers = (github.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name);
    expect(headers).toEqual(expect.arrayContaining(["X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"]));
    expect(github.requestBody?.content["application/json"]).toBeDefined();
  });
});
