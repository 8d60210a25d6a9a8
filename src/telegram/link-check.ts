/**
 * A chat's link as each update finds it (issue 13): a link older than `[auth] link_days` ends, and
 * one whose membership was asked longer than `[auth] recheck_minutes` ago is asked again through the
 * identity provider (src/auth/recheck.ts). A member the provider no longer knows is unlinked; a
 * provider that cannot answer leaves the link as it is, to be asked at the next message. The Worker's
 * hourly cron does the same for links whose people send nothing (sweepLinks).
 */
import type { TelegramLink } from "../actors/organization.ts";
import { linkMaxAgeMs, recheckIntervalMs, recheckMembership } from "../auth/recheck.ts";
import type { CockpitConfig } from "../config/index.ts";

/** The link, and what to tell the person when it just ended. */
export interface CurrentLink {
  link: TelegramLink | null;
  notice?: string;
}

/** Links one hourly sweep looks at, at most: the rest wait for the next hour (or their next message). */
export const SWEEP_LIMIT = 200;

/**
 * The hourly sweep (the Worker's cron): every link due is looked at as a message would, so that a
 * person who left the organization and sends nothing is unlinked too, and told in their chat.
 * @returns how many links were looked at and how many ended
 */
export async function sweepLinks(env: Env, config: CockpitConfig): Promise<{ checked: number; ended: number }> {
  const due = await env.ORGANIZATION.getByName(config.oauth.organization).telegramDue(recheckIntervalMs(config), linkMaxAgeMs(config), SWEEP_LIMIT);
  let ended = 0;
  for (const { id, chat } of due) {
    const { notice } = await currentLink(env, config, id);
    if (!notice) continue;
    ended++;
    // Telling the chat is a courtesy: the link has ended either way.
    if (config.bot?.active) await env.CHAT.getByName(String(chat)).tell(chat, notice).catch(() => undefined);
  }
  return { checked: due.length, ended };
}

export async function currentLink(env: Env, config: CockpitConfig, from: number): Promise<CurrentLink> {
  const org = config.oauth.organization;
  const actor = env.ORGANIZATION.getByName(org);
  const check = await actor.telegramCheck(from, recheckIntervalMs(config), linkMaxAgeMs(config));
  if (check.ended === "expired") {
    const days = config.auth?.link_days ?? 30;
    return { link: null, notice: `Your sign-in has ended: a link lasts ${days} days. Please use /start to sign in again.` };
  }
  if (!check.link || !check.recheck) return { link: check.link };
  const outcome = await recheckMembership(config, check.recheck.grant, `telegram user ${from} (${check.link.user})`);
  const link = await actor.telegramRechecked(from, outcome);
  if (link) return { link };
  const why = outcome.status === "member" ? "the link ended" : outcome.reason;
  return { link: null, notice: `Your sign-in as ${check.link.user} has ended: ${why}. Please use /start to sign in again.` };
}
