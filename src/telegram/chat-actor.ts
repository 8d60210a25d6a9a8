/**
 * ChatActor: one per Telegram chat. The webhook only drops an update in the chat's inbox and
 * answers Telegram; the actor works the inbox in update order from its alarm, so a chat's updates
 * never overtake each other, a replayed update_id is ignored, and a slow or failing chat never holds
 * up another (each chat is its own actor).
 *
 * It keeps the conversation (an XState snapshot, see conversation.ts), the meaning of
 * the buttons it showed (callback data is only a random id, looked up here), and the runs it follows:
 * one progress message per run, edited at most about once a second until a final summary.
 */
import { DurableObject } from "cloudflare:workers";
import type { Update } from "grammy/types";
import type { Result } from "../actors/results.ts";
import { addMissingColumns, adoptOldMeta, openSql, type ActorSql, type Migration } from "../actors/sql.ts";
import { configFromBindings, type CockpitConfig } from "../config/index.ts";
import { publish } from "../events/bus.ts";
import type { QuestionDelivery, QuestionTarget } from "../notify/index.ts";
import type { RunRecord } from "../runs/model.ts";
import { deliveryFailure, makeApi, makeBot, sendBlocks } from "./bot.ts";
import { ANSWER_COMMAND, commandOf, commands, COMMAND_SUMMARY, RERUN_LABEL, rerunAction } from "./commands.ts";
import { CockpitContext, type ButtonAction, type ChatHost } from "./context.ts";
import { next, pendingFor, persist, restore, type ConversationSnapshot, type Question } from "./conversation.ts";
import { escapeHtml, html, renderMessages } from "./format.ts";
import { currentLink } from "./link-check.ts";
import { runEnded, runProgress, runSummary } from "./render.ts";

/** Processed update ids are remembered this long: Telegram gives up redelivering long before. */
const SEEN_TTL_MS = 7 * 24 * 3600 * 1000;
/** Buttons older than this answer "not valid any more". */
const BUTTON_TTL_MS = 7 * 24 * 3600 * 1000;
/** An update whose handling keeps failing is dropped after this many attempts (the chat is told). */
const MAX_ATTEMPTS = 3;
/** Progress messages change at most this often (Telegram limits edits; people do not need more). */
export const PROGRESS_INTERVAL_MS = 1000;
/** A run followed longer than this is left alone (its summary can still be asked with /run inspect). */
const WATCH_TTL_MS = 24 * 3600 * 1000;

interface WatchRow {
  repo: string;
  run: string;
  message: number;
  text: string;
  edited: number;
  started: number;
  /** Who started following (the summary's Re-run button is theirs); null for watches stored before it was kept. */
  user: number | null;
  [key: string]: SqlStorageValue;
}

/**
 * The ChatActor's tables, oldest step first (src/actors/sql.ts). The first is every shape chats
 * stored before versions: it also moves their `meta` rows into `_meta`.
 */
export const CHAT_MIGRATIONS: readonly Migration[] = [
  (sql) => {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS updates(update_id INTEGER PRIMARY KEY, body TEXT, origin TEXT NOT NULL,
        received INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS updates_state ON updates(state, update_id);
      CREATE TABLE IF NOT EXISTS buttons(id TEXT PRIMARY KEY, user INTEGER NOT NULL, action TEXT NOT NULL, created INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS watches(repo TEXT NOT NULL, run TEXT NOT NULL, message INTEGER NOT NULL, text TEXT NOT NULL,
        edited INTEGER NOT NULL, started INTEGER NOT NULL, user INTEGER, PRIMARY KEY(repo, run));
    `);
    adoptOldMeta(sql);
    // Chats that followed runs before the Re-run button existed have no user column yet.
    addMissingColumns(sql, "watches", { user: "INTEGER" });
  },
];

export class ChatActor extends DurableObject<Env> {
  readonly #db: ActorSql<{ chat: string; conversation: string }>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = openSql(ctx.storage, CHAT_MIGRATIONS);
  }

  private get chat(): number {
    return Number(this.#db.meta("chat"));
  }

  /**
   * Takes an update into the inbox. Idempotent: Telegram redelivers an update it did not see
   * acknowledged, and a replayed update_id is ignored.
   */
  async enqueue(chat: number, update: Update, origin: string): Promise<{ duplicate: boolean }> {
    this.#db.setMeta("chat", String(chat));
    const inserted = this.ctx.storage.sql.exec(
      "INSERT INTO updates(update_id, body, origin, received, state) VALUES (?, ?, ?, ?, 'pending') ON CONFLICT(update_id) DO NOTHING",
      update.update_id, JSON.stringify(update), origin, Date.now(),
    ).rowsWritten;
    if (!inserted) return { duplicate: true };
    await this.armAlarm(Date.now());
    return { duplicate: false };
  }

  override async alarm(): Promise<void> {
    const retryAt = await this.drain();
    await this.tick();
    this.prune();
    const watching = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM watches").one().n > 0;
    const when = [retryAt, watching ? Date.now() + PROGRESS_INTERVAL_MS : undefined].filter((t): t is number => t !== undefined);
    if (when.length) await this.armAlarm(Math.min(...when));
  }

  private async armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * Works the inbox in update order. A failing update is retried a few times with backoff (the
   * updates after it wait: order matters in a conversation), then dropped with an apology.
   * @returns when to try again, if an update is waiting for a retry
   */
  private async drain(): Promise<number | undefined> {
    for (;;) {
      const row = this.ctx.storage.sql
        .exec<{ update_id: number; body: string; origin: string; attempts: number }>(
          "SELECT update_id, body, origin, attempts FROM updates WHERE state = 'pending' ORDER BY update_id LIMIT 1",
        )
        .toArray()[0];
      if (!row) return undefined;
      const update = JSON.parse(row.body) as Update;
      try {
        await this.handle(update, row.origin);
        this.finish(row.update_id, "done");
      } catch (err) {
        const attempts = row.attempts + 1;
        console.error(`chat ${this.chat}: update ${row.update_id} failed (attempt ${attempts})`, err instanceof Error ? err.message : String(err));
        if (attempts < MAX_ATTEMPTS) {
          this.ctx.storage.sql.exec("UPDATE updates SET attempts = ? WHERE update_id = ?", attempts, row.update_id);
          return Date.now() + 2000 * 2 ** attempts;
        }
        this.finish(row.update_id, "failed");
        await this.say("Sorry, something went wrong with your last message and I gave up on it. Please try again.").catch(() => undefined);
      }
    }
  }

  /** The body is dropped once handled: only the id is needed to recognise a replay. */
  private finish(updateId: number, state: "done" | "failed"): void {
    this.ctx.storage.sql.exec("UPDATE updates SET state = ?, body = NULL WHERE update_id = ?", state, updateId);
  }

  private config(): CockpitConfig & { bot: NonNullable<CockpitConfig["bot"]> } {
    const config = configFromBindings(this.env);
    if (!config.bot) throw new Error("[bot] is not configured");
    return config as CockpitConfig & { bot: NonNullable<CockpitConfig["bot"]> };
  }

  private async handle(update: Update, origin: string): Promise<void> {
    const config = this.config();
    const org = config.oauth.organization;
    const bot = await makeBot(config.bot, CockpitContext);
    const host = this.host();
    bot.use(async (ctx, nextMiddleware) => {
      const { link, notice } = ctx.from ? await currentLink(this.env, config, ctx.from.id) : { link: null };
      ctx.cockpit = { env: this.env, config, org, origin, host, link };
      if (notice) {
        // The link just ended (too old, or no longer a member): say so; only /start goes on.
        await this.say(notice);
        if (commandOf(ctx.message?.text) !== "start") return;
      }
      if (link) await this.publishInput(update, ctx, org).catch((err: unknown) => console.error("telegram event not published", String(err)));
      await nextMiddleware();
    });
    bot.use(commands());
    await bot.handleUpdate(update);
  }

  /** Every interaction of a linked user is a `telegram` event, so services can filter on commands. */
  private async publishInput(update: Update, ctx: CockpitContext, org: string): Promise<void> {
    const link = ctx.cockpit.link!;
    const text = ctx.message?.text ?? ctx.message?.caption;
    let command = commandOf(ctx.message?.text) ?? undefined;
    let action = command ? "command" : ctx.message?.document ? "document" : ctx.callbackQuery ? "button" : "message";
    const args: Record<string, unknown> = { chat: this.chat, from: ctx.from!.id, username: ctx.from!.username ?? null };
    if (text !== undefined) args.text = text;
    if (ctx.message?.document) args.document = { name: ctx.message.document.file_name ?? null, size: ctx.message.document.file_size ?? null };
    if (ctx.callbackQuery?.data) {
      const pressed = this.pressedButton(ctx.callbackQuery.data);
      if (pressed && pressed.user === ctx.from!.id) {
        command = pressed.action.command;
        args.args = pressed.action.args;
      } else action = "button.refused";
    }
    await publish(this.env, {
      type: "telegram",
      id: `telegram-${update.update_id}`,
      time: Date.now(),
      org,
      channel: "telegram",
      by: link.user,
      ...(link.current_repo ? { repo: link.current_repo } : {}),
      ...(command ? { command } : {}),
      payload: { io: "input", action, args, epoch: Math.floor(Date.now() / 1000) },
    });
  }

  private conversation(): ConversationSnapshot {
    return restore(this.#db.meta("conversation"));
  }

  private move(event: Parameters<typeof next>[1]): void {
    this.#db.setMeta("conversation", persist(next(this.conversation(), event)));
  }

  private pressedButton(data: string): { user: number; action: ButtonAction } | null {
    const row = this.ctx.storage.sql
      .exec<{ user: number; action: string; created: number }>("SELECT user, action, created FROM buttons WHERE id = ?", data)
      .toArray()[0];
    if (!row || Date.now() - row.created > BUTTON_TTL_MS) return null;
    return { user: row.user, action: JSON.parse(row.action) as ButtonAction };
  }

  /** What the bot's handlers may do to this chat's state (they run inside this actor). */
  private host(): ChatHost {
    const self = this;
    return {
      get chat() {
        return self.chat;
      },
      ask: (question: Question, from: number) => self.move({ type: "ASK", question, from, at: Date.now() }),
      pending: (from: number) => pendingFor(self.conversation(), from),
      answered: () => self.move({ type: "ANSWERED" }),
      cancel: () => {
        const waiting = self.conversation().matches("waiting");
        self.move({ type: "CANCEL" });
        return waiting;
      },
      button: (user: number, action: ButtonAction) => {
        // 96 random bits: callback data cannot be guessed, and it means nothing outside this chat.
        const id = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(12)))).replace(/\+/g, "-").replace(/\//g, "_");
        self.ctx.storage.sql.exec("INSERT INTO buttons(id, user, action, created) VALUES (?, ?, ?, ?)", id, user, JSON.stringify(action), Date.now());
        return id;
      },
      pressed: (data: string) => self.pressedButton(data),
      watch: (repo: string, run: string, message: number, text: string, user: number) => {
        const now = Date.now();
        self.ctx.storage.sql.exec(
          `INSERT INTO watches(repo, run, message, text, edited, started, user) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(repo, run) DO UPDATE SET message = excluded.message, text = excluded.text, edited = excluded.edited, user = excluded.user`,
          repo, run, message, text, now, now, user,
        );
        void self.armAlarm(now + PROGRESS_INTERVAL_MS);
      },
    };
  }

  /** Brings every followed run's progress message up to date; ended runs get their summary. */
  private async tick(): Promise<void> {
    const watches = this.ctx.storage.sql.exec<WatchRow>("SELECT * FROM watches").toArray();
    if (!watches.length) return;
    const config = this.config();
    const api = makeApi(config.bot);
    const org = config.oauth.organization;
    for (const watch of watches) {
      const forget = () => this.ctx.storage.sql.exec("DELETE FROM watches WHERE repo = ? AND run = ?", watch.repo, watch.run);
      try {
        const result = (await this.env.REPOSITORY.getByName(`${org}/${watch.repo}`).getRun(watch.run)) as unknown as Result<RunRecord>;
        if (!result.ok || Date.now() - watch.started > WATCH_TTL_MS) {
          forget();
          continue;
        }
        const run = result.value;
        const text = renderMessages(runProgress(watch.repo, run))[0]!;
        const ended = runEnded(run);
        if (text !== watch.text && (ended || Date.now() - watch.edited >= PROGRESS_INTERVAL_MS)) {
          await api.editMessageText(this.chat, watch.message, text, { parse_mode: "HTML" }).catch((err: unknown) => {
            // "message is not modified" and a deleted message are not worth stopping for.
            console.warn(`chat ${this.chat}: progress edit failed`, err instanceof Error ? err.message : String(err));
          });
          this.ctx.storage.sql.exec("UPDATE watches SET text = ?, edited = ? WHERE repo = ? AND run = ?", text, Date.now(), watch.repo, watch.run);
        }
        if (ended) {
          forget();
          const keyboard = watch.user === null ? undefined : { inline_keyboard: [[{ text: RERUN_LABEL, callback_data: this.host().button(watch.user, rerunAction(watch.repo, run.key)) }]] };
          await sendBlocks(api, this.chat, runSummary(watch.repo, run), keyboard);
        }
      } catch (err) {
        // One run's trouble (or Telegram's) must not stop the others; the next tick tries again.
        console.error(`chat ${this.chat}: following ${watch.repo}/${watch.run} failed`, err instanceof Error ? err.message : String(err));
      }
    }
  }

  private prune(): void {
    const now = Date.now();
    this.ctx.storage.sql.exec("DELETE FROM updates WHERE state != 'pending' AND received < ?", now - SEEN_TTL_MS);
    this.ctx.storage.sql.exec("DELETE FROM buttons WHERE created < ?", now - BUTTON_TTL_MS);
  }

  private async say(text: string): Promise<void> {
    await sendBlocks(makeApi(this.config().bot), this.chat, [html(escapeHtml(text))]);
  }

  // === Called from the OAuth callback (src/telegram/signin.ts)

  /** The sign-in finished: greet the member, and start the conversation afresh. */
  async authorized(chat: number, user: string): Promise<void> {
    this.#db.setMeta("chat", String(chat));
    this.move({ type: "CANCEL" });
    await this.say(`You have been authorized. Welcome!\nYou are ${user} of ${configFromBindings(this.env).oauth.organization}.\n${COMMAND_SUMMARY}`);
  }

  /**
   * A job's question (job.ask): one button per answer, shown to the one member asked. The button
   * carries only an id; the job it answers is stored here. A failure is answered, not thrown, sorted
   * into one a retry may cure and one it cannot (the asking ServiceActor retries the former).
   */
  async askQuestion(chat: number, user: number, text: string, answers: string[], target: QuestionTarget): Promise<QuestionDelivery> {
    this.#db.setMeta("chat", String(chat));
    const host = this.host();
    const keyboard = {
      inline_keyboard: answers.map((answer) => [
        { text: answer, callback_data: host.button(user, { command: ANSWER_COMMAND, args: [target.actor, target.key, String(target.attempt), target.id, answer] }) },
      ]),
    };
    const bot = this.config().bot;
    try {
      await sendBlocks(makeApi(bot), chat, [html(escapeHtml(text))], keyboard);
      return { ok: true };
    } catch (err) {
      return { ok: false, ...deliveryFailure(err, bot.token) };
    }
  }

  /** Tells the chat something outside any update (a refused sign-in, a notification). */
  async tell(chat: number, text: string): Promise<void> {
    this.#db.setMeta("chat", String(chat));
    await this.say(text);
  }
}
