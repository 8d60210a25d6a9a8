/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { RepositoryEntry } from "../actors/organization.ts";
import { type Frame, Layout, repoHref, Table, Time } from "./layout.tsx";

/** The organization's repositories: list, create, delete. */
export function RepositoriesPage(props: { frame: Omit<Frame, "title">; repositories: RepositoryEntry[] }) {
  return (
    <Layout {...props.frame} title="Repositories" section="repositories">
      <section aria-labelledby="new-repo">
        <h2 id="new-repo">New repository</h2>
        <form class="inline" data-api="POST" data-url="/ays/repository" data-then="/console/repo/{name}" data-done="Repository created.">
          <p>
            <label for="repo-name">Name</label>
            <input id="repo-name" name="name" required maxlength={100} pattern="[A-Za-z0-9_\-]+" autocomplete="off"
              aria-describedby="repo-name-help" />
            <small id="repo-name-help">letters, digits, _ and -</small>
          </p>
          <p>
            <label for="repo-git">Git URL <span class="muted">(optional)</span></label>
            <input id="repo-git" name="git_url" type="url" maxlength={2048} />
          </p>
          <p class="check">
            <input id="repo-noexec" name="no_exec" type="checkbox" />
            <label for="repo-noexec">No-exec (mark jobs ok without running them)</label>
          </p>
          <p>
            <button type="submit">Create repository</button>
          </p>
          <p class="error" role="alert" hidden></p>
        </form>
      </section>
      <section aria-labelledby="repo-list">
        <h2 id="repo-list">All repositories</h2>
        <p class="error" role="alert" hidden></p>
        {props.repositories.length === 0 ? (
          <p class="empty">No repositories yet: create one above.</p>
        ) : (
          <Table columns={["Name", "Git URL", "Created", { hidden: "Actions" }]}>
            {props.repositories.map((r) => (
              <tr>
                <th scope="row">
                  <a href={repoHref(r.name)}>{r.name}</a>
                </th>
                <td>{r.git_url || <span class="muted">none</span>}</td>
                <td>
                  <Time at={r.created} />
                </td>
                <td>
                  <button type="button" class="danger" data-api="DELETE" data-url={`/ays/repository/${encodeURIComponent(r.name)}`}
                    data-confirm={`Delete repository ${r.name} with its blueprints, services and runs?`} data-then="reload"
                    aria-label={`Delete repository ${r.name}`} data-done={`Repository ${r.name} deleted.`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </section>
    </Layout>
  );
}
