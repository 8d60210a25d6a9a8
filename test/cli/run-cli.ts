import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SAMPLES = fileURLToPath(new URL("../../../shared/ays-samples", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/cockpit.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `cockpit` binary under the Node running the tests (Node 22 from node_modules); `stdin` is piped in when given. */
export function cockpit(args: string[], cwd = ROOT, stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}
