/**
 * Starts Cockpit through `cockpit start` (so `wrangler dev`, exactly as a person runs it) on a free
 * port, with throwaway state and a throwaway dev key: for the benchmarks, the browser tests and the
 * screenshots. `stop()` ends wrangler and removes everything it wrote.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { importPKCS8, SignJWT } from "jose";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const EXAMPLE_CONFIG = join(ROOT, "config", "cockpit.example.toml");
/** The seed's configuration (ItsYou.online's dialect, trusting the dev key): what these runs use by default. */
export const SEED_CONFIG = join(ROOT, "test", "fixtures", "cockpit.seed.toml");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface LocalCockpit {
  base: string;
  /** A member's ItsYou.online-style token (2 h), signed with the dev key the cockpit trusts. */
  token: string;
  /** Mints another such token: other claims, another lifetime (`exp` in seconds, may be in the past). */
  mint(claims?: Record<string, unknown>, exp?: number | string): Promise<string>;
  /** Where wrangler's output went, for error messages. */
  output(): string;
  /**
   * CPU time (user + system, ms) used so far by `cockpit start` and everything it started (wrangler,
   * workerd and its isolates), from /proc; null where there is no /proc. Steadier than wall time on
   * a busy machine: other processes slow a run down but do not add to its CPU time.
   */
  cpuMs(): number | null;
  stop(): Promise<void>;
}

/** `devKey: false` for a config whose tokens come from an OpenID provider (no dev key, no `mint`). */
type StartOptions = { config?: string; port?: number; organization?: string; devKey?: boolean };

/** A free port can be taken by someone else before wrangler binds it; then another one is tried. */
const PORT_ATTEMPTS = 3;

/** `/proc/<pid>/stat` fields after the command: [1] parent pid, [11] utime, [12] stime (clock ticks). */
function procStats(): Map<number, { parent: number; ticks: number }> | null {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const stats = new Map<number, { parent: number; ticks: number }>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      stats.set(Number(pid), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      /* ended meanwhile */
    }
  }
  return stats;
}

/** CPU ms of a process and its live descendants (Linux clock ticks are 10 ms). */
export function treeCpuMs(root: number): number | null {
  const stats = procStats();
  if (!stats) return null;
  let ticks = 0;
  const inTree = (pid: number): boolean => pid === root || (pid > 1 && stats.has(pid) && inTree(stats.get(pid)!.parent));
  for (const [pid, stat] of stats) if (inTree(pid)) ticks += stat.ticks;
  return ticks * 10;
}

export async function startCockpit(options: StartOptions = {}): Promise<LocalCockpit> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, options.port ?? (await freePort()));
    } catch (err) {
      const taken = err instanceof Error && /Address already in use/.test(err.message);
      if (!taken || options.port !== undefined || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

async function startOnce(options: StartOptions, port: number): Promise<LocalCockpit> {
  const dir = await mkdtemp(join(tmpdir(), "cockpit-local-"));
  const organization = options.organization ?? "MyID";
  const keyFile = join(dir, "dev-key.pem");
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, "bin", "cockpit.js"), "start", "--config", options.config ?? SEED_CONFIG, "--port", String(port),
      "--persist-to", join(dir, "state"), ...(options.devKey === false ? [] : ["--dev-key", keyFile]),
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_LOG: "error" } },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => (output += String(d)));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    await rm(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  const cpuMs = () => (child.pid === undefined ? null : treeCpuMs(child.pid));
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`cockpit did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (options.devKey === false) {
    const mint = () => Promise.reject(new Error("no dev key: mint tokens at the configured provider"));
    return { base, token: "", mint, output: () => output, cpuMs, stop };
  }
  const key = await importPKCS8(await readFile(keyFile, "utf8"), "ES384");
  const mint = (claims: Record<string, unknown> = {}, exp: number | string = "2h") =>
    new SignJWT({ username: "bench", scope: [`user:memberof:${organization}`], ...claims })
      .setProtectedHeader({ alg: "ES384" })
      .setIssuer("itsyouonline")
      .setAudience([organization])
      .setExpirationTime(exp)
      .sign(key);
  return { base, token: await mint(), mint, output: () => output, cpuMs, stop };
}
