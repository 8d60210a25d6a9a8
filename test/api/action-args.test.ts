import { describe, it } from "vitest";
import { api } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

const ACTIONS = `
export function install() {}
export function deploy(job) { job.log("args " + JSON.stringify(job.args)); }
`;
const CONFIG = "actions:\n  - deploy\n";

describe("action args: POST …/action/{action} {args} is the job's job.args", () => {
  it("hands a JSON body's args to the scheduled job", async ({ expect }) => {
    const repo = "action-args";
    await repoWithBlueprint(repo, "box__one:\n", { actions: ACTIONS });
    await must(api(`/ays/repository/${repo}/service/box/one/action/deploy`, { method: "POST", json: { args: { version: "1.2.3", hosts: ["a", "b"] } } }), 200);
    const run = await createRun(repo);
    const done = await waitForRun(repo, run.key);
    expect(done.state).toBe("ok");
    const job = done.steps.flatMap((s) => s.jobs).find((j) => j.action === "deploy")!;
    expect(job.logs.map((l) => l.log)).toContain('args {"version":"1.2.3","hosts":["a","b"]}');
  });

  it("takes args beside uploaded files in a multipart body", async ({ expect }) => {
    const repo = "action-args-form";
    await repoWithBlueprint(repo, "box__one:\n", { actions: ACTIONS.replace('job.log("args "', 'job.log(job.files.list().map((f) => f.name).join(",") + " args "') });
    const form = new FormData();
    form.set("args", JSON.stringify({ env: "prod" }));
    form.set("site.yaml", new File(["a: 1\n"], "site.yaml", { type: "text/yaml" }));
    await must(api(`/ays/repository/${repo}/service/box/one/action/deploy`, { method: "POST", body: form }), 200);
    const done = await waitForRun(repo, (await createRun(repo)).key);
    const job = done.steps.flatMap((s) => s.jobs).find((j) => j.action === "deploy")!;
    expect(job.logs.map((l) => l.log)).toContain('site.yaml args {"env":"prod"}');
  });

  it("refuses args that are not an object, too large, or beside unknown keys, and schedules nothing", async ({ expect }) => {
    const repo = "action-args-bad";
    await repoWithBlueprint(repo, "box__one:\n", { actions: ACTIONS });
    const post = (json: unknown) => api(`/ays/repository/${repo}/service/box/one/action/deploy`, { method: "POST", json });
    const cases: [unknown, number, RegExp][] = [
      [{ args: [1, 2] }, 400, /args: expected a JSON object, got an array/],
      [{ args: "x" }, 400, /args: expected a JSON object, got string/],
      [{ args: {}, extra: 1 }, 400, /unknown key extra/],
      [{ args: { big: "x".repeat(70 * 1024) } }, 413, /over the limit of 65536 bytes/],
    ];
    for (const [body, status, reason] of cases) {
      const res = await post(body);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(reason);
    }
    const view = (await (await api(`/ays/repository/${repo}/service/box/one`)).json()) as { actions: { name: string; state: string }[] };
    expect(view.actions.find((a) => a.name === "deploy")!.state).toBe("new");
  });
});

describe("the input action", () => {
  it("runs when scheduled with args, and what it sets is the service's data", async ({ expect }) => {
    const repo = "input-action";
    await repoWithBlueprint(repo, "box__one:\n", {
      actions: `
export function input(job) { job.log("input " + JSON.stringify(job.args)); job.setData({ port: job.args.port * 2 }); }
export function install() {}`,
    });
    const res = await must(api(`/ays/repository/${repo}/service/box/one/action/input?force=true`, { method: "POST", json: { args: { port: 4000 } } }), 200);
    expect(((await res.json()) as { actions: { name: string; state: string }[] }).actions.find((a) => a.name === "input")!.state).toBe("scheduled");
    const done = await waitForRun(repo, (await createRun(repo)).key);
    expect(done.state).toBe("ok");
    const job = done.steps.flatMap((s) => s.jobs).find((j) => j.action === "input")!;
    expect(job.logs.map((l) => l.log)).toContain('input {"port":4000}');
    const view = (await (await api(`/ays/repository/${repo}/service/box/one`)).json()) as { data: { port: number } };
    expect(view.data.port).toBe(8000);
  });
});
