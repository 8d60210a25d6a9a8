/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { ServiceView } from "../actors/repository/views.ts";
import type { JobView } from "../actors/service/protocol.ts";
import { apiRepo, type Frame, Layout, repoHref, serviceHref, State, Table, Time } from "./layout.tsx";
import { RunButtons } from "./repository.tsx";

function Links(props: { repo: string; keys: string[] }) {
  if (props.keys.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="links">
      {props.keys.map((k) => (
        <li>
          <a href={serviceHref(props.repo, k)}>{k}</a>
        </li>
      ))}
    </ul>
  );
}

/** One service: its data, its links, and its actions with buttons to schedule, force or disable each (enable a disabled one). */
export function ServicePage(props: { frame: Omit<Frame, "title">; repo: string; service: ServiceView; jobs: JobView[] }) {
  const s = props.service;
  const actionUrl = (action: string) =>
    `${apiRepo(props.repo)}/service/${encodeURIComponent(s.role)}/${encodeURIComponent(s.name)}/action/${encodeURIComponent(action)}`;
  return (
    <Layout {...props.frame} title={s.key} section="repositories" trail={[["Repositories", "/console"], [props.repo, repoHref(props.repo)]]}>
      <p class="meta">
        Actor {s.actor} · <State state={s.state} />
      </p>
      <section aria-labelledby="svc-actions">
        <h2 id="svc-actions">Actions</h2>
        <Table columns={["Action", "State", "Errors", "Last run", "Every", { hidden: "Buttons" }]}>
          {s.actions.map((a) => (
            <tr>
              <th scope="row">{a.name}</th>
              <td>
                <State state={a.state} />
              </td>
              <td>{a.error_count}</td>
              <td>
                <Time at={a.last_run} />
              </td>
              <td>{a.period ? `${a.period} s` : <span class="muted">—</span>}</td>
              <td class="buttons">
                {a.state === "disabled" ? (
                  <button type="button" data-api="POST" data-url={`${actionUrl(a.name)}/enable`} data-then="reload" aria-label={`Enable ${a.name}`}
                    data-done={`${a.name} enabled on ${s.key}`}>
                    Enable
                  </button>
                ) : (
                  <>
                    <button type="button" data-api="POST" data-url={actionUrl(a.name)} data-then="reload" aria-label={`Schedule ${a.name}`}
                      data-done={`${a.name} scheduled on ${s.key}`}>
                      Schedule
                    </button>
                    <button type="button" class="secondary" data-api="POST" data-url={`${actionUrl(a.name)}?force=true`} data-then="reload"
                      aria-label={`Force ${a.name}`} data-done={`${a.name} scheduled on ${s.key} (forced)`}>
                      Force
                    </button>
                    <button type="button" class="secondary" data-api="POST" data-url={`${actionUrl(a.name)}/disable`} data-then="reload"
                      aria-label={`Disable ${a.name}`} data-done={`${a.name} disabled on ${s.key}: runs skip it until it is enabled`}>
                      Disable
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </Table>
        <p class="error" role="alert" hidden></p>
        <RunButtons repo={props.repo} />
      </section>
      <section aria-labelledby="svc-links">
        <h2 id="svc-links">Links</h2>
        <dl class="pairs">
          <dt>Parent</dt>
          <dd>
            <Links repo={props.repo} keys={s.parent ? [s.parent] : []} />
          </dd>
          <dt>Children</dt>
          <dd>
            <Links repo={props.repo} keys={s.children} />
          </dd>
          <dt>Producers (consumed)</dt>
          <dd>
            <Links repo={props.repo} keys={s.producers} />
          </dd>
          <dt>Consumers</dt>
          <dd>
            <Links repo={props.repo} keys={s.consumers} />
          </dd>
        </dl>
      </section>
      <section aria-labelledby="svc-data">
        <h2 id="svc-data">Data</h2>
        {Object.keys(s.data).length === 0 ? (
          <p class="empty">No data.</p>
        ) : (
          <dl class="pairs">
            {Object.entries(s.data).map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd>
                  <code>{typeof v === "string" ? v : JSON.stringify(v)}</code>
                </dd>
              </>
            ))}
          </dl>
        )}
      </section>
      <section aria-labelledby="svc-jobs">
        <h2 id="svc-jobs">Recent jobs</h2>
        {props.jobs.length === 0 ? (
          <p class="empty">No jobs yet.</p>
        ) : (
          <ul class="plain">
            {props.jobs.map((j) => (
              <li>
                <details>
                  <summary>
                    {j.action} <State state={j.state} /> <Time at={j.started} />
                    {j.run ? <span class="muted"> · run {j.run}</span> : null}
                  </summary>
                  <pre class="log">{j.logs.map((l) => `[${l.level}] ${l.log}`).join("\n") || "(no log)"}</pre>
                </details>
              </li>
            ))}
          </ul>
        )}
      </section>
    </Layout>
  );
}
