/**
 * API keys (`Authorization: bearer ck_…`): made by `POST /ays/keys`, shown once, stored as their
 * SHA-256 by the OrganizationActor (src/actors/api-keys.ts). A key acts as `key:<name>` in the
 * audit log; a key made for one repository reaches only that repository's routes.
 */
import type { Context } from "hono";
import type { AppEnv } from "../routes/env.ts";
import { AuthError, type Caller } from "./jwt.ts";

export const API_KEY_PREFIX = "ck_";
const API_KEY = /^ck_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function hashApiKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new key: its public id, the key itself (shown once) and the hash that is stored. */
export async function newApiKey(): Promise<{ id: string; key: string; hash: string }> {
  const id = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const key = `${API_KEY_PREFIX}${id}_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  return { id, key, hash: await hashApiKey(key) };
}

/** The caller an API key is, or an AuthError saying why it is refused (unknown, revoked, expired). */
export async function apiKeyCaller(c: Context<AppEnv>, token: string): Promise<Caller> {
  if (!API_KEY.test(token)) throw new AuthError("malformed API key: expected ck_<16 hex digits>_<43 characters>, as POST /ays/keys gave it");
  const org = c.env.ORGANIZATION.getByName(c.get("config").oauth.organization);
  const reply = await org.apiKeys({ op: "check", hash: await hashApiKey(token), now: Date.now() });
  if (reply.op !== "check" || !reply.info) throw new AuthError(reply.op === "check" && reply.refused ? reply.refused : "unknown API key");
  const info = reply.info;
  return { user: `key:${info.name}`, kind: "user", exp: Math.floor(info.expires / 1000), apiKey: { id: info.id, name: info.name, repo: info.repo, role: info.role } };
}
