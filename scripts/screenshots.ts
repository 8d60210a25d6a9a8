/**
 * `npm run screenshots`: takes the README's pictures of the console. Starts Cockpit (wrangler dev)
 * with a real OpenID provider on 127.0.0.1, fills a repository through the API, runs it, and photographs the
 * main pages in Debian's chromium, on a desktop and on a phone. Writes docs/console-*.png.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launchBrowser } from "../test/e2e/support/browser.ts";
import { startE2eCockpit } from "../test/e2e/support/cockpit.ts";
import { signIn } from "../test/e2e/support/session.ts";
import { ROOT } from "./local-cockpit.ts";

const OUT = join(ROOT, "docs");

const TEMPLATES = [
  {
    name: "db",
    schema: '@0xa1b2c3d4e5f60718;\nstruct Schema {\n  size @0 :Text = "small";\n}\n',
    actions:
      'export async function install(job) { job.log("creating a " + job.service.data.size + " database"); ' +
      'await new Promise((r) => setTimeout(r, 400)); job.log("database ready"); }\n' +
      'export async function start(job) { job.log("accepting connections"); }',
  },
  {
    name: "app",
    config: "links:\n  consume:\n  - argname: db\n    auto: false\n    max: 1\n    min: '1'\n    role: db\n",
    schema: "@0xb1b2c3d4e5f60718;\nstruct Schema {\n  db @0 :Text;\n  port @1 :Int64 = 8080;\n}\n",
    actions:
      'export async function install(job) { job.log("deploying on port " + job.service.data.port); ' +
      'await new Promise((r) => setTimeout(r, 300)); job.log("healthy"); }\n' +
      'export async function start(job) { job.log("serving"); }',
  },
];

const BLUEPRINT = "db__main:\n  size: large\n\napp__api:\n  db: main\n  port: 8080\n\napp__web:\n  db: main\n  port: 8081\n\nactions:\n  - action: install\n";
const BROKEN = "db__main:\n  size: large\n\napp__api:\n  db: main\n  prot: 8080\n";

async function shoot(page: Page, name: string, path: string, prepare?: (page: Page) => Promise<void>) {
  await page.goto(path);
  await page.waitForLoadState("networkidle").catch(() => undefined);
  if (prepare) await prepare(page);
  const file = join(OUT, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  console.log(`wrote ${file}`);
}

const e2e = await startE2eCockpit();
try {
  const { base } = e2e.cockpit;
  const token = await e2e.cockpit.mint({ username: "alice" });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : ((await res.json()) as Record<string, unknown>);
  };
  await call("POST", "/ays/repository", { name: "shop" });
  await call("POST", "/ays/repository", { name: "staging", git_url: "https://git.example.com/ops/staging.git" });
  for (const t of TEMPLATES) await call("POST", "/ays/repository/shop/template", t);
  await call("POST", "/ays/repository/shop/blueprint", { name: "shop.yaml", content: BLUEPRINT });
  await call("POST", "/ays/repository/shop/blueprint/shop.yaml");
  const run = (await call("POST", "/ays/repository/shop/aysrun"))!;
  for (let i = 0; i < 100; i++) {
    const now = (await call("GET", `/ays/repository/shop/aysrun/${String(run.key)}`))!;
    if (["ok", "error", "cancelled"].includes(String(now.state))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await call("POST", "/ays/repository/shop/service/app/web/action/start");

  await mkdir(OUT, { recursive: true });
  const browser = await launchBrowser();
  try {
    const desktop = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 860 } });
    const page = await desktop.newPage();
    await signIn(page, { base, provider: e2e.provider.issuer });
    await shoot(page, "repositories", "/console");
    await shoot(page, "repository", "/console/repo/shop");
    await shoot(page, "blueprint", "/console/repo/shop/blueprint-new", async (p) => {
      await p.getByLabel("File name").fill("api.yaml");
      await p.getByLabel("Blueprint (YAML)").fill(BROKEN);
      await p.locator("#bp-check .where").waitFor();
    });
    await shoot(page, "run", `/console/repo/shop/run/${String(run.key)}`);
    await shoot(page, "service", "/console/repo/shop/service/app/api");
    await shoot(page, "events", "/console/events");

    const phone = await browser.newContext({ baseURL: base, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.addCookies(await desktop.cookies());
    await shoot(await phone.newPage(), "phone-run", `/console/repo/shop/run/${String(run.key)}`);
  } finally {
    await browser.close();
  }
} finally {
  await e2e.stop();
}
