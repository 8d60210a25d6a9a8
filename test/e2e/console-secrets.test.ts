/**
 * The repository page's secrets form in a real browser (chromium, under the console's strict CSP):
 * a secret set there is listed by name, its value nowhere on the page, and deleted after asking.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./support/browser.ts";
import { signIn } from "./support/session.ts";

const e2e = inject("e2e");
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  const context = await browser.newContext({ baseURL: e2e.base, viewport: { width: 1200, height: 900 } });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  await signIn(page, e2e);
  const res = await fetch(`${e2e.base}/ays/repository`, {
    method: "POST",
    headers: { authorization: `Bearer ${e2e.token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "e2e-secrets" }),
  });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
});

describe("the console's secrets", () => {
  it("sets a secret from the repository page, lists it without its value, and deletes it", async () => {
    const value = `console-value-${crypto.randomUUID()}`;
    await page.goto("/console/repo/e2e-secrets");
    await page.getByText("Set a secret").click();
    await page.getByLabel("Name", { exact: true }).fill("CONSOLE_TOKEN");
    await page.getByLabel("Value").fill(value);
    await page.getByRole("button", { name: "Store secret" }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toBe("Secret stored.");
    expect(await page.locator("section[aria-labelledby=secrets] li strong").allTextContents()).toEqual(["CONSOLE_TOKEN"]);
    expect(await page.content()).not.toContain(value);
    const listed = await fetch(`${e2e.base}/ays/repository/e2e-secrets/secret`, { headers: { authorization: `Bearer ${e2e.token}` } });
    expect(((await listed.json()) as { name: string }[]).map((s) => s.name)).toEqual(["CONSOLE_TOKEN"]);

    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Delete secret CONSOLE_TOKEN" }).click();
    await expect.poll(() => page.locator("#flash").textContent()).toBe("Secret CONSOLE_TOKEN deleted.");
    expect(await page.locator("section[aria-labelledby=secrets] .empty").textContent()).toBe("No repository secrets.");
  });
});
