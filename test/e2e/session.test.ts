/// <reference lib="dom" />
/**
 * Sessions as a browser meets them: a session cookie that was tampered with, or that expired, gets
 * no page and no API answer, only the reason and a way to sign in again.
 */
import type { Browser, Page } from "playwright-core";
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

async function withSession(jwt: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: e2e.base });
  context.setDefaultTimeout(15_000);
  await context.addCookies([{ name: "jwt", value: jwt, url: e2e.base, httpOnly: true, sameSite: "Lax" }]);
  return context.newPage();
}

/** What the API answers this page's own fetch (same origin, same cookie). */
async function apiFrom(page: Page, path: string): Promise<{ status: number; body: { error?: string } }> {
  return page.evaluate(async (url) => {
    const res = await fetch(url, { credentials: "same-origin" });
    return { status: res.status, body: (await res.json()) as { error?: string } };
  }, path);
}

describe("refused sessions", () => {
  it("a forged session cookie gets the reason and a sign-in link, and no API", async () => {
    // A real token with its signature replaced: the claims say alice, the signature says otherwise.
    const forged = e2e.token.replace(/\.[^.]+$/, `.${Buffer.from("x".repeat(96)).toString("base64url")}`);
    const page = await withSession(forged);
    const response = await page.goto("/console");
    expect(response!.status()).toBe(401);
    expect(await page.locator("h1").textContent()).toBe("Session refused");
    expect(await page.locator("#notice-message").textContent()).toBe("Your session was refused: bad signature.");
    expect(await page.getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe("/login?next=%2Fconsole");
    expect(await page.locator("text=alice").count()).toBe(0);
    expect(await apiFrom(page, "/ays/repository")).toEqual({ status: 401, body: { error: "bad signature", code: "unauthorized" } });
    await page.context().close();
  });

  it("an expired session is renewed if it can be, and otherwise refused", async () => {
    const page = await withSession(e2e.expiredToken);
    const response = await page.goto("/console/events");
    expect(response!.status()).toBe(401);
    expect(await page.locator("h1").textContent()).toBe("Session expired");
    // There is no refresh token in this browser, so renewing fails and says so.
    await expect.poll(() => page.locator("#refreshing").textContent()).toBe("Your session could not be renewed: please sign in.");
    expect(await page.getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe("/login?next=%2Fconsole%2Fevents");
    expect(await apiFrom(page, "/ays/events")).toEqual({ status: 401, body: { error: "expired", code: "unauthorized" } });
    await page.context().close();
  });
});
