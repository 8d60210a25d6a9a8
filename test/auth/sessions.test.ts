import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeJwt, EncryptJWT, generateKeyPair, SignJWT } from "jose";
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { ACCESS_TTL_SECONDS } from "../../src/auth/access-token.ts";
import { requireSignedIn } from "../../src/auth/middleware.ts";
import { REFRESH_IDLE_MS, ROTATION_GRACE_MS } from "../../src/actors/sessions.ts";
import { createApp } from "../../src/routes/app.ts";
import { api, mintToken, ORG } from "../helpers/auth.ts";
import { Browser } from "../helpers/browser.ts";
import { fakeOAuthProvider } from "../helpers/oauth-provider.ts";
import { until } from "../helpers/until.ts";

let provider: ReturnType<typeof fakeOAuthProvider>;
beforeEach(() => {
  provider = fakeOAuthProvider();
});
afterEach(() => {
  provider.restore();
  vi.useRealTimers();
});

/** Signs `user` in the way a browser does: /login, the provider, the callback. */
async function signIn(browser: Browser, user: string, next = "/console/repository/demo"): Promise<Response> {
  const login = await browser.fetch(`/login?next=${encodeURIComponent(next)}`);
  if (login.status !== 302) throw new Error(`login answered ${login.status}`);
  const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
  return browser.fetch(`/oauth/callback?${new URLSearchParams({ code: provider.grant({ username: user }), state })}`);
}

async function signedIn(user: string): Promise<Browser> {
  const browser = new Browser();
  const res = await signIn(browser, user);
  if (res.status !== 303) throw new Error(`callback answered ${res.status}: ${await res.text()}`);
  return browser;
}

const reposWith = (browser: Browser) => browser.fetch("/ays/repository");
const refresh = (browser: Browser) => browser.fetch("/auth/refresh", { method: "POST" });
const errorOf = async (res: Response) => (await res.json()) as { error: string; code: string };

async function eventsOfType(type: string): Promise<AuditEntry[]> {
  return ((await (await api(`/ays/events?type=${type}`)).json()) as { events: AuditEntry[] }).events;
}

/** Moves the clock of the Worker, its actors and jose (one isolate) forward. */
function later(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

describe("signing in to the console", () => {
  it("starts at /login, returns to the page asked for, and sets the session cookies", async ({ expect }) => {
    const browser = new Browser();
    const login = await browser.fetch("/login?next=%2Fconsole%2Frepository%2Fdemo%3Ftab%3Druns");
    expect(login.status).toBe(302);
    const link = new URL(login.headers.get("location")!);
    expect(`${link.origin}${link.pathname}`).toBe("https://itsyou.online/v1/oauth/authorize");

    const callback = await browser.fetch(`/oauth/callback?${new URLSearchParams({ code: provider.grant({ username: "carol" }), state: link.searchParams.get("state")! })}`);
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe("/console/repository/demo?tab=runs");

    const access = browser.jar.get("jwt")!;
    expect(access.path).toBe("/");
    expect(access.attributes).toMatch(/HttpOnly/);
    expect(access.attributes).toMatch(/Secure/);
    expect(access.attributes).toMatch(/SameSite=Lax/);
    expect(access.attributes).toContain(`Max-Age=${ACCESS_TTL_SECONDS}`);
    const claims = decodeJwt(access.value);
    expect(claims).toMatchObject({ iss: "cockpit", sub: "carol", aud: ORG });
    expect(claims.exp! - claims.iat!).toBe(ACCESS_TTL_SECONDS);

    const refreshCookie = browser.jar.get("cockpit_refresh")!;
    expect(refreshCookie.path).toBe("/auth");
    expect(refreshCookie.attributes).toMatch(/HttpOnly.*Secure.*SameSite=Lax|Secure.*HttpOnly/);
    // A JWE: five parts, and nothing about the session can be read off it.
    expect(refreshCookie.value.split(".")).toHaveLength(5);
    expect(refreshCookie.value).not.toContain("carol");

    // The session answers who it is, and the API takes its token as cookie or bearer.
    const session = (await (await browser.fetch("/auth/session")).json()) as { user: string; session: string };
    expect(session.user).toBe("carol");
    expect((await reposWith(browser)).status).toBe(200);
    expect((await api("/ays/repository", { token: access.value })).status).toBe(200);
  });

  it("never sends the browser to another site after sign-in", async ({ expect }) => {
    for (const next of ["//evil.test/x", "https://evil.test/", "/\\evil.test", "javascript:alert(1)", ""]) {
      const res = await signIn(new Browser(), "carol", next);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/console");
    }
  });

  it("keeps the login history: who, when, through which channel", async ({ expect }) => {
    const before = Date.now();
    await signedIn("dora");
    await signedIn("dora");
    const res = await api("/ays/logins?user=dora");
    expect(res.status).toBe(200);
    const { logins } = (await res.json()) as { logins: { user: string; channel: string; detail: string; time: number }[] };
    expect(logins).toHaveLength(2);
    expect(logins.every((l) => l.user === "dora" && l.channel === "web" && l.detail === "web console" && l.time >= before)).toBe(true);
    const started = await until(() => eventsOfType("session.start"), (e) => e.filter((x) => x.by === "dora").length === 2);
    expect(started.filter((e) => e.by === "dora").map((e) => e.channel)).toEqual(["web", "web"]);
  });

  it("records the console as the channel of what a session does", async ({ expect }) => {
    const browser = await signedIn("erin");
    const res = await browser.fetch("/ays/repository", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "erins" }) });
    expect(res.status).toBe(201);
    const events = await until(() => eventsOfType("repository.created"), (e) => e.some((x) => x.repo === "erins"));
    expect(events.find((e) => e.repo === "erins")).toMatchObject({ by: "erin", channel: "web" });
  });
});

describe("POST /auth/refresh", () => {
  it("rotates: a new access token and a new refresh token each time", async ({ expect }) => {
    const browser = await signedIn("frank");
    const first = { access: browser.cookie("jwt")!, refresh: browser.cookie("cockpit_refresh")! };
    const res = await refresh(browser);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: string; exp: number; refresh_exp: number };
    expect(body.user).toBe("frank");
    expect(body.exp).toBeGreaterThan(Date.now() / 1000);
    expect(browser.cookie("cockpit_refresh")).not.toBe(first.refresh);
    expect(browser.cookie("jwt")).not.toBe(first.access);
    expect((await reposWith(browser)).status).toBe(200);
    expect((await refresh(browser)).status).toBe(200);

    const [session] = (await (await api("/ays/sessions?user=frank")).json() as { sessions: { refreshes: number; ended: null }[] }).sessions;
    expect(session).toMatchObject({ refreshes: 2, ended: null });
  });

  it("revokes the whole session when an old refresh token comes back", async ({ expect }) => {
    const browser = await signedIn("grace");
    const stolen = new Browser();
    stolen.jar.set("cockpit_refresh", browser.jar.get("cockpit_refresh")!);
    expect((await refresh(browser)).status).toBe(200);

    // A second tab sending the same token a moment later is told to retry, and nothing is revoked.
    const race = await refresh(stolen);
    expect(race.status).toBe(409);
    expect((await errorOf(race)).code).toBe("rotation_race");
    expect((await reposWith(browser)).status).toBe(200);

    later(ROTATION_GRACE_MS + 1000);
    const reused = await refresh(stolen);
    expect(reused.status).toBe(401);
    expect(await errorOf(reused)).toMatchObject({ code: "token_reused", error: expect.stringContaining("session is revoked") });
    expect(stolen.cookie("cockpit_refresh")).toBeUndefined();

    // The rightful browser's newer tokens die with the family: refresh and access alike.
    const after = await refresh(browser);
    expect(after.status).toBe(401);
    expect((await errorOf(after)).code).toBe("session_ended");
    const [session] = (await (await api("/ays/sessions?user=grace")).json() as { sessions: { ended_reason: string }[] }).sessions;
    expect(session!.ended_reason).toBe("reuse");
    const revoked = await until(() => eventsOfType("session.revoked"), (e) => e.some((x) => x.by === "grace"));
    expect(revoked.find((e) => e.by === "grace")!.message).toContain("old refresh token");
  });

  it("revokes access tokens of a revoked session at once, not when they expire", async ({ expect }) => {
    const browser = await signedIn("heidi");
    const stolen = new Browser();
    stolen.jar.set("cockpit_refresh", browser.jar.get("cockpit_refresh")!);
    await refresh(browser);
    later(ROTATION_GRACE_MS + 1000);
    await refresh(stolen);
    const res = await reposWith(browser);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).error).toBe("session ended: sign in again");
  });

  it("refuses a missing, forged, tampered or expired refresh token", async ({ expect }) => {
    const none = await new Browser().fetch("/auth/refresh", { method: "POST" });
    expect(none.status).toBe(401);
    expect((await errorOf(none)).code).toBe("no_session");

    const forgedJwe = await new EncryptJWT({ sid: "x" })
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: "cockpit-refresh" })
      .setJti("y")
      .setExpirationTime("1h")
      .encrypt(crypto.getRandomValues(new Uint8Array(32)));
    const browser = await signedIn("ivan");
    const real = browser.jar.get("cockpit_refresh")!;
    const parts = real.value.split(".");
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    const tampered = [parts[0], parts[1], parts[2], flip(parts[3]!), parts[4]].join(".");
    for (const value of [forgedJwe, tampered, "garbage"]) {
      const other = new Browser();
      other.jar.set("cockpit_refresh", { ...real, value });
      const res = await refresh(other);
      expect(res.status).toBe(401);
      expect((await errorOf(res)).error).toContain("not one this cockpit issued");
    }
    // The real one still works: a forgery does not disturb the session it imitates.
    expect((await refresh(browser)).status).toBe(200);

    later(REFRESH_IDLE_MS + 60_000);
    const expired = await refresh(browser);
    expect(expired.status).toBe(401);
    expect((await errorOf(expired)).error).toContain("expired");
  });
});

describe("POST /auth/logout", () => {
  it("ends the session: cookies cleared, its tokens refused, the log says so", async ({ expect }) => {
    const browser = await signedIn("judy");
    const access = browser.cookie("jwt")!;
    const copy = new Browser();
    copy.jar.set("cockpit_refresh", browser.jar.get("cockpit_refresh")!);

    const res = await browser.fetch("/auth/logout", { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ signed_out: true });
    expect(browser.jar.size).toBe(0);

    const withOldAccess = await api("/ays/repository", { token: access });
    expect(withOldAccess.status).toBe(401);
    expect((await errorOf(withOldAccess)).error).toBe("session ended: sign in again");
    expect((await refresh(copy)).status).toBe(401);
    const out = await until(() => eventsOfType("session.logout"), (e) => e.some((x) => x.by === "judy"));
    expect(out.find((e) => e.by === "judy")).toMatchObject({ channel: "web", message: "judy signed out" });

    // Signing out again, or with no session, is harmless; a form can land on a page.
    const again = await browser.fetch("/auth/logout?next=/console", { method: "POST" });
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/console");
  });
});

describe("DELETE /ays/sessions/{id}", () => {
  it("lets a member sign out another browser's session, which stops working at once", async ({ expect }) => {
    const laptop = await signedIn("rita");
    const { session } = (await (await laptop.fetch("/auth/session")).json()) as { session: string };
    const res = await api(`/ays/sessions/${session}`, { method: "DELETE", token: await mintToken({ claims: { username: "admin" } }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { session: { user: string; ended_reason: string } }).session).toMatchObject({ user: "rita", ended_reason: "revoked" });
    expect((await reposWith(laptop)).status).toBe(401);
    expect((await refresh(laptop)).status).toBe(401);
    const revoked = await until(() => eventsOfType("session.revoked"), (e) => e.some((x) => x.data?.user === "rita"));
    expect(revoked.find((e) => e.data?.user === "rita")).toMatchObject({ by: "admin", message: "session of rita revoked by admin" });

    const again = await api(`/ays/sessions/${session}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect((await errorOf(again)).error).toBe(`no open session ${session}`);
  });
});

describe("the cockpit's access tokens", () => {
  it("are refused once expired", async ({ expect }) => {
    const browser = await signedIn("kim");
    later((ACCESS_TTL_SECONDS + 5) * 1000);
    const res = await api("/ays/repository", { token: browser.cookie("jwt")! });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).error).toBe("expired");
  });

  it("are refused when forged, tampered with or signed with another algorithm", async ({ expect }) => {
    const browser = await signedIn("leo");
    const real = browser.cookie("jwt")!;
    const claims = decodeJwt(real);

    const stranger = await generateKeyPair("Ed25519");
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt" }).sign(stranger.privateKey);
    const [header, , signature] = real.split(".");
    const body = btoa(JSON.stringify({ ...claims, sub: "mallory" })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const tampered = `${header}.${body}.${signature}`;
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "at+jwt" }).sign(new TextEncoder().encode("x".repeat(32)));

    for (const [token, reason] of [
      [forged, "bad signature"],
      [tampered, "bad signature"],
      [hmac, "unsupported alg"],
    ] as const) {
      const res = await api("/ays/repository", { token });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).error).toContain(reason);
    }
  });
});

describe("CSRF", () => {
  it("refuses a cross-origin POST carrying the session cookie, and lets the same request from the console through", async ({ expect }) => {
    const browser = await signedIn("mia");
    const form = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=csrfrepo" };

    const attack = await browser.fetch("/ays/repository", { ...form, origin: "https://evil.test" });
    expect(attack.status).toBe(403);
    expect(await errorOf(attack)).toMatchObject({ code: "csrf", error: expect.stringContaining("https://evil.test") });
    const noOrigin = await browser.fetch("/ays/repository", { ...form, origin: null });
    expect(noOrigin.status).toBe(403);
    const logout = await browser.fetch("/auth/logout", { method: "POST", origin: "https://evil.test" });
    expect(logout.status).toBe(403);
    expect((await reposWith(browser)).status).toBe(200);
    const list = (await (await api("/ays/repository")).json()) as { name: string }[];
    expect(list.map((r) => r.name)).not.toContain("csrfrepo");

    // From the console's own origin (or Sec-Fetch-Site: same-origin) the check passes; the body is then judged.
    const own = await browser.fetch("/ays/repository", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "csrfok" }) });
    expect(own.status).toBe(201);
    const fetchMeta = await browser.fetch("/auth/refresh", { method: "POST", origin: null, headers: { "sec-fetch-site": "same-origin" } });
    expect(fetchMeta.status).toBe(200);
  });

  it("leaves bearer-token API calls alone", async ({ expect }) => {
    const res = await api("/ays/repository", { method: "POST", json: { name: "bearerrepo" }, headers: { origin: "https://elsewhere.test" } });
    expect(res.status).toBe(201);
  });
});

describe("sign-in progress in the browser", () => {
  /** The callback as a browser requests it: it asks for HTML. */
  async function callbackPage(browser: Browser, user: string, next = "/console/runs"): Promise<Response> {
    const login = await browser.fetch(`/login?next=${encodeURIComponent(next)}`);
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    return browser.fetch(`/oauth/callback?${new URLSearchParams({ code: provider.grant({ username: user }), state })}`, {
      headers: { accept: "text/html,application/xhtml+xml" },
      origin: null,
    });
  }

  const ticketOf = (page: string) => /name="ticket" value="([^"]+)"/.exec(page)?.[1];
  const post = (browser: Browser, ticket: string, origin?: string | null) =>
    browser.fetch("/auth/session", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ticket }).toString(),
      origin,
    });

  it("shows each step as it happens, then finishes the session by posting its ticket", async ({ expect }) => {
    const browser = new Browser();
    const res = await callbackPage(browser, "nina");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    // Compression would hold every step back until the end of the page.
    expect(res.headers.get("content-encoding")).toBe("identity");
    expect(browser.cookie("jwt")).toBeUndefined();

    // Read the stream chunk by chunk: the steps arrive in order, before the end of the page.
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const chunks: string[] = [];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) chunks.push(chunk.value);
    const page = chunks.join("");
    expect(chunks.length).toBeGreaterThan(2);
    const order = ["Sign-in link checked", "Exchanging code with itsyou.online…", "Checking membership of MyID…", "Starting your session as nina…", 'action="/auth/session"'];
    expect(order.map((text) => page.indexOf(text))).toEqual([...order.map((text) => page.indexOf(text))].sort((a, b) => a - b));
    expect(order.every((text) => page.includes(text))).toBe(true);
    // Its last step is a script of the Worker's, not inline, under the console's CSP.
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'; script-src 'self'; style-src 'self'/);
    expect(page).not.toMatch(/<style|style=|<script>|<script(?![^>]*\ssrc=)|\son[a-z]+=/i);
    expect(page).toMatch(/<script src="\/console\/assets\/sign-in\.js\?v=\w+"><\/script>\s*<\/main>/);

    const ticket = ticketOf(page)!;
    const done = await post(browser, ticket);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/console/runs");
    expect(browser.cookie("cockpit_login")).toBeUndefined();
    expect(decodeJwt(browser.cookie("jwt")!).sub).toBe("nina");
    expect((await reposWith(browser)).status).toBe(200);

    // A ticket works once.
    const again = await post(browser, ticket);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("completed already");
  });

  it("shows why a sign-in was refused, with a way to start again", async ({ expect }) => {
    const browser = new Browser();
    const login = await browser.fetch("/login?next=/console");
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    const res = await browser.fetch(`/oauth/callback?${new URLSearchParams({ code: provider.grant({ username: "oscar", member: false }), state })}`, {
      headers: { accept: "text/html" },
    });
    const page = await res.text();
    expect(page).toContain("Checking membership of MyID…");
    expect(page).toMatch(/<li class="fail" role="alert">you are not a member of the organization &#39;MyID&#39;<\/li>/);
    expect(page).toContain('href="/login?next=%2Fconsole"');
    expect(page).not.toContain("ticket");
    expect(browser.cookie("jwt")).toBeUndefined();
  });

  it("cannot be finished by another browser (login CSRF)", async ({ expect }) => {
    // An attacker starts a sign-in as themself and hands the callback link to a victim.
    const attacker = new Browser();
    const login = await attacker.fetch("/login?next=/console");
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    const victim = new Browser();
    const res = await victim.fetch(`/oauth/callback?${new URLSearchParams({ code: provider.grant({ username: "mallory" }), state })}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("started in another browser");
    expect(victim.cookie("jwt")).toBeUndefined();
    expect(provider.exchanges).toEqual([]);

    // Nor can the attacker's finished ticket be posted into the victim's browser, from any origin.
    const page = await (await callbackPage(attacker, "mallory")).text();
    const ticket = ticketOf(page)!;
    expect((await post(victim, ticket, "https://evil.test")).status).toBe(403);
    const sameOrigin = await post(victim, ticket);
    expect(sameOrigin.status).toBe(400);
    expect(await sameOrigin.text()).toContain("finished in another browser");
    expect(victim.cookie("jwt")).toBeUndefined();
  });
});

describe("resuming a session from a page", () => {
  it("serves a page that refreshes and returns, and a form fallback that lands on the page or on /login", async ({ expect }) => {
    const browser = await signedIn("pat");
    const page = await browser.fetch("/auth/resume?next=%2Fconsole%2Fevents");
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('data-next="/console/events"');
    // Without script, when the session is over, a link (which form-action 'self' does not stop) signs in again.
    expect(text).toContain('<a href="/login?next=%2Fconsole%2Fevents">sign in again</a>');
    // No inline script or style, and the console's strict CSP: the script is a file of the Worker's.
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'; script-src 'self'; style-src 'self'/);
    expect(text).not.toMatch(/<style|style=|<script>|<script(?![^>]*\ssrc=)|\son[a-z]+=/i);
    const src = /<script src="(\/console\/assets\/resume\.js\?v=\w+)"/.exec(text)?.[1];
    expect(src).toBeDefined();
    const script = await browser.fetch(src!);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain('fetch("/auth/refresh", { method: "POST" })');
    const css = await browser.fetch(/<link rel="stylesheet" href="([^"]+)"/.exec(text)![1]!);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await (await browser.fetch("/auth/resume?next=//evil.test")).text()).toContain('data-next="/console"');

    const before = browser.cookie("jwt");
    const resumed = await browser.fetch("/auth/refresh?next=%2Fconsole%2Fevents", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(resumed.status).toBe(303);
    expect(resumed.headers.get("location")).toBe("/console/events");
    expect(browser.cookie("jwt")).not.toBe(before);

    await browser.fetch("/auth/logout", { method: "POST" });
    const over = await browser.fetch("/auth/refresh?next=%2Fconsole%2Fevents", { method: "POST" });
    expect(over.status).toBe(303);
    expect(over.headers.get("location")).toBe("/login?next=%2Fconsole%2Fevents");
  });
});

describe("a cockpit without a signing key", () => {
  it("says so at the callback, before the code is spent or a login recorded", async ({ expect }) => {
    const app = createApp();
    const keyless = { ...env, AUTH_SIGNING_KEY: undefined } as Env;
    const send = async (path: string, cookie?: string) =>
      app.fetch(new Request(`http://cockpit.test${path}`, { headers: { accept: "text/html", ...(cookie ? { cookie } : {}) } }), keyless, createExecutionContext());
    const login = await send("/login?next=/console");
    expect(login.status).toBe(302);
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    const res = await send(`/oauth/callback?${new URLSearchParams({ code: provider.grant({ username: "quinn" }), state })}`, cookie);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("set [auth] signing_key");
    expect(provider.exchanges).toEqual([]);
    expect((await env.ORGANIZATION.getByName(ORG).logins({ user: "quinn" })).logins).toEqual([]);
  });
});

describe("requireSignedIn, the console pages' guard", () => {
  it("lets a session through and sends a browser without one to /auth/resume, then /login", async ({ expect }) => {
    const app = createApp();
    app.get("/console/page", requireSignedIn, (c) => c.text(`hello ${c.get("caller").user}`));
    const open = (browser: Browser | null, path: string) => {
      const cookie = browser ? `jwt=${browser.cookie("jwt")}` : "";
      return app.fetch(new Request(`http://cockpit.test${path}`, { headers: cookie ? { cookie } : {} }), env, createExecutionContext());
    };
    const browser = await signedIn("sam");
    const page = await open(browser, "/console/page");
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("hello sam");

    const stranger = await open(null, "/console/page?tab=runs");
    expect(stranger.status).toBe(302);
    expect(stranger.headers.get("location")).toBe("/auth/resume?next=%2Fconsole%2Fpage%3Ftab%3Druns");

    later((ACCESS_TTL_SECONDS + 5) * 1000);
    expect((await open(browser, "/console/page")).headers.get("location")).toBe("/auth/resume?next=%2Fconsole%2Fpage");
    // The resume page's refresh brings the session back.
    expect((await refresh(browser)).status).toBe(200);
    expect((await open(browser, "/console/page")).status).toBe(200);
  });
});
