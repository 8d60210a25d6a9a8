/**
 * Membership asked again while a console session lasts (issue 13), against the real OpenID provider:
 * a refresh past `[auth] recheck_minutes` (60 in this project) of the last proof spends the refresh
 * token the sign-in kept (offline_access) and reads the groups claim again. Time is not waited for:
 * the session's last proof is moved back in its actor's storage, as an hour passing would leave it.
 */
import { runInDurableObject } from "cloudflare:test";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { openGrant, sealGrant } from "../../src/auth/provider-grant.ts";
import { configFromBindings } from "../../src/config/index.ts";
import { Browser } from "../helpers/browser.ts";
import { atProvider, ORG, setGroups, setTrouble } from "./support.ts";

const org = () => env.ORGANIZATION.getByName(ORG);
const HOUR = 3600_000;

/** Signs `user` into the console in a fresh browser; returns the browser and its session id. */
async function signedIn(user: string): Promise<{ browser: Browser; session: string }> {
  const browser = new Browser();
  const login = await browser.fetch("/login?next=/console");
  const back = await atProvider(login.headers.get("location")!, user);
  const res = await browser.fetch(back.pathname + back.search);
  if (res.status !== 303) throw new Error(`the callback answered ${res.status}: ${await res.text()}`);
  const who = (await (await browser.fetch("/auth/session")).json()) as { session: string };
  return { browser, session: who.session };
}

/** What an hour and more passing leaves: the session's membership was proven `ms` earlier than it was. */
function proofAged(session: string, ms = HOUR + 60_000): Promise<void> {
  return runInDurableObject(org(), (_actor, state) => {
    state.storage.sql.exec("UPDATE sessions SET checked = checked - ? WHERE id = ?", ms, session);
  });
}

function storedSession(session: string): Promise<{ checked: number; grant_sealed: string | null; ended_reason: string | null }> {
  return runInDurableObject(org(), (_actor, state) =>
    state.storage.sql.exec<{ checked: number; grant_sealed: string | null; ended_reason: string | null }>("SELECT checked, grant_sealed, ended_reason FROM sessions WHERE id = ?", session).one(),
  );
}

const refresh = (browser: Browser) => browser.fetch("/auth/refresh", { method: "POST" });

afterEach(async () => {
  await setGroups("bob", [ORG]);
  await setTrouble("dave", false);
});

describe("console sessions: membership re-checked at refresh", () => {
  it("keeps a member's session, proven again, and ends it at the first check after they left the organization", async ({ expect }) => {
    const { browser, session } = await signedIn("bob");
    const kept = await storedSession(session);
    // What the re-check needs is kept sealed: no refresh token in the clear.
    expect(kept.grant_sealed).toMatch(/^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/);
    // The provider offers offline_access, so the sign-in asked for it and kept a refresh token.
    expect(await openGrant(configFromBindings(env), kept.grant_sealed)).toMatchObject({ sub: "bob", refresh_token: expect.any(String) });

    // Within the hour: no need to ask.
    expect((await refresh(browser)).status).toBe(200);
    expect((await storedSession(session)).checked).toBe(kept.checked);

    // An hour on, still a member: the provider is asked, and the proof renewed.
    await proofAged(session);
    const before = Date.now();
    expect((await refresh(browser)).status).toBe(200);
    expect((await storedSession(session)).checked).toBeGreaterThanOrEqual(before);

    // Removed from the organization at the provider: the refresh within the hour still passes...
    await setGroups("bob", ["other"]);
    expect((await refresh(browser)).status).toBe(200);
    // ...and the first one past it ends the session.
    await proofAged(session);
    const access = browser.cookie("jwt")!;
    const ended = await refresh(browser);
    expect(ended.status).toBe(401);
    expect(await ended.json()).toEqual({
      error: "session ended: no longer a member of the organization 'MyID' (the groups claim does not list it): sign in again",
      code: "session_ended",
    });
    expect(browser.cookie("cockpit_refresh")).toBeUndefined();
    // The access token of the ended session is refused at once, not when it expires.
    const stale = await new Browser().fetch("/auth/session", { headers: { authorization: `Bearer ${access}` } });
    expect(stale.status).toBe(401);
    const stored = await storedSession(session);
    expect(stored).toMatchObject({ ended_reason: "not_member", grant_sealed: null });

    const { events } = await org().events({ type: "session.ended", newest: true, limit: 5 });
    const entry = (events as unknown as AuditEntry[]).find((e) => e.data?.session === session);
    expect(entry).toMatchObject({
      by: "bob",
      message: "session of bob ended: no longer a member (no longer a member of the organization 'MyID' (the groups claim does not list it))",
      data: { session, user: "bob", reason: "no longer a member" },
    });
    expect(JSON.stringify(entry)).not.toMatch(/refresh_token|access_token|eyJ/);
    const [listed] = await org().sessions({ user: "bob", limit: 1 });
    expect(Object.keys(listed!)).not.toContain("grant_sealed");
  });

  it("keeps the session when the provider fails at the check, and asks again at the next refresh", async ({ expect }) => {
    const { browser, session } = await signedIn("dave");
    await proofAged(session);
    const aged = (await storedSession(session)).checked;
    await setTrouble("dave", true);
    // The provider answers 500 server_error: not the provider saying no, so the session stays.
    expect((await refresh(browser)).status).toBe(200);
    expect((await storedSession(session)).checked).toBe(aged);
    const { events } = await org().events({ type: "session.recheck_deferred", newest: true, limit: 5 });
    expect((events as unknown as AuditEntry[]).find((e) => e.data?.session === session)?.message).toContain("membership of dave could not be re-checked, asked again at the next refresh");
    // Back up: the next refresh asks again, and proves the membership.
    await setTrouble("dave", false);
    const before = Date.now();
    expect((await refresh(browser)).status).toBe(200);
    expect((await storedSession(session)).checked).toBeGreaterThanOrEqual(before);
  });

  it("without a refresh token, asks userinfo with the sign-in's access token while it lives", async ({ expect }) => {
    const { browser, session } = await signedIn("bob");
    const config = configFromBindings(env);
    // As a provider that does not offer offline_access leaves it: the sign-in's access token only.
    const kept = await openGrant(config, (await storedSession(session)).grant_sealed);
    const accessOnly = await sealGrant(config, { sub: kept!.sub, access_token: kept!.access_token });
    await runInDurableObject(org(), (_actor, state) => {
      state.storage.sql.exec("UPDATE sessions SET grant_sealed = ? WHERE id = ?", accessOnly!, session);
    });
    await proofAged(session);
    const before = Date.now();
    expect((await refresh(browser)).status).toBe(200);
    expect((await storedSession(session)).checked).toBeGreaterThanOrEqual(before);
    await setGroups("bob", []);
    await proofAged(session);
    const ended = await refresh(browser);
    expect(ended.status).toBe(401);
    expect(((await ended.json()) as { error: string }).error).toContain("no longer a member of the organization 'MyID'");
  });

  it("ends the session when the provider no longer accepts the refresh token (invalid_grant)", async ({ expect }) => {
    const { browser, session } = await signedIn("bob");
    await proofAged(session);
    // A refresh token the provider does not know (revoked at the provider, say), sealed as the sign-in seals.
    const revoked = await sealGrant(configFromBindings(env), { sub: "bob", refresh_token: "revoked-at-the-provider" });
    await runInDurableObject(org(), (_actor, state) => {
      state.storage.sql.exec("UPDATE sessions SET grant_sealed = ? WHERE id = ?", revoked!, session);
    });
    const res = await refresh(browser);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe("session ended: the identity provider no longer accepts the sign-in (invalid_grant: grant request is invalid): sign in again");
    expect((await storedSession(session)).ended_reason).toBe("not_member");
  });
});
