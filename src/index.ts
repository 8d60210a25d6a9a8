/**
 * The Worker entry: HTTP through hono (the REST API, the console, webhooks and the Telegram bot's
 * /telegram/webhook, whose chats live in ChatActors), the event bus's queue consumer, inbound mail,
 * and the hourly cron: the retention sweeps (stored files past their date, rows past `[retention]`)
 * and the re-check of Telegram links.
 */
import { handleEmail } from "./email/inbound.ts";
import { consume } from "./events/bus.ts";
import { configFromBindings } from "./config/index.ts";
import { sweepExpiredFiles } from "./files/retention.ts";
import { sweepRetention } from "./retention/sweep.ts";
import { createApp } from "./routes/app.ts";
import { sweepLinks } from "./telegram/link-check.ts";

export { OrganizationActor } from "./actors/organization.ts";
export { RepositoryActor } from "./actors/repository/actor.ts";
export { ServiceActor } from "./actors/service/actor.ts";
export { JobExecution } from "./actors/service/workflow.ts";
export { ChatActor } from "./telegram/chat-actor.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consume,
  email: handleEmail,
  async scheduled(_controller, env) {
    const config = configFromBindings(env);
    // Independent chores, one not held up by another's failure (the next hour tries again).
    const files = async () => {
      // The organization's actor remembers where a sweep stopped, so a long bucket is covered in turns.
      const org = env.ORGANIZATION.getByName(config.oauth.organization);
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
    const links = async () => {
      // Telegram links of people who send nothing are re-checked (and expired) here.
      const l = await sweepLinks(env, config);
      console.log(`telegram links: ${l.checked} looked at, ${l.ended} ended`);
    };
    const failed = (await Promise.allSettled([files(), rows(), links()])).filter((r) => r.status === "rejected");
    if (failed.length) throw failed[0]!.reason;
  },
} satisfies ExportedHandler<Env>;
