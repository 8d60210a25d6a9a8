import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, mintToken } from "../helpers/auth.ts";
import { until } from "../helpers/until.ts";
import blueprintEditor from "../../src/console/browser/blueprint-editor.js?raw";
import forms from "../../src/console/browser/forms.js?raw";
import runView from "../../src/console/browser/run-view.js?raw";
import session from "../../src/console/browser/session.js?raw";

/** A page as a browser asks for it: the session is the `jwt` cookie. */
async function page(path: string, token?: string | null): Promise<Response> {
  const headers = new Headers({ accept: "text/html" });
  if (token !== null) headers.set("cookie", `jwt=${token ?? (await mintToken())}`);
  return exports.default.fetch(new Request(`http://cockpit.test${path}`, { headers, redirect: "manual" }));
}

const TEMPLATE = { name: "web", schema: "@0xe1a2b3c4d5e6f708;\nstruct Schema {\n  port @0 :Int64 = 80;\n}\n", actions: "export async function install(job) { job.log('up'); }" };

async function repoWithService(name: string) {
  expect((await api("/ays/repository", { method: "POST", json: { name } })).status).toBe(201);
  expect((await api(`/ays/repository/${name}/template`, { method: "POST", json: TEMPLATE })).status).toBe(201);
  const content = "web__front:\n  port: 8080\nactions:\n  - action: install\n";
  expect((await api(`/ays/repository/${name}/blueprint`, { method: "POST", json: { name: "site.yaml", content } })).status).toBe(201);
  expect((await api(`/ays/repository/${name}/blueprint/site.yaml`, { method: "POST" })).status).toBe(200);
}

describe("console pages", () => {
  it("a browser asking for / is sent to the console, an API client still gets JSON", async () => {
    const browser = await exports.default.fetch(new Request("http://cockpit.test/", { headers: { accept: "text/html,*/*" }, redirect: "manual" }));
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe("/console");
    const client = await exports.default.fetch(new Request("http://cockpit.test/"));
    expect(((await client.json()) as { name: string }).name).toBe("cockpit");
  });

  it("without a session, or with an expired or forged one, shows nothing and resumes the session, then comes back", async () => {
    const expired = await mintToken({ expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const forged = (await mintToken({ claims: { username: "mallory" } })).replace(/\.[^.]+$/, ".AAAA");
    for (const token of [null, expired, forged]) {
      const res = await page("/console/events?type=run.created", token);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/auth/resume?next=%2Fconsole%2Fevents%3Ftype%3Drun.created");
      expect(await res.text()).not.toContain("mallory");
    }
  });

  it("lists, and links, the organization's repositories, with a strict content security policy", async () => {
    await repoWithService("pages-list");
    const res = await page("/console");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const body = await res.text();
    expect(body.startsWith("<!doctype html>")).toBe(true);
    expect(body).toContain('<a href="/console/repo/pages-list">pages-list</a>');
    expect(body).toContain('aria-label="Delete repository pages-list"');
    expect(body).toContain("<span>alice</span>");
  });

  it("shows a repository's blueprints, templates and its services as a grid of action states", async () => {
    await repoWithService("pages-repo");
    const body = await (await page("/console/repo/pages-repo")).text();
    expect(body).toContain('href="/console/repo/pages-repo/blueprint/site.yaml"');
    expect(body).toContain("<strong>web</strong>");
    expect(body).toMatch(/<th scope="col">State<\/th><th scope="col">init<\/th><th scope="col">install<\/th><th scope="col">start<\/th><th scope="col">monitor<\/th>/);
    expect(body).not.toContain('<th scope="col">check_up</th>');
    expect(body).toMatch(/<td class="cell st-scheduled" title="web!front install: scheduled">scheduled/);
    expect(body).toContain('href="/console/repo/pages-repo/service/web/front"');
    expect(body).toContain(
      '<button type="button" class="danger" data-api="DELETE" data-url="/ays/repository/pages-repo/template/web" data-then="reload" ' +
        'data-confirm="Delete template web?" data-done="Template web deleted." aria-label="Delete template web">Delete</button>',
    );
  });

  it("shows a service's data, links and actions with schedule and force buttons", async () => {
    await repoWithService("pages-svc");
    const body = await (await page("/console/repo/pages-svc/service/web/front")).text();
    expect(body).toContain("<dt>port</dt><dd><code>8080</code></dd>");
    expect(body).toContain('data-url="/ays/repository/pages-svc/service/web/front/action/install?force=true"');
    expect(body).toContain('aria-label="Schedule install"');
  });

  it("disables an action with its button, as the page's script posts it, and then offers Enable instead", async () => {
    await repoWithService("pages-switch");
    const url = "/console/repo/pages-switch/service/web/front";
    const before = await (await page(url)).text();
    expect(before).toContain(
      '<button type="button" class="secondary" data-api="POST" data-url="/ays/repository/pages-switch/service/web/front/action/install/disable" data-then="reload" ' +
        'aria-label="Disable install" data-done="install disabled on web!front: runs skip it until it is enabled">Disable</button>',
    );
    expect(before).not.toContain('aria-label="Enable install"');
    // The button's request: the session cookie, from the console's own origin.
    const headers = { cookie: `jwt=${await mintToken()}`, origin: "http://cockpit.test" };
    const disabled = await exports.default.fetch(new Request("http://cockpit.test/ays/repository/pages-switch/service/web/front/action/install/disable", { method: "POST", headers }));
    expect(disabled.status).toBe(200);
    const after = await (await page(url)).text();
    expect(after).toContain('data-url="/ays/repository/pages-switch/service/web/front/action/install/enable"');
    expect(after).toContain('aria-label="Enable install"');
    expect(after).not.toContain('aria-label="Schedule install"');
    expect(after).toContain('aria-label="Schedule init"');
  });

  it("draws a run as an SVG graph of steps and jobs, with the stream to follow", async () => {
    await repoWithService("pages-run");
    const run = (await (await api("/ays/repository/pages-run/aysrun?simulate=true", { method: "POST" })).json()) as { key: string };
    const body = await (await page(`/console/repo/pages-run/run/${run.key}`)).text();
    expect(body).toContain(`data-stream="/ays/repository/pages-run/aysrun/${run.key}/stream"`);
    // A small run's page and stream carry every log.
    expect(body).not.toContain("data-without-logs");
    expect(body).toMatch(/<svg [^>]*role="group" aria-label="Run [^"]+: 2 steps, 2 jobs"/);
    expect(body).toMatch(/class="node st-new" data-job="[^"]+" aria-label="web!front init: new"/);
    expect(body).toContain('marker-end="url(#arrow)"');
    // The simulated run can be started from the page; re-run is offered once it has ended.
    expect(body).toMatch(/<button type="button" data-api="POST" data-url="[^"]+" data-then="stay" data-when="new" data-only-simulated="1">Start run/);
    expect(body).toContain(`<button type="button" data-rerun="/ays/repository/pages-run/aysrun/${run.key}/rerun" data-when="ok error cancelled" hidden="">Re-run</button>`);
    // A small run shows its steps and jobs open, each with its log, counted by state.
    expect(body).toContain('<details class="step" id="step-1" data-step="1" open=""><summary><strong>Step 1</strong> · <span data-counts="true">1 job: 1 new</span></summary>');
    expect(body).toMatch(/<details class="job-detail" id="job-[^"]+" data-state="new" open=""><summary>web!front install <span class="badge st-new">new<\/span><\/summary><div class="job-body" data-loaded="1" data-logs="0">/);
    expect(body).toContain('<pre class="log" aria-label="Log of web!front install" tabindex="0"></pre>');
  });

  it("filters the event log by type, repository and time, newest first", async () => {
    await repoWithService("pages-ev");
    await until(
      async () => (await (await api("/ays/events?repo=pages-ev")).json()) as { events: unknown[] },
      (p) => p.events.length >= 4,
    );
    const body = await (await page("/console/events?repo=pages-ev&type=blueprint.executed")).text();
    expect(body).toContain("<code>blueprint.executed</code>");
    expect(body).not.toContain("<code>repository.created</code>");
    // The type field suggests the types the log holds.
    expect(body).toContain('<option value="blueprint.executed"></option>');
    const all = await (await page("/console/events?repo=pages-ev")).text();
    expect(all.indexOf("blueprint.executed")).toBeLessThan(all.indexOf("<code>repository.created</code>"));
    const future = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
    expect(await (await page(`/console/events?repo=pages-ev&since=${future}`)).text()).toContain("No events match.");
    const bad = await page("/console/events?since=yesterday");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("From: expected a date and time");
  });

  it("answers an unknown repository with a page, not JSON", async () => {
    const res = await page("/console/repo/nope-nope");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("no repository nope-nope");
  });

  it("serves its script and stylesheet, versioned by their content", async () => {
    const body = await (await page("/console")).text();
    const src = /<script src="(\/console\/assets\/console\.js\?v=\w+)"/.exec(body)![1]!;
    const script = await exports.default.fetch(new Request(`http://cockpit.test${src}`));
    expect(script.headers.get("content-type")).toContain("text/javascript");
    expect(script.headers.get("cache-control")).toContain("immutable");
    expect(script.headers.get("content-security-policy")).toContain("script-src 'self'");
    // The files of src/console/browser, as they are, joined in order inside one strict function.
    const text = await script.text();
    expect(text).toBe(["(function () {", '"use strict";', session, forms, blueprintEditor, runView, "})();", ""].join("\n"));
    expect(text).toContain("EventSource");
    expect(session).toContain("async function api(");
  });
});

describe("blueprint check", () => {
  it("reports the engine's first problem at its line and column, and stores nothing", async () => {
    await repoWithService("check-bp");
    const check = async (content: string) =>
      (await (await api("/ays/repository/check-bp/blueprint/draft.yaml/check", { method: "POST", json: { content } })).json()) as Record<string, unknown>;
    expect(await check("web__two:\n  port: 1\n")).toEqual({ valid: true });
    expect(await check("web__two:\n  port: 1\n  colour: red\n")).toMatchObject({
      valid: false, line: 3, column: 3, key: "web__two.colour", error: expect.stringMatching(/^draft\.yaml:3:3: web__two\.colour: unknown argument/),
    });
    expect(await check("web__two:\n  port: [1\n")).toMatchObject({ valid: false, line: expect.any(Number), reason: expect.stringContaining("invalid YAML") });
    const list = (await (await api("/ays/repository/check-bp/blueprint")).json()) as { name: string }[];
    expect(list.map((b) => b.name)).toEqual(["site.yaml"]);
  });
});
