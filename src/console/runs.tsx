/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { RunSummary } from "../actors/repository/views.ts";
import { hasEnded, type JobFile, type JobRecord, type RunRecord } from "../runs/model.ts";
import { apiRepo, type Frame, Layout, repoHref, serviceHref, State, Table, Time } from "./layout.tsx";
import { RunButtons, runHref } from "./repository.tsx";
import { RunGraph } from "./run-graph.tsx";


/** A page of the runs, newest first; `older` is the `before` of the next page, if there is one. */
export function RunsPage(props: { frame: Omit<Frame, "title">; repo: string; runs: RunSummary[]; older: number | null }) {
  return (
    <Layout {...props.frame} title="Runs" section="repositories" trail={[["Repositories", "/console"], [props.repo, repoHref(props.repo)]]}>
      <RunButtons repo={props.repo} />
      <p class="error" role="alert" hidden></p>
      {props.runs.length === 0 ? (
        <p class="empty">No runs yet.</p>
      ) : (
        <Table columns={["Run", "State", "Created", "Steps", "Jobs", "Attempt"]}>
          {props.runs.map((r) => (
            <tr>
              <th scope="row">
                <a href={runHref(props.repo, r.key)}>{r.key}</a>
                {r.simulate ? <span class="muted"> (planned)</span> : null}
              </th>
              <td>
                <State state={r.state} />
              </td>
              <td>
                <Time at={r.created} />
              </td>
              <td>{r.steps}</td>
              <td>{r.jobs}</td>
              <td>{r.attempt}</td>
            </tr>
          ))}
        </Table>
      )}
      {props.older !== null ? (
        <p>
          <a href={`${repoHref(props.repo)}/runs?before=${props.older}`}>Older runs</a>
        </p>
      ) : null}
    </Layout>
  );
}

function FileList(props: { label: string; files: JobFile[] | undefined }) {
  if (!props.files?.length) return null;
  return (
    <p>
      {props.label}:{" "}
      {props.files.map((f, i) => (
        <>
          {i ? ", " : ""}
          <a href={`/ays/files/${encodeURIComponent(f.key)}`} download={f.name}>
            {f.name}
          </a>{" "}
          <span class="muted">({f.size} bytes)</span>
        </>
      ))}
    </p>
  );
}

/**
 * Runs of at most this many jobs show every job open with its log; larger ones fold them (see
 * RunPage), and the page and its script read them without logs.
 */
export const INLINE_JOBS = 20;

/** The order job states are counted in a step's summary: what needs attention first. */
export const COUNT_ORDER = ["running", "error", "new", "ok", "cancelled"];

/** "300 jobs: 2 running, 298 ok": a step's jobs by state (the script writes the same text as they change). */
export function stepCounts(jobs: { state: string }[]): string {
  const by = new Map<string, number>();
  for (const j of jobs) by.set(j.state, (by.get(j.state) ?? 0) + 1);
  const states = [...COUNT_ORDER, ...[...by.keys()].filter((s) => !COUNT_ORDER.includes(s))];
  const parts = states.filter((s) => by.get(s)).map((s) => `${by.get(s)} ${s}`);
  return `${jobs.length} ${jobs.length === 1 ? "job" : "jobs"}: ${parts.join(", ")}`;
}

/** A job's details: the service, attempts and times, files, and the log (the script renders the same for a job opened later). */
function JobBody(props: { repo: string; job: JobRecord }) {
  const job = props.job;
  return (
    <div class="job-body" data-loaded="1" data-logs={job.logs.length}>
      <p class="meta">
        <a href={serviceHref(props.repo, job.service)}>{job.service}</a> · attempts <span data-attempts>{job.attempts}</span> · started{" "}
        <Time at={job.started} /> · ended <Time at={job.ended} />
      </p>
      <FileList label="Input files" files={job.inputs} />
      <div data-files>
        <FileList label="Files" files={job.files} />
      </div>
      <pre class="log" aria-label={`Log of ${job.service} ${job.action}`} tabindex={0}>
        {job.logs.map((l) => `[${l.level}] ${l.log}\n`).join("")}
      </pre>
    </div>
  );
}

/**
 * One run: the graph, then its jobs folded by step, each step's summary counting its jobs by state.
 * A small run shows every job open with its log; in a larger one a job's log and files are fetched
 * (`…/aysrun/{key}/job/{job}`) when it is opened, so a run of 600 jobs is a page of 600 one-line
 * summaries rather than 600 logs. The script follows the run's stream (`…/aysrun/{key}/stream`,
 * for a larger run with `?logs=none`, so its first event is not every log again) and updates boxes,
 * badges, counts and the logs of opened jobs in place until the run ends.
 */
export function RunPage(props: { frame: Omit<Frame, "title">; repo: string; run: RunRecord; producers: Map<string, string[]> }) {
  const run = props.run;
  const api = `${apiRepo(props.repo)}/aysrun/${encodeURIComponent(run.key)}`;
  const ended = hasEnded(run.state);
  const inline = run.steps.reduce((n, s) => n + s.jobs.length, 0) <= INLINE_JOBS;
  return (
    <Layout {...props.frame} title={`Run ${run.key}`} section="repositories"
      trail={[["Repositories", "/console"], [props.repo, repoHref(props.repo)], ["Runs", `${repoHref(props.repo)}/runs`]]}>
      {/* The script reads a big run without logs (?logs=none), as this page does. */}
      <section id="run" data-run={run.key} data-stream={`${api}/stream`} data-api={api} data-without-logs={inline ? undefined : "1"}
        data-repo-href={repoHref(props.repo)} data-state={run.state} data-simulate={run.simulate ? "1" : "0"}>
        <p class="meta">
          <span id="run-state-label">State</span> <State state={run.state} id="run-state" /> · attempt <span id="run-attempt">{run.attempt}</span> · created{" "}
          <Time at={run.created} /> by {run.by || "system"}
          {run.simulate ? " · planned (simulated)" : ""}
          {run.rerun_of ? (
            <>
              {" "}· re-run of <a href={runHref(props.repo, run.rerun_of)}>{run.rerun_of}</a>
            </>
          ) : null}
          <span id="live" class="muted" aria-live="off"></span>
        </p>
        <p class="buttons">
          <button type="button" data-api="POST" data-url={api} data-then="stay" data-when="new" data-only-simulated="1" hidden={!(run.simulate && run.state === "new")}>
            Start run
          </button>
          <button type="button" class="danger" data-api="DELETE" data-url={api} data-then="stay" data-when="new running"
            data-confirm={`Cancel run ${run.key}?`} hidden={ended}>
            Cancel run
          </button>
          <button type="button" data-rerun={`${api}/rerun`} data-when="ok error cancelled" hidden={!ended}>
            Re-run
          </button>
        </p>
        <p class="error" role="alert" hidden></p>
        <RunGraph run={run} producers={props.producers} />
        <div id="run-errors" class="run-errors" hidden={run.errors.length === 0}>
          <h2>Errors</h2>
          <ul>
            {run.errors.map((e) => (
              <li>
                <a href={`#job-${e.job}`}>{e.service} {e.action}</a>: {e.logs.at(-1)?.log ?? "failed"}
              </li>
            ))}
          </ul>
        </div>
        <h2>Jobs</h2>
        {inline ? null : <p class="muted">Open a step for its jobs, and a job for its log and files.</p>}
        {run.steps.map((step) => (
          <details class="step" id={`step-${step.number}`} data-step={step.number} open={inline}>
            <summary>
              <strong>Step {step.number}</strong> · <span data-counts>{stepCounts(step.jobs)}</span>
            </summary>
            {/* Kept lean: a large run has hundreds of these; the script adds a folded job's body when it is opened. */}
            <ul class="jobs">
              {step.jobs.map((job) => (
                <li>
                  <details class="job-detail" id={`job-${job.key}`} data-state={job.state} open={inline}>
                    <summary>
                      {job.service} {job.action} <span class={`badge st-${job.state}`}>{job.state}</span>
                    </summary>
                    {inline ? <JobBody repo={props.repo} job={job} /> : null}
                  </details>
                </li>
              ))}
            </ul>
          </details>
        ))}
      </section>
    </Layout>
  );
}
