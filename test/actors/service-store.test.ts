/**
 * A ServiceActor job row changes state only through ServiceStore.move and the job-row machine
 * (src/runs/job-row.ts): what each change writes, and a refused change written nowhere.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { failure } from "../../src/actors/service/decide.ts";
import type { JobSpec } from "../../src/actors/service/protocol.ts";
import { SERVICE_MIGRATIONS, ServiceStore } from "../../src/actors/service/store.ts";
import { openSql } from "../../src/actors/sql.ts";
import { LifecycleError } from "../../src/runs/lifecycle.ts";

/** A ServiceStore on the storage of a fresh ServiceActor, with job `j` attempt 1 pending. */
function withJob<T>(name: string, fn: (store: ServiceStore) => T): Promise<T> {
  return runInDurableObject(env.SERVICE.getByName(`service-store-test/${name}`), (_instance, state) => {
    const store = new ServiceStore(openSql(state.storage, SERVICE_MIGRATIONS).sql);
    store.addJob({ key: "j", attempt: 1, runKey: "run-1", action: "install" }, { args: {} } as unknown as JobSpec);
    return fn(store);
  });
}

const ok = (now: number) => ({ state: "ok" as const, ended: now, logs: [], result: null, dataPatch: {}, files: [] });

describe("ServiceStore.move", () => {
  it("writes each change with its state: started, parked with its lines, resumed with the answer, ended", async ({ expect }) => {
    await withJob("path", (store) => {
      expect(store.job("j", 1)).toMatchObject({ state: "pending", started: null, starts: 0 });
      store.move("j", 1, { type: "START", started: 10, starts: 1 });
      expect(store.job("j", 1)).toMatchObject({ state: "running", started: 10, starts: 1 });
      store.move("j", 1, { type: "ASK", partial: { ...ok(11), logs: [{ epoch: 11, level: "info", category: "msg", log: "asked" }] } });
      expect(store.job("j", 1)).toMatchObject({ state: "waiting", ended: null });
      store.move("j", 1, { type: "ANSWER", spec: { args: { answer: "yes" } } as unknown as JobSpec });
      expect(JSON.parse(store.job("j", 1)!.spec)).toEqual({ args: { answer: "yes" } });
      store.move("j", 1, { type: "START", started: 12, starts: 1 });
      store.move("j", 1, { type: "RESUME", started: 13, starts: 2 });
      store.move("j", 1, { type: "SUCCEED", outcome: ok(14) });
      expect(store.job("j", 1)).toMatchObject({ state: "ok", started: 13, starts: 2, ended: 14, reported: 0 });
    });
  });

  it("marks a cancelled job reported (nobody waits for it), and ends it as an error", async ({ expect }) => {
    await withJob("cancel", (store) => {
      store.move("j", 1, { type: "CANCEL", outcome: failure("cancelled: its run was cancelled", 5) });
      expect(store.job("j", 1)).toMatchObject({ state: "error", ended: 5, reported: 1 });
    });
  });

  it("refuses a change the row's state does not take, an outcome of the other kind, and a job it does not have: nothing written", async ({ expect }) => {
    await withJob("refused", (store) => {
      expect(() => store.move("j", 1, { type: "SUCCEED", outcome: ok(1) })).toThrow(new LifecycleError("a job row that is pending cannot succeed"));
      store.move("j", 1, { type: "START", started: 1, starts: 1 });
      expect(() => store.move("j", 1, { type: "SUCCEED", outcome: failure("no", 2) })).toThrow("SUCCEED ends a job row ok, not with an error outcome");
      expect(() => store.move("nope", 1, { type: "START", started: 1, starts: 1 })).toThrow(LifecycleError);
      expect(store.job("j", 1)).toMatchObject({ state: "running", outcome: null });
      store.move("j", 1, { type: "FAIL", outcome: failure("no", 3) });
      expect(() => store.move("j", 1, { type: "RESUME", started: 4, starts: 2 })).toThrow("a job row that is error cannot resume");
    });
  });

  it("with onlyFrom, leaves a job that moved on meanwhile as it is", async ({ expect }) => {
    await withJob("only-from", (store) => {
      expect(store.move("j", 1, { type: "GIVE_UP", outcome: failure("interrupted", 1) }, "running")).toBe(false);
      expect(store.job("j", 1)!.state).toBe("pending");
      store.move("j", 1, { type: "START", started: 1, starts: 3 });
      expect(store.move("j", 1, { type: "GIVE_UP", outcome: failure("interrupted", 2) }, "running")).toBe(true);
      expect(store.job("j", 1)!.state).toBe("error");
    });
  });
});
