import { parse, TomlError } from "smol-toml";
import { ConfigError, describeIssues } from "./errors.ts";
import { configSchema, type CockpitConfig } from "./schema.ts";

/**
 * Parses and validates the cockpit's TOML configuration.
 * @param text the file's content
 * @param file the name used in error messages
 * @throws ConfigError naming the file, the key path and what is wrong
 */
export function parseConfigToml(text: string, file = "config.toml"): CockpitConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const firstLine = err.message.split("\n")[0] ?? "syntax error";
      throw new ConfigError(file, [`line ${err.line}, column ${err.column}: TOML syntax error: ${firstLine}`]);
    }
    throw err;
  }
  return validateConfig(raw, file);
}

/** Validates an already-parsed configuration object (from TOML, or rebuilt from Worker bindings). */
export function validateConfig(raw: unknown, file: string): CockpitConfig {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(file, describeIssues(result.error.issues));
  return result.data;
}
