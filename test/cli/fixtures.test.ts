/** Fixtures copied from packages stay what the packages ship. */
import { readFile } from "node:fs/promises";
import { describe, it } from "vitest";
import examples from "@octokit/webhooks-examples";

describe("test/fixtures/github/push.json", () => {
  it("is the first push with commits of @octokit/webhooks-examples, unchanged", async ({ expect }) => {
    const copy = JSON.parse(await readFile("test/fixtures/github/push.json", "utf8")) as unknown;
    const pushes = examples.find((e) => e.name === "push")!.examples as { commits: unknown[] }[];
    expect(copy).toEqual(pushes.find((p) => p.commits.length > 0));
  });
});
