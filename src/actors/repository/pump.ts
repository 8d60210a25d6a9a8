/**
 * What moves a RepositoryActor's run queue: `pump` after every change, and the one alarm, which is
 * both the watchdog of the active run and the rest of a wide step's dispatch (issue 18).
 */
import type { RunRecord } from "../../runs/model.ts";
import { hasUndispatchedJobs, type Decision, type QueueEvent } from "../../runs/queue.ts";
import { alarmAt, nextRun } from "../../runs/schedule.ts";
import { DISPATCH_CHUNK } from "./sends.ts";
import type { RepositoryStore } from "./store.ts";

export class QueuePump {
  /** The alarm time last written (null: none); undefined until this instance wrote or saw one. */
  private armed: number | null | undefined;
  /** The alarm last written is for now, to dispatch what a pump left, rather than the watchdog (which re-sends). */
  private continuing = false;

  private readonly store: RepositoryStore;
  private readonly storage: DurableObjectStorage;
  private readonly decide: (run: RunRecord, event: QueueEvent) => Decision;
  private readonly carryOut: (decision: Decision) => Promise<void>;

  constructor(
    store: RepositoryStore,
    storage: DurableObjectStorage,
    decide: (run: RunRecord, event: QueueEvent) => Decision,
    carryOut: (decision: Decision) => Promise<void>,
  ) {
    this.store = store;
    this.storage = storage;
    this.decide = decide;
    this.carryOut = carryOut;
  }

  /**
   * Moves the queue forward: continues the active run, or starts the next ready one (people's runs
   * first, then retries whose delay has passed). Safe to call at any time and repeatedly. Jobs go
   * out DISPATCH_CHUNK at a time, each chunk saved before it is sent; after `chunks` of them (1
   * unless given) the rest is left to the alarm, armed for now, so no request waits for a wide
   * step's dispatch and other requests get their turn between chunks. A dispatch lost on the way
   * (an eviction) is re-sent by the watchdog.
   */
  async pump(opts: { resend?: boolean; chunks?: number } = {}): Promise<void> {
    let chunks = opts.chunks ?? 1;
    let resend = opts.resend ?? false;
    let more = false;
    for (;;) {
      const key = nextRun(this.store.openRuns(), Date.now());
      if (!key) break;
      if (chunks <= 0) {
        more = true;
        break;
      }
      const decision = this.decide(this.store.run(key)!, { type: "advance", resend, limit: DISPATCH_CHUNK });
      resend = false;
      await this.carryOut(decision);
      // A run the reducer would not start (no effects) is not picked again and again.
      if (decision.effects.length === 0) break;
      // Still running: once all its jobs are out, their reports call pump again.
      if (decision.state.run.state === "running") {
        if (!hasUndispatchedJobs(decision.state.run)) break;
        chunks--;
      }
    }
    const at = more ? Date.now() : alarmAt(this.store.openRuns(), Date.now());
    this.continuing = more;
    // Every report pumps: the alarm is written only when its time changes.
    if (at === this.armed) return;
    await (at === null ? this.storage.deleteAlarm() : this.storage.setAlarm(at));
    this.armed = at;
  }

  /** The alarm fired: dispatch what is left, and as the watchdog re-send open jobs too (after an eviction it cannot tell which it is, and re-sends). */
  async alarm(): Promise<void> {
    this.armed = undefined; // it has fired
    const resend = !this.continuing;
    this.continuing = false;
    await this.pump({ resend, chunks: Infinity });
  }

  async disarm(): Promise<void> {
    await this.storage.deleteAlarm();
    this.armed = null;
  }
}
