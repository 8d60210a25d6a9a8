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
});
