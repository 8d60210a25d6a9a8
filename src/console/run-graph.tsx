/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * A run drawn as a graph: one column per step, one box per job, an arrow from each job to the jobs
 * that waited for it (the same service's earlier action, and the same action on a producer). The
 * boxes carry `data-job` so the script can recolour them as the stream reports state changes.
 *
 * A wide step draws at most MAX_DRAWN_PER_STEP boxes (failed and running jobs first) and a
 * "+N more" box linking to the step's list: a run of 600 jobs stays a picture, not a wall.
 */
import type { JobRecord, RunRecord } from "../runs/model.ts";

/** Wide enough for a 24-character service name in 13px bold (longer ones end in …, whole in the box's title). */
const BOX_W = 240;
const BOX_H = 48;
const GAP_X = 56;
const GAP_Y = 14;
const PAD = 12;
const HEADER = 26;
export const MAX_DRAWN_PER_STEP = 10;

interface Placed {
  key: string;
  service: string;
  action: string;
  state: string;
  step: number;
  x: number;
  y: number;
}

const PRIORITY: Record<string, number> = { error: 0, running: 1 };

/** The jobs of a step that get a box: all of them, or the first few with failures and running ones first, in step order. */
export function drawnJobs(jobs: JobRecord[], max = MAX_DRAWN_PER_STEP): JobRecord[] {
  if (jobs.length <= max) return jobs;
  const chosen = new Set(
    jobs
      .map((job, i) => ({ job, i }))
      .sort((a, b) => (PRIORITY[a.job.state] ?? 2) - (PRIORITY[b.job.state] ?? 2) || a.i - b.i)
      .slice(0, max)
      .map((c) => c.job),
  );
  return jobs.filter((j) => chosen.has(j));
}

/** Where each drawn job sits, which earlier jobs it waited for, and how many each step leaves out. */
export function layoutRun(run: RunRecord, producers: Map<string, string[]>) {
  const placed: Placed[] = [];
  const more: { step: number; count: number; x: number; y: number }[] = [];
  run.steps.forEach((step, column) => {
    const drawn = drawnJobs(step.jobs);
    if (drawn.length < step.jobs.length) {
      more.push({ step: step.number, count: step.jobs.length - drawn.length, x: PAD + column * (BOX_W + GAP_X), y: PAD + HEADER + drawn.length * (BOX_H + GAP_Y) });
    }
    drawn.forEach((job, row) => {
      placed.push({
        key: job.key,
        service: job.service,
        action: job.action,
        state: job.state,
        step: step.number,
        x: PAD + column * (BOX_W + GAP_X),
        y: PAD + HEADER + row * (BOX_H + GAP_Y),
      });
    });
  });
  const linked = (a: string, b: string) => (producers.get(a) ?? []).includes(b) || (producers.get(b) ?? []).includes(a);
  const edges: [Placed, Placed][] = [];
  for (const job of placed) {
    const earlier = placed.filter((e) => e.step < job.step);
    const sameService = earlier.filter((e) => e.service === job.service).at(-1);
    if (sameService) edges.push([sameService, job]);
    for (const e of earlier) if (e.action === job.action && linked(e.service, job.service)) edges.push([e, job]);
  }
  const rows = Math.max(1, ...run.steps.map((s) => Math.min(s.jobs.length, MAX_DRAWN_PER_STEP + 1)));
  const width = PAD * 2 + Math.max(1, run.steps.length) * (BOX_W + GAP_X) - GAP_X;
  const height = PAD * 2 + HEADER + rows * (BOX_H + GAP_Y) - GAP_Y;
  return { placed, more, edges, width, height };
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function RunGraph(props: { run: RunRecord; producers: Map<string, string[]> }) {
  const { placed, more, edges, width, height } = layoutRun(props.run, props.producers);
  const total = props.run.steps.reduce((n, s) => n + s.jobs.length, 0);
  const shown = placed.length < total ? ` (${placed.length} drawn)` : "";
  return (
    <div class="scroll graph">
      <svg xmlns="http://www.w3.org/2000/svg" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group"
        aria-label={`Run ${props.run.key}: ${props.run.steps.length} steps, ${total} jobs${shown}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
          </marker>
        </defs>
        {props.run.steps.map((step, column) => (
          <text class="step-label" x={PAD + column * (BOX_W + GAP_X)} y={PAD + 14}>
            {`step ${step.number}`}
          </text>
        ))}
        {edges.map(([from, to]) => {
          const x1 = from.x + BOX_W;
          const y1 = from.y + BOX_H / 2;
          const x2 = to.x;
          const y2 = to.y + BOX_H / 2;
          const mid = (x1 + x2) / 2;
          return <path class="edge" d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`} marker-end="url(#arrow)" />;
        })}
        {placed.map((job) => (
          <a href={`#job-${job.key}`} class={`node st-${job.state}`} data-job={job.key} aria-label={`${job.service} ${job.action}: ${job.state}`}>
            <title>{`${job.service} ${job.action}: ${job.state}`}</title>
            <rect x={job.x} y={job.y} width={BOX_W} height={BOX_H} rx="6" />
            <text x={job.x + 10} y={job.y + 20} class="node-service">
              {clip(job.service, 26)}
            </text>
            <text x={job.x + 10} y={job.y + 38} class="node-action">
              {job.action} · <tspan class="node-state">{job.state}</tspan>
            </text>
          </a>
        ))}
        {more.map((m) => (
          <a href={`#step-${m.step}`} class="more" data-more={m.step} aria-label={`${m.count} more jobs in step ${m.step}: see the step's list`}>
            <rect x={m.x} y={m.y} width={BOX_W} height={BOX_H} rx="6" />
            <text x={m.x + BOX_W / 2} y={m.y + 29} text-anchor="middle">{`+${m.count} more`}</text>
          </a>
        ))}
      </svg>
    </div>
  );
}
