/** The organization's audit log, as every channel writes to it. */
import type { Channel } from "../actors/organization.ts";
import { organization, type Scope } from "./repository.ts";

/** Who did something, and through which channel. */
export interface Actor {
  by: string;
  channel: Channel;
}

/** Records an entry; never rejects: a record that fails is logged, and what it records stands. */
export async function audit(scope: Scope, who: Actor, type: string, repo: string | null, message: string, data?: Record<string, unknown>): Promise<void> {
  await organization(scope)
    .record({ type, repo, by: who.by, channel: who.channel, message, data: data ?? null })
    .catch((err: unknown) => console.error("audit failed", String(err)));
}
