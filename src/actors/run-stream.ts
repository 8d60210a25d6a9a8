/**
 * Live progress of runs as Server-Sent Events. A subscriber first gets the whole run (`event: run`;
 * a big run's view asks for it without logs, and fetches a job's log when it is opened), then every
 * job state change (`event: job`) and every new log line (`event: log`, with its `index` in the
 * job's log) as the RepositoryActor stores them, and the stream closes after the run ends.
 * Subscribers live in memory: when the actor is evicted the stream ends and an EventSource
 * reconnects, getting the whole run again, so nothing is missed (without logs, each job's
 * `log_count` tells a client which lines it lacks).
 */
import { hasEnded, type JobRecord, type RunRecord, withoutLogs } from "../runs/model.ts";

const encoder = new TextEncoder();

interface Seen {
  state: string;
  attempts: number;
  logs: number;
}

interface Subscriber {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  seen: Map<string, Seen>;
  runState: string;
  nextId: number;
}

function frame(sub: Subscriber, event: string, data: unknown): Uint8Array {
  return encoder.encode(`id: ${sub.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function jobSummary(job: JobRecord) {
  const { logs: _logs, ...rest } = job;
  return rest;
}

export class RunStreams {
  private readonly subscribers = new Map<string, Set<Subscriber>>();

  /**
   * Opens a stream for one run, starting with its current state; without `logs` that first event
   * carries none (withoutLogs), and the lines after it come as for any subscriber.
   */
  open(run: RunRecord, opts: { logs: boolean } = { logs: true }): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const sub: Subscriber = { writer: writable.getWriter(), seen: new Map(), runState: run.state, nextId: 1 };
    for (const job of run.steps.flatMap((s) => s.jobs)) sub.seen.set(job.key, { state: job.state, attempts: job.attempts, logs: job.logs.length });
    this.write(run.key, sub, frame(sub, "run", opts.logs ? run : withoutLogs(run)));
    if (hasEnded(run.state)) {
      void sub.writer.close().catch(() => undefined);
      return readable;
    }
    const set = this.subscribers.get(run.key) ?? new Set();
    set.add(sub);
    this.subscribers.set(run.key, set);
    return readable;
  }

  /** Sends what changed since each subscriber's last view of the run. */
  publish(run: RunRecord): void {
    const set = this.subscribers.get(run.key);
    if (!set) return;
    for (const sub of set) {
      for (const step of run.steps) {
        for (const job of step.jobs) {
          const seen = sub.seen.get(job.key) ?? { state: "", attempts: 0, logs: 0 };
          if (seen.state !== job.state || seen.attempts !== job.attempts) {
            this.write(run.key, sub, frame(sub, "job", { run: run.key, step: step.number, job: jobSummary(job) }));
          }
          // `index` is the line's place in the job's log, so a page that fetched the log meanwhile skips what it has.
          for (let index = seen.logs; index < job.logs.length; index++) {
            this.write(run.key, sub, frame(sub, "log", { run: run.key, job: job.key, service: job.service, action: job.action, index, ...job.logs[index]! }));
          }
          sub.seen.set(job.key, { state: job.state, attempts: job.attempts, logs: job.logs.length });
        }
      }
      if (sub.runState !== run.state) {
        sub.runState = run.state;
        this.write(run.key, sub, frame(sub, "state", { run: run.key, state: run.state, attempt: run.attempt, errors: run.errors }));
      }
      if (hasEnded(run.state)) {
        set.delete(sub);
        void sub.writer.close().catch(() => undefined);
      }
    }
    if (set.size === 0) this.subscribers.delete(run.key);
  }

  private write(runKey: string, sub: Subscriber, bytes: Uint8Array): void {
    // A subscriber that went away (closed tab, dropped connection) is forgotten, never awaited.
    sub.writer.write(bytes).catch(() => {
      this.subscribers.get(runKey)?.delete(sub);
    });
  }
}
