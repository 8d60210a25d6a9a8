/// <reference lib="dom" />
/**
 * Signing in to the console as a person does: through the identity provider's page (a real OpenID
 * provider on 127.0.0.1, test/node/openid-provider.ts), with the session renewed behind the scenes, signed out on request, and refused when
 * the session cookie was tampered with, has expired for good, or was replayed.
 */
import type { APIResponse, Browser, BrowserContext, Cookie, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./support/browser.ts";
import { signIn } from "./support/session.ts";

const e2e = inject("e2e");
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function fresh(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: e2e.base });
  context.setDefaultTimeout(15_000);
  return { context, page: await context.newPage() };
}


const cookie = async (context: BrowserContext, name: string): Promise<Cookie | undefined> =>
  (await context.cookies(e2e.base + "/auth/refresh")).find((c) => c.name === name);

/** What the API answers this page's own fetch (same origin, same cookies). */
async function apiFrom(page: Page, path: string, method = "GET"): Promise<{ status: number; body: Record<string, unknown> }> {
  return page.evaluate(
    async ([url, verb]) => {
      const res = await fetch(url!, { method: verb, credentials: "same-origin" });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    [path, method],
  );
}

describe("signing in", () => {
  it("goes through the identity provider, shows its progress, and comes back to the page asked for", async () => {
    const { context, page } = await fresh();
    // The callback streams a progress page that moves on by itself once done. To read it whole, the
    // provider's redirects are caught (a route sees no redirected request) and each opened as a
    // navigation of its own: the sign-in, then the consent step that offline_access comes with
    // (prompt=consent, which this provider grants by itself), then the callback.
    let hop = "";
    let callback = "";
    let progress = "";
    /** Answers the browser 200 with the provider's cookies, keeping where it redirected to. */
    const caught = async (route: Route, answer: APIResponse, body: string) => {
      const headers = Object.fromEntries(answer.headersArray().filter((h) => !["location", "set-cookie"].includes(h.name.toLowerCase())).map((h) => [h.name, h.value]));
      const cookies = answer.headersArray().filter((h) => h.name.toLowerCase() === "set-cookie").map((h) => h.value);
      await route.fulfill({ status: 200, headers: { ...headers, ...(cookies.length ? { "set-cookie": cookies.join("\n") } : {}), "content-type": "text/html" }, body });
    };
    await page.route(`${e2e.provider}/interaction/*`, async (route) => {
      const answer = await route.fetch({ maxRedirects: 0 });
      if (!answer.headers().location) return route.fulfill({ response: answer });
      hop = new URL(answer.headers().location!, e2e.provider).toString();
      await caught(route, answer, "<p>signed in at the provider…</p>");
    });
    await page.route(`${e2e.provider}/auth/*`, async (route) => {
      const answer = await route.fetch({ maxRedirects: 0 });
      const location = new URL(answer.headers().location!, e2e.provider).toString();
      if (location.startsWith(`${e2e.provider}/`)) hop = location;
      else callback = location;
      await caught(route, answer, "<p>back to the cockpit…</p>");
    });
    await page.route("**/oauth/callback?**", async (route) => {
      const answer = await route.fetch();
      progress = await answer.text();
      await route.fulfill({ response: answer, body: progress });
    });
    await page.goto("/console/events");
    await page.waitForURL(`${e2e.provider}/interaction/**`);
    await page.getByLabel("User name").fill("alice");
    await page.getByRole("button", { name: "Sign in" }).click();
    for (let hops = 0; !callback && hops < 4; hops++) {
      await expect.poll(() => hop || callback).not.toBe("");
      const next = hop;
      hop = "";
      if (next) await page.goto(next);
    }
    expect(callback).toMatch(/\/oauth\/callback\?/);
    await page.goto(callback);
    await page.waitForURL(`${e2e.base}/console/events`);
    expect(await page.locator("h1").textContent()).toBe("Events");
    expect(await page.locator(".who span").textContent()).toBe("alice");
    expect(progress).toContain("Exchanging code with 127.0.0.1");
    expect(progress).toContain("Checking membership of MyID…");
    const access = await cookie(context, "jwt");
    const refresh = await cookie(context, "cockpit_refresh");
    expect(access).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    expect(refresh).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/auth" });
    // The sign-in is in the organization's login history, through the web channel: on the page, and in the API.
    const latest = page.locator("section[aria-labelledby=sign-ins] tbody tr").first();
    expect(await latest.locator("td").allTextContents()).toEqual([expect.any(String), "alice", "web", "web console"]);
    const logins = await apiFrom(page, "/ays/logins?user=alice");
    expect(logins.status).toBe(200);
    expect((logins.body.logins as { channel: string }[])[0]!.channel).toBe("web");
    await context.close();
  });

  it("refuses a non-member at the callback and says why", async () => {
    const { context, page } = await fresh();
    await page.goto("/console");
    await page.waitForURL(`${e2e.provider}/interaction/**`);
    await page.getByLabel("User name").fill("mallory");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("[role=alert]").textContent()).toContain("mallory is not a member of the organization 'MyID' (the groups claim does not list it)");
    expect(await cookie(context, "jwt")).toBeUndefined();
    await context.close();
  });

  it("shows the provider's own error when the person cancels there", async () => {
    const { context, page } = await fresh();
    await page.goto("/console");
    await page.waitForURL(`${e2e.provider}/interaction/**`);
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => page.locator("main").textContent()).toContain("the identity provider did not authorize the sign-in (access_denied: the person cancelled the sign-in)");
    expect(await cookie(context, "jwt")).toBeUndefined();
    await context.close();
  });
});

describe("a signed-in session", () => {
  it("is renewed without asking when the access token expired, for pages and for the page's own API calls", async () => {
    const { context, page } = await fresh();
    await signIn(page, e2e);
    const first = (await cookie(context, "jwt"))!.value;

    // A page load with an expired access token: /auth/resume renews it and comes back.
    await context.clearCookies({ name: "jwt" });
    await context.addCookies([{ name: "jwt", value: e2e.expiredToken, url: e2e.base, httpOnly: true, secure: true, sameSite: "Lax" }]);
    expect(await apiFrom(page, "/ays/repository")).toEqual({ status: 401, body: { error: "the token expired", code: "unauthorized" } });
    await page.goto("/console/events");
    await page.waitForURL(`${e2e.base}/console/events`);
    expect(await page.locator("h1").textContent()).toBe("Events");
    const second = (await cookie(context, "jwt"))!.value;
    expect(second).not.toBe(first);

    // A button's API call after the browser dropped the access cookie: the script renews and retries.
    await page.goto("/console");
    await context.clearCookies({ name: "jwt" });
    await page.getByLabel("Name").fill("renewed");
    await page.getByRole("button", { name: "Create repository" }).click();
    await page.waitForURL("**/console/repo/renewed");
    expect((await cookie(context, "jwt"))!.value).not.toBe(second);
    await context.close();
  });

  it("rotates its refresh token, and a replayed old one ends the whole session", async () => {
    const { context, page } = await fresh();
    await signIn(page, e2e);
    const old = (await cookie(context, "cockpit_refresh"))!;
    const rotated = await apiFrom(page, "/auth/refresh", "POST");
    expect(rotated.status).toBe(200);
    expect(rotated.body.user).toBe("alice");
    expect((await cookie(context, "cockpit_refresh"))!.value).not.toBe(old.value);
    const access = (await cookie(context, "jwt"))!.value;
    // Someone replays the stolen old token (after the rotation race window of 10 s).
    await new Promise((r) => setTimeout(r, 10_500));
    await context.clearCookies({ name: "cockpit_refresh" });
    await context.addCookies([old]);
    const replayed = await apiFrom(page, "/auth/refresh", "POST");
    expect(replayed).toEqual({ status: 401, body: { error: "refresh token used twice: the session is revoked, sign in again", code: "token_reused" } });
    // The session's access tokens are refused from now on, by the API and by the pages, which ask
    // to sign in again.
    const kept = await fetch(`${e2e.base}/ays/repository`, { headers: { authorization: `bearer ${access}` } });
    expect(await kept.json()).toEqual({ error: "session ended: sign in again", code: "unauthorized" });
    await context.clearCookies({ name: "jwt" });
    await context.addCookies([{ name: "jwt", value: access, url: e2e.base, httpOnly: true, secure: true, sameSite: "Lax" }]);
    await page.goto("/console");
    await page.waitForURL(`${e2e.provider}/interaction/**`);
    await context.close();
  });

  it("signs out: the cookies are gone and the console asks to sign in again", async () => {
    const { context, page } = await fresh();
    await signIn(page, e2e);
    const access = (await cookie(context, "jwt"))!.value;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/console/signed-out");
    expect(await page.locator("h1").textContent()).toBe("Signed out");
    expect(await cookie(context, "jwt")).toBeUndefined();
    expect(await cookie(context, "cockpit_refresh")).toBeUndefined();
    // The old access token is dead even if someone kept a copy.
    const kept = await fetch(`${e2e.base}/ays/repository`, { headers: { authorization: `bearer ${access}` } });
    expect(kept.status).toBe(401);
    await page.goto("/console");
    await page.waitForURL(`${e2e.provider}/interaction/**`);
    await context.close();
  });

  it("signs out at the identity provider too, from the signed-out page, and comes back", async () => {
    const { context, page } = await fresh();
    await signIn(page, e2e);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/console/signed-out");
    await page.getByRole("link", { name: "Sign out at the identity provider too" }).click();
    await page.waitForURL(`${e2e.provider}/session/end**`);
    await page.getByRole("button", { name: "Yes, sign me out" }).click();
    await page.waitForURL(`${e2e.base}/console/signed-out`);
    expect(await page.locator("h1").textContent()).toBe("Signed out");
    await context.close();
  });
});

describe("refused sessions", () => {
  it("a forged session cookie is refused: the API says why, and the pages never show the forged user", async () => {
    const { context, page } = await fresh();
    await signIn(page, e2e);
    // The cockpit's own token, its claims changed to another user: the signature no longer fits.
    const [header, payload, signature] = (await cookie(context, "jwt"))!.value.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, sub: "mallory", username: "mallory" })).toString("base64url"), signature].join(".");
    const plant = async () => {
      await context.clearCookies({ name: "jwt" });
      await context.addCookies([{ name: "jwt", value: forged, url: e2e.base, httpOnly: true, secure: true, sameSite: "Lax" }]);
    };
    await plant();
    expect(await apiFrom(page, "/ays/repository")).toEqual({ status: 401, body: { error: "bad signature", code: "unauthorized" } });
    // With alice's refresh token still in this browser, the page resumes alice's own session instead.
    await page.goto("/console");
    await page.waitForURL(`${e2e.base}/console`);
    expect(await page.locator(".who span").textContent()).toBe("alice");
    expect((await cookie(context, "jwt"))!.value).not.toBe(forged);
    // Without one (a stolen cookie alone), the page asks to sign in.
    await plant();
    await context.clearCookies({ name: "cockpit_refresh" });
    await page.goto("/console");
    await page.waitForURL(`${e2e.provider}/interaction/**`);
    await context.close();
  });

  it("an expired session with nothing to renew it is refused: the API says so, the page asks to sign in", async () => {
    const { context, page } = await fresh();
    await context.addCookies([{ name: "jwt", value: e2e.expiredToken, url: e2e.base, httpOnly: true, secure: true, sameSite: "Lax" }]);
    await page.goto("/console/signed-out");
    expect(await apiFrom(page, "/ays/events")).toEqual({ status: 401, body: { error: "the token expired", code: "unauthorized" } });
    const authorize = page.waitForRequest(`${e2e.provider}/auth?**`);
    await page.goto("/console/events");
    await page.waitForURL(`${e2e.provider}/interaction/**`);
    const asked = new URL((await authorize).url()).searchParams;
    expect(asked.get("scope")).toBe("openid profile email groups offline_access");
    expect(asked.get("prompt")).toBe("consent");
    expect(asked.get("code_challenge_method")).toBe("S256");
    await context.close();
  });
});
