/**
 * /apidocs in chromium against `wrangler dev`: swagger-ui draws this Cockpit's operations under the
 * page's strict CSP, loading nothing from another host and breaking no rule of the policy.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./support/browser.ts";

const e2e = inject("e2e");
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("/apidocs in a browser", () => {
  it("draws the operations of /openapi.json offline, with no CSP violation", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const origin = new URL(e2e.base).origin;
    page.on("request", (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) problems.push(`request to ${r.url()}`);
    });
    // A failed load is reported by URL below (the browser's own /favicon.ico aside).
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) problems.push(`${r.status()} for ${r.url()}`);
    });
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${e2e.base}/apidocs`);
    await page.locator(".opblock-summary-path", { hasText: "/ays/repository" }).first().waitFor({ timeout: 20_000 });
    expect(await page.locator(".info .title").first().textContent()).toContain("Cockpit AYS API");
    expect(await page.locator(".opblock").count()).toBeGreaterThan(40);
    await page.close();
    expect(problems).toEqual([]);
  });
});
