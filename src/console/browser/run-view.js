/**
 * The run view, live over the run's event stream: the graph's boxes, the step summaries' counts, the
 * jobs' badges, details and logs (fetched when a folded job is opened), the run's state and errors,
 * and the buttons that start, cancel or re-run it.
 */

// === Run view: live over the run's stream

var runView = $("#run[data-stream]");
if (runView) followRun(runView);

/** @param {HTMLElement} view */
function followRun(view) {
  var ENDED = ["ok", "error", "cancelled"];
  // The same order and words as the page's step summaries (stepCounts in runs.tsx).
  var COUNT_ORDER = ["running", "error", "new", "ok", "cancelled"];
  var live = /** @type {HTMLElement} */ ($("#live", view));
  /** @type {EventSource | null} */
  var source = null;
  // A big run is read without its logs, as the page was (INLINE_JOBS in runs.tsx decides): the
  // stream's first event and a re-read after a dropped stream then carry no log at all.
  var runQuery = view.dataset.withoutLogs === "1" ? "?logs=none" : "";

  /**
   * @param {HTMLElement | null} el
   * @param {string} state
   */
  function setBadge(el, state) {
    if (!el) return;
    el.className = "badge st-" + state;
    el.dataset.state = state;
    el.textContent = state;
  }
  /** @param {string} key */
  function jobDetail(key) { return document.getElementById("job-" + key); }
  /** @param {HTMLElement | null} d */
  function loadedBody(d) {
    var body = d && $(".job-body", d);
    return body && body.dataset.loaded ? body : null;
  }

  // A step's summary counts its jobs by state; every job's <details> carries its state.
  /** @param {HTMLElement | null} step */
  function recount(step) {
    if (!step) return;
    /** @type {Record<string, number>} */
    var by = {}, total = 0;
    $$("details.job-detail", step).forEach(function (d) {
      var state = /** @type {string} */ (d.dataset.state);
      total++; by[state] = (by[state] || 0) + 1;
    });
    var states = COUNT_ORDER.slice();
    Object.keys(by).forEach(function (s) { if (states.indexOf(s) < 0) states.push(s); });
    var parts = states.filter(function (s) { return by[s]; }).map(function (s) { return by[s] + " " + s; });
    var el = $("[data-counts]", step);
    if (el) el.textContent = total + (total === 1 ? " job" : " jobs") + ": " + parts.join(", ");
  }

  // === A job's details, as the page renders them (JobBody in runs.tsx)

  /** @param {number | null | undefined} ms */
  function timeEl(ms) {
    if (!ms) { var never = document.createElement("span"); never.className = "muted"; never.textContent = "never"; return never; }
    var d = new Date(ms);
    var t = document.createElement("time");
    t.setAttribute("datetime", d.toISOString());
    t.textContent = d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
    t.title = d.toLocaleString() + " (local time)";
    return t;
  }
  /**
   * @param {string} label
   * @param {JobFile[]} files
   */
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
  /**
   * @param {HTMLElement} meta
   * @param {RunJob} job
   */
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
    attempts.textContent = String(job.attempts);
    meta.appendChild(attempts);
    meta.appendChild(document.createTextNode(" · started "));
    meta.appendChild(timeEl(job.started));
    meta.appendChild(document.createTextNode(" · ended "));
    meta.appendChild(timeEl(job.ended));
  }
  /** @param {LogLine} l */
  function logLine(l) { return "[" + l.level + "] " + l.log + "\n"; }
  /**
   * @param {HTMLElement} body
   * @param {LogLine[]} logs
   */
  function setLog(body, logs) {
    var pre = $("pre.log", body);
    if (pre) pre.textContent = logs.map(logLine).join("");
    body.dataset.logs = String(logs.length);
  }
  /**
   * @param {HTMLElement} body
   * @param {RunJob} job
   */
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
  /**
   * @param {HTMLElement} d
   * @param {boolean} [again]
   */
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
      /** @type {RunJob} */
      var job, tries = 0;
      do {
        job = await api("GET", view.dataset.api + "/job/" + encodeURIComponent(d.id.slice(4)));
      } while (++tries < 3 && job.logs.length < Number(body.dataset.from || 0));
      renderBody(body, job);
      var pending = body.pending;
      body.pending = null;
      delete body.dataset.loading;
      // A gap among these fetches the log again (appendLog), and the rest wait for that.
      /** @type {StreamLogLine[]} */ (pending).forEach(appendLog);
    } catch (e) {
      body.pending = null;
      delete body.dataset.loading;
      delete body.dataset.loaded;
      body.textContent = "Could not load this job: " + e.message;
    }
  }
  // toggle does not bubble; a capturing listener sees every <details> of the view open.
  view.addEventListener("toggle", function (ev) {
    var d = /** @type {HTMLDetailsElement} */ (ev.target);
    if (d.open && d.matches && d.matches("details.job-detail")) loadJob(d);
  }, true);

  // A link to a job or a step (graph boxes, "+N more", the errors) opens what holds it.
  /** @param {string} id */
  function reveal(id) {
    const el = id && document.getElementById(id);
    if (!el || !view.contains(el)) return;
    for (var p = /** @type {HTMLElement | null} */ (el); p && p !== view; p = p.parentElement) {
      var details = /** @type {HTMLDetailsElement} */ (p);
      if (p.tagName === "DETAILS" && !details.open) details.open = true;
    }
    var summary = el.tagName === "DETAILS" ? $("summary", el) : null;
    setTimeout(function () { if (summary) summary.focus(); el.scrollIntoView({ block: "start" }); }, 0);
  }
  view.addEventListener("click", function (ev) {
    var target = /** @type {Element} */ (ev.target);
    var a = target.closest && target.closest("a[href^='#']");
    if (a) reveal(decodeURIComponent(/** @type {string} */ (a.getAttribute("href")).slice(1)));
  });
  if (location.hash) reveal(decodeURIComponent(location.hash.slice(1)));

  /**
   * @param {RunJob} job
   * @param {boolean} [batch]
   */
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
  /**
   * @param {string} state
   * @param {RunFailure[]} [errors]
   */
  function setRunState(state, errors) {
    view.dataset.state = state;
    setBadge(document.getElementById("run-state"), state);
    $$("[data-when]", view).forEach(function (b) {
      b.hidden = /** @type {string} */ (b.dataset.when).split(" ").indexOf(state) < 0 || (b.dataset.onlySimulated === "1" && view.dataset.simulate !== "1");
    });
    var box = $("#run-errors", view);
    if (errors && errors.length && box) {
      var list = /** @type {HTMLElement} */ ($("ul", box));
      list.innerHTML = "";
      errors.forEach(function (e) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "#job-" + e.job;
        a.textContent = e.service + " " + e.action;
        li.appendChild(a);
        var last = e.logs && e.logs.length ? /** @type {LogLine} */ (e.logs[e.logs.length - 1]).log : "failed";
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
  /** @param {StreamLogLine} entry */
  function appendLog(entry) {
    var d = jobDetail(entry.job);
    var body = d && $(".job-body", d);
    if (!body) return;
    if (body.dataset.loading) { /** @type {StreamLogLine[]} */ (body.pending).push(entry); return; }
    if (!body.dataset.loaded) return;
    var have = Number(body.dataset.logs || 0);
    if (typeof entry.index === "number" && entry.index < have) return;
    // Lines before this one never came (a stream dropped meanwhile): the fetched log has them all.
    if (typeof entry.index === "number" && entry.index > have) { loadJob(/** @type {HTMLElement} */ (d), true); return; }
    var pre = /** @type {HTMLElement} */ ($("pre.log", body));
    var stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.appendChild(document.createTextNode(logLine(entry)));
    body.dataset.logs = String(have + 1);
    if (stick) pre.scrollTop = pre.scrollHeight;
  }
  /** @param {RunView} run */
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
        body.dataset.from = String(job.log_count);
        if (body.dataset.loaded && !body.dataset.loading && Number(body.dataset.logs || 0) !== job.log_count) loadJob(/** @type {HTMLElement} */ (d), true);
      });
    });
    $$("details.step", view).forEach(recount);
    setRunState(run.state, run.errors);
  }
  function open() {
    if (ENDED.indexOf(/** @type {string} */ (view.dataset.state)) >= 0) return;
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
    /** @type {HTMLButtonElement | null} */
    var button = /** @type {Element} */ (ev.target).closest("button[data-rerun]");
    if (!button) return;
    button.disabled = true;
    showError(view, "");
    try {
      /** @type {RunView} */
      var run = await api("POST", /** @type {string} */ (button.dataset.rerun));
      sessionStorage.setItem("cockpit.flash", "Run " + run.key + (run.simulate ? " planned: start it from its page." : " started."));
      location.assign(view.dataset.repoHref + "/run/" + encodeURIComponent(run.key));
    } catch (e) { showError(view, e.message); }
    finally { button.disabled = false; }
  });
  // "stay" buttons (start, cancel) change the run: the stream shows the rest; re-open it after start.
  view.addEventListener("click", function (ev) {
    var button = /** @type {Element} */ (ev.target).closest("button[data-api][data-then=stay]");
    if (button && !source) setTimeout(open, 300);
  });
}
