/**
 * The console's sign-in progress page. It is streamed: the browser shows each step as the callback
 * reaches it (the code exchange can take seconds), and the page ends by posting the sealed result
 * to `/auth/session`, which sets the session cookies (a streamed answer cannot set them itself).
 */
import type { Context } from "hono";
import { html } from "hono/html";
import { stream } from "hono/streaming";
import type { OAuthPurpose, SignInStep } from "../auth/oauth.ts";
import { OAuthError } from "../auth/oauth.ts";
import { githubRoots } from "../auth/providers/github.ts";
import { sealSignInTicket } from "../auth/session.ts";
import type { FinishedSignIn } from "../auth/sign-in-purpose.ts";
import { ASSET_VERSION } from "../console/assets.ts";
import { securePage } from "../console/security-headers.ts";
import type { AppEnv } from "./env.ts";

type WebPurpose = Extract<OAuthPurpose, { kind: "web" }>;

const PAGES_CSS_URL = `/console/assets/pages.css?v=${ASSET_VERSION}`;

const HEAD = html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Signing in · Cockpit</title>
    <link rel="stylesheet" href="${PAGES_CSS_URL}" />
  </head>
  <body>
    <main>
      <h1>Signing in to Cockpit</h1>
      <ol aria-live="polite" aria-label="sign-in progress">
        <li class="done">Sign-in link checked</li>
`;

function stepText(c: Context<AppEnv>, step: SignInStep): string {
  const oauth = c.get("config").oauth;
  const provider = oauth.provider === "itsyouonline" ? (oauth.token_url ?? oauth.itsyouonlinehost) : oauth.provider === "github" ? githubRoots(oauth).web : oauth.issuer;
  if (step === "exchange") return `Exchanging code with ${new URL(provider).host}…`;
  return `Checking membership of ${oauth.organization}…`;
}

/** Streams the progress of `finish` (the rest of the callback) to the browser. */
export function signInProgress(c: Context<AppEnv>, purpose: WebPurpose, finish: (onStep: (step: SignInStep) => void) => Promise<FinishedSignIn>): Response {
  c.header("content-type", "text/html; charset=utf-8");
  c.header("cache-control", "no-store, no-transform");
  // Compressing would hold the steps back until the page ends (wrangler dev gzips text/html and
  // flushes only at the end, as Cloudflare's edge may); the page is small, so send it as written.
  c.header("content-encoding", "identity");
  securePage(c);
  return stream(c, async (out) => {
    await out.write(String(HEAD));
    let writes = Promise.resolve();
    // Steps are reported synchronously; writes are chained so they reach the page in order.
    const line = (text: string, failed = false) => {
      const item = failed ? html`        <li class="fail" role="alert">${text}</li>\n` : html`        <li>${text}</li>\n`;
      writes = writes.then(() => out.write(String(item))).then(() => {});
    };
    try {
      const { user, grant } = await finish((step) => line(stepText(c, step)));
      line(`Starting your session as ${user}…`);
      const ticket = await sealSignInTicket(c, { user, next: purpose.next, browser: purpose.browser!, grant });
      await writes;
      await out.write(String(html`      </ol>
      <form method="post" action="/auth/session">
        <input type="hidden" name="ticket" value="${ticket}" />
        <noscript><button type="submit">Continue</button></noscript>
      </form>
      <script src="/console/assets/sign-in.js?v=${ASSET_VERSION}"></script>
    </main>
  </body>
</html>
`));
    } catch (err) {
      const message = err instanceof OAuthError ? err.message : "something went wrong on our side: start again";
      if (!(err instanceof OAuthError)) console.error("sign-in failed", err instanceof Error ? err.stack : String(err));
      line(message, true);
      await writes;
      const again = `/login?next=${encodeURIComponent(purpose.next)}`;
      await out.write(String(html`      </ol>
      <p><a href="${again}">Start again</a></p>
    </main>
  </body>
</html>
`));
    }
  });
}

/**
 * `GET /auth/resume?next=`: where a console page sends a browser whose access token expired. The
 * refresh cookie only travels to `/auth`, so this page spends it (POST /auth/refresh) and goes back,
 * or on to `/login` when the session is over (its script is /console/assets/resume.js: no inline code,
 * the console's CSP). Without script, a button does the same, and a link signs in again: the CSP's
 * form-action 'self' stops a form's redirect chain at the identity provider's host, a link's it does not.
 */
export function resumePage(c: Context<AppEnv>, next: string) {
  const login = `/login?next=${encodeURIComponent(next)}`;
  c.header("cache-control", "no-store");
  securePage(c);
  return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Resuming · Cockpit</title>
    <link rel="stylesheet" href="${PAGES_CSS_URL}" />
    <script src="/console/assets/resume.js?v=${ASSET_VERSION}" defer></script>
  </head>
  <body>
    <main data-next="${next}" data-login="${login}">
      <h1>Resuming your session…</h1>
      <form method="post" action="/auth/refresh?next=${encodeURIComponent(next)}">
        <noscript><button type="submit">Continue</button> or <a href="${login}">sign in again</a></noscript>
      </form>
    </main>
  </body>
</html>`);
}
