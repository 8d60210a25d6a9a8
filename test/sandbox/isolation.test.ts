/**
 * Jobs share nothing: two repositories with byte-identical actions.js, and jobs of one repository
 * after another, each see a fresh module, fresh globals and untouched built-ins. Before, isolates
 * were cached by the code's hash, so `alice` read the password `bob` had left in a global, and a job
 * that replaced `Promise.all` broke every later job of the same code.
 */
import { describe, it, type ExpectStatic } from "vitest";
import type { RunRecord } from "../../src/runs/model.ts";
import { api } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

const SCHEMA = "@0xe1a2b3c4d5e6f709;\nstruct Schema {\n  password @0 :Text;\n}\n";

// What a job finds left over from earlier jobs, and what it leaves behind for later ones.
const ACTIONS = `
let moduleSecret = null;
export async function install(job) {
  const found = {
    module: moduleSecret,
    global: globalThis.leftBehind ?? null,
    prototype: Object.prototype.leftBehind ?? null,
    promiseAll: await Promise.all([1, 2]).then((v) => v.join(","), (e) => "broken: " + e.message),
    json: JSON.stringify({ a: 1 }),
  };
  moduleSecret = job.service.data.password;
  globalThis.leftBehind = job.service.data.password;
  Object.prototype.leftBehind = job.service.data.password;
  Promise.all = () => Promise.reject(new Error("poisoned by " + job.service.data.password));
  JSON.stringify = () => job.service.data.password;
  return found;
}`;

const CLEAN = { module: null, global: null, prototype: null, promiseAll: "1,2", json: '{"a":1}' };

async function installResult(expect: ExpectStatic, repo: string, run: RunRecord): Promise<unknown> {
  const job = run.steps.flatMap((s) => s.jobs).find((j) => j.action === "install")!;
  expect(job.state).toBe("ok");
  const res = await must(api(`/ays/repository/${repo}/aysrun/${run.key}/job/${job.key}`), 200);
  return ((await res.json()) as { result: unknown }).result;
}

describe("sandbox isolation between jobs", () => {
  it("two repositories with identical actions.js, and repeated jobs of one, share no state", async ({ expect }) => {
    for (const repo of ["iso-bob", "iso-alice"]) {
      await repoWithBlueprint(repo, `box__main:\n  password: ${repo}-pw\nactions:\n  - action: install\n`, { schema: SCHEMA, actions: ACTIONS });
    }

    const bob = await waitForRun("iso-bob", (await createRun("iso-bob")).key);
    expect(await installResult(expect, "iso-bob", bob)).toEqual(CLEAN);

    const alice = await waitForRun("iso-alice", (await createRun("iso-alice")).key);
    expect(await installResult(expect, "iso-alice", alice)).toEqual(CLEAN);

    // The same service's action again, in the same repository: a fresh module too.
    const again = await must(api(`/ays/repository/iso-bob/aysrun/${bob.key}/rerun`, { method: "POST" }), 200);
    const rerun = await waitForRun("iso-bob", ((await again.json()) as RunRecord).key);
    expect(await installResult(expect, "iso-bob", rerun)).toEqual(CLEAN);
  });
});
