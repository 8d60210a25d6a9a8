import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";
import { COMMANDS } from "../../src/cli/main.ts";
import { SECRET_BINDINGS } from "../../src/config/index.ts";
import { cockpit } from "./run-cli.ts";

describe("cockpit help", () => {
  it("lists the commands", async ({ expect }) => {
    const res = await cockpit(["--help"]);
    expect(res.code).toBe(0);
    for (const name of ["start", "deploy", "plan"]) expect(res.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it.for(["start", "deploy", "plan"])("`cockpit %s --help` prints its usage", async (name, { expect }) => {
    const res = await cockpit([name, "--help"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Usage: cockpit ${name}`);
    const viaHelp = await cockpit(["help", name]);
    expect(viaHelp.stdout).toBe(res.stdout);
  });

  it("refuses an unknown command and an unknown flag with exit code 2", async ({ expect }) => {
    const unknown = await cockpit(["launch"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "launch"');
    const flag = await cockpit(["plan", ".", "--frobnicate"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--frobnicate");
    expect(flag.stderr).toContain("Usage: cockpit plan");
  });

  it("prints the overview and exits 2 when called without a command", async ({ expect }) => {
    const res = await cockpit([]);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain("Usage: cockpit COMMAND");
  });

  it("tells a Node that cannot run TypeScript what to do instead of failing on the first .ts import", async ({ expect }) => {
    // The Node 20 of a fresh machine has no type stripping; this Node with it turned off behaves the same.
    const bin = fileURLToPath(new URL("../../bin/cockpit.js", import.meta.url));
    const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ["--no-experimental-strip-types", bin, "--help"], (error, _stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stderr });
      });
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("cockpit needs Node >= 22.18, which runs TypeScript directly");
    expect(res.stderr).toContain("npm run cockpit -- <command>");
    expect(res.stderr).not.toContain("ERR_UNKNOWN_FILE_EXTENSION");
  });
});

describe("each command's help", () => {
  it.for(COMMANDS.map((c) => c.name))("`cockpit %s --help` names every option the command takes, in one aligned column", async (name, { expect }) => {
    const command = await COMMANDS.find((c) => c.name === name)!.load();
    const { stdout } = await cockpit([name, "--help"]);
    for (const option of Object.keys(command.options)) expect(stdout, `--${option}`).toMatch(new RegExp(`^  (-\\w, )?--${option}\\b`, "m"));
    // Option lines and their continuations start their text at one column.
    const options = stdout.slice(stdout.indexOf("\nOptions:\n")).split("\n\n")[0]!.split("\n").slice(2).filter(Boolean);
    const columns = new Set(options.map((line) => (/^  -/.test(line) ? /^(  \S.*?\s{2,})\S/.exec(line)?.[1]?.length : /^(\s+)\S/.exec(line)?.[1]?.length)));
    expect([...columns], options.join("\n")).toHaveLength(1);
  });

  it("`deploy --help` names every secret the configuration can hold", async ({ expect }) => {
    const { stdout } = await cockpit(["deploy", "--help"]);
    const text = stdout.replace(/\s+/g, " ");
    for (const { path } of SECRET_BINDINGS) expect(text).toContain(`[${path[0]}].${path[1]}`);
  });
});

describe("cockpit start --fresh", () => {
  const EXAMPLE = "config/cockpit.example.toml";

  it("with --dry-run says which folder it would delete and deletes nothing", async ({ expect }) => {
    const state = join(await mkdtemp(join(tmpdir(), "cockpit-fresh-")), "state");
    await mkdir(join(state, "v3"), { recursive: true });
    const res = await cockpit(["start", "--config", EXAMPLE, "--persist-to", state, "--fresh", "--dry-run"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`--fresh: would delete the local state in ${state}`);
    expect(existsSync(join(state, "v3"))).toBe(true);
  });

  it("deletes the state folder before anything else runs, saying so", async ({ expect }) => {
    const dir = await mkdtemp(join(tmpdir(), "cockpit-fresh-"));
    const state = join(dir, "state");
    await mkdir(join(state, "v3", "d1"), { recursive: true });
    await writeFile(join(state, "v3", "d1", "db.sqlite"), "old");
    // A configuration that start then refuses (--dev-key with provider = "oidc"), so no wrangler runs here.
    const oidc = join(dir, "oidc.toml");
    await writeFile(oidc, (await readFile(EXAMPLE, "utf8")).replace('provider = "local"', 'provider = "oidc"\nissuer = "https://login.example.com/realms/ops"'));
    const res = await cockpit(["start", "--config", oidc, "--persist-to", state, "--fresh", "--dev-key", join(dir, "key.pem")]);
    expect(res.stderr).toContain(`--fresh: deleting the local state in ${state}`);
    expect(res.code).toBe(1);
    expect(existsSync(state)).toBe(false);
  });

  it("refuses a folder that holds the working directory", async ({ expect }) => {
    const res = await cockpit(["start", "--config", EXAMPLE, "--persist-to", ".", "--fresh", "--dry-run"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("give --persist-to a folder of its own");
  });
});
