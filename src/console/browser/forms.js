/**
 * Messages (the page's flash line and its alert boxes), the local time of the times shown, and the
 * buttons and forms that call the API.
 */

// === Messages

/** @param {string} message */
function flash(message) {
  var el = $("#flash");
  if (!el) return;
  el.textContent = message;
  el.hidden = !message;
}
/**
 * @param {Element} from
 * @returns {HTMLElement | null}
 */
function errorBox(from) {
  var scope = from.closest("form, section, main") || document;
  return $(".error[role=alert]", scope) || $(".error[role=alert]");
}
/**
 * @param {Element} from
 * @param {string} message
 */
function showError(from, message) {
  var box = errorBox(from);
  if (box) { box.textContent = message; box.hidden = !message; }
}
var pending = sessionStorage.getItem("cockpit.flash");
if (pending) { sessionStorage.removeItem("cockpit.flash"); flash(pending); }

/**
 * @param {string} template
 * @param {Record<string, unknown>} values
 */
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, function (_, /** @type {string} */ k) { return encodeURIComponent(values[k] == null ? "" : String(values[k])); });
}
/**
 * What a button or form does once the API said yes: reload, stay (the message in the flash line) or
 * go to `then`, whose `{name}`s are filled from the values sent and the answer.
 * @param {string | undefined} then
 * @param {any} result
 * @param {Record<string, unknown>} values
 * @param {string} done
 */
function after(then, result, values, done) {
  var message = (result && (result.msg || result.message)) || done;
  if (!then || then === "reload") { sessionStorage.setItem("cockpit.flash", message); location.reload(); return; }
  if (then === "stay") { flash(message); return; }
  sessionStorage.setItem("cockpit.flash", message);
  location.assign(fill(then, Object.assign({}, values, result || {})));
}

// Times are written in UTC, as the event filters take them; the local time is in the tooltip.
$$("time[datetime]").forEach(function (t) {
  var d = new Date(/** @type {string} */ (t.getAttribute("datetime")));
  if (!isNaN(d.getTime())) t.title = d.toLocaleString() + " (local time)";
});

// === Buttons and forms that call the API: data-api=METHOD data-url=URL [data-then] [data-confirm]

/**
 * @param {HTMLFormElement} form
 * @returns {Record<string, string | true>}
 */
function formValues(form) {
  /** @type {Record<string, string | true>} */
  var values = {};
  /** @type {HTMLInputElement[]} */ ($$("input[name], select[name], textarea[name]", form)).forEach(function (el) {
    if (el.type === "checkbox") { if (el.checked) values[el.name] = true; }
    else if (el.value !== "") values[el.name] = el.value;
  });
  return values;
}

document.addEventListener("click", async function (ev) {
  /** @type {HTMLButtonElement | null} */
  var button = /** @type {Element} */ (ev.target).closest("button[data-api]");
  if (!button) return;
  if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
  showError(button, "");
  button.disabled = true;
  try {
    var result = await api(/** @type {string} */ (button.dataset.api), /** @type {string} */ (button.dataset.url));
    after(button.dataset.then, result, {}, button.dataset.done || button.textContent.trim() + ": done");
  } catch (e) {
    showError(button, e.message);
  } finally {
    button.disabled = false;
  }
});

/** @type {HTMLFormElement[]} */ ($$("form[data-api]")).forEach(function (form) {
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var values = formValues(form);
    // A `{name}` in data-url is filled from that field, which then leaves the body (PUT …/secret/{name}).
    var url = /** @type {string} */ (form.dataset.url);
    /** @type {Record<string, string | true>} */
    var sent = Object.assign({}, values);
    url = url.replace(/\{(\w+)\}/g, function (_, /** @type {string} */ k) { var v = sent[k]; delete sent[k]; return encodeURIComponent(v == null ? "" : String(v)); });
    /** @type {HTMLButtonElement | null} */
    var submit = $("button[type=submit]", form);
    showError(form, "");
    if (submit) submit.disabled = true;
    try {
      var result = await api(/** @type {string} */ (form.dataset.api), url, sent);
      after(form.dataset.then, result, values, form.dataset.done || "Saved.");
    } catch (e) {
      showError(form, e.message);
    } finally {
      if (submit) submit.disabled = false;
    }
  });
});

/** @type {HTMLButtonElement[]} */ ($$("button[data-logout]")).forEach(function (button) {
  button.addEventListener("click", async function () {
    button.disabled = true;
    try { await fetch("/auth/logout", { method: "POST", credentials: "same-origin" }); } catch (e) { /* signed out below anyway */ }
    location.assign("/console/signed-out");
  });
});
