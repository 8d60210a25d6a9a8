/**
 * Run and job state events: every change of a run's state, and every job that finishes, becomes an
 * event on the bus (`run`, `job`), so services can react to them (`events: [{channel: job, ...}]`).
 *
 * Changes are gathered for a moment and published together: one log write and one queue batch for a
 * burst of finishing jobs, instead of a round trip per job. The repository matches them against its
 * own filters first (they go to no other repository): one that no filter wants is only logged, and
 * never takes the queue's round trip back into the same actor. Publishing is best effort: the run
 * itself never waits for, or fails because of, its events.
 */
import { logOnly, publishMany } from "../events/bus.ts";
import type { CockpitEvent } from "../events/event.ts";
import { hasEnded, type JobRecord, type RunRecord } from "../runs/model.ts";

const FLUSH_MS = 100;

export class StateEvents {
  /** What was last published per run (`state.attempt`) and per finished job attempt. */
  private readonly seen = new Map<string, { run: string; jobs: Set<string> }>();
  private pending: CockpitEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  private readonly env: Env;
  private readonly where: () => { org: string; repo: string };
  private readonly wanted: (event: CockpitEvent) => boolean;
  private readonly failed: (run: string, job: JobRecord) => void;

  /** `wanted`: whether a filter of the repository would start an action for the event; `failed`: told once of each failed job attempt. */
  constructor(env: Env, where: () => { org: string; repo: string }, wanted: (event: CockpitEvent) => boolean, failed: (run: string, job: JobRecord) => void = () => {}) {
    this.env = env;
    this.where = where;
    this.wanted = wanted;
    this.failed = failed;
  }

  /** Notes a saved run and its changed jobs; publishes what is new. */
  observe(run: RunRecord, jobs: readonly JobRecord[]): void {
    if (run.simulate) return;
    const { org, repo } = this.where();
    if (!org) return;
    let seen = this.seen.get(run.key);
    if (!seen) this.seen.set(run.key, (seen = { run: "", jobs: new Set() }));
    const now = Date.now();
    const base = { time: now, org, repo, by: `run ${run.key}` };
    const runState = `${run.state}.${run.attempt}`;
    if (seen.run !== runState) {
      seen.run = runState;
      this.pending.push({
        ...base, id: `run.${repo}.${run.key}.${runState}`, type: "run", channel: "run", command: run.state,
        payload: { repo, run: run.key, state: run.state, epoch: Math.floor(now / 1000) },
      });
    }
    for (const job of jobs) {
      if (job.state !== "ok" && job.state !== "error") continue;
      const id = `${job.key}.${job.attempts}`;
      if (seen.jobs.has(id)) continue;
      seen.jobs.add(id);
      if (job.state === "error") this.failed(run.key, job);
      this.pending.push({
        ...base, id: `job.${repo}.${id}`, type: "job", channel: "job", command: job.state,
        payload: { repo, run: run.key, job: job.key, service: job.service, action: job.action, state: job.state, epoch: Math.floor(now / 1000) },
      });
    }
    if (hasEnded(run.state)) this.seen.delete(run.key);
    if (this.pending.length > 0) this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Publishes what is gathered (also called by tests and before the actor would lose it). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const wanted = batch.filter((event) => this.wanted(event));
    const unwanted = batch.filter((event) => !wanted.includes(event));
    const failed = (events: CockpitEvent[], what: string) => (err: unknown) =>
      console.error(`${events.length} run/job state events not ${what}`, err instanceof Error ? err.message : String(err));
    await Promise.all([
      publishMany(this.env, wanted).catch(failed(wanted, "published")),
      logOnly(this.env, unwanted).catch(failed(unwanted, "logged")),
    ]);
  }
}
