/**
 * What `cockpit deploy` provisions before it deploys: the R2 bucket and the queues that wrangler.toml
 * binds, created when missing. wrangler 4 has no machine-readable listing for either, so its printed
 * output is read, leniently:
 *
 * - `wrangler r2 bucket list` prints one block per bucket, `name:` and `creation_date:` lines
 *   (formatLabelledValues: label, colon, padding, value), blocks separated by a blank line.
 * - `wrangler queues list [--page N]` prints a cli-table3 box table (`│ id │ name │ created_on │ …`),
 *   one page of queues (the API's page size) per call: pages are read until one has no queue.
 *
 * Colour codes, the banner and any other line are ignored.
 */
import { readFile } from "node:fs/promises";
import { parse } from "smol-toml";
import { stripVTControlCharacters } from "node:util";

export interface Resources {
  buckets: string[];
  /** Every queue the Worker produces to or consumes, dead-letter queues included, in file order. */
  queues: string[];
}

type Toml = {
  r2_buckets?: { bucket_name?: string }[];
  queues?: { producers?: { queue?: string }[]; consumers?: { queue?: string; dead_letter_queue?: string }[] };
};

/** The bucket and queue names wrangler.toml binds (the names `wrangler deploy` expects to exist). */
export async function resourcesOf(wranglerToml: string): Promise<Resources> {
  const toml = parse(await readFile(wranglerToml, "utf8")) as Toml;
  const unique = (names: (string | undefined)[]) => [...new Set(names.filter((n): n is string => typeof n === "string" && n !== ""))];
  return {
    buckets: unique((toml.r2_buckets ?? []).map((b) => b.bucket_name)),
    queues: unique([
      ...(toml.queues?.producers ?? []).map((p) => p.queue),
      ...(toml.queues?.consumers ?? []).flatMap((c) => [c.queue, c.dead_letter_queue]),
    ]),
  };
}

/** Bucket names in `wrangler r2 bucket list` output. */
export function parseBucketList(output: string): string[] {
  return stripVTControlCharacters(output)
    .split(/\r?\n/)
    .map((line) => /^\s*name:\s+(\S+)\s*$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Queue names in one page of `wrangler queues list` output (the `name` column of its table). */
export function parseQueueList(output: string): string[] {
  const rows = stripVTControlCharacters(output)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("│") || line.startsWith("|"))
    .map((line) => line.replace(/^[│|]|[│|]$/g, "").split(/[│|]/).map((cell) => cell.trim()));
  const header = rows.findIndex((cells) => cells.includes("name"));
  if (header < 0) return [];
  const column = rows[header]!.indexOf("name");
  return rows
    .slice(header + 1)
    .map((cells) => cells[column])
    .filter((name): name is string => !!name);
}
