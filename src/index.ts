/**
 * The Worker entry: HTTP through hono. Queue, email and scheduled handlers join here as the
 * events, email and telegram modules land.
 */
import { createApp } from "./routes/app.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
