/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { BlueprintView } from "../actors/repository/views.ts";
import { apiRepo, Layout, repoHref, Time, type Frame } from "./layout.tsx";

/**
 * The blueprint editor. As you type, the script sends the text to `…/blueprint/{bp}/check`, where the
 * engine parses and checks it against the repository's templates and services, and shows the first
 * problem at its line and column. Saving goes through the same POST/PUT the API has; Execute saves
 * unsaved changes first.
 */
export function BlueprintPage(props: { frame: Omit<Frame, "title">; repo: string; blueprint: BlueprintView | null }) {
  const bp = props.blueprint;
  const api = apiRepo(props.repo);
  const title = bp ? bp.name : "New blueprint";
  return (
    <Layout {...props.frame} title={title} section="repositories" trail={[["Repositories", "/console"], [props.repo, repoHref(props.repo)]]}>
      {bp ? (
        <p class="meta">
          {bp.archived ? <>Archived · </> : null}Updated <Time at={bp.updated} />
        </p>
      ) : null}
      <form id="bp-editor" class="editor-form" data-repo={props.repo} data-api-base={api} data-blueprint={bp?.name ?? ""}
        data-repo-href={repoHref(props.repo)}>
        {bp ? null : (
          <p>
            <label for="bp-name">File name</label>
            <input id="bp-name" name="name" required maxlength={200} pattern="[A-Za-z0-9_.\-]+" placeholder="site.yaml" autocomplete="off" />
          </p>
        )}
        <label for="bp-content">Blueprint (YAML)</label>
        <div class="editor">
          <pre class="gutter" aria-hidden="true"></pre>
          <textarea id="bp-content" name="content" rows={18} wrap="off" spellcheck={false} autocapitalize="off"
            aria-describedby="bp-check">{bp?.content ?? ""}</textarea>
        </div>
        <div id="bp-check" class="check-result" role="status" aria-live="polite"></div>
        <p class="buttons">
          <button type="submit">{bp ? "Save" : "Create blueprint"}</button>
          {bp && !bp.archived ? (
            <button type="button" data-execute>
              Execute
            </button>
          ) : null}
          {bp ? (
            bp.archived ? (
              <button type="button" class="secondary" data-api="PUT" data-url={`${api}/blueprint/${encodeURIComponent(bp.name)}/restore`} data-then="reload">
                Restore
              </button>
            ) : (
              <button type="button" class="secondary" data-api="PUT" data-url={`${api}/blueprint/${encodeURIComponent(bp.name)}/archive`} data-then="reload">
                Archive
              </button>
            )
          ) : null}
          {bp ? (
            <button type="button" class="danger" data-api="DELETE" data-url={`${api}/blueprint/${encodeURIComponent(bp.name)}`}
              data-confirm={`Delete blueprint ${bp.name}? Its services stay.`} data-then={repoHref(props.repo)}>
              Delete
            </button>
          ) : null}
        </p>
        <p class="error" role="alert" hidden></p>
      </form>
    </Layout>
  );
}
