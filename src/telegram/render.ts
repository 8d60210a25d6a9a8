/** How the bot shows runs, services and blueprints: HTML blocks (see format.ts). */
import { hasEnded, type RunRecord } from "../runs/model.ts";
import type { ServiceView } from "../actors/repository/views.ts";
import { b, code, html, pre, escapeHtml, type Block } from "./format.ts";

const MAX_STEP_LINES = 30;
const ICON: Record<string, string> = { new: "⏸", running: "⏳", ok: "✅", error: "❌", cancelled: "🚫" };

export function runEnded(run: { state: string }): boolean {
  return hasEnded(run.state);
}

function jobCounts(run: RunRecord) {
  const jobs = run.steps.flatMap((s) => s.jobs);
  const count = (state: string) => jobs.filter((j) => j.state === state).length;
  return { total: jobs.length, ok: count("ok"), error: count("error"), running: count("running"), cancelled: count("cancelled") };
}

/** The progress message: one line per step, edited in place while the run goes. */
export function runProgress(repo: string, run: RunRecord): Block[] {
  const counts = jobCounts(run);
  const lines = [
    `${ICON[run.state] ?? ""} ${b(`Run ${run.key}`)} in ${code(repo)}: ${b(run.simulate ? "simulated (not started)" : run.state)}${run.attempt > 1 ? ` (attempt ${run.attempt})` : ""}`,
  ];
  // A run of many steps keeps one message: finished steps fold into one line, and at most
  // MAX_STEP_LINES others are listed, so the progress always fits the message it edits.
  const folded = run.steps.length > MAX_STEP_LINES;
  const shown = folded ? run.steps.filter((s) => s.state !== "ok").slice(0, MAX_STEP_LINES) : run.steps;
  if (folded) lines.push(`✅ ${run.steps.length - run.steps.filter((s) => s.state !== "ok").length} of ${run.steps.length} steps done`);
  for (const step of shown) {
    const done = step.jobs.filter((j) => j.state === "ok").length;
    const running = step.jobs.filter((j) => j.state === "running").length;
    const failed = step.jobs.filter((j) => j.state === "error").length;
    const actions = [...new Set(step.jobs.map((j) => j.action))].join(", ");
    let line = `${ICON[step.state] ?? ""} step ${step.number} (${escapeHtml(actions)}): ${done}/${step.jobs.length} done`;
    if (running) line += `, ${running} running`;
    if (failed) line += `, ${failed} failed`;
    lines.push(line);
  }
  lines.push(`${counts.ok}/${counts.total} jobs done${counts.error ? `, ${counts.error} failed` : ""}`);
  return [html(lines.join("\n"))];
}

/** The plan of a run: every job of every step. */
export function runDetail(repo: string, run: RunRecord): Block[] {
  const blocks = runProgress(repo, run);
  for (const step of run.steps) {
    blocks.push(html(`${b(`Step ${step.number}`)}`));
    for (const job of step.jobs) blocks.push(html(`${ICON[job.state] ?? ""} ${code(job.service)} ${escapeHtml(job.action)}`));
  }
  return blocks;
}

/** The final word on a run: how it ended, and for failures which jobs and their last log lines. */
export function runSummary(repo: string, run: RunRecord, tailLines = 5): Block[] {
  const counts = jobCounts(run);
  const took = runDuration(run);
  const blocks: Block[] = [
    html(`${ICON[run.state] ?? ""} ${b(`Run ${run.key}`)} in ${code(repo)} ended ${b(run.state)}: ${counts.ok}/${counts.total} jobs ok${counts.error ? `, ${counts.error} failed` : ""}${counts.cancelled ? `, ${counts.cancelled} cancelled` : ""}${took ? ` in ${took}` : ""}.`),
  ];
  const failures = run.errors.length
    ? run.errors
    : run.steps.flatMap((s) => s.jobs).filter((j) => j.state === "error").map((j) => ({ job: j.key, service: j.service, action: j.action, logs: j.logs }));
  for (const failure of failures) {
    blocks.push(html(`❌ ${code(failure.service)} ${escapeHtml(failure.action)} (${escapeHtml(failure.job)})`));
    const lines = failure.logs.slice(-tailLines).map((l) => `[${l.level}] ${l.log}`);
    if (lines.length) blocks.push(pre(lines.join("\n")));
  }
  return blocks;
}

function runDuration(run: RunRecord): string | null {
  const jobs = run.steps.flatMap((s) => s.jobs);
  const starts = jobs.map((j) => j.started).filter((t): t is number => t !== null);
  const ends = jobs.map((j) => j.ended).filter((t): t is number => t !== null);
  if (!starts.length || !ends.length) return null;
  const ms = Math.max(...ends) - Math.min(...starts);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function serviceDetail(service: ServiceView): Block[] {
  const actions = service.actions
    .filter((a) => a.state !== "new" || a.period > 0)
    .map((a) => `${a.name}: ${a.state}${a.error_count ? ` (${a.error_count} errors)` : ""}${a.period ? ` every ${a.period}s` : ""}`);
  return [
    html(`${b(service.key)} (actor ${code(service.actor)}): ${b(service.state)}`),
    html(
      [
        service.parent ? `parent: ${code(service.parent)}` : "",
        service.producers.length ? `consumes: ${service.producers.map(code).join(", ")}` : "",
        service.children.length ? `children: ${service.children.map(code).join(", ")}` : "",
        service.blueprint ? `from blueprint ${code(service.blueprint)}` : "",
      ]
        .filter(Boolean)
        .join("\n") || "no links",
    ),
    pre(`data: ${JSON.stringify(service.data, null, 2)}`),
    pre(actions.length ? actions.join("\n") : "no action has run yet"),
  ];
}
