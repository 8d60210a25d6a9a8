/**
 * The hono environment every route, guard and sign-in handler shares: the Worker's bindings, and the
 * configuration and caller each request carries. Types only, so importing it pulls in no module.
 */
import type { Caller } from "../auth/jwt.ts";
import type { CockpitConfig } from "../config/index.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: { config: CockpitConfig; caller: Caller };
}
