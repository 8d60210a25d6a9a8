/** Public surface of the AYS engine: pure TypeScript, no Node or Cloudflare APIs. */
export { AysError, formatAysError, isAysError } from "./errors.ts";
export type { AysErrorInit } from "./errors.ts";
export {
  isValidActionName,
  isValidActorName,
  isValidInstanceName,
  normalizeArgName,
  parseServiceKey,
  roleOf,
  serviceKey,
  templateNameFromFolder,
} from "./names.ts";
export { parseDuration } from "./duration.ts";
export { defaultValue, emptySchema, parseCapnpSchema, SCALAR_TYPES, zeroValue } from "./capnp.ts";
export type { FieldDef, ScalarType, SchemaDef } from "./capnp.ts";
export { DEFAULT_RETRY_DELAYS, EVENT_CHANNELS } from "./config.ts";
export type { ActionSettings, EventChannel } from "./config.ts";
export { DEFAULT_ACTIONS, DEFAULT_DEPENDENCIES, parseTemplate, REVERSE_ACTIONS, templateIndex } from "./template.ts";
export type { ActorTemplate, LinkDef, TemplateEventFilter, TemplateFiles } from "./template.ts";
export { changedJsActions, scanJsActions } from "./jsactions.ts";
export type { JsActionsScan } from "./jsactions.ts";
export { scanPyActions } from "./pyactions.ts";
export type { PyActionsScan } from "./pyactions.ts";
export { parseBlueprint } from "./blueprint.ts";
export type { Blueprint, BlueprintAction, BlueprintEventFilter, BlueprintService, Position } from "./blueprint.ts";
export { ACTION_STATES, emptyRepository, servicesOfRole } from "./model.ts";
export type { ActionStateName, EventFilter, RepositoryState, ServiceAction, ServiceModel, TemplateIndex } from "./model.ts";
export { coerceArg, deepEqual } from "./args.ts";
export { executeBlueprint } from "./execute.ts";
export { newService } from "./new-service.ts";
export { changeTemplateActions, scheduleAction, switchAction } from "./actions.ts";
export type { ScheduleSelector } from "./actions.ts";
export { actionMachine, actionRefusal, ActionTransitionError, canApplyAction, moveAction, nextActionState } from "./action-machine.ts";
export type { ActionEvent } from "./action-machine.ts";
export { checkServiceLimits, MAX_BLUEPRINT_SERVICES, MAX_REPOSITORY_SERVICES } from "./limits.ts";
export type { ExecuteResult } from "./execute.ts";
export { planRun } from "./planner.ts";
export { deleteServiceCascade, templateUsers } from "./registry.ts";
export type { TemplateUsers } from "./registry.ts";
export type { Plan, PlannedJob } from "./planner.ts";
