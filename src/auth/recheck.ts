/**
 * Membership asked again while access lasts (issue 13): a console session at its refreshes, a
 * Telegram link at its chat's messages, at most every `[auth] recheck_minutes`. The grant kept at
 * sign-in is opened, the provider asked (src/auth/providers/: a refresh token, userinfo, its API),
 * and what comes back sealed again for the caller's actor to keep.
 */
import type { CockpitConfig } from "../config/index.ts";
import { openGrant, sealGrant } from "./provider-grant.ts";
import { identityProvider } from "./providers/index.ts";
import type { RecheckResult } from "./providers/types.ts";

export const DEFAULT_RECHECK_MINUTES = 60;
export const DEFAULT_LINK_DAYS = 30;

/** How long a proof of membership stands before it is asked again. */
export function recheckIntervalMs(config: CockpitConfig): number {
  return (config.auth?.recheck_minutes ?? DEFAULT_RECHECK_MINUTES) * 60_000;
}

/** How long a Telegram link lives after its `/start`, re-checked or not. */
export function linkMaxAgeMs(config: CockpitConfig): number {
  return (config.auth?.link_days ?? DEFAULT_LINK_DAYS) * 24 * 3600_000;
}

/** A re-check's result, with the grant to keep sealed (`grant` undefined: keep the stored one). */
export type RecheckOutcome =
  | { status: "member"; grant?: string }
  | { status: "ended" | "unavailable" | "unsupported"; reason: string };

/**
 * Asks the provider whether the person of the sealed `grant` is still a member. Never throws for
 * the provider's trouble (that is `unavailable`); it is logged here, without any token.
 */
export async function recheckMembership(config: CockpitConfig, sealed: string | null | undefined, who: string): Promise<RecheckOutcome> {
  const grant = await openGrant(config, sealed);
  let result: RecheckResult;
  try {
    result =
      sealed && !grant
        ? { status: "unsupported", reason: "what the sign-in kept cannot be read any more (was [auth] secret changed?)" }
        : await identityProvider(config.oauth).recheck(config.oauth, grant);
  } catch (err) {
    result = { status: "unavailable", reason: `the re-check failed (${err instanceof Error ? err.message : String(err)})` };
  }
  if (result.status !== "member") {
    const log = result.status === "unavailable" ? console.warn : console.info;
    log(`membership.recheck ${result.status} (${who}): ${result.reason}`);
    return result;
  }
  return result.grant ? { status: "member", grant: await sealGrant(config, result.grant) } : { status: "member" };
}
