/**
 * The console's only script, served as /console/assets/console.js: the files of this folder, joined
 * in order inside one function (src/console/client.ts), so what one declares at its top level the
 * next ones use. Pages are rendered on the server; this adds what needs a browser: buttons and forms
 * that call the `/ays` API with the session cookie (forms.js), the blueprint editor's
 * check-as-you-type (blueprint-editor.js), and the run view's live updates over the run's event
 * stream (run-view.js). Plain ES2020, no build step; `npm run typecheck` checks it with the DOM's
 * types (tsconfig.browser.json).
 *
 * This file: querying the page, and calling the API. A 401 from the API renews the session once
 * (POST /auth/refresh) and retries; when that fails the person is sent to sign in again.
 */

/** @type {<E extends Element = HTMLElement>(sel: string, root?: ParentNode | null) => E | null} */
var $ = function (sel, root) { return (root || document).querySelector(sel); };
/** @type {<E extends Element = HTMLElement>(sel: string, root?: ParentNode | null) => E[]} */
var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

// === Session

/** @type {Promise<boolean> | null} */
var renewing = null;
/** @returns {Promise<boolean>} */
function renew() {
  if (!renewing) {
    renewing = fetch("/auth/refresh", { method: "POST", credentials: "same-origin", headers: { accept: "application/json" } })
      // 409: another tab rotated the refresh token a moment ago; this browser already has the new one.
      .then(function (r) { return r.ok || r.status === 409; }, function () { return false; })
      .then(function (ok) { renewing = null; return ok; });
  }
  return renewing;
}
function signIn() {
  location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
}

/**
 * Calls the API with the session cookie and resolves with its JSON answer (null when empty); an
 * answer that is not 2xx rejects with an ApiFailure carrying the API's reason.
 * @param {string} method
 * @param {string} url
 * @param {unknown} [body]
 * @param {boolean} [retried]
 * @returns {Promise<any>}
 */
async function api(method, url, body, retried) {
  /** @type {RequestInit & { headers: Record<string, string> }} */
  var init = { method: method, credentials: "same-origin", headers: { accept: "application/json" } };
  if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  var res = await fetch(url, init);
  if (res.status === 401 && !retried) {
    if (await renew()) return api(method, url, body, true);
    signIn();
    throw new Error("Your session ended: signing in again…");
  }
  var text = await res.text();
  var data = null;
  if (text) { try { data = JSON.parse(text); } catch (e) { data = { error: text }; } }
  if (!res.ok) {
    var err = /** @type {ApiFailure} */ (new Error((data && data.error) || ("HTTP " + res.status)));
    err.status = res.status; err.data = data;
    throw err;
  }
  return data;
}
