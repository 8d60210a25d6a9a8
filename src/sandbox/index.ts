/**
 * The action sandbox: runs a template's `actions.js` in a Dynamic Worker Loader isolate with no
 * network (`globalOutbound: null`) and no bindings. The job context handed to the action is the only
 * way out; every request through it is checked again on this side. See runAction().
 */
export type {
  ActionOutcome,
  ActionRequest,
  SandboxFieldDef,
  SandboxFieldType,
  SandboxFile,
  SandboxLogCategory,
  SandboxLogEntry,
  SandboxLogLevel,
  SandboxQuestion,
  SandboxService,
  SecretReader,
} from "./types.ts";
export { runAction } from "./run.ts";
export { SandboxRequestError } from "./request.ts";
export { SANDBOX_LIMITS } from "./limits.ts";
