/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { raw } from "hono/html";
import { Head } from "./layout.tsx";

/** A page without the console's navigation: a refused session, or an error. */
export function NoticePage(props: { title: string; message: string; signIn?: string; back?: string; providerSignOut?: string }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <Head title={`${props.title} · Cockpit`} />
        <body class="notice">
          <main id="main">
            <h1>{props.title}</h1>
            <p id="notice-message">{props.message}</p>
            {props.signIn ? (
              <p>
                <a class="button" href={props.signIn} id="sign-in">
                  Sign in
                </a>
              </p>
            ) : null}
            {props.providerSignOut ? (
              <p>
                <a href={props.providerSignOut} id="provider-sign-out">
                  Sign out at the identity provider too
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
