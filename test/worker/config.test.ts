import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";

// `exports.default` is the Worker under test, running with the example configuration mapped into
// bindings by vitest.config.ts exactly as `cockpit start` maps it.
describe("the Worker's configuration", () => {
  it("serves the organization from the validated config, and no secret", async ({ expect }) => {
    const res = await exports.default.fetch("http://cockpit.test/");
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ name: "cockpit", organization: "MyID", api: "/ays", bot: true, mail: true });
    expect(body).not.toContain("replace-me");
    expect(body).not.toContain("local-dev-webhook-secret");
  });

  it("answers unknown routes with a JSON 404", async ({ expect }) => {
    const res = await exports.default.fetch("http://cockpit.test/nowhere");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no route for GET /nowhere", code: "not_found" });
  });
});

describe("a Worker whose bindings are wrong", () => {
  it("answers 503 naming the key, without leaking secret values", async ({ expect }) => {
    const { createApp } = await import("../../src/routes/app.ts");
    const env = {
      COCKPIT_CONFIG: JSON.stringify({ oauth: { client_id: "x", organization: "o", jwt_key: "nope" } }),
      OAUTH_CLIENT_SECRET: "very-secret",
    } as Env;
    const res = await createApp().fetch(new Request("http://cockpit.test/"), env);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      error: "Worker var COCKPIT_CONFIG: [oauth].jwt_key: not a PEM public key",
      code: "config_invalid",
    });
    expect(body).not.toContain("very-secret");
  });
});
