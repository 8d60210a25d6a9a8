/**
 * Runs the wrangler that this package pins, under the Node that runs the CLI (Node 22 from
 * node_modules/.bin, since wrangler 4.164 refuses Node 20), and maps a validated configuration onto
 * its flags.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_VAR, type WorkerBindings } from "../config/index.ts";
import { CommandError } from "./command.ts";

/** The package root: where wrangler.toml and node_modules live, whatever the caller's cwd. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WRANGLER_TOML = join(PACKAGE_ROOT, "wrangler.toml");
const WRANGLER_BIN = join(PACKAGE_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** `--var COCKPIT_CONFIG:{...}`: wrangler splits a var at its first colon, so JSON passes whole. */
export function varFlags(bindings: WorkerBindings): string[] {
  return ["--var", `${CONFIG_VAR}:${bindings.vars[CONFIG_VAR]}`];
}

/**
 * Dotenv text for `wrangler dev --env-file`. Values are single-quoted so dotenv expands nothing in
 * them; a value that cannot be single-quoted is refused rather than silently mangled.
 */
export function dotenv(secrets: WorkerBindings["secrets"]): string {
  return Object.entries(secrets)
    .map(([name, value]) => {
      if (/['\r\n]/.test(value!)) {
        throw new CommandError(`secret ${name}: contains a quote or a line break, which wrangler dev cannot take`);
      }
      return `${name}='${value}'\n`;
    })
    .join("");
}

const PRIVATE_PREFIX = "cockpit-secrets-";

/**
 * Writes secrets to a private file (mode 0600) in a fresh private folder; `cleanup` removes both.
 * With `under`, folders left there by a run that was killed before it could clean up are removed
 * first, so secrets do not pile up on disk.
 */
export async function writePrivateFile(name: string, content: string, under?: string) {
  const parent = under ?? tmpdir();
  await mkdir(parent, { recursive: true, mode: 0o700 });
  if (under) {
    for (const entry of await readdir(parent)) {
      if (entry.startsWith(PRIVATE_PREFIX)) await rm(join(parent, entry), { recursive: true, force: true });
    }
  }
  const dir = await mkdtemp(join(parent, PRIVATE_PREFIX));
  await chmod(dir, 0o700);
  const path = join(dir, name);
  await writeFile(path, content, { mode: 0o600 });
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The command line as shown to people: the config var is abbreviated, secret files only by path. */
export function displayCommand(args: readonly string[]): string {
  return ["wrangler", ...args]
    .map((a) => (a.startsWith(`${CONFIG_VAR}:`) ? `${CONFIG_VAR}:<json>` : a))
    .map((a) => (/^[\w@%+=:,./<>-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`))
    .join(" ");
}

/** Runs wrangler with inherited stdio and resolves with its exit code; Ctrl-C reaches it too. */
export function runWrangler(args: readonly string[], cwd = process.cwd()): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const child = spawn(process.execPath, [WRANGLER_BIN, ...args], {
      cwd,
      stdio: "inherit",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolveCode(code ?? (signal ? 128 : 1));
    });
  });
}

/**
 * The wrangler `cockpit deploy` runs: the first `wrangler` on PATH (under `npm run` that is this
 * package's pinned one, node_modules/.bin), else the pinned one run by this Node.
 */
export function wranglerCommand(path = process.env.PATH ?? ""): [string, ...string[]] {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "wrangler");
    try {
      accessSync(candidate, constants.X_OK);
      return [candidate];
    } catch {
      // not here
    }
  }
  return [process.execPath, WRANGLER_BIN];
}

export interface WranglerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs wrangler and captures its output. `stdin` is written to its standard input (secrets go this
 * way, never on the command line); `echo` also shows the output as it comes.
 */
export function runWranglerCaptured(args: readonly string[], opts: { stdin?: string; echo?: boolean } = {}): Promise<WranglerResult> {
  const [command, ...prefix] = wranglerCommand();
  return new Promise((resolveResult, reject) => {
    const child = spawn(command, [...prefix, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (opts.echo) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (opts.echo) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolveResult({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.stdin ?? "");
  });
}
