import type { z } from "zod";
import { CONFIG_TABLES } from "./schema.ts";

/** A configuration that cannot be used. `problems` holds one line per wrong key. */
export class ConfigError extends Error {
  readonly file: string;
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[]) {
    super(problems.map((p) => `${file}: ${p}`).join("\n"));
    this.name = "ConfigError";
    this.file = file;
    this.problems = problems;
  }
}

/** `["api","ays","port"]` -> `[api.ays].port`; `["mail","allowed_senders",1]` -> `[mail].allowed_senders[1]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  const parts = path.map(String);
  const joined = parts.join(".");
  const table = CONFIG_TABLES.find((t) => joined === t || joined.startsWith(`${t}.`));
  if (!table) return parts.length === 1 ? `[${parts[0]}]` : parts.length ? parts.join(".") : "(top level)";
  const rest = path.slice(table.split(".").length);
  let out = `[${table}]`;
  rest.forEach((p, i) => {
    out += typeof p === "number" ? `[${p}]` : `${i === 0 ? "." : "."}${String(p)}`;
  });
  return out;
}

/**
 * Turns zod's issues into the `[table].key: what is wrong` lines users see.
 * Expects issues parsed with `reportInput: true`, which tells a missing key from a wrong one.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const full = [...issue.path, key];
        // A key at the top level, or under `[api]`, can only be a table in this format.
        const isTable = full.length === 1 || issue.path.join(".") === "api";
        lines.push(isTable ? `[${full.join(".")}]: unknown section` : `${formatKeyPath(full)}: unknown key`);
      }
      continue;
    }
    if (issue.code === "invalid_type" && issue.input === undefined) {
      lines.push(`${formatKeyPath(issue.path)}: required`);
      continue;
    }
    lines.push(`${formatKeyPath(issue.path)}: ${issue.message}`);
  }
  return lines;
}
