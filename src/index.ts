/**
 * The Worker entry: HTTP through hono, and the event bus's queue consumer. Email and Telegram
 * handlers join here as those modules land.
 */
import { consume } from "./events/bus.ts";
import { createApp } from "./routes/app.ts";

export { OrganizationActor } from "./actors/organization.ts";
export { RepositoryActor } from "./actors/repository.ts";
export { ServiceActor } from "./actors/service.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consume,
} satisfies ExportedHandler<Env>;
