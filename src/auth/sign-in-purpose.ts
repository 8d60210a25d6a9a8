/**
 * What a feature that starts sign-ins (the console's `/login`, the bot's `/start`) registers for
 * `GET /oauth/callback` (src/routes/oauth.ts) to call once one finishes, and the page it answers
 * with. Apart from the route so that a feature can say it without importing the routes.
 */
import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ASSET_VERSION } from "../console/assets.ts";
import { securePage } from "../console/security-headers.ts";
import type { AppEnv } from "../routes/env.ts";
import type { OAuthError, OAuthPurpose, OAuthPurposeKind, SignInStep } from "./oauth.ts";

type PurposeOf<K extends OAuthPurposeKind> = Extract<OAuthPurpose, { kind: K }>;

/** What a feature does with a finished sign-in. */
export interface PurposeHandler<K extends OAuthPurposeKind> {
  /**
   * Called once the member is verified and the login recorded; answers the browser. `grant` is what
   * a re-check of membership needs, sealed (src/auth/provider-grant.ts), to keep with the access given.
   */
  authorized(c: Context<AppEnv>, purpose: PurposeOf<K>, user: string, grant?: string): Promise<Response>;
  /** Called when a sign-in for this purpose is refused, before the error page is shown (e.g. to tell the chat). */
  refused?(c: Context<AppEnv>, purpose: PurposeOf<K>, error: OAuthError): Promise<void>;
  /** Called once the state is read, before it is spent: throws OAuthError to refuse this request. */
  admit?(c: Context<AppEnv>, purpose: PurposeOf<K>): void | Promise<void>;
  /**
   * When it answers (a browser that takes HTML), the callback shows this page at once instead of
   * waiting; `finish` then runs the rest of the sign-in (spending the state, the code exchange, the
   * membership check, the login record), telling `onStep` as each step starts, and resolves to the
   * member (with the sealed grant) or rejects with OAuthError (after `refused`). `authorized` is not called then.
   */
  progress?(c: Context<AppEnv>, purpose: PurposeOf<K>, finish: (onStep: (step: SignInStep) => void) => Promise<FinishedSignIn>): Response | undefined;
}

/** A finished sign-in: the member, and the sealed grant a re-check of membership needs (if any). */
export interface FinishedSignIn {
  user: string;
  grant?: string;
}

export type PurposeHandlers = { [K in OAuthPurposeKind]?: PurposeHandler<K> };

/** A minimal self-contained page: the browser may be a phone opened from a Telegram chat. */
export function messagePage(c: Context, status: ContentfulStatusCode, title: string, message: string) {
  securePage(c);
  return c.html(
    html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · Cockpit</title>
    <link rel="stylesheet" href="/console/assets/pages.css?v=${ASSET_VERSION}" />
  </head>
  <body>
    <main>
      <h1>${title}</h1>
      <p>${message}</p>
    </main>
  </body>
</html>`,
    status,
  );
}
