/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { raw } from "hono/html";
import { Head } from "./layout.tsx";

/**
 * A page without the console's navigation: a refused session, or an error. With `tryRefresh` the
 * script first tries to renew the session (`POST /auth/refresh`) and reloads if that works, so an
 * access token that merely expired costs the person nothing; if it cannot, `"sign-in"` goes on to
 * sign in, `"reload"` leaves the reason and the sign-in link on screen.
 */
export function NoticePage(props: { title: string; message: string; signIn?: string; tryRefresh?: "reload" | "sign-in" | undefined; back?: string }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <Head title={`${props.title} · Cockpit`} />
        <body class="notice">
          <main id="main" data-try-refresh={props.tryRefresh}>
            <h1>{props.title}</h1>
            <p id="notice-message">{props.message}</p>
            <p id="refreshing" role="status" aria-live="polite" hidden>
              Renewing your session…
            </p>
            {props.signIn ? (
              <p>
                <a class="button" href={props.signIn} id="sign-in">
                  Sign in
                </a>
              </p>
            ) : null}
            {props.back ? (
              <p>
                <a href={props.back}>Back</a>
              </p>
            ) : null}
          </main>
        </body>
      </html>
    </>
  );
}
