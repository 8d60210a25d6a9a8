import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { DEFAULT_PAGE } from "../../src/actors/paging.ts";
import { api, mintToken } from "../helpers/auth.ts";
import { must } from "../helpers/runs.ts";

/** A page as a browser asks for it: the session is the `jwt` cookie. */
async function page(path: string): Promise<string> {
  const headers = new Headers({ accept: "text/html", cookie: `jwt=${await mintToken()}` });
  const res = await exports.default.fetch(new Request(`http://cockpit.test${path}`, { headers, redirect: "manual" }));
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.text();
}

const serviceLinks = (html: string) => [...html.matchAll(/href="\/console\/repo\/[^/"]+\/service\/box\/([^"]+)"/g)].map((m) => m[1]!);
const names = (n: number) => Array.from({ length: n }, (_, i) => `s${String(i).padStart(4, "0")}`);

describe("the repository page shows the services a page at a time", () => {
  it("renders the first page with a next link, which renders the rest", async ({ expect }) => {
    const repo = "console-paged";
    const count = DEFAULT_PAGE + 20;
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "box", actions: "export function install() {}" } }), 201);
    const content = `${names(count).map((n) => `box__${n}:`).join("\n")}\n`;
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);

    const first = await page(`/console/repo/${repo}`);
    expect(serviceLinks(first)).toEqual(names(DEFAULT_PAGE));
    const next = /<a rel="next" href="([^"]+)"/.exec(first)?.[1]?.replaceAll("&amp;", "&");
    expect(next).toBe(`/console/repo/${repo}?after=${encodeURIComponent(`box!${names(count)[DEFAULT_PAGE - 1]}`)}#svcs`);

    const second = await page(next!.replace(/#.*$/, ""));
    expect(serviceLinks(second)).toEqual(names(count).slice(DEFAULT_PAGE));
    expect(second).not.toContain('rel="next"');
    expect(second).toContain("First services");
  });

  it("answers a bad cursor with a 400 page", async ({ expect }) => {
    await must(api("/ays/repository", { method: "POST", json: { name: "console-bad-cursor" } }), 201);
    const headers = new Headers({ accept: "text/html", cookie: `jwt=${await mintToken()}` });
    const res = await exports.default.fetch(new Request("http://cockpit.test/console/repo/console-bad-cursor?after=nobang", { headers }));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("after");
  });
});
