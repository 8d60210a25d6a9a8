/**
 * The browser tests drive Debian's chromium (playwright-core downloads no browser, and this
 * workplace reaches no browser CDN). A fresh Debian machine gets the package here, the way
 * `.ci/run` installs it, when that can happen without a prompt: as root, or with password-less sudo.
 * Anywhere else the tests stop with the one command that fixes it.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { CHROMIUM } from "./browser.ts";

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const root = process.getuid?.() === 0;
  const canSudo = !root && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  const hasApt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (CHROMIUM === "/usr/bin/chromium" && hasApt && (root || canSudo)) {
    console.error("browser tests: installing Debian's chromium (apt-get install chromium)…");
    const run = (args: string[]) =>
      spawnSync(root ? args[0]! : "sudo", root ? args.slice(1) : ["-n", ...args], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    run(["apt-get", "update", "-qq"]);
    run(["apt-get", "install", "-y", "-qq", "chromium"]);
    if (existsSync(CHROMIUM)) return;
  }
  throw new Error(
    `the browser tests need chromium at ${CHROMIUM}: install Debian's package (sudo apt-get install chromium), or set CHROMIUM to a Chromium binary`,
  );
}
