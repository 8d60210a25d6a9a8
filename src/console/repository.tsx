/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { BlueprintView, RunSummary, ServiceView, TemplateView } from "../actors/repository/views.ts";
import type { SecretInfo } from "../secrets/names.ts";
import { apiRepo, type Frame, Layout, repoHref, serviceHref, State, Table, Time } from "./layout.tsx";
import { SecretsSection } from "./secrets.tsx";

export interface RepositoryData {
  name: string;
  git_url: string;
  noexec: boolean;
  blueprints: BlueprintView[];
  templates: TemplateView[];
  services: ServiceView[];
  runs: RunSummary[];
  scheduler: { status: string; queue_size: number; running: string | null };
  /** The repository's secrets: names, who set them and when (never values). */
  secrets: SecretInfo[];
}

export const blueprintHref = (repo: string, bp: string) => `${repoHref(repo)}/blueprint/${encodeURIComponent(bp)}`;
export const runHref = (repo: string, key: string) => `${repoHref(repo)}/run/${encodeURIComponent(key)}`;

/** Runs a repository's scheduled actions, or plans them without starting (simulate). */
export function RunButtons(props: { repo: string }) {
  return (
    <p class="buttons">
      <button type="button" data-api="POST" data-url={`${apiRepo(props.repo)}/aysrun`} data-then={`${repoHref(props.repo)}/run/{key}`}>
        Run scheduled actions
      </button>
      <button type="button" class="secondary" data-api="POST" data-url={`${apiRepo(props.repo)}/aysrun?simulate=true`}
        data-then={`${repoHref(props.repo)}/run/{key}`}>
        Plan a run (start it later)
      </button>
    </p>
  );
}

/** The lifecycle actions, always shown, in the order they run. */
const CORE_ACTIONS = ["init", "install", "start", "monitor", "stop", "uninstall", "delete"];
/** Every template has the other AYS default actions; they get a column once one has done something. */
const QUIET_DEFAULTS = new Set([
  "input", "halt", "check_up", "check_down", "check_requirements", "cleanup", "data_export", "data_import", "removedata", "consume", "processChange",
]);

/**
 * Which actions get a column: the lifecycle ones, the template's own, and any default action that
 * is not idle somewhere (`input` is always ok, so only its errors count).
 */
export function gridActions(services: ServiceView[]): string[] {
  const all = new Set(services.flatMap((s) => s.actions.map((a) => a.name)));
  const busy = (name: string) =>
    services.some((s) => s.actions.some((a) => a.name === name && a.state !== "new" && (name !== "input" || a.state !== "ok")));
  const core = CORE_ACTIONS.filter((a) => all.has(a));
  const others = [...all].filter((a) => !CORE_ACTIONS.includes(a) && (!QUIET_DEFAULTS.has(a) || busy(a))).sort();
  return [...core, ...others];
}

/** Rows are services, columns actions (see gridActions); each cell is the action's state. */
export function ServicesGrid(props: { repo: string; services: ServiceView[] }) {
  const actions = gridActions(props.services);
  if (props.services.length === 0) return <p class="empty">No services: execute a blueprint to create them.</p>;
  return (
    <div class="scroll">
      <table class="grid">
        <caption>Action states. Other default actions show once they run; every action is on the service's page.</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">State</th>
            {actions.map((a) => (
              <th scope="col">{a}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.services.map((s) => {
            const byName = new Map(s.actions.map((a) => [a.name, a]));
            return (
              <tr>
                <th scope="row">
                  <a href={serviceHref(props.repo, s.key)}>{s.key}</a>
                </th>
                <td>
                  <State state={s.state} />
                </td>
                {actions.map((name) => {
                  const action = byName.get(name);
                  if (!action) return <td class="none"><span class="sr-only">no {name}</span></td>;
                  return (
                    <td class={`cell st-${action.state}`} title={`${s.key} ${name}: ${action.state}`}>
                      {action.state}
                      {action.error_count ? <span class="errors"> ({action.error_count} errors)</span> : null}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Where the page of services shown starts (`after`, null: the first) and the cursor of the next one. */
export interface ServicesPage {
  after: string | null;
  next: string | null;
}

export function RepositoryPage(props: { frame: Omit<Frame, "title">; repo: RepositoryData; servicesPage: ServicesPage }) {
  const r = props.repo;
  const api = apiRepo(r.name);
  const active = r.blueprints.filter((b) => !b.archived);
  const archived = r.blueprints.filter((b) => b.archived);
  return (
    <Layout {...props.frame} title={r.name} section="repositories" trail={[["Repositories", "/console"]]}>
      <p class="meta">
        {r.git_url ? <>Git: {r.git_url} · </> : null}
        {r.noexec ? <>no-exec mode · </> : null}
        Scheduler: {r.scheduler.status}, {r.scheduler.queue_size} queued
        {r.scheduler.running ? (
          <>
            , running <a href={runHref(r.name, r.scheduler.running)}>{r.scheduler.running}</a>
          </>
        ) : null}
      </p>

      <section aria-labelledby="bps">
        <h2 id="bps">Blueprints</h2>
        <p>
          <a class="button" href={`${repoHref(r.name)}/blueprint-new`}>
            New blueprint
          </a>
        </p>
        <p class="error" role="alert" hidden></p>
        {active.length === 0 ? <p class="empty">No blueprints.</p> : <BlueprintTable repo={r.name} api={api} blueprints={active} />}
        {archived.length ? (
          <details>
            <summary>Archived blueprints ({archived.length})</summary>
            <BlueprintTable repo={r.name} api={api} blueprints={archived} />
          </details>
        ) : null}
      </section>

      <section aria-labelledby="svcs">
        <h2 id="svcs">Services</h2>
        <ServicesGrid repo={r.name} services={r.services} />
        {props.servicesPage.after !== null || props.servicesPage.next !== null ? (
          <p class="pager">
            {props.servicesPage.after !== null ? <a href={`${repoHref(r.name)}#svcs`}>First services</a> : null}
            {props.servicesPage.after !== null && props.servicesPage.next !== null ? " · " : null}
            {props.servicesPage.next !== null ? (
              <a rel="next" href={`${repoHref(r.name)}?after=${encodeURIComponent(props.servicesPage.next)}#svcs`}>
                Next services
              </a>
            ) : null}
          </p>
        ) : null}
      </section>

      <section aria-labelledby="runs">
        <h2 id="runs">Runs</h2>
        <RunButtons repo={r.name} />
        <p class="error" role="alert" hidden></p>
        {r.runs.length ? (
          <p>
            Latest: <a href={runHref(r.name, r.runs[0]!.key)}>{r.runs[0]!.key}</a> <State state={r.runs[0]!.state} /> ·{" "}
            <a href={`${repoHref(r.name)}/runs`}>all runs</a>
          </p>
        ) : (
          <p class="empty">No runs yet.</p>
        )}
      </section>

      <section aria-labelledby="tmpls">
        <h2 id="tmpls">Templates</h2>
        <p class="error" role="alert" hidden></p>
        <details class="add">
          <summary>Add or replace a template</summary>
          <form class="stacked" data-api="POST" data-url={`${api}/template`} data-then="reload" data-done="Template stored.">
            <p>
              <label for="tmpl-name">Actor name</label>
              <input id="tmpl-name" name="name" required maxlength={100} pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]*" placeholder="node.web" autocomplete="off" />
            </p>
            <p>
              <label for="tmpl-config">config.yaml <span class="muted">(optional)</span></label>
              <textarea id="tmpl-config" name="config" rows={4} spellcheck={false}></textarea>
            </p>
            <p>
              <label for="tmpl-schema">schema.capnp <span class="muted">(optional)</span></label>
              <textarea id="tmpl-schema" name="schema" rows={5} spellcheck={false}></textarea>
            </p>
            <p>
              <label for="tmpl-actions">actions.js <span class="muted">(each exported function is an action)</span></label>
              <textarea id="tmpl-actions" name="actions" rows={6} spellcheck={false}></textarea>
            </p>
            <p>
              <button type="submit">Store template</button>
            </p>
            <p class="error" role="alert" hidden></p>
          </form>
        </details>
        {r.templates.length === 0 ? (
          <p class="empty">No repository templates.</p>
        ) : (
          <ul class="plain">
            {r.templates.map((t) => (
              <li class="with-button">
                <details>
                  <summary>
                    <strong>{t.name}</strong> <span class="muted">role {t.role} · {t.code === "js" ? "actions.js" : t.code === "py" ? "actions.py (cannot run)" : "no code"} ·
                    actions: {t.actions.join(", ") || "none"}</span>
                  </summary>
                  {t.config ? <><h3>config.yaml</h3><pre>{t.config}</pre></> : null}
                  {t.schema ? <><h3>schema.capnp</h3><pre>{t.schema}</pre></> : null}
                  {t.actions_js ? <><h3>actions.js</h3><pre>{t.actions_js}</pre></> : null}
                </details>
                {/* The API refuses a template still in use, naming its services and blueprints. */}
                <button type="button" class="danger" data-api="DELETE" data-url={`${api}/template/${encodeURIComponent(t.name)}`} data-then="reload"
                  data-confirm={`Delete template ${t.name}?`} data-done={`Template ${t.name} deleted.`} aria-label={`Delete template ${t.name}`}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <SecretsSection api={api} secrets={r.secrets} />
    </Layout>
  );
}

function BlueprintTable(props: { repo: string; api: string; blueprints: BlueprintView[] }) {
  return (
    <Table columns={["Blueprint", "Updated", { hidden: "Actions" }]}>
      {props.blueprints.map((b) => {
        const url = `${props.api}/blueprint/${encodeURIComponent(b.name)}`;
        return (
          <tr>
            <th scope="row">
              <a href={blueprintHref(props.repo, b.name)}>{b.name}</a>
            </th>
            <td>
              <Time at={b.updated} />
            </td>
            <td class="buttons">
              {b.archived ? (
                <button type="button" data-api="PUT" data-url={`${url}/restore`} data-then="reload" aria-label={`Restore ${b.name}`}
                  data-done={`Blueprint ${b.name} restored.`}>
                  Restore
                </button>
              ) : (
                <>
                  <button type="button" data-api="POST" data-url={url} data-then="reload" aria-label={`Execute ${b.name}`}>
                    Execute
                  </button>
                  <button type="button" class="secondary" data-api="PUT" data-url={`${url}/archive`} data-then="reload" aria-label={`Archive ${b.name}`}
                    data-done={`Blueprint ${b.name} archived.`}>
                    Archive
                  </button>
                </>
              )}
            </td>
          </tr>
        );
      })}
    </Table>
  );
}
