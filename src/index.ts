/**
 * The Worker entry: HTTP through hono. Queue, email and scheduled handlers join here as the
 * events, email and telegram modules land.
 */
import { createApp } from "./routes/app.ts";

export { OrganizationActor } from "./actors/organization.ts";
export { RepositoryActor } from "./actors/repository.ts";
export { ServiceActor } from "./actors/service.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
