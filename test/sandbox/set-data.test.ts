import { describe, it } from "vitest";
import { runAction, type SandboxFieldDef } from "../../src/sandbox/index.ts";
import { validatePatch } from "../../src/sandbox/schema.ts";
import { request, testEnv } from "./helpers.ts";

const SCHEMA: SandboxFieldDef[] = [
  { name: "port", type: "Int64", list: false },
  { name: "hostname", type: "Text", list: false },
  { name: "tags", type: "Text", list: true },
  { name: "enabled", type: "Bool", list: false },
  { name: "count", type: "Int32", list: false },
  { name: "size", type: "UInt64", list: false },
  { name: "ratio", type: "Float64", list: false },
  { name: "gain", type: "Float32", list: false },
  { name: "blob", type: "Data", list: false },
  { name: "ports", type: "Int64", list: true },
];

/** Each patch as source (for the action) and as a value (for the cockpit), with the expected error. */
const CASES: [source: string, value: unknown, error: string | null][] = [
  ['{ x: 1 }', { x: 1 }, 'setData: unknown field "x"'],
  ['{ port: "22" }', { port: "22" }, 'setData: field "port" expected an integer'],
  ["{ port: 1.5 }", { port: 1.5 }, 'setData: field "port" expected an integer'],
  ["{ port: 2 ** 60 }", { port: 2 ** 60 }, 'setData: field "port" expected an integer'],
  ["{ hostname: 5 }", { hostname: 5 }, 'setData: field "hostname" expected a string'],
  ['{ tags: "a" }', { tags: "a" }, 'setData: field "tags" expected a list'],
  ['{ tags: ["a", 1] }', { tags: ["a", 1] }, 'setData: field "tags" item 1 expected a string'],
  ['{ enabled: "yes" }', { enabled: "yes" }, 'setData: field "enabled" expected a boolean'],
  ["{ count: 2 ** 31 }", { count: 2 ** 31 }, 'setData: field "count" expected a 32-bit integer'],
  ["{ size: -1 }", { size: -1 }, 'setData: field "size" expected a non-negative integer'],
  ["{ ratio: NaN }", { ratio: NaN }, 'setData: field "ratio" expected a number'],
  ["{ gain: 1e39 }", { gain: 1e39 }, 'setData: field "gain" expected a 32-bit float'],
  ["{ blob: 5 }", { blob: 5 }, 'setData: field "blob" expected a string (Data is stored as text, e.g. base64)'],
  ["{ port: null }", { port: null }, 'setData: field "port" expected an integer'],
  ["[1]", [1], "setData: the patch must be an object of field values"],
  ["null", null, "setData: the patch must be an object of field values"],
  ['{ port: 80, tags: ["a"], enabled: false, ratio: 0.5, count: -3, size: 0, gain: 1.5, blob: "AAE=", ports: [1, 2] }',
    { port: 80, tags: ["a"], enabled: false, ratio: 0.5, count: -3, size: 0, gain: 1.5, blob: "AAE=", ports: [1, 2] }, null],
];

describe("job.setData", () => {
  it("gives the same verdicts inside the sandbox as in the cockpit", async ({ expect }) => {
    const code = `export function install(job) {
      return [${CASES.map(([source]) => source).join(", ")}].map((patch) => {
        try { job.setData(patch); return null; } catch (e) { return e.message; }
      });
    }`;
    const outcome = await runAction(testEnv, await request(code, { schema: SCHEMA }));
    expect(outcome.state).toBe("ok");
    const inCockpit = CASES.map(([, value]) => {
      try {
        validatePatch(value, SCHEMA);
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    });
    const expected = CASES.map(([, , error]) => error);
    expect(inCockpit).toEqual(expected);
    expect(outcome.result).toEqual(expected);
  });

  it("throws inside the action, which fails the job unless the action catches it", async ({ expect }) => {
    const outcome = await runAction(testEnv, await request(`export function install(job) { job.setData({ port: "ssh" }); }`));
    expect(outcome).toMatchObject({ state: "error", dataPatch: {}, error: { message: 'setData: field "port" expected an integer' } });
  });

  it("applies accepted patches to job.service.data and merges them into dataPatch", async ({ expect }) => {
    const code = `export function install(job) {
      job.setData({ port: 2222, tags: ["a"] });
      const seen = job.service.data.port;
      job.setData({ tags: ["b", "c"], enabled: true });
      return { seen, data: job.service.data };
    }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.state).toBe("ok");
    expect(outcome.dataPatch).toEqual({ port: 2222, tags: ["b", "c"], enabled: true });
    expect(outcome.result).toEqual({ seen: 2222, data: { port: 2222, hostname: "main", tags: ["b", "c"], enabled: true } });
  });

  it("is checked again by the cockpit, whatever the sandbox's own check says", async ({ expect }) => {
    // The action breaks the sandbox's copy of the check; the cockpit's copy still refuses the value.
    const code = `export function install(job) { Number.isSafeInteger = () => true; job.setData({ port: "22; rm -rf /" }); }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.state).toBe("error");
    expect(outcome.dataPatch).toEqual({});
    expect(outcome.error?.message).toBe('the sandbox sent data the cockpit refused: setData: field "port" expected an integer');
  });
});
