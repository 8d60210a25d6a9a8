/**
 * Membership re-checks with ItsYou.online (the seed's provider), which offers no way to ask again:
 * a console session lives `[auth] recheck_minutes` (60 here) past its sign-in and then asks to sign
 * in again; a Telegram link is not asked (nothing to ask with) and lives `[auth] link_days` (30).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { ORG } from "../helpers/auth.ts";
import { Browser } from "../helpers/browser.ts";
import { fakeOAuthProvider } from "../helpers/oauth-provider.ts";
import { converse, linkUser, textUpdate, withFakes } from "../helpers/telegram.ts";

const org = () => env.ORGANIZATION.getByName(ORG);
const MINUTE = 60_000;

/** Moves the clock of the Worker and its actors (one isolate) forward. */
function later(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

describe("console sessions with ItsYou.online", () => {
  let provider: ReturnType<typeof fakeOAuthProvider>;
  beforeEach(() => {
    provider = fakeOAuthProvider();
  });
  afterEach(() => {
    provider.restore();
    vi.useRealTimers();
  });

  it("lives recheck_minutes past the sign-in, then ends at the next refresh and asks to sign in again", async ({ expect }) => {
    const browser = new Browser();
    const login = await browser.fetch("/login?next=/console");
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    const res = await browser.fetch(`/oauth/callback?${new URLSearchParams({ code: provider.grant({ username: "ivan" }), state })}`);
    expect(res.status).toBe(303);
    const { session } = (await (await browser.fetch("/auth/session")).json()) as { session: string };

    later(59 * MINUTE);
    expect((await browser.fetch("/auth/refresh", { method: "POST" })).status).toBe(200);
    later(2 * MINUTE);
    const ended = await browser.fetch("/auth/refresh", { method: "POST" });
    expect(ended.status).toBe(401);
    expect(await ended.json()).toEqual({ error: "session ended: ItsYou.online offers no way to ask about membership again: sign in again", code: "session_ended" });
    const [row] = await org().sessions({ user: "ivan", limit: 1 });
    expect(row).toMatchObject({ id: session, ended_reason: "unverified" });
    const { events } = await org().events({ type: "session.ended", newest: true, limit: 10 });
    expect((events as unknown as AuditEntry[]).find((e) => e.data?.session === session)?.data).toMatchObject({ user: "ivan", reason: "membership not re-checked" });
  });
});

describe("Telegram links with ItsYou.online", () => {
  const fakes = withFakes();

  it("are not asked again (there is nothing to ask with), and end after link_days", async ({ expect }) => {
    const judy = { id: 5101, first_name: "Judy" };
    await linkUser(fakes.bot, fakes.provider, judy, "judy");
    const age = (ms: number, column: "checked" | "linked") =>
      runInDurableObject(org(), (_actor, state) => void state.storage.sql.exec(`UPDATE telegram_users SET ${column} = ${column} - ? WHERE id = ?`, ms, judy.id));

    // Two hours on: the provider cannot be asked, so the link stands.
    await age(120 * MINUTE, "checked");
    await converse(fakes.bot, textUpdate(judy, "/repo list"), judy.id, "No repo selected now.");
    expect(await org().telegramUser(judy.id)).toMatchObject({ user: "judy" });

    // Thirty days after its /start: the link ends, and the bot asks for /start.
    await age(30 * 24 * 60 * MINUTE, "linked");
    await converse(fakes.bot, textUpdate(judy, "/repo list"), judy.id, "Your sign-in has ended: a link lasts 30 days. Please use /start to sign in again.");
    expect(await org().telegramUser(judy.id)).toBeNull();
  });
});
