/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The frame of every console page: one stylesheet, one deferred script, a skip link, and the
 * organization's navigation. Pages are complete without the script; it adds live updates and the
 * buttons that call the `/ays` API.
 */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { ASSET_VERSION } from "./assets.ts";

export type Section = "repositories" | "events";

export interface Frame {
  title: string;
  organization: string;
  user: string;
  section?: Section;
  /** Breadcrumbs between the organization and the page: [label, href]. */
  trail?: [string, string][];
}

/** The document head every console page has: its one stylesheet and its one deferred script. */
export function Head(props: { title: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{props.title}</title>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={`/console/assets/console.css?v=${ASSET_VERSION}`} />
      <script src={`/console/assets/console.js?v=${ASSET_VERSION}`} defer></script>
    </head>
  );
}

/** A column heading, or one only screen readers see (a column of buttons needs no visible name). */
export type Column = string | { hidden: string };

/** A table in its own box, which scrolls sideways on a narrow screen instead of the page. */
export function Table(props: { columns: Column[]; class?: string; children?: Child }) {
  return (
    <div class="scroll">
      <table class={props.class}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col">{typeof c === "string" ? c : <span class="sr-only">{c.hidden}</span>}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

export function Layout(props: Frame & { children?: Child }) {
  const nav = (section: Section, href: string, label: string) => (
    <a href={href} aria-current={props.section === section ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <Head title={`${props.title} · ${props.organization} · Cockpit`} />
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="top">
            <a class="brand" href="/console">
              Cockpit <span class="org">{props.organization}</span>
            </a>
            <nav aria-label="Main">
              {nav("repositories", "/console", "Repositories")}
              {nav("events", "/console/events", "Events")}
            </nav>
            <div class="who">
              <span>{props.user}</span>
              <button type="button" data-logout>
                Sign out
              </button>
            </div>
          </header>
          <main id="main" tabindex={-1}>
            {props.trail?.length ? (
              <nav aria-label="Breadcrumb" class="trail">
                <ol>
                  {props.trail.map(([label, href]) => (
                    <li>
                      <a href={href}>{label}</a>
                    </li>
                  ))}
                  <li aria-current="page">{props.title}</li>
                </ol>
              </nav>
            ) : null}
            <h1>{props.title}</h1>
            <p id="flash" role="status" aria-live="polite" class="flash" hidden></p>
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}

/** A state as a coloured badge; the text says the state too, so colour is never the only cue. */
export function State(props: { state: string; id?: string }) {
  return (
    <span class={`badge st-${props.state}`} id={props.id} data-state={props.state}>
      {props.state}
    </span>
  );
}

/** A time for people: UTC text, machine-readable attribute (the script shows it in local time). */
export function Time(props: { at: number | null | undefined }) {
  if (!props.at) return <span class="muted">never</span>;
  const iso = new Date(props.at).toISOString();
  return <time datetime={iso}>{iso.replace("T", " ").slice(0, 19)} UTC</time>;
}

/** Splits `role!instance` into the parts the service URLs use. */
export function serviceHref(repo: string, key: string): string {
  const bang = key.indexOf("!");
  const role = bang < 0 ? key : key.slice(0, bang);
  const name = bang < 0 ? "" : key.slice(bang + 1);
  return `/console/repo/${encodeURIComponent(repo)}/service/${encodeURIComponent(role)}/${encodeURIComponent(name)}`;
}

export const repoHref = (repo: string) => `/console/repo/${encodeURIComponent(repo)}`;
export const apiRepo = (repo: string) => `/ays/repository/${encodeURIComponent(repo)}`;
