/**
 * The dialogue of one chat as an XState machine: either idle, or waiting for one person's answer to
 * one question (a repository name, a pasted blueprint, a service key, ...). The ChatActor keeps the
 * snapshot as JSON in SQLite and moves it with the pure `transition()`, so a question survives
 * eviction and two people in a group never answer each other's questions.
 */
import { assign, initialTransition, setup, transition, type SnapshotFrom } from "xstate";

export type Question =
  | { kind: "repo.create" }
  | { kind: "blueprint.paste"; name?: string }
  | { kind: "service.inspect" }
  | { kind: "service.execute" }
  | { kind: "errorsof" };

export interface Pending {
  question: Question;
  /** The Telegram user whose next message answers it. */
  from: number;
  asked: number;
}

export type ConversationEvent =
  | { type: "ASK"; question: Question; from: number; at: number }
  | { type: "ANSWERED" }
  | { type: "CANCEL" };

/** A question nobody answered for this long is dropped, so an old prompt never swallows a message. */
export const QUESTION_TTL_MS = 60 * 60 * 1000;

/** Bumped when the machine changes shape; snapshots of another version are dropped. */
export const CONVERSATION_VERSION = 1;

export const conversation = setup({
  types: { context: {} as { pending: Pending | null }, events: {} as ConversationEvent },
  actions: {
    remember: assign({ pending: ({ event }) => (event.type === "ASK" ? { question: event.question, from: event.from, asked: event.at } : null) }),
    forget: assign({ pending: null }),
  },
}).createMachine({
  id: "conversation",
  initial: "idle",
  context: { pending: null },
  states: {
    idle: { on: { ASK: { target: "waiting", actions: "remember" } } },
    waiting: {
      on: {
        // A new question replaces the pending one (the person moved on).
        ASK: { target: "waiting", reenter: true, actions: "remember" },
        ANSWERED: { target: "idle", actions: "forget" },
        CANCEL: { target: "idle", actions: "forget" },
      },
    },
  },
});

export type ConversationSnapshot = SnapshotFrom<typeof conversation>;

export function restore(json: string | undefined): ConversationSnapshot {
  if (json) {
    try {
      const stored = JSON.parse(json) as { v: number; snapshot: unknown };
      if (stored.v === CONVERSATION_VERSION) return conversation.resolveState(stored.snapshot as never);
    } catch {
      // An unreadable snapshot is treated as a fresh conversation.
    }
  }
  return initialTransition(conversation)[0];
}

export function persist(snapshot: ConversationSnapshot): string {
  return JSON.stringify({ v: CONVERSATION_VERSION, snapshot: conversation.getPersistedSnapshot?.(snapshot) ?? snapshot });
}

export function next(snapshot: ConversationSnapshot, event: ConversationEvent): ConversationSnapshot {
  return transition(conversation, snapshot, event)[0];
}

/** The question this person still has to answer, if any (expired ones do not count). */
export function pendingFor(snapshot: ConversationSnapshot, from: number, now = Date.now()): Question | null {
  const pending = snapshot.context.pending;
  if (!snapshot.matches("waiting") || !pending || pending.from !== from) return null;
  return now - pending.asked > QUESTION_TTL_MS ? null : pending.question;
}
