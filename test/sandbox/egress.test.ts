import { afterEach, describe, it, vi } from "vitest";
import { runAction, SANDBOX_LIMITS } from "../../src/sandbox/index.ts";
import { isHostAllowed } from "../../src/sandbox/egress.ts";
import { request, testEnv } from "./helpers.ts";

const EGRESS = ["api.example.com", "*.example.org"];

/**
 * Stands in for the network on the cockpit's side: job.fetch() is performed by the cockpit with its
 * global fetch, so a spy there sees (and answers) every allowed request. Nothing reaches the internet.
 */
function fakeNetwork(answer: (request: Request) => Response | Promise<Response>) {
  const seen: Request[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    seen.push(req.clone());
    return answer(req);
  });
  return { spy, seen };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("job.fetch", () => {
  it("goes out through the cockpit for an allowed host", async ({ expect }) => {
    const { seen } = fakeNetwork(async (req) => new Response(`pong:${await req.text()}`, { status: 201, headers: { "x-served-by": "fake" } }));
    const code = `export async function install(job) {
      const res = await job.fetch("https://api.example.com/v1/ping?x=1", { method: "POST", body: "hi", headers: { "x-token": "t" } });
      return { status: res.status, body: await res.text(), servedBy: res.headers.get("x-served-by") };
    }`;
    const outcome = await runAction(testEnv, await request(code, { egress: EGRESS }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual({ status: 201, body: "pong:hi", servedBy: "fake" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe("https://api.example.com/v1/ping?x=1");
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.headers.get("x-token")).toBe("t");
    expect(seen[0]!.redirect).toBe("manual");
  });

  it("refuses any other host without fetching anything", async ({ expect }) => {
    const { spy } = fakeNetwork(() => new Response("should not happen"));
    const code = `export async function install(job) {
      const errors = [];
      for (const url of ["https://evil.test/steal", "https://example.org/", "https://api.example.com.evil.test/", "http://169.254.169.254/latest"]) {
        try { await job.fetch(url); } catch (e) { errors.push(e.message); }
      }
      return errors;
    }`;
    const outcome = await runAction(testEnv, await request(code, { egress: EGRESS }));
    expect(outcome.result).toEqual([
      "egress to evil.test is not allowed (allowed: api.example.com, *.example.org)",
      "egress to example.org is not allowed (allowed: api.example.com, *.example.org)",
      "egress to api.example.com.evil.test is not allowed (allowed: api.example.com, *.example.org)",
      "egress to 169.254.169.254 is not allowed (allowed: api.example.com, *.example.org)",
    ]);
    expect(spy).not.toHaveBeenCalled();
  });

  it("fails the job when the refusal is not caught", async ({ expect }) => {
    const { spy } = fakeNetwork(() => new Response("no"));
    const outcome = await runAction(testEnv, await request(`export async function install(job) { await job.fetch("https://evil.test/"); }`));
    expect(outcome).toMatchObject({ state: "error", error: { message: "egress to evil.test is not allowed (allowed: none)" } });
    expect(spy).not.toHaveBeenCalled();
  });

  it("allows subdomains of a wildcard entry", async ({ expect }) => {
    const { seen } = fakeNetwork(() => new Response("ok"));
    const code = `export async function install(job) { return (await job.fetch("https://a.b.example.org/x")).status; }`;
    const outcome = await runAction(testEnv, await request(code, { egress: EGRESS }));
    expect(outcome.result).toBe(200);
    expect(seen.map((r) => r.url)).toEqual(["https://a.b.example.org/x"]);
    expect(isHostAllowed("EXAMPLE.org", EGRESS)).toBe(false);
    expect(isHostAllowed("API.Example.com.", EGRESS)).toBe(true);
  });

  it("checks every redirect against the rules, and drops credentials across hosts", async ({ expect }) => {
    const { seen } = fakeNetwork((req) => {
      const url = new URL(req.url);
      if (url.pathname === "/start") return new Response(null, { status: 302, headers: { location: "https://cdn.example.org/next" } });
      if (url.pathname === "/next") return new Response(null, { status: 301, headers: { location: "https://evil.test/steal" } });
      return new Response("unexpected");
    });
    const code = `export async function install(job) {
      try { await job.fetch("https://api.example.com/start", { headers: { authorization: "Bearer s3cret" } }); }
      catch (e) { return e.message; }
    }`;
    const outcome = await runAction(testEnv, await request(code, { egress: EGRESS }));
    expect(outcome.result).toBe("egress to evil.test is not allowed (allowed: api.example.com, *.example.org)");
    expect(seen.map((r) => [r.url, r.headers.get("authorization")])).toEqual([
      ["https://api.example.com/start", "Bearer s3cret"],
      ["https://cdn.example.org/next", null],
    ]);
  });

  it("only fetches http and https URLs", async ({ expect }) => {
    const { spy } = fakeNetwork(() => new Response("no"));
    const code = `export async function install(job) {
      const errors = [];
      for (const url of ["ftp://api.example.com/x", "not a url"]) { try { await job.fetch(url); } catch (e) { errors.push(e.name + ": " + e.message); } }
      return errors;
    }`;
    const outcome = await runAction(testEnv, await request(code, { egress: EGRESS }));
    expect(outcome.result).toEqual([
      "TypeError: job.fetch: only http and https URLs can be fetched, not ftp:",
      expect.stringMatching(/^TypeError: .*(URL|url)/),
    ]);
    expect(spy).not.toHaveBeenCalled();
  });

  it("limits the number of requests of one job", async ({ expect }) => {
    fakeNetwork(() => new Response("ok"));
    const code = `export async function install(job) {
      let n = 0;
      try { for (;;) { await job.fetch("https://api.example.com/"); n++; } } catch (e) { return [n, e.message]; }
    }`;
    const outcome = await runAction(testEnv, await request(code, { egress: EGRESS }));
    expect(outcome.result).toEqual([SANDBOX_LIMITS.maxFetches, `job.fetch: more than ${SANDBOX_LIMITS.maxFetches} requests in one job`]);
  });
});

describe("the sandbox's own network access", () => {
  it("fails for fetch() and connect(), even to an allowed host, and never reaches the cockpit's fetch", async ({ expect }) => {
    const { spy } = fakeNetwork(() => new Response("should not happen"));
    const code = `import { connect } from "cloudflare:sockets";
      export async function install(job) {
        const out = {};
        try { await fetch("https://api.example.com/"); out.fetch = "reached"; } catch (e) { out.fetch = e.message; }
        try { const s = connect("api.example.com:443"); await s.opened; out.connect = "opened"; } catch (e) { out.connect = e.message; }
        return out;
      }`;
    const outcome = await runAction(testEnv, await request(code, { egress: EGRESS }));
    const denied = "This worker is not permitted to access the internet via global functions like fetch(). It must use capabilities (such as bindings in 'env') to talk to the outside world.";
    expect(outcome.result).toEqual({ fetch: denied, connect: denied });
    expect(spy).not.toHaveBeenCalled();
  });
});
