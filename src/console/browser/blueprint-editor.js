/**
 * The blueprint editor: checked by the server as you type (300 ms after the last key), the first
 * problem shown with its line marked in the gutter and a button that puts the cursor on it; save
 * and execute (saving first).
 */

/** @type {HTMLFormElement | null} */
var editor = $("#bp-editor");
if (editor) blueprintEditor(editor);

/** @param {HTMLFormElement} form */
function blueprintEditor(form) {
  var base = form.dataset.apiBase;
  var existing = form.dataset.blueprint;
  var text = /** @type {HTMLTextAreaElement} */ ($("#bp-content", form));
  /** @type {HTMLInputElement | null} */
  var nameInput = $("#bp-name", form);
  var gutter = /** @type {HTMLElement} */ ($(".gutter", form));
  var result = /** @type {HTMLElement} */ ($("#bp-check", form));
  var badLine = 0;
  var saved = text.value;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  var timer = undefined;
  var seq = 0;

  function name() { return existing || (nameInput && nameInput.value.trim()) || "new.yaml"; }
  function drawGutter() {
    var lines = text.value.split("\n").length;
    var out = [];
    for (var i = 1; i <= lines; i++) out.push(i === badLine ? "<mark>" + i + "</mark>" : String(i));
    gutter.innerHTML = out.join("\n");
    gutter.scrollTop = text.scrollTop;
  }
  /**
   * @param {number} line
   * @param {number} [column]
   */
  function offsetOf(line, column) {
    var rows = text.value.split("\n");
    var at = 0;
    for (var i = 0; i < line - 1 && i < rows.length; i++) at += /** @type {string} */ (rows[i]).length + 1;
    return at + Math.max(0, (column || 1) - 1);
  }
  /** @param {BlueprintCheck} check */
  function show(check) {
    result.innerHTML = "";
    if (check.valid) {
      badLine = 0;
      result.className = "check-result valid";
      result.textContent = "Valid blueprint.";
      text.removeAttribute("aria-invalid");
    } else {
      badLine = check.line || 0;
      result.className = "check-result invalid";
      text.setAttribute("aria-invalid", "true");
      if (check.line) {
        var where = document.createElement("button");
        where.type = "button";
        where.className = "secondary where";
        where.textContent = "Line " + check.line + (check.column ? ", column " + check.column : "");
        where.setAttribute("aria-label", "Go to line " + check.line + (check.column ? ", column " + check.column : ""));
        where.addEventListener("click", function () {
          var at = offsetOf(/** @type {number} */ (check.line), check.column);
          text.focus();
          text.setSelectionRange(at, at);
        });
        result.appendChild(where);
        result.appendChild(document.createTextNode(" "));
      }
      var why = document.createElement("span");
      why.className = "reason";
      why.textContent = (check.key ? check.key + ": " : "") + (check.reason || check.error);
      result.appendChild(why);
    }
    drawGutter();
  }
  async function check() {
    var mine = ++seq;
    result.className = "check-result";
    result.textContent = "Checking…";
    try {
      var answer = await api("POST", base + "/blueprint/" + encodeURIComponent(name()) + "/check", { content: text.value });
      if (mine === seq) show(answer);
    } catch (e) {
      if (mine === seq) { result.className = "check-result invalid"; result.textContent = e.message; }
    }
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }
  text.addEventListener("input", function () { drawGutter(); schedule(); });
  text.addEventListener("scroll", function () { gutter.scrollTop = text.scrollTop; });
  if (nameInput) nameInput.addEventListener("input", schedule);
  drawGutter();
  if (text.value) check();

  async function save() {
    if (existing) {
      await api("PUT", base + "/blueprint/" + encodeURIComponent(existing), { content: text.value });
    } else {
      await api("POST", base + "/blueprint", { name: name(), content: text.value });
    }
    saved = text.value;
  }
  /** @param {ApiFailure} e */
  function failed(e) {
    // A save refused by the engine shows like a check; anything else in the alert box.
    if (e.data && e.data.code === "invalid_blueprint") check();
    else showError(form, e.message);
  }
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    showError(form, "");
    try {
      await save();
      sessionStorage.setItem("cockpit.flash", "Blueprint " + name() + " saved.");
      location.assign(form.dataset.repoHref + "/blueprint/" + encodeURIComponent(name()));
    } catch (e) { failed(e); }
  });
  /** @type {HTMLButtonElement | null} */
  const exec = $("button[data-execute]", form);
  if (exec) exec.addEventListener("click", async function () {
    showError(form, "");
    exec.disabled = true;
    try {
      if (text.value !== saved) await save();
      var answer = await api("POST", base + "/blueprint/" + encodeURIComponent(/** @type {string} */ (existing)));
      flash(answer.msg);
    } catch (e) { failed(e); }
    finally { exec.disabled = false; }
  });
}
