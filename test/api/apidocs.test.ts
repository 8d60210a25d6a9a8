/**
 * /apidocs is swagger-ui served by the Worker itself: the page and every file it loads come from
 * this origin (before, from a CDN: a blank page offline, and against the console's CSP).
 */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";

const get = (path: string) => exports.default.fetch(`http://cockpit.test${path}`);
const STRICT = /default-src 'self'; script-src 'self'; style-src 'self'/;

describe("GET /apidocs", () => {
  it("is a page with no inline script or style and nothing from another host, under a strict CSP", async ({ expect }) => {
    const res = await get("/apidocs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toMatch(STRICT);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const page = await res.text();
    expect(page).toContain('id="swagger-ui"');
    expect(page).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(page).not.toMatch(/<style|style=|<script>|<script(?![^>]*\ssrc=)|\son[a-z]+=/i);
    const scripts = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    const sheets = [...page.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.map((s) => s.replace(/\?.*/, ""))).toEqual(["/apidocs/assets/swagger-ui-bundle.js", "/apidocs/assets/init.js"]);
    expect(sheets.map((s) => s.replace(/\?.*/, ""))).toEqual(["/apidocs/assets/swagger-ui.css"]);

    for (const src of scripts) {
      const js = await get(src);
      expect(js.status, src).toBe(200);
      expect(js.headers.get("content-type"), src).toBe("text/javascript; charset=utf-8");
      expect(js.headers.get("content-security-policy"), src).toMatch(STRICT);
    }
    const bundle = await (await get(scripts[0]!)).text();
    expect(bundle.length).toBeGreaterThan(500_000);
    expect(bundle).toContain("SwaggerUIBundle");
    const init = await (await get(scripts[1]!)).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).toContain("validatorUrl: null");
    const css = await get(sheets[0]!);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toContain(".swagger-ui");
  });

  it("answers 404 for a file it does not have", async ({ expect }) => {
    const res = await get("/apidocs/assets/index.html");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "not_found" });
  });
});
