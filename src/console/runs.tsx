/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { RunSummary } from "../actors/repository.ts";
import type { JobFile, RunRecord } from "../actors/run-model.ts";
import { apiRepo, type Frame, Layout, repoHref, serviceHref, State, Table, Time } from "./layout.tsx";
import { RunButtons, runHref } from "./repository.tsx";
import { RunGraph } from "./run-graph.tsx";

const ENDED = new Set(["ok", "error", "cancelled"]);

export function RunsPage(props: { frame: Omit<Frame, "title">; repo: string; runs: RunSummary[] }) {
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
 * One run: the graph, then each job with its log and files. The script follows the run's stream
 * (`…/aysrun/{key}/stream`) and updates boxes, badges and logs in place until the run ends.
 */
export function RunPage(props: { frame: Omit<Frame, "title">; repo: string; run: RunRecord; producers: Map<string, string[]> }) {
  const run = props.run;
  const api = `${apiRepo(props.repo)}/aysrun/${encodeURIComponent(run.key)}`;
  const ended = ENDED.has(run.state);
  return (
    <Layout {...props.frame} title={`Run ${run.key}`} section="repositories"
      trail={[["Repositories", "/console"], [props.repo, repoHref(props.repo)], ["Runs", `${repoHref(props.repo)}/runs`]]}>
      <section id="run" data-run={run.key} data-stream={`${api}/stream`} data-api={api}
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
                {e.service} {e.action}: {e.logs.at(-1)?.log ?? "failed"}
              </li>
            ))}
          </ul>
        </div>
        <h2>Jobs</h2>
        {run.steps.map((step) => (
          <section aria-label={`Step ${step.number}`} class="step">
            <h3>Step {step.number}</h3>
            {step.jobs.map((job) => (
              <article id={`job-${job.key}`} class="job-detail" tabindex={-1} aria-labelledby={`job-title-${job.key}`}>
                <h4 id={`job-title-${job.key}`}>
                  <a href={serviceHref(props.repo, job.service)}>{job.service}</a> {job.action}{" "}
                  <State state={job.state} id={`job-state-${job.key}`} />
                </h4>
                <p class="meta">
                  attempts <span data-attempts={job.key}>{job.attempts}</span> · started <Time at={job.started} /> · ended <Time at={job.ended} />
                </p>
                <FileList label="Input files" files={job.inputs} />
                <div data-files={job.key}>
                  <FileList label="Files" files={job.files} />
                </div>
                <pre class="log" id={`log-${job.key}`} aria-label={`Log of ${job.service} ${job.action}`} tabindex={0}>
                  {job.logs.map((l) => `[${l.level}] ${l.log}\n`).join("")}
                </pre>
              </article>
            ))}
          </section>
        ))}
      </section>
    </Layout>
  );
}
