import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";
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
