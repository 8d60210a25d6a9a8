/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The repository page's secrets: names, who set each and when (never values), a form that sets one
 * (PUT …/secret/{name}: the form's script fills the name into the URL, src/console/browser/forms.js)
 * and a delete button per secret.
 */
import type { SecretInfo } from "../secrets/names.ts";
import { Time } from "./layout.tsx";

export function SecretsSection(props: { api: string; secrets: SecretInfo[] }) {
  const { api, secrets } = props;
  return (
    <section aria-labelledby="secrets">
      <h2 id="secrets">Secrets</h2>
      <p class="muted">
        Actions read these with <code>await job.secrets.get("NAME")</code> when their template's config.yaml lists the name (<code>secrets: [NAME]</code>);
        a repository's secret shadows the organization's. Values are stored encrypted, never shown again, and masked as <code>***</code> in what jobs report.
      </p>
      <p class="error" role="alert" hidden></p>
      <details class="add">
        <summary>Set a secret</summary>
        <form class="stacked" data-api="PUT" data-url={`${api}/secret/{name}`} data-then="reload" data-done="Secret stored.">
          <p>
            <label for="secret-name">Name</label>
            <input id="secret-name" name="name" required maxlength={64} pattern="[A-Za-z_][A-Za-z0-9_]*" placeholder="CLOUD_TOKEN" autocomplete="off" />
          </p>
          <p>
            <label for="secret-value">Value</label>
            <textarea id="secret-value" name="value" rows={3} required spellcheck={false} autocomplete="off"></textarea>
          </p>
          <p>
            <button type="submit">Store secret</button>
          </p>
          <p class="error" role="alert" hidden></p>
        </form>
      </details>
      {secrets.length === 0 ? (
        <p class="empty">No repository secrets.</p>
      ) : (
        <ul class="plain">
          {secrets.map((s) => (
            <li class="with-button">
              <span><strong>{s.name}</strong> <span class="muted">set by {s.set_by}, <Time at={s.set_at} /></span></span>
              <button type="button" class="danger" data-api="DELETE" data-url={`${api}/secret/${encodeURIComponent(s.name)}`} data-then="reload"
                data-confirm={`Delete secret ${s.name}?`} data-done={`Secret ${s.name} deleted.`} aria-label={`Delete secret ${s.name}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
