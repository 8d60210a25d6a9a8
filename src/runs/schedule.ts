/**
 * Which run goes next, and when the queue wakes up: decided over the open runs of a repository (the
 * running one, and those queued; simulated runs wait to be started and are not among them).
 */
import type { RunRecord } from "./model.ts";

/** How often an active run re-checks its open jobs (covers evictions on either side). */
export const WATCHDOG_MS = 30_000;

export type OpenRun = Pick<RunRecord, "key" | "priority" | "not_before"> & { state: "new" | "running"; seq: number };

/** The run to move now: the running one, else the first ready (people's runs, priority 1, before retries, 10; then by age), else null. */
export function nextRun(open: readonly OpenRun[], now: number): string | null {
  const running = open.find((r) => r.state === "running");
  if (running) return running.key;
  const ready = open.filter((r) => r.state === "new" && r.not_before <= now).sort((a, b) => a.priority - b.priority || a.seq - b.seq);
  return ready[0]?.key ?? null;
}

/** One alarm serves the whole queue: the watchdog of the active run, or the next retry's time; null when nothing waits. */
export function alarmAt(open: readonly OpenRun[], now: number): number | null {
  const candidates = [
    ...(open.some((r) => r.state === "running") ? [now + WATCHDOG_MS] : []),
    ...open.filter((r) => r.state === "new").map((r) => r.not_before),
  ];
  return candidates.length ? Math.max(Math.min(...candidates), now) : null;
}

/** What `GET …/scheduler` shows. */
export function schedulerStatus(open: readonly OpenRun[]): { status: "running" | "idle"; queue_size: number; running: string | null } {
  const running = open.find((r) => r.state === "running");
  return { status: running ? "running" : "idle", queue_size: open.filter((r) => r.state === "new").length, running: running?.key ?? null };
}
