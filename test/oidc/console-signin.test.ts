/**
 * The console's sign-in against a standard OpenID provider (provider = "oidc"): a real one on
 * 127.0.0.1 that grants every scope to anyone, keeps membership in a `groups` claim (in userinfo,
 * not the ID token), requires PKCE and signs ID tokens PS256. Driven through the Worker as a browser does.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { Browser } from "../helpers/browser.ts";
import { atProvider, ORG, oidc, providerToken } from "./support.ts";

const org = () => env.ORGANIZATION.getByName(ORG);

/** `/login` in a fresh browser: the provider's authorize link it is sent to. */
async function startLogin(browser: Browser, next = "/console"): Promise<URL> {
  const res = await browser.fetch(`/login?next=${encodeURIComponent(next)}`);
  if (res.status !== 302) throw new Error(`/login answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get("location")!);
}

/** Back at the cockpit from the provider: the callback's answer (a redirect with the session, or a page). */
async function finish(browser: Browser, back: URL): Promise<Response> {
  return browser.fetch(back.pathname + back.search);
}

async function signInFailures(): Promise<{ message: string; data: { code: string; reason: string } }[]> {
  const { events } = await org().events({ type: "signin.failed", newest: true, limit: 50 });
  return events as unknown as { message: string; data: { code: string; reason: string } }[];
}

describe("console sign-in with provider = oidc", () => {
  it("asks for openid, the configured scopes, PKCE (S256) and a nonce, and signs a member in", async ({ expect }) => {
    const browser = new Browser();
    const authorize = await startLogin(browser, "/console/events");
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${oidc.issuer}/auth`);
    expect(authorize.searchParams.get("scope")).toBe("openid profile email groups offline_access");
    // A refresh token to re-check membership with: offline_access, which OpenID Connect asks with prompt=consent.
    expect(authorize.searchParams.get("prompt")).toBe("consent");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get("redirect_uri")).toBe("http://cockpit.test/oauth/callback");

    const back = await atProvider(authorize, "alice");
    expect(back.pathname).toBe("/oauth/callback");
    const res = await finish(browser, back);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console/events");
    expect(browser.cookie("jwt")).toBeTruthy();
    expect((await browser.fetch("/console")).status).toBe(200);
    const who = await browser.fetch("/auth/session");
    expect(await who.json()).toMatchObject({ user: "alice", kind: "user" });
    const { logins } = await org().logins({ user: "alice", limit: 5 });
    expect(logins[0]).toMatchObject({ user: "alice", channel: "web" });
  });

  it("refuses a non-member: the page, the audit log (signin.failed) and the Worker's log say why", async ({ expect }) => {
    const browser = new Browser();
    const res = await finish(browser, await atProvider(await startLogin(browser), "mallory"));
    expect(res.status).toBe(403);
    const page = await res.text();
    expect(page).toContain("mallory is not a member of the organization &#39;MyID&#39; (the groups claim does not list it)");
    expect(browser.cookie("jwt")).toBeUndefined();
    const [failed] = await signInFailures();
    expect(failed!.data).toEqual({ code: "not_member", reason: "mallory is not a member of the organization 'MyID' (the groups claim does not list it)" });
  });

  it("says which check failed: a PKCE challenge that does not fit, a nonce that does not match", async ({ expect }) => {
    // Someone swapped the challenge on the way to the provider: the provider refuses the verifier.
    let browser = new Browser();
    let authorize = await startLogin(browser);
    authorize.searchParams.set("code_challenge", "x".repeat(43));
    let res = await finish(browser, await atProvider(authorize, "alice"));
    expect(res.status).toBe(502);
    // oidc-provider words a failed PKCE check as a generic invalid grant (the detail stays in its own log).
    expect(await res.text()).toContain("the identity provider refused the sign-in code (invalid_grant: grant request is invalid): start again");
    expect((await signInFailures())[0]!.data.code).toBe("exchange_failed");

    // A nonce other than the one sealed in the state: the ID token is not this sign-in's.
    browser = new Browser();
    authorize = await startLogin(browser);
    authorize.searchParams.set("nonce", "n".repeat(43));
    res = await finish(browser, await atProvider(authorize, "alice"));
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("the ID token&#39;s nonce does not match this sign-in");
    expect((await signInFailures())[0]!.data).toMatchObject({ code: "token_invalid", reason: expect.stringContaining("nonce does not match") });
  });

  it("shows the provider's own error and error_description, and refuses a state used twice", async ({ expect }) => {
    const browser = new Browser();
    const authorize = await startLogin(browser);
    const back = await atProvider(authorize, null);
    expect(back.searchParams.get("error")).toBe("access_denied");
    const res = await finish(browser, back);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("the identity provider did not authorize the sign-in (access_denied: the person cancelled the sign-in)");

    const again = new Browser();
    const ok = await atProvider(await startLogin(again), "alice");
    expect((await finish(again, ok)).status).toBe(303);
    // The same way back again: the browser's sign-in cookie was spent with it.
    const replay = await finish(again, ok);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("this sign-in was started in another browser, or its cookie expired");
    expect((await signInFailures())[0]!.data.code).toBe("state_invalid");
  });

  it("answers a clear 503 page when the provider is down, and the API says why it cannot verify", async ({ expect }) => {
    const { default: worker } = await import("../../src/index.ts");
    const config = JSON.parse(env.COCKPIT_CONFIG!) as { oauth: Record<string, unknown> };
    // A port nothing listens on (the provider's own, plus one, is free enough within this run).
    config.oauth.issuer = "http://127.0.0.1:9";
    const downEnv = { ...env, COCKPIT_CONFIG: JSON.stringify(config) };
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const res = await worker.fetch(new Request("http://cockpit.test/login"), downEnv, ctx);
    const page = await res.text();
    expect(res.status, page).toBe(503);
    expect(page).toContain("Sign-in unavailable");
    expect(page).toContain("the identity provider http://127.0.0.1:9 cannot be reached");
    const api = await worker.fetch(new Request("http://cockpit.test/ays/repository", { headers: { authorization: `Bearer ${await providerToken({ sub: "alice", groups: [ORG] })}` } }), downEnv, ctx);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: string }).error).toContain("cannot verify the token: the identity provider http://127.0.0.1:9 cannot be reached");
  });
});

describe("signing out at the provider too (RP-Initiated Logout)", () => {
  it("links the signed-out page to the provider's end_session_endpoint, which sends the browser back", async ({ expect }) => {
    const browser = new Browser();
    const page = await (await browser.fetch("/console/signed-out")).text();
    expect(page).toContain('href="/auth/provider-logout"');
    const res = await browser.fetch("/auth/provider-logout");
    expect(res.status).toBe(302);
    const end = new URL(res.headers.get("location")!);
    expect(`${end.origin}${end.pathname}`).toBe(`${oidc.issuer}/session/end`);
    expect(end.searchParams.get("client_id")).toBe(ORG);
    expect(end.searchParams.get("post_logout_redirect_uri")).toBe("http://cockpit.test/console/signed-out");
    // At the provider: its sign-out form (submitted by itself when this browser has no session
    // there; a confirmation page otherwise), then back to the cockpit.
    const confirm = await fetch(end, { redirect: "manual" });
    const form = await confirm.text();
    expect(form).toContain(`action="${oidc.issuer}/session/end/confirm"`);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)![1]!;
    const action = /action="([^"]+)"/.exec(form)![1]!;
    const cookie = confirm.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const done = await fetch(new URL(action, oidc.issuer), {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ xsrf, logout: "yes" }),
    });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("http://cockpit.test/console/signed-out");
  });
});
