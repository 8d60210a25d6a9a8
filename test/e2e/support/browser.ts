/**
 * Debian's chromium, driven by playwright-core (no browser download): `.ci/run` installs the package.
 * CHROMIUM overrides the path.
 */
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  // Running as root (CI, containers) needs --no-sandbox; /dev/shm is small in containers.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}
