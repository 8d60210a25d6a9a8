/**
 * The run graph's boxes hold a 24-character service name (`repo2_template1!instance`): measured in
 * chromium with the console's stylesheet, every name's text ends inside its box. Before, the boxes
 * were 200 px wide and such names ran over their right edge.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Browser } from "playwright-core";
import { RunGraph } from "../../src/console/run-graph.tsx";
import { CONSOLE_CSS } from "../../src/console/style.ts";
import type { RunRecord } from "../../src/runs/model.ts";
import { launchBrowser } from "./support/browser.ts";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("the run graph", () => {
  it("fits 24-character service names inside their boxes", async ({ expect }) => {
    const services = ["repo2_template1!instance", "datacenter!production-01", "node.ovc!web-frontend-eu", "db!x"];
    expect(services.slice(0, 3).every((s) => s.length === 24)).toBe(true);
    const job = (service: string, n: number) => ({ key: `j${n}`, service, action: "install", state: "running" });
    const run = { key: "run-1", steps: [{ number: 1, jobs: services.map(job) }] } as unknown as RunRecord;
    const svg = String(await RunGraph({ run, producers: new Map() }));
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><html><head><style>${CONSOLE_CSS}</style></head><body>${svg}</body></html>`);
    const boxes = await page.$$eval("a.node", (nodes) =>
      nodes.map((node) => {
        const rect = node.querySelector("rect")!.getBBox();
        const text = node.querySelector("text.node-service") as SVGTextElement;
        const box = text.getBBox();
        return { name: text.textContent, textRight: box.x + box.width, boxRight: rect.x + rect.width };
      }),
    );
    await page.close();
    // Whole names, not cut with …, and each one's text ends before its box does.
    expect(boxes.map((b) => b.name)).toEqual(services);
    for (const b of boxes) expect(b.textRight, b.name!).toBeLessThanOrEqual(b.boxRight - 6);
  });
});
