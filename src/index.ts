/**
 * The Worker entry: HTTP through hono (the REST API, the console, webhooks and the Telegram bot's
 * /telegram/webhook, whose chats live in ChatActors), the event bus's queue consumer, inbound mail,
 * and the hourly retention sweeps: stored files past their date, and rows past `[retention]`.
 */
import { handleEmail } from "./email/inbound.ts";
import { consume } from "./events/bus.ts";
import { configFromBindings } from "./config/index.ts";
import { sweepExpiredFiles } from "./files/retention.ts";
import { sweepRetention } from "./retention/sweep.ts";
import { createApp } from "./routes/app.ts";

export { OrganizationActor } from "./actors/organization.ts";
export { RepositoryActor } from "./actors/repository/actor.ts";
export { ServiceActor } from "./actors/service/actor.ts";
export { ChatActor } from "./telegram/chat-actor.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consume,
  email: handleEmail,
  async scheduled(_controller, env) {
    // Two sweeps, one not held up by the other's failure (the next hour tries again).
    const files = async () => {
      // The organization's actor remembers where a sweep stopped, so a long bucket is covered in turns.
      const org = env.ORGANIZATION.getByName(configFromBindings(env).oauth.organization);
      const report = await sweepExpiredFiles(env.FILES, { startAfter: await org.sweepResumeAfter() });
      await org.setSweepResumeAfter(report.resumeAfter);
      console.log(`retention sweep: ${report.deleted} expired of ${report.scanned} files deleted${report.resumeAfter === null ? "" : " (the rest next hour)"}`);
    };
    const rows = async () => {
      const r = await sweepRetention(env);
      console.log(
        `retention sweep: ${r.events} events, ${r.logins} logins, ${r.sessions} sessions, ${r.runs} runs, ${r.jobs} job rows deleted ` +
          `(${r.repositories} repositories, ${r.services} services visited${r.failed.length ? `; not reached: ${r.failed.join(", ")}` : ""})`,
      );
    };
    const failed = (await Promise.allSettled([files(), rows()])).filter((r) => r.status === "rejected");
    if (failed.length) throw failed[0]!.reason;
  },
} satisfies ExportedHandler<Env>;
