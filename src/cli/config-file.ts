import { readFile } from "node:fs/promises";
import { parseConfigToml, type CockpitConfig } from "../config/index.ts";
import { CommandError } from "./command.ts";

/** Reads and validates the TOML file named by `--config`. */
export async function readConfigFile(file: string): Promise<CockpitConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandError(`${file}: cannot read the configuration (${code ?? (err as Error).message})`);
  }
  return parseConfigToml(text, file);
}
