/**
 * job.ask: a job waits, durably, for a person's answer (the original's ask_telegram). The wait
 * lives in SQLite and the ServiceActor's alarm, so it survives eviction; it never outlasts the job's
 * own timeout. A question Telegram does not take is tried again from the alarm, with backoff.
 */
import type { SandboxQuestion } from "../../sandbox/index.ts";
import { askQuestion, NotAskable, NotDelivered } from "../../notify/index.ts";
import type { LogEntry } from "../../runs/model.ts";
import { deliveryRetryAt, expiryLines, failure, honourRetryAfter, line } from "./decide.ts";
import type { JobOutcome, JobSpec } from "./protocol.ts";
import { outcomeOf, specOf, type JobRow, type ServiceStore } from "./store.ts";

export class Questions {
  /** Questions being sent to Telegram right now, so an alarm meanwhile does not send them twice. */
  private readonly delivering = new Set<string>();

  private readonly store: ServiceStore;
  private readonly env: Env;

  constructor(store: ServiceStore, env: Env) {
    this.store = store;
    this.env = env;
  }

  /** Parks the job as `waiting` with its lines so far and asks `question` in Telegram. */
  async ask(row: JobRow, spec: JobSpec, partial: JobOutcome, question: SandboxQuestion): Promise<void> {
    const seconds = Math.min(question.timeoutSeconds, spec.timeoutSeconds);
    const now = Date.now();
    this.store.move(row.key, row.attempt, { type: "ASK", partial });
    this.store.putQuestion(row.key, row.attempt, crypto.randomUUID(), now + seconds * 1000, question, now);
    await this.deliver(row.key, row.attempt);
  }

  /** Questions Telegram has not taken yet whose next try is due. */
  due(): { key: string; attempt: number }[] {
    return this.store.undelivered(Date.now());
  }

  /**
   * One attempt at sending a waiting job's question. Telegram taking it starts the wait for the
   * answer; a failure no retry can cure (NotAskable) fails the job at once; any other is noted on
   * the job and tried again later, with backoff, until the question's deadline. Like the actor's
   * `execute`, it claims its work (the next try) before its first await.
   */
  async deliver(key: string, attempt: number): Promise<void> {
    const id = `${key}#${attempt}`;
    const row = this.store.job(key, attempt);
    const asked = this.store.question(key, attempt);
    if (this.delivering.has(id) || row?.state !== "waiting" || !asked || asked.delivered) return;
    const spec = specOf(row);
    const question = JSON.parse(asked.question) as SandboxQuestion;
    const tries = asked.tries + 1;
    let retryAt = deliveryRetryAt(tries, Date.now());
    // Claimed before the first await: an alarm meanwhile, or an eviction mid-send, tries again only at retryAt.
    this.store.noteTry(key, attempt, tries, retryAt);
    this.delivering.add(id);
    let failed: unknown;
    let ok = true;
    try {
      await askQuestion(this.env, { actor: spec.actorName, key, attempt, id: asked.id, service: spec.service.key, ...question });
    } catch (err) {
      ok = false;
      failed = err;
    } finally {
      this.delivering.delete(id);
    }
    // Closed meanwhile (answered through a message whose sending only looked failed): nothing to add.
    if (this.store.question(key, attempt)?.id !== asked.id) return;
    const to = question.to.user;
    if (ok) {
      this.store.markDelivered(key, attempt);
      const left = Math.max(0, Math.round((asked.deadline - Date.now()) / 1000));
      const after = tries > 1 ? `delivered at attempt ${tries}; ` : "";
      await this.note(key, attempt, "info", "msg", `asked ${to}: ${question.text} (${after}waiting up to ${left} s)`);
      return;
    }
    if (failed instanceof NotAskable) {
      this.store.dropQuestion(key, attempt);
      this.failWaiting(key, attempt, [failed.message]);
      return;
    }
    const reason = failed instanceof Error ? failed.message : String(failed);
    if (failed instanceof NotDelivered) retryAt = honourRetryAfter(retryAt, Date.now(), failed.retryAfter);
    this.store.noteFailure(key, attempt, reason, retryAt);
    const next = retryAt < asked.deadline ? `trying again in ${Math.round((retryAt - Date.now()) / 1000)} s` : "no time left for another try";
    await this.note(key, attempt, "warning", "msg", `the question to ${to} was not delivered (attempt ${tries}): ${reason}; ${next}`);
  }

  /**
   * The answer to a job's question: the job is pending again, to run with it in `job.args.answer`.
   * @returns false when the question is closed (answered already, timed out, or never asked)
   */
  answer(key: string, attempt: number, id: string, answer: string): boolean {
    const row = this.store.job(key, attempt);
    const asked = this.store.question(key, attempt);
    if (!row || row.state !== "waiting" || !asked || asked.id !== id) return false;
    const question = JSON.parse(asked.question) as SandboxQuestion;
    if (!question.buttons.includes(answer)) return false;
    const spec = specOf(row);
    spec.args = { ...spec.args, answer };
    this.store.dropQuestion(key, attempt);
    this.store.move(key, attempt, { type: "ANSWER", spec });
    return true;
  }

  /**
   * A question nobody answered in time fails its job with "timeout" (and why, when it never reached
   * anyone). A waiting job must have its question; without one nothing could ever end the wait (and
   * the alarm would fire for it again and again), so it fails rather than hang.
   */
  expire(): void {
    for (const q of this.store.expired(Date.now())) {
      this.store.dropQuestion(q.key, q.attempt);
      this.failWaiting(q.key, q.attempt, expiryLines(q, JSON.parse(q.question) as SandboxQuestion));
    }
    for (const o of this.store.orphanedWaits()) this.failWaiting(o.key, o.attempt, ["the job was waiting for an answer, but its question is gone; run it again"]);
  }

  /**
   * Adds a line to a waiting job's stored logs, and to its run's live view (best effort: the
   * outcome carries the line anyway).
   */
  private async note(key: string, attempt: number, level: LogEntry["level"], category: LogEntry["category"], log: string): Promise<void> {
    const row = this.store.job(key, attempt);
    const outcome = row?.state === "waiting" ? outcomeOf(row) : null;
    if (!row || !outcome) return;
    const entry = line(Date.now(), level, category, log);
    outcome.logs.push(entry);
    this.store.setOutcome(key, attempt, outcome);
    const spec = specOf(row);
    if (!spec.runKey) return;
    await this.env.REPOSITORY.getByName(`${spec.repo.org}/${spec.repo.name}`).jobLog(spec.runKey, key, attempt, [entry]).catch(() => undefined);
  }

  /** Ends a waiting job as failed, its earlier lines kept and `messages` last. */
  private failWaiting(key: string, attempt: number, messages: string[]): void {
    const row = this.store.job(key, attempt);
    if (row?.state !== "waiting") return;
    const now = Date.now();
    const earlier = outcomeOf(row);
    const outcome: JobOutcome = {
      ...(earlier ?? failure("", now)),
      state: "error",
      ended: now,
      logs: [...(earlier?.logs ?? []), ...messages.map((log) => line(now, "error", "errormsg", log))],
    };
    this.store.move(key, attempt, { type: "FAIL", outcome });
  }
}
