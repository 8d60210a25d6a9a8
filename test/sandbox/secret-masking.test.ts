/**
 * Masking on the cockpit's side of the sandbox (src/sandbox/host.ts, run.ts): once job.secrets.get
 * has handed a value to the action, it is *** in the live log lines, the question the job asks,
 * its data, result and error, however the action tries; only listed names are read at all.
 */
import { describe, it } from "vitest";
import { runAction, type SandboxLogEntry } from "../../src/sandbox/index.ts";
import { request, testEnv } from "./helpers.ts";

const VALUE = "s3cr3t-\"quoted\"\nline";

async function run(code: string, secrets = ["TOKEN"]) {
  const reads: string[] = [];
  const live: SandboxLogEntry[] = [];
  const outcome = await runAction(testEnv, await request(code, { secrets }), {
    onLog: (entry) => live.push(entry),
    readSecret: async (name) => {
      reads.push(name);
      return VALUE;
    },
  });
  return { outcome, reads, live };
}

describe("secrets in the sandbox", () => {
  it("masks a value in live log lines (as given and JSON-escaped), the data, the result and a question", async ({ expect }) => {
    const { outcome, reads, live } = await run(`export async function install(job) {
      const t = await job.secrets.get("TOKEN");
      console.log(t);
      job.log({ t });
      job.setData({ hostname: "h-" + t });
      return job.ask("use " + t + "?", { to: { user: "alice" }, buttons: ["yes " + t, "no"] });
    }`);
    expect(reads).toEqual(["TOKEN"]);
    expect(outcome.state).toBe("ok");
    expect(live.map((l) => l.log)).toEqual(["***", '{"t":"***"}']);
    expect(outcome.dataPatch).toEqual({ hostname: "h-***" });
    expect(outcome.question).toMatchObject({ text: "use ***?", buttons: ["yes ***", "no"] });
    expect(JSON.stringify(outcome)).not.toContain("s3cr3t");
  });

  it("masks it in a thrown error's message and stack, and in an error's code", async ({ expect }) => {
    const { outcome } = await run(`export async function install(job) {
      const t = await job.secrets.get("TOKEN");
      throw Object.assign(new Error("bad " + t), { code: "E1" });
    }`);
    expect(outcome.state).toBe("error");
    expect(outcome.error?.message).toBe("bad ***");
    expect(JSON.stringify(outcome)).not.toContain("s3cr3t");
  });

  it("reads nothing for a name the request does not list, and says which it lists", async ({ expect }) => {
    const { outcome, reads } = await run(`export async function install(job) { return job.secrets.get("OTHER"); }`, ["TOKEN", "KEY"]);
    expect(reads).toEqual([]);
    expect(outcome.error?.message).toBe('job.secrets.get: "OTHER" is not in the template\'s config.yaml `secrets:` (it lists TOKEN, KEY); add it there to read it');
  });
});
