/**
 * The `telegram` purpose of the shared OAuth flow (src/routes/oauth.ts): a finished `/start` links
 * the Telegram user to the member and greets them in the chat; a refused one tells the chat why.
 */
import { messagePage, type PurposeHandler } from "../auth/sign-in-purpose.ts";

export const telegramSignIn: PurposeHandler<"telegram"> = {
  async authorized(c, purpose, user, grant) {
    const org = c.env.ORGANIZATION.getByName(c.get("config").oauth.organization);
    const chat = c.env.CHAT.getByName(String(purpose.chat));
    const link = await org.telegramLink(purpose.from, purpose.chat, user, purpose.name ?? null, grant ?? null);
    if (!link) {
      const why = "this sign-in was cancelled (the bot's sign-ins were reset): send /start to the bot again";
      await chat.tell(purpose.chat, `Sign-in refused: ${why}.`).catch(() => undefined);
      return messagePage(c, 400, "Sign-in refused", why);
    }
    await org.record({ type: "telegram.linked", repo: null, by: user, channel: "telegram", message: `telegram user ${purpose.from} linked to ${user}`, data: { telegram_user: purpose.from } });
    // The link stands even if Telegram cannot be reached right now; the page says so either way.
    const told = await chat.authorized(purpose.chat, user).then(
      () => true,
      (err: unknown) => (console.error("telegram welcome failed", err instanceof Error ? err.message : String(err)), false),
    );
    return messagePage(c, 200, "Signed in", `Signed in as ${user}. ${told ? "You can go back to Telegram." : "Go back to Telegram and send /help."}`);
  },

  async refused(c, purpose, error) {
    await c.env.CHAT.getByName(String(purpose.chat)).tell(purpose.chat, `Sign-in refused: ${error.message}. Send /start to try again.`);
  },
};
