export { configSchema, DEFAULT_EVENT_MAX_BYTES, DEFAULT_EVENTS_PER_MINUTE, type CockpitConfig, type CockpitConfigInput } from "./schema.ts";
export { ConfigError, formatKeyPath, describeIssues } from "./errors.ts";
export { parseConfigToml, validateConfig } from "./load.ts";
export {
  CONFIG_VAR,
  SECRET_BINDINGS,
  SECRET_KEYS,
  WORKER_CONFIG_SOURCE,
  configToBindings,
  configFromBindings,
  redactConfig,
  type SecretBinding,
  type WorkerBindings,
} from "./bindings.ts";
