/**
 * `provider = "github"`: the console's sign-in through a GitHub OAuth app, membership of the GitHub
 * organization (or a team), and GitHub tokens as API bearer tokens, driven through the Worker against
 * a GitHub on 127.0.0.1 that answers as GitHub documents (test/node/github-fake.ts).
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { github as githubProvider, githubMembership } from "../../src/auth/providers/github.ts";
import { configFromBindings } from "../../src/config/index.ts";
import type { Browser } from "../helpers/browser.ts";
import { browserWith, envWithOAuth, githubFake, workerWith } from "../helpers/identity.ts";

const ORG = "acme-ops";
const github = (extra: Record<string, unknown> = {}) =>
  envWithOAuth({
    provider: "github",
    client_id: githubFake.clientId,
    client_secret: githubFake.clientSecret,
    organization: ORG,
    api_root: githubFake.root,
    web_root: githubFake.root,
    ...extra,
  });
const bindings = github();

/** `/login` in `browser`: the GitHub authorize link it is sent to. */
async function startLogin(browser: Browser, next = "/console"): Promise<URL> {
  const res = await browser.fetch(`/login?next=${encodeURIComponent(next)}`);
  if (res.status !== 302) throw new Error(`/login answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get("location")!);
}

/** The person at GitHub authorizes the app as `login` (or denies it): where GitHub sends the browser back. */
async function atGitHub(authorize: URL, login: string): Promise<URL> {
  const res = await fetch(authorize, { headers: { "x-fake-github-login": login }, redirect: "manual" });
  if (res.status !== 302) throw new Error(`GitHub answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get("location")!);
}

async function signIn(browser: Browser, login: string, tamper: (authorize: URL) => void = () => {}): Promise<Response> {
  const authorize = await startLogin(browser);
  tamper(authorize);
  const back = await atGitHub(authorize, login);
  return browser.fetch(back.pathname + back.search);
}

async function lastFailure(): Promise<{ message: string; data: { code: string; reason: string } }> {
  const { events } = await env.ORGANIZATION.getByName(ORG).events({ type: "signin.failed", newest: true, limit: 1 });
  return events[0] as unknown as { message: string; data: { code: string; reason: string } };
}

async function tokenFor(login: string): Promise<string> {
  const res = await fetch(`${githubFake.root}/_fake/token`, { method: "POST", body: JSON.stringify({ login }) });
  return ((await res.json()) as { token: string }).token;
}

describe("console sign-in with provider = github", () => {
  it("asks GitHub for read:org with PKCE (S256), and signs an active member of the organization in", async ({ expect }) => {
    const browser = browserWith(bindings);
    const authorize = await startLogin(browser, "/console/events");
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${githubFake.root}/login/oauth/authorize`);
    expect(authorize.searchParams.get("client_id")).toBe(githubFake.clientId);
    expect(authorize.searchParams.get("scope")).toBe("read:org");
    expect(authorize.searchParams.get("redirect_uri")).toBe("http://cockpit.test/oauth/callback");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const back = await atGitHub(authorize, "octocat");
    const res = await browser.fetch(back.pathname + back.search);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console/events");
    expect((await browser.fetch("/console")).status).toBe(200);
    expect(await (await browser.fetch("/auth/session")).json()).toMatchObject({ user: "octocat", kind: "user" });
    const { logins } = await env.ORGANIZATION.getByName(ORG).logins({ user: "octocat", limit: 1 });
    expect(logins[0]).toMatchObject({ user: "octocat", channel: "web" });
  });

  it("refuses a person outside the organization and one whose invitation is pending, saying so on the page and in the audit log", async ({ expect }) => {
    let res = await signIn(browserWith(bindings), "stranger");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("stranger is not a member of the GitHub organization &#39;acme-ops&#39;");
    expect((await lastFailure()).data).toEqual({ code: "not_member", reason: "stranger is not a member of the GitHub organization 'acme-ops'" });

    const browser = browserWith(bindings);
    res = await signIn(browser, "new-hire");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("new-hire&#39;s membership of the GitHub organization &#39;acme-ops&#39; is pending: accept the invitation on GitHub first");
    expect(browser.cookie("jwt")).toBeUndefined();
    expect((await lastFailure()).data.code).toBe("not_member");
  });

  it("with [oauth] team, takes only the team's active members", async ({ expect }) => {
    const team = github({ team: "deployers" });
    let res = await signIn(browserWith(team), "org-only");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("org-only is not a member of the team &#39;deployers&#39; of the GitHub organization &#39;acme-ops&#39;");
    res = await signIn(browserWith(team), "octocat");
    expect(res.status).toBe(303);
  });

  it("shows GitHub's own error and error_description, which GitHub answers with 200", async ({ expect }) => {
    // A wrong client secret: GitHub's incorrect_client_credentials.
    let res = await signIn(browserWith(github({ client_secret: "not-the-app-secret" })), "octocat");
    expect(res.status).toBe(502);
    const wrongSecret = "GitHub refused the sign-in code (incorrect_client_credentials: The client_id and/or client_secret passed are incorrect.): start again";
    expect(await res.text()).toContain(wrongSecret);
    expect((await lastFailure()).data).toEqual({ code: "exchange_failed", reason: wrongSecret });

    // A code challenge swapped on the way: GitHub refuses the code for the verifier Cockpit kept.
    res = await signIn(browserWith(bindings), "octocat", (authorize) => authorize.searchParams.set("code_challenge", "x".repeat(43)));
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("GitHub refused the sign-in code (bad_verification_code: The code passed is incorrect or expired.): start again");

    // The person pressed Cancel at GitHub.
    res = await signIn(browserWith(bindings), "deny");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("the identity provider did not authorize the sign-in (access_denied: The user has denied your application access.)");
  });

  it("says when the organization keeps its data from the app, and when GitHub's API is down (503)", async ({ expect }) => {
    let res = await signIn(browserWith(bindings), "locked-out");
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("has enabled OAuth App access restrictions");
    expect((await lastFailure()).data.code).toBe("token_invalid");

    res = await signIn(browserWith(bindings), "unlucky");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("GitHub&#39;s API answered HTTP 502: try again in a minute");
    expect((await lastFailure()).data.code).toBe("provider_unavailable");
  });
});

describe("GitHub tokens as API bearer tokens", () => {
  const send = workerWith(bindings);
  const call = (path: string, token: string) => send(new Request(`http://cockpit.test${path}`, { headers: { authorization: `Bearer ${token}` } }));

  it("accepts a member's token and names the GitHub login", async ({ expect }) => {
    const token = await tokenFor("octocat");
    const res = await call("/auth/session", token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: "octocat", kind: "user", session: null });
    expect((await call("/ays/repository", token)).status).toBe(200);
  });

  it("asks GitHub once a minute per token, not on every call", async ({ expect }) => {
    const token = await tokenFor("octocat");
    for (let i = 0; i < 3; i++) expect((await call("/ays/repository", token)).status).toBe(200);
    const { calls } = (await (await fetch(`${githubFake.root}/_fake/user-calls?token=${token}`)).json()) as { calls: number };
    expect(calls).toBe(1);
  });

  it("refuses a non-member's token, a pending member's and a token GitHub does not know, each with its reason", async ({ expect }) => {
    let res = await call("/ays/repository", await tokenFor("stranger"));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "not a member: stranger is not a member of the GitHub organization 'acme-ops'", code: "unauthorized" });
    res = await call("/ays/repository", await tokenFor("new-hire"));
    expect(((await res.json()) as { error: string }).error).toContain("is pending");
    res = await call("/ays/repository", "gho_revokedOrMadeUp0000000000000000");
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe("GitHub refused the token (HTTP 401: Bad credentials): it was revoked, expired or is not a GitHub token");
  });

  it("needs the organization's own token for clean_cache, which GitHub does not issue", async ({ expect }) => {
    const res = await send(new Request("http://cockpit.test/telegram/admin/clean-cache", { method: "POST", headers: { authorization: `Bearer ${await tokenFor("octocat")}` } }));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe(
      "this needs the organization's own token: a token of the organization itself, which GitHub does not issue: with provider = \"github\" every token is a person's; a member's token (octocat) is not enough",
    );
  });
});

describe("githubMembership: the check a membership re-check calls", () => {
  it("answers member, not a member, or a refused token, from the token alone", async ({ expect }) => {
    const oauth = configFromBindings(bindings).oauth;
    expect(await githubMembership(oauth, await tokenFor("octocat"))).toEqual({ member: true, user: "octocat" });
    expect(await githubMembership(oauth, await tokenFor("stranger"))).toMatchObject({ member: false, user: "stranger", code: "not_member" });
    expect(await githubMembership(oauth, "gho_nothing")).toMatchObject({ member: false, code: "token_invalid" });
  });
});

describe("re-checking a GitHub member (a console refresh, a linked chat, past [auth] recheck_minutes)", () => {
  it("asks GitHub with the token kept at sign-in: still a member, no longer one, a revoked token, GitHub down", async ({ expect }) => {
    const oauth = configFromBindings(bindings).oauth;
    const recheck = async (login: string | null) => githubProvider.recheck(oauth, login === null ? { access_token: "gho_revoked" } : { access_token: await tokenFor(login) });
    expect(await recheck("octocat")).toEqual({ status: "member" });
    expect(await recheck("stranger")).toMatchObject({ status: "ended", reason: expect.stringContaining("not a member") });
    expect(await recheck(null)).toMatchObject({ status: "ended" });
    expect(await recheck("unlucky")).toMatchObject({ status: "unavailable" });
    expect(await githubProvider.recheck(oauth, undefined)).toMatchObject({ status: "unsupported" });
  });
});
