/**
 * The console's only script, served as /console/assets/console.js. Pages are rendered on the server;
 * this adds what needs a browser: buttons and forms that call the `/ays` API with the session cookie,
 * the blueprint editor's check-as-you-type, and the run view's live updates over the run's event
 * stream. A 401 from the API renews the session once (POST /auth/refresh) and retries; when that
 * fails the person is sent to sign in again.
 *
 * It is plain ES2020 in a string (no build step for the browser): keep it free of backticks.
 */
export const CONSOLE_JS = String.raw`
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  // === Session

  var renewing = null;
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

  async function api(method, url, body, retried) {
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
      var err = new Error((data && data.error) || ("HTTP " + res.status));
      err.status = res.status; err.data = data;
      throw err;
    }
    return data;
  }

  // === Messages

  function flash(message) {
    var el = $("#flash");
    if (!el) return;
    el.textContent = message;
    el.hidden = !message;
  }
  function errorBox(from) {
    var scope = from.closest("form, section, main") || document;
    return $(".error[role=alert]", scope) || $(".error[role=alert]");
  }
  function showError(from, message) {
    var box = errorBox(from);
    if (box) { box.textContent = message; box.hidden = !message; }
  }
  var pending = sessionStorage.getItem("cockpit.flash");
  if (pending) { sessionStorage.removeItem("cockpit.flash"); flash(pending); }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return encodeURIComponent(values[k] == null ? "" : String(values[k])); });
  }
  function after(then, result, values, done) {
    var message = (result && (result.msg || result.message)) || done;
    if (!then || then === "reload") { sessionStorage.setItem("cockpit.flash", message); location.reload(); return; }
    if (then === "stay") { flash(message); return; }
    sessionStorage.setItem("cockpit.flash", message);
    location.assign(fill(then, Object.assign({}, values, result || {})));
  }

  // Times are written in UTC, as the event filters take them; the local time is in the tooltip.
  $$("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) t.title = d.toLocaleString() + " (local time)";
  });

  // === Buttons and forms that call the API: data-api=METHOD data-url=URL [data-then] [data-confirm]

  function formValues(form) {
    var values = {};
    $$("input[name], select[name], textarea[name]", form).forEach(function (el) {
      if (el.type === "checkbox") { if (el.checked) values[el.name] = true; }
      else if (el.value !== "") values[el.name] = el.value;
    });
    return values;
  }

  document.addEventListener("click", async function (ev) {
    var button = ev.target.closest("button[data-api]");
    if (!button) return;
    if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
    showError(button, "");
    button.disabled = true;
    try {
      var result = await api(button.dataset.api, button.dataset.url);
      after(button.dataset.then, result, {}, button.dataset.done || button.textContent.trim() + ": done");
    } catch (e) {
      showError(button, e.message);
    } finally {
      button.disabled = false;
    }
  });

  $$("form[data-api]").forEach(function (form) {
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var values = formValues(form);
      var submit = $("button[type=submit]", form);
      showError(form, "");
      if (submit) submit.disabled = true;
      try {
        var result = await api(form.dataset.api, form.dataset.url, values);
        after(form.dataset.then, result, values, form.dataset.done || "Saved.");
      } catch (e) {
        showError(form, e.message);
      } finally {
        if (submit) submit.disabled = false;
      }
    });
  });

  $$("button[data-logout]").forEach(function (button) {
    button.addEventListener("click", async function () {
      button.disabled = true;
      try { await fetch("/auth/logout", { method: "POST", credentials: "same-origin" }); } catch (e) { /* signed out below anyway */ }
      location.assign("/console/signed-out");
    });
  });

  // === Blueprint editor: checked by the server as you type

  var editor = $("#bp-editor");
  if (editor) blueprintEditor(editor);

  function blueprintEditor(form) {
    var base = form.dataset.apiBase;
    var existing = form.dataset.blueprint;
    var text = $("#bp-content", form);
    var nameInput = $("#bp-name", form);
    var gutter = $(".gutter", form);
    var result = $("#bp-check", form);
    var badLine = 0;
    var saved = text.value;
    var timer = null;
    var seq = 0;

    function name() { return existing || (nameInput && nameInput.value.trim()) || "new.yaml"; }
    function drawGutter() {
      var lines = text.value.split("\n").length;
      var out = [];
      for (var i = 1; i <= lines; i++) out.push(i === badLine ? "<mark>" + i + "</mark>" : String(i));
      gutter.innerHTML = out.join("\n");
      gutter.scrollTop = text.scrollTop;
    }
    function offsetOf(line, column) {
      var rows = text.value.split("\n");
      var at = 0;
      for (var i = 0; i < line - 1 && i < rows.length; i++) at += rows[i].length + 1;
      return at + Math.max(0, (column || 1) - 1);
    }
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
            var at = offsetOf(check.line, check.column);
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
    var exec = $("button[data-execute]", form);
    if (exec) exec.addEventListener("click", async function () {
      showError(form, "");
      exec.disabled = true;
      try {
        if (text.value !== saved) await save();
        var answer = await api("POST", base + "/blueprint/" + encodeURIComponent(existing));
        flash(answer.msg);
      } catch (e) { failed(e); }
      finally { exec.disabled = false; }
    });
  }

  // === Run view: live over the run's stream

  var runView = $("#run[data-stream]");
  if (runView) followRun(runView);

  function followRun(view) {
    var ENDED = ["ok", "error", "cancelled"];
    // The same order and words as the page's step summaries (stepCounts in runs.tsx).
    var COUNT_ORDER = ["running", "error", "new", "ok", "cancelled"];
    var live = $("#live", view);
    var source = null;
    // A big run is read without its logs, as the page was (INLINE_JOBS in runs.tsx decides): the
    // stream's first event and a re-read after a dropped stream then carry no log at all.
    var runQuery = view.dataset.withoutLogs === "1" ? "?logs=none" : "";

    function setBadge(el, state) {
      if (!el) return;
      el.className = "badge st-" + state;
      el.dataset.state = state;
      el.textContent = state;
    }
    function jobDetail(key) { return document.getElementById("job-" + key); }
    function loadedBody(d) {
      var body = d && $(".job-body", d);
      return body && body.dataset.loaded ? body : null;
    }

    // A step's summary counts its jobs by state; every job's <details> carries its state.
    function recount(step) {
      if (!step) return;
      var by = {}, total = 0;
      $$("details.job-detail", step).forEach(function (d) { total++; by[d.dataset.state] = (by[d.dataset.state] || 0) + 1; });
      var states = COUNT_ORDER.slice();
      Object.keys(by).forEach(function (s) { if (states.indexOf(s) < 0) states.push(s); });
      var parts = states.filter(function (s) { return by[s]; }).map(function (s) { return by[s] + " " + s; });
      var el = $("[data-counts]", step);
      if (el) el.textContent = total + (total === 1 ? " job" : " jobs") + ": " + parts.join(", ");
    }

    // === A job's details, as the page renders them (JobBody in runs.tsx)

    function timeEl(ms) {
      if (!ms) { var never = document.createElement("span"); never.className = "muted"; never.textContent = "never"; return never; }
      var d = new Date(ms);
      var t = document.createElement("time");
      t.setAttribute("datetime", d.toISOString());
      t.textContent = d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
      t.title = d.toLocaleString() + " (local time)";
      return t;
    }
    function fileList(label, files) {
      var p = document.createElement("p");
      p.appendChild(document.createTextNode(label + ": "));
      files.forEach(function (f, i) {
        if (i) p.appendChild(document.createTextNode(", "));
        var a = document.createElement("a");
        a.href = "/ays/files/" + encodeURIComponent(f.key);
        a.download = f.name;
        a.textContent = f.name;
        p.appendChild(a);
        var size = document.createElement("span");
        size.className = "muted";
        size.textContent = " (" + f.size + " bytes)";
        p.appendChild(size);
      });
      return p;
    }
    function fillMeta(meta, job) {
      meta.innerHTML = "";
      var bang = job.service.indexOf("!");
      var a = document.createElement("a");
      a.href = view.dataset.repoHref + "/service/" + encodeURIComponent(job.service.slice(0, bang)) + "/" + encodeURIComponent(job.service.slice(bang + 1));
      a.textContent = job.service;
      meta.appendChild(a);
      meta.appendChild(document.createTextNode(" · attempts "));
      var attempts = document.createElement("span");
      attempts.setAttribute("data-attempts", "");
      attempts.textContent = job.attempts;
      meta.appendChild(attempts);
      meta.appendChild(document.createTextNode(" · started "));
      meta.appendChild(timeEl(job.started));
      meta.appendChild(document.createTextNode(" · ended "));
      meta.appendChild(timeEl(job.ended));
    }
    function logLine(l) { return "[" + l.level + "] " + l.log + "\n"; }
    function setLog(body, logs) {
      var pre = $("pre.log", body);
      if (pre) pre.textContent = logs.map(logLine).join("");
      body.dataset.logs = logs.length;
    }
    function renderBody(body, job) {
      body.innerHTML = "";
      var meta = document.createElement("p");
      meta.className = "meta";
      fillMeta(meta, job);
      body.appendChild(meta);
      if (job.inputs && job.inputs.length) body.appendChild(fileList("Input files", job.inputs));
      var files = document.createElement("div");
      files.setAttribute("data-files", "");
      if (job.files && job.files.length) files.appendChild(fileList("Files", job.files));
      body.appendChild(files);
      var pre = document.createElement("pre");
      pre.className = "log";
      pre.tabIndex = 0;
      pre.setAttribute("aria-label", "Log of " + job.service + " " + job.action);
      body.appendChild(pre);
      setLog(body, job.logs);
      body.dataset.loaded = "1";
    }

    // A folded job's log and files are fetched the first time it is opened (again, when the stream
    // shows lines are missing). Log lines the stream sends meanwhile wait, and those the fetched log
    // already holds are skipped by their index. A stream read without logs goes on from each job's
    // log_count (body.dataset.from): a log fetched before it opened, and shorter, is fetched again.
    async function loadJob(d, again) {
      var body = $(".job-body", d);
      if (!body) {
        body = document.createElement("div");
        body.className = "job-body";
        d.appendChild(body);
      }
      if (body.dataset.loading || (body.dataset.loaded && !again)) return;
      body.dataset.loading = "1";
      body.pending = [];
      if (!body.dataset.loaded) body.textContent = "Loading the log…";
      try {
        var job, tries = 0;
        do {
          job = await api("GET", view.dataset.api + "/job/" + encodeURIComponent(d.id.slice(4)));
        } while (++tries < 3 && job.logs.length < Number(body.dataset.from || 0));
        renderBody(body, job);
        var pending = body.pending;
        body.pending = null;
        delete body.dataset.loading;
        // A gap among these fetches the log again (appendLog), and the rest wait for that.
        pending.forEach(appendLog);
      } catch (e) {
        body.pending = null;
        delete body.dataset.loading;
        delete body.dataset.loaded;
        body.textContent = "Could not load this job: " + e.message;
      }
    }
    // toggle does not bubble; a capturing listener sees every <details> of the view open.
    view.addEventListener("toggle", function (ev) {
      var d = ev.target;
      if (d.open && d.matches && d.matches("details.job-detail")) loadJob(d);
    }, true);

    // A link to a job or a step (graph boxes, "+N more", the errors) opens what holds it.
    function reveal(id) {
      var el = id && document.getElementById(id);
      if (!el || !view.contains(el)) return;
      for (var p = el; p && p !== view; p = p.parentElement) if (p.tagName === "DETAILS" && !p.open) p.open = true;
      var summary = el.tagName === "DETAILS" ? $("summary", el) : null;
      setTimeout(function () { if (summary) summary.focus(); el.scrollIntoView({ block: "start" }); }, 0);
    }
    view.addEventListener("click", function (ev) {
      var a = ev.target.closest && ev.target.closest("a[href^='#']");
      if (a) reveal(decodeURIComponent(a.getAttribute("href").slice(1)));
    });
    if (location.hash) reveal(decodeURIComponent(location.hash.slice(1)));

    function setJob(job, batch) {
      var node = $("[data-job=\"" + CSS.escape(job.key) + "\"]", view);
      if (node) {
        node.setAttribute("class", "node st-" + job.state);
        var label = job.service + " " + job.action + ": " + job.state;
        node.setAttribute("aria-label", label);
        var title = $("title", node); if (title) title.textContent = label;
        var st = $(".node-state", node); if (st) st.textContent = job.state;
      }
      var d = jobDetail(job.key);
      if (!d) return;
      var changed = d.dataset.state !== job.state;
      d.dataset.state = job.state;
      setBadge($("summary .badge", d), job.state);
      if (changed && !batch) recount(d.closest("details.step"));
      var body = loadedBody(d);
      if (!body) return;
      var meta = $("p.meta", body);
      if (meta) fillMeta(meta, job);
      var files = $("[data-files]", body);
      if (files && job.files && job.files.length) {
        files.innerHTML = "";
        files.appendChild(fileList("Files", job.files));
      }
    }
    function setRunState(state, errors) {
      view.dataset.state = state;
      setBadge(document.getElementById("run-state"), state);
      $$("[data-when]", view).forEach(function (b) {
        b.hidden = b.dataset.when.split(" ").indexOf(state) < 0 || (b.dataset.onlySimulated === "1" && view.dataset.simulate !== "1");
      });
      var box = $("#run-errors", view);
      if (errors && errors.length && box) {
        var list = $("ul", box);
        list.innerHTML = "";
        errors.forEach(function (e) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = "#job-" + e.job;
          a.textContent = e.service + " " + e.action;
          li.appendChild(a);
          var last = e.logs && e.logs.length ? e.logs[e.logs.length - 1].log : "failed";
          li.appendChild(document.createTextNode(": " + last));
          list.appendChild(li);
        });
        box.hidden = false;
      }
      if (ENDED.indexOf(state) >= 0) {
        if (source) { source.close(); source = null; }
        live.textContent = "";
      }
    }
    function appendLog(entry) {
      var d = jobDetail(entry.job);
      var body = d && $(".job-body", d);
      if (!body) return;
      if (body.dataset.loading) { body.pending.push(entry); return; }
      if (!body.dataset.loaded) return;
      var have = Number(body.dataset.logs || 0);
      if (typeof entry.index === "number" && entry.index < have) return;
      // Lines before this one never came (a stream dropped meanwhile): the fetched log has them all.
      if (typeof entry.index === "number" && entry.index > have) { loadJob(d, true); return; }
      var pre = $("pre.log", body);
      var stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.appendChild(document.createTextNode(logLine(entry)));
      body.dataset.logs = have + 1;
      if (stick) pre.scrollTop = pre.scrollHeight;
    }
    function wholeRun(run) {
      run.steps.forEach(function (step) {
        step.jobs.forEach(function (job) {
          setJob(job, true);
          var d = jobDetail(job.key);
          if (!run.logs_omitted) {
            var loaded = loadedBody(d);
            if (loaded) setLog(loaded, job.logs);
            return;
          }
          // Empty logs here say nothing: an opened job keeps its log, fetched again if it differs.
          var body = d && $(".job-body", d);
          if (!body || !(body.dataset.loaded || body.dataset.loading)) return;
          body.dataset.from = job.log_count;
          if (body.dataset.loaded && !body.dataset.loading && Number(body.dataset.logs || 0) !== job.log_count) loadJob(d, true);
        });
      });
      $$("details.step", view).forEach(recount);
      setRunState(run.state, run.errors);
    }
    function open() {
      if (ENDED.indexOf(view.dataset.state) >= 0) return;
      live.textContent = " · live";
      source = new EventSource(view.dataset.stream + runQuery);
      source.addEventListener("run", function (e) { wholeRun(JSON.parse(e.data)); });
      source.addEventListener("job", function (e) { setJob(JSON.parse(e.data).job); });
      source.addEventListener("log", function (e) { appendLog(JSON.parse(e.data)); });
      source.addEventListener("state", function (e) { var d = JSON.parse(e.data); setRunState(d.state, d.errors); });
      source.addEventListener("error", function () {
        if (!source || source.readyState !== EventSource.CLOSED) return;
        // Refused (an expired session) or gone: read the run once through the API, which renews the
        // session if it can, then follow the stream again.
        source = null;
        live.textContent = " · reconnecting";
        api("GET", view.dataset.api + runQuery).then(function (run) { wholeRun(run); setTimeout(open, 500); }, function (e) { showError(view, e.message); });
      });
    }
    open();

    // Re-run: the server repeats the run's jobs in a new run (simulated if this one was).
    view.addEventListener("click", async function (ev) {
      var button = ev.target.closest("button[data-rerun]");
      if (!button) return;
      button.disabled = true;
      showError(view, "");
      try {
        var run = await api("POST", button.dataset.rerun);
        sessionStorage.setItem("cockpit.flash", "Run " + run.key + (run.simulate ? " planned: start it from its page." : " started."));
        location.assign(view.dataset.repoHref + "/run/" + encodeURIComponent(run.key));
      } catch (e) { showError(view, e.message); }
      finally { button.disabled = false; }
    });
    // "stay" buttons (start, cancel) change the run: the stream shows the rest; re-open it after start.
    view.addEventListener("click", function (ev) {
      var button = ev.target.closest("button[data-api][data-then=stay]");
      if (button && !source) setTimeout(open, 300);
    });
  }
})();
`;
