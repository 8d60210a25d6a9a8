/// <reference lib="dom" />
/**
 * The console in a real browser (Debian's chromium) against `wrangler dev`: an operator creates a
 * repository, writes a blueprint with a mistake, sees it at its line, fixes it, executes it, and
 * watches the run go green without reloading the page.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./support/browser.ts";
import { signIn } from "./support/session.ts";

const e2e = inject("e2e");
let browser: Browser;
let context: BrowserContext;
let page: Page;

const TEMPLATE = {
  name: "web",
  schema: "@0xe1a2b3c4d5e6f708;\nstruct Schema {\n  port @0 :Int64 = 80;\n}\n",
  // Slow enough that the run is seen running before it is seen ok.
  actions:
    'export async function install(job) { job.log("starting"); await new Promise((r) => setTimeout(r, 1500)); ' +
    'job.log("listening on " + job.service.data.port); }',
};

const BROKEN = "web__front:\n  port: 8080\n  colour: red\nactions:\n  - action: install\n";
const FIXED = "web__front:\n  port: 8080\nactions:\n  - action: install\n";

beforeAll(async () => {
  browser = await launchBrowser();
  context = await browser.newContext({ baseURL: e2e.base, viewport: { width: 1200, height: 900 } });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  // A real console session: signed in at the OpenID provider on 127.0.0.1 (oidc-provider).
  await signIn(page, e2e);
});

afterAll(async () => {
  await browser?.close();
});

describe("console", () => {
  it("creates a repository from the list page", async () => {
    await page.goto("/console");
    await page.getByLabel("Name").fill("e2e-demo");
    await page.getByRole("button", { name: "Create repository" }).click();
    await page.waitForURL("**/console/repo/e2e-demo");
    await expect.poll(() => page.locator("h1").textContent()).toBe("e2e-demo");
    expect(await page.locator("#flash").textContent()).toBe("Repository created.");
  });

  it("stores a template from the repository page", async () => {
    await page.getByText("Add or replace a template").click();
    await page.getByLabel("Actor name").fill(TEMPLATE.name);
    await page.getByLabel("schema.capnp").fill(TEMPLATE.schema);
    await page.getByLabel("actions.js").fill(TEMPLATE.actions);
    await page.getByRole("button", { name: "Store template" }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toBe("Template stored.");
    expect(await page.locator("section[aria-labelledby=tmpls] summary strong").allTextContents()).toEqual(["web"]);
  });

  it("shows a blueprint's error at its line as you type, and accepts the fix", async () => {
    await page.goto("/console/repo/e2e-demo");
    await page.getByRole("link", { name: "New blueprint" }).click();
    await page.getByLabel("File name").fill("site.yaml");
    await page.getByLabel("Blueprint (YAML)").fill(BROKEN);
    const result = page.locator("#bp-check");
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toContain("web__front.colour: unknown argument colour");
    await expect.poll(() => page.getByRole("button", { name: "Go to line 3, column 3" }).count()).toBe(1);
    expect(await page.locator(".gutter mark").textContent()).toBe("3");
    expect(await page.getByLabel("Blueprint (YAML)").getAttribute("aria-invalid")).toBe("true");
    // The button takes the cursor to the problem.
    await page.getByRole("button", { name: "Go to line 3, column 3" }).click();
    expect(await page.evaluate(() => (document.activeElement as HTMLTextAreaElement).selectionStart)).toBe(BROKEN.indexOf("colour"));

    await page.getByLabel("Blueprint (YAML)").fill(FIXED);
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toBe("Valid blueprint.");
    expect(await page.locator(".gutter mark").count()).toBe(0);
    await page.getByRole("button", { name: "Create blueprint" }).click();
    await page.waitForURL("**/console/repo/e2e-demo/blueprint/site.yaml");
    await page.getByRole("button", { name: "Execute" }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toContain("blueprint site.yaml executed: 1 services created");
  });

  it("watches a run go green live, without reloading", async () => {
    await page.goto("/console/repo/e2e-demo");
    expect(await page.locator("td.cell.st-scheduled").count()).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Plan a run (start it later)" }).click();
    await page.waitForURL(/\/console\/repo\/e2e-demo\/run\//);
    const nodes = page.locator("svg .node");
    expect(await nodes.count()).toBe(2);
    expect(await nodes.evaluateAll((els) => els.map((e) => e.getAttribute("class")))).toEqual(["node st-new", "node st-new"]);
    // Every class a job box takes, in order, and a marker that disappears if the page reloads.
    await page.evaluate(() => {
      const w = window as unknown as { seen: string[]; samePage: boolean };
      w.samePage = true;
      w.seen = [];
      const observer = new MutationObserver((changes) => {
        for (const change of changes) w.seen.push(`${actions.get(change.target as Element)} ${(change.target as Element).getAttribute("class")}`);
      });
      // The boxes' labels start as "web!front install: new": remember which box is which action.
      const actions = new Map([...document.querySelectorAll("svg .node")].map((n) => [n, n.getAttribute("aria-label")!.split(" ")[1]!]));
      document.querySelectorAll("svg .node").forEach((n) => observer.observe(n, { attributes: true, attributeFilter: ["class"] }));
    });
    await page.getByRole("button", { name: "Start run" }).click();
    await expect.poll(() => page.locator("#run-state").textContent(), { timeout: 30_000 }).toBe("ok");
    expect(await nodes.evaluateAll((els) => els.map((e) => e.getAttribute("class")))).toEqual(["node st-ok", "node st-ok"]);
    const { seen, samePage } = await page.evaluate(() => {
      const w = window as unknown as { seen: string[]; samePage: boolean };
      return { seen: w.seen, samePage: w.samePage };
    });
    expect(samePage).toBe(true);
    const install = seen.filter((s) => s.startsWith("install:")).map((s) => s.split(" ").pop());
    expect(install).toContain("st-running");
    expect(install.at(-1)).toBe("st-ok");
    expect(install.indexOf("st-running")).toBeLessThan(install.lastIndexOf("st-ok"));
    // The log arrived over the stream too.
    await expect.poll(() => page.locator("pre.log").last().textContent()).toContain("listening on 8080");
    expect(await page.getByRole("button", { name: "Re-run" }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Cancel run" }).isVisible()).toBe(false);
  });

  it("re-runs a finished run: the same actions, forced, in a new run that goes green too", async () => {
    const first = page.url();
    await page.getByRole("button", { name: "Re-run" }).click();
    await page.waitForURL((url) => url.toString() !== first && url.pathname.includes("/run/"));
    expect(await page.locator("#flash").textContent()).toMatch(/^Run \S+ started\.$/);
    // Same shape as the first run: init, then install.
    expect(await page.locator("svg .node").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")!.split(":")[0]))).toEqual([
      "web!front init",
      "web!front install",
    ]);
    await expect.poll(() => page.locator("#run-state").textContent(), { timeout: 30_000 }).toBe("ok");
  });

  it("shows the service with its actions, and the events of it all", async () => {
    await page.goto("/console/repo/e2e-demo");
    await page.getByRole("link", { name: "web!front" }).click();
    await page.waitForURL("**/service/web/front");
    expect(await page.locator("tr", { hasText: "install" }).first().locator(".badge").textContent()).toBe("ok");
    await page.getByRole("link", { name: "Events" }).click();
    await page.getByLabel("Repository").selectOption("e2e-demo");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/repo=e2e-demo/);
    const types = await page.locator("table.events tbody td:nth-child(2)").allTextContents();
    expect(types).toEqual(expect.arrayContaining(["repository.created", "blueprint.created", "blueprint.executed", "run.created", "run.started"]));
  });

  it("cancels a planned run after asking, and offers to run it again", async () => {
    await page.goto("/console/repo/e2e-demo/service/web/front");
    await page.getByRole("button", { name: "Force install" }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toBe("install scheduled on web!front (forced)");
    await page.getByRole("button", { name: "Plan a run (start it later)" }).click();
    await page.waitForURL(/\/run\//);
    expect(await page.locator("#run-state").textContent()).toBe("new");
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Cancel run" }).click();
    await expect.poll(() => page.locator("#run-state").textContent()).toBe("cancelled");
    expect(await page.getByRole("button", { name: "Cancel run" }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Start run" }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Re-run" }).isVisible()).toBe(true);
    // Re-running a planned run plans it again (the server keeps it simulated): nothing starts.
    const cancelled = page.url();
    await page.getByRole("button", { name: "Re-run" }).click();
    await page.waitForURL((url) => url.toString() !== cancelled && url.pathname.includes("/run/"));
    expect(await page.locator("#flash").textContent()).toMatch(/^Run \S+ planned: start it from its page\.$/);
    expect(await page.locator("#run-state").textContent()).toBe("new");
    expect(await page.getByRole("button", { name: "Start run" }).isVisible()).toBe(true);
    expect(await page.locator("p.meta", { hasText: "re-run of" }).getByRole("link").getAttribute("href")).toBe(new URL(cancelled).pathname);
  });
});

/** The API as the page's own script calls it: same origin, the session cookie. */
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return page.evaluate(
    async ([m, p, b]) => {
      const res = await fetch(p, {
        method: m,
        credentials: "same-origin",
        ...(b === null ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(b) }),
      });
      return { status: res.status, body: await res.text() };
    },
    [method, path, body ?? null] as const,
  );
}

describe("a run too big to show at once", () => {
  it("folds its jobs by step, loads a job's log when it is opened, and keeps the counts live", async () => {
    await page.goto("/console");
    expect((await call("POST", "/ays/repository", { name: "e2e-big" })).status).toBe(201);
    const actions =
      'export async function install(job) { job.log("starting"); await new Promise((r) => setTimeout(r, 400)); job.log("done " + job.service.key); }';
    expect((await call("POST", "/ays/repository/e2e-big/template", { name: "box", actions })).status).toBe(201);
    // 15 services: 30 jobs, more than a run shows open, and more boxes per step than the graph draws.
    const content = `${Array.from({ length: 15 }, (_, i) => `box__b${i}:`).join("\n")}\nactions:\n  - action: install\n`;
    expect((await call("POST", "/ays/repository/e2e-big/blueprint", { name: "big.yaml", content })).status).toBe(201);
    expect((await call("POST", "/ays/repository/e2e-big/blueprint/big.yaml")).status).toBe(200);
    const planned = await call("POST", "/ays/repository/e2e-big/aysrun?simulate=true");
    const key = (JSON.parse(planned.body) as { key: string }).key;

    await page.goto(`/console/repo/e2e-big/run/${key}`);
    await page.evaluate(() => { (window as unknown as { samePage: boolean }).samePage = true; });
    expect(await page.locator("details.step").count()).toBe(2);
    expect(await page.locator("details.step[open], details.job-detail[open]").count()).toBe(0);
    expect(await page.locator("#step-2 [data-counts]").textContent()).toBe("15 jobs: 15 new");
    expect(await page.locator("svg .node").count()).toBe(20);
    expect(await page.locator("svg .more").allTextContents()).toEqual(["+5 more", "+5 more"]);
    expect(await page.locator("pre.log").count()).toBe(0);

    // "+5 more" opens its step; a job opens from the keyboard, and its log is fetched then.
    await page.locator("svg .more[data-more='2']").click();
    await expect.poll(() => page.locator("#step-2").getAttribute("open")).toBe("");
    const first = page.locator("#step-2 details.job-detail").first();
    await first.locator("summary").focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => first.locator("pre.log").count()).toBe(1);
    expect(await first.locator("pre.log").textContent()).toBe("");

    await page.getByRole("button", { name: "Start run" }).click();
    // Counts of both steps, folded or not, and the opened job's log follow the stream.
    await expect.poll(() => page.locator("#step-2 [data-counts]").textContent(), { timeout: 60_000 }).toBe("15 jobs: 15 ok");
    expect(await page.locator("#step-1 [data-counts]").textContent()).toBe("15 jobs: 15 ok");
    expect(await page.locator("#step-1").getAttribute("open")).toBeNull();
    await expect.poll(() => first.locator("pre.log").textContent()).toBe("[info] starting\n[info] done box!b0\n");
    expect(await first.locator("summary .badge").textContent()).toBe("ok");
    // A job opened after the run fetches its whole log.
    const last = page.locator("#step-2 details.job-detail").last();
    await last.locator("summary").click();
    await expect.poll(() => last.locator("pre.log").textContent()).toBe("[info] starting\n[info] done box!b9\n");
    expect(await page.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).toBe(true);
  });

  it("follows the stream without logs and fetches again an opened job's lines it missed", async () => {
    // 11 more services: a planned run of 22 jobs, more than a run shows open.
    const content = `${Array.from({ length: 11 }, (_, i) => `box__c${i}:`).join("\n")}\nactions:\n  - action: install\n`;
    expect((await call("POST", "/ays/repository/e2e-big/blueprint", { name: "more.yaml", content })).status).toBe(201);
    expect((await call("POST", "/ays/repository/e2e-big/blueprint/more.yaml")).status).toBe(200);
    const planned = await call("POST", "/ays/repository/e2e-big/aysrun?simulate=true");
    expect(planned.status).toBe(200);
    const key = (JSON.parse(planned.body) as { key: string }).key;
    // The stream is held back until the run has ended: its first event then counts lines the page never saw.
    const streams: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => { release = r; });
    await page.route("**/aysrun/*/stream*", async (route) => {
      streams.push(new URL(route.request().url()).search);
      await held;
      // Not there any more when the page has gone elsewhere meanwhile.
      await route.continue().catch(() => undefined);
    });
    try {
      await page.goto(`/console/repo/e2e-big/run/${key}`);
      await page.locator("#step-2 > summary").click();
      const first = page.locator("#step-2 details.job-detail").first();
      await first.locator("summary").click();
      await expect.poll(() => first.locator("pre.log").count()).toBe(1);
      expect(await first.locator("pre.log").textContent()).toBe("");

      expect((await call("POST", `/ays/repository/e2e-big/aysrun/${key}`)).status).toBe(200);
      await expect.poll(async () => (JSON.parse((await call("GET", `/ays/repository/e2e-big/aysrun/${key}`)).body) as { state: string }).state, { timeout: 60_000 }).toBe("ok");
      expect(await first.locator("pre.log").textContent()).toBe("");
      release();
      await expect.poll(() => page.locator("#run-state").textContent()).toBe("ok");
      await expect.poll(() => first.locator("pre.log").textContent()).toBe("[info] starting\n[info] done box!c0\n");
      expect(await page.locator("#step-2 [data-counts]").textContent()).toBe("11 jobs: 11 ok");
      expect(streams).toEqual(["?logs=none"]);
    } finally {
      release();
      await page.unroute("**/aysrun/*/stream*");
    }
  });
});

describe("on a phone and with a keyboard", () => {
  it("every main page fits a phone's width: only tables and the graph scroll, inside their boxes", async () => {
    const phone = await browser.newContext({ baseURL: e2e.base, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await phone.addCookies(await context.cookies());
    const p = await phone.newPage();
    const runs = ((await (await phone.request.get("/ays/repository/e2e-demo/aysrun")).json()) as { runs: { key: string }[] }).runs;
    for (const path of [
      "/console",
      "/console/repo/e2e-demo",
      "/console/repo/e2e-demo/blueprint/site.yaml",
      "/console/repo/e2e-demo/service/web/front",
      `/console/repo/e2e-demo/run/${runs[0]!.key}`,
      "/console/events",
    ]) {
      await p.goto(path);
      const widths = await p.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
      expect(widths.page, path).toBeLessThanOrEqual(widths.screen);
    }
    await phone.close();
  });

  it("creates a repository with the keyboard alone, with focus always visible", async () => {
    const p = await context.newPage();
    await p.goto("/console");
    await p.keyboard.press("Tab");
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await p.keyboard.press("Enter");
    expect(await p.evaluate(() => document.activeElement?.id)).toBe("main");
    // From the top of the content, Tab reaches the name field before anything else.
    await p.keyboard.press("Tab");
    expect(await p.evaluate(() => document.activeElement?.id)).toBe("repo-name");
    const outline = await p.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe("solid");
    await p.keyboard.type("by-keys");
    await p.keyboard.press("Enter");
    await p.waitForURL("**/console/repo/by-keys");
    expect(await p.locator("h1").textContent()).toBe("by-keys");
    await p.close();
  });
});

describe("refusals and deleting", () => {
  it("says why the API refused a button, next to it", async () => {
    await page.goto("/console/repo/by-keys");
    await page.getByRole("button", { name: "Run scheduled actions" }).click();
    const alert = page.locator("section[aria-labelledby=runs] [role=alert]");
    await expect.poll(() => alert.textContent()).toMatch(/nothing/i);
    expect(await alert.isVisible()).toBe(true);
    expect(await page.locator("section[aria-labelledby=bps] [role=alert]").isVisible()).toBe(false);
  });

  it("deletes a template after asking, and says who still uses one it cannot delete", async () => {
    await page.goto("/console/repo/e2e-demo");
    expect((await call("POST", "/ays/repository/e2e-demo/template", { name: "spare", actions: "export function install() {}" })).status).toBe(201);
    await page.reload();
    const alert = page.locator("section[aria-labelledby=tmpls] > [role=alert]");
    page.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Delete template web?");
      void dialog.accept();
    });
    await page.getByRole("button", { name: "Delete template web" }).click();
    await expect.poll(() => alert.textContent()).toBe("template web is in use by services web!front; blueprints site.yaml");
    expect(await alert.isVisible()).toBe(true);

    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Delete template spare" }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toBe("Template spare deleted.");
    expect(await page.locator("section[aria-labelledby=tmpls] summary strong").allTextContents()).toEqual(["web"]);
  });

  it("deletes a repository only once the operator confirms", async () => {
    await page.goto("/console");
    const button = page.getByRole("button", { name: "Delete repository by-keys" });
    page.once("dialog", (dialog) => void dialog.dismiss());
    await button.click();
    expect(await page.getByRole("link", { name: "by-keys", exact: true }).count()).toBe(1);
    page.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Delete repository by-keys with its blueprints, services and runs?");
      void dialog.accept();
    });
    await button.click();
    await page.waitForLoadState("load");
    await expect.poll(() => page.getByRole("link", { name: "by-keys", exact: true }).count()).toBe(0);
    expect(await page.locator("#flash").textContent()).toBe("Repository by-keys deleted.");
  });
});
