/**
 * The Worker entry: HTTP through hono (the REST API, the console, webhooks and the Telegram bot's
 * /telegram/webhook, whose chats live in ChatActors), the event bus's queue consumer, inbound mail,
 * and the hourly retention sweep of stored files.
 */
import { handleEmail } from "./email/inbound.ts";
import { consume } from "./events/bus.ts";
import { sweepExpiredFiles } from "./files/retention.ts";
import { createApp } from "./routes/app.ts";

export { OrganizationActor } from "./actors/organization.ts";
export { RepositoryActor } from "./actors/repository.ts";
export { ServiceActor } from "./actors/service.ts";
export { ChatActor } from "./actors/chat.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consume,
  email: handleEmail,
  async scheduled(_controller, env) {
    const report = await sweepExpiredFiles(env.FILES);
    console.log(`retention sweep: ${report.deleted} expired of ${report.scanned} files deleted${report.complete ? "" : " (more next hour)"}`);
  },
} satisfies ExportedHandler<Env>;
