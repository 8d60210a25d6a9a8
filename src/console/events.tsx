/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { AuditEntry, Login } from "../actors/organization.ts";
import { type Frame, Layout, repoHref, Table, Time } from "./layout.tsx";

export interface EventFilter {
  type?: string;
  repo?: string;
  /** `YYYY-MM-DDTHH:MM`, UTC, as the form sends it. */
  since?: string;
  until?: string;
}

/** The organization's event and audit log, newest first, filtered by type, repository and time. */
export function EventsPage(props: {
  frame: Omit<Frame, "title">;
  filter: EventFilter;
  repositories: string[];
  /** The types the log holds, offered as suggestions. */
  types: string[];
  events: AuditEntry[];
  /** Query string of the next (older) page, when there is one. */
  older: string | null;
  /** The latest sign-ins (the login history), newest first. */
  logins: Login[];
}) {
  const f = props.filter;
  return (
    <Layout {...props.frame} title="Events" section="events">
      <form class="filters" method="get" action="/console/events" role="search" aria-label="Filter events">
        <p>
          <label for="ev-type">Type</label>
          <input id="ev-type" name="type" list="ev-types" value={f.type ?? ""} maxlength={100} placeholder="any" />
          <datalist id="ev-types">
            {props.types.map((t) => (
              <option value={t} />
            ))}
          </datalist>
        </p>
        <p>
          <label for="ev-repo">Repository</label>
          <select id="ev-repo" name="repo">
            <option value="">any</option>
            {props.repositories.map((r) => (
              <option value={r} selected={r === f.repo}>
                {r}
              </option>
            ))}
          </select>
        </p>
        <p>
          <label for="ev-since">From (UTC)</label>
          <input id="ev-since" name="since" type="datetime-local" value={f.since ?? ""} />
        </p>
        <p>
          <label for="ev-until">Until (UTC)</label>
          <input id="ev-until" name="until" type="datetime-local" value={f.until ?? ""} />
        </p>
        <p class="buttons">
          <button type="submit">Filter</button>
          <a href="/console/events">Clear</a>
        </p>
      </form>
      {props.events.length === 0 ? (
        <p class="empty">No events match.</p>
      ) : (
        <Table columns={["Time", "Type", "Repository", "By", "Channel", "What"]} class="events">
          {props.events.map((e) => (
            <tr>
              <td>
                <Time at={e.time} />
              </td>
              <td>
                <code>{e.type}</code>
              </td>
              <td>{e.repo ? <a href={repoHref(e.repo)}>{e.repo}</a> : <span class="muted">—</span>}</td>
              <td>{e.by}</td>
              <td>{e.channel}</td>
              <td>{e.message}</td>
            </tr>
          ))}
        </Table>
      )}
      {props.older ? (
        <p>
          <a href={`/console/events?${props.older}`}>Older events</a>
        </p>
      ) : null}
      <section aria-labelledby="sign-ins">
        <h2 id="sign-ins">Latest sign-ins</h2>
        {props.logins.length === 0 ? (
          <p class="empty">No sign-ins yet.</p>
        ) : (
          <Table columns={["Time", "Who", "Channel", "How"]} class="events">
            {props.logins.map((l) => (
              <tr>
                <td>
                  <Time at={l.time} />
                </td>
                <td>{l.user}</td>
                <td>{l.channel}</td>
                <td>{l.detail}</td>
              </tr>
            ))}
          </Table>
        )}
        <p class="muted">
          The whole history: <a href="/ays/logins">/ays/logins</a>; sessions: <a href="/ays/sessions">/ays/sessions</a>.
        </p>
      </section>
    </Layout>
  );
}
