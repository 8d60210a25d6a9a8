/** What every bot handler can reach: the Worker's bindings, the config, the chat's actor, the linked user. */
import { Context } from "grammy";
import type { TelegramLink } from "../actors/organization.ts";
import type { CockpitConfig } from "../config/index.ts";
import type { Question } from "./conversation.ts";

/** A button's meaning, kept server-side: a command and its arguments, pressed by one user. */
export interface ButtonAction {
  command: string;
  args: string[];
  /**
   * The repository the button acts on, for commands that work on the current one: keys such as
   * `run-1` or `web!front` repeat across repositories, so a press after /repo select elsewhere is
   * refused rather than applied to the other repository.
   */
  repo?: string;
}

/**
 * Where a chat's dialogue is stored: at most one pending question per person (the machine in
 * conversation.ts). The ChatActor implements it over its SQLite storage; handlers see only this.
 */
export interface ConversationStore {
  ask(question: Question, from: number): void;
  pending(from: number): Question | null;
  answered(): void;
  /** @returns whether a question was pending */
  cancel(): boolean;
}

/** Where the meanings of a chat's buttons are stored: callback data is only a key into it. */
export interface ButtonStore {
  /** Stores what a button means and returns its callback data (a short random id). */
  button(user: number, action: ButtonAction): string;
  /** Looks up a pressed button: null for data this chat never handed out (forged or expired). */
  pressed(data: string): { user: number; action: ButtonAction } | null;
}

/** The runs a chat follows, each in one message kept up to date. */
export interface RunWatcher {
  /**
   * Follows a run and keeps `message` (now showing `text`) up to date until it ends; the final
   * summary carries a Re-run button for `user`.
   */
  watch(repo: string, run: string, message: number, text: string, user: number): void;
}

/** The ChatActor's side of a chat, used from inside its own update handling. */
export interface ChatHost extends ConversationStore, ButtonStore, RunWatcher {
  readonly chat: number;
}

export interface Cockpit {
  env: Env;
  config: CockpitConfig;
  org: string;
  /** The Worker's public origin, for the OAuth redirect when `[oauth] redirect_uri` is not set. */
  origin: string;
  host: ChatHost;
  /** The member this Telegram user is linked to; null until `/start` finished. */
  link: TelegramLink | null;
}

export class CockpitContext extends Context {
  cockpit!: Cockpit;
  /**
   * What the button pressed in this update stands for, once it is known to be valid and pressed by
   * the person it was shown to (set by the button check in commands.ts); each command family
   * handles the presses of its own buttons.
   */
  pressed?: ButtonAction;
}
