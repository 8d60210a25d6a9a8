/**
 * The `/ays` REST API, kept to the AYS 8.2 resource tree so the original's clients and docs still
 * make sense. Every route is described with zod, which validates the request and feeds /openapi.json;
 * each resource has its file here, composed in the order the document lists them.
 */
import { blueprintRoutes } from "./blueprints.ts";
import { aysRouter } from "./common.ts";
import { eventRoutes } from "./events.ts";
import { fileRoutes } from "./files.ts";
import { repositoryRoutes } from "./repositories.ts";
import { keyRoutes } from "./keys.ts";
import { runRoutes } from "./runs.ts";
import { secretRoutes } from "./secrets.ts";
import { serviceRoutes } from "./services.ts";
import { signInRoutes } from "./sign-ins.ts";
import { telegramLinkRoutes } from "./telegram-links.ts";
import { templateRoutes } from "./templates.ts";

export function createAysApi() {
  const api = aysRouter();
  for (const routes of [repositoryRoutes, templateRoutes, blueprintRoutes, serviceRoutes, runRoutes, fileRoutes, secretRoutes, eventRoutes, signInRoutes, telegramLinkRoutes, keyRoutes]) {
    api.route("/", routes());
  }
  return api;
}
