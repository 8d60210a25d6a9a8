/**
 * The Worker entry: HTTP through hono, the event bus's queue consumer, and inbound mail. The
 * Telegram bot enters through /telegram/webhook (src/routes/telegram.ts) and lives in ChatActors.
 */
import { handleEmail } from "./email/inbound.ts";
import { consume } from "./events/bus.ts";
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
} satisfies ExportedHandler<Env>;
