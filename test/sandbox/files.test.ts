import { describe, it } from "vitest";
import { runAction, SANDBOX_LIMITS } from "../../src/sandbox/index.ts";
import { request, testEnv } from "./helpers.ts";

async function upload(key: string, body: string | Uint8Array, contentType?: string) {
  const object = await testEnv.FILES.put(key, body, contentType ? { httpMetadata: { contentType } } : undefined);
  return object!.size;
}

describe("job.files", () => {
  it("lists and reads the input files, as text or bytes, without showing their storage keys", async ({ expect }) => {
    const configSize = await upload("uploads/u1/config.json", '{"replicas":3}', "application/json");
    const imageSize = await upload("uploads/u1/logo.bin", new Uint8Array([0, 1, 2, 255]));
    const code = `export async function install(job) {
      const listed = job.files.list();
      const config = JSON.parse(await job.files.read("config.json"));
      const bytes = new Uint8Array(await job.files.read("logo.bin", "arrayBuffer"));
      return { listed, replicas: config.replicas, bytes: [...bytes] };
    }`;
    const inputFiles = [
      { name: "config.json", key: "uploads/u1/config.json", size: configSize, contentType: "application/json" },
      { name: "logo.bin", key: "uploads/u1/logo.bin", size: imageSize },
    ];
    const outcome = await runAction(testEnv, await request(code, { inputFiles }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual({
      listed: [
        { name: "config.json", size: 14, contentType: "application/json" },
        { name: "logo.bin", size: 4 },
      ],
      replicas: 3,
      bytes: [0, 1, 2, 255],
    });
  });

  it("explains a read of a file that is not there", async ({ expect }) => {
    const code = `export async function install(job) {
      const errors = [];
      for (const [name, type] of [["nope.txt"], ["gone.txt"], ["gone.txt", "blob"]]) {
        try { await job.files.read(name, type); } catch (e) { errors.push(e.message); }
      }
      return errors;
    }`;
    const inputFiles = [{ name: "gone.txt", key: "uploads/u2/gone.txt", size: 3 }];
    const outcome = await runAction(testEnv, await request(code, { inputFiles }));
    expect(outcome.result).toEqual([
      'files.read: no input file named "nope.txt" (input files: gone.txt)',
      'files.read: input file "gone.txt" is missing from storage',
      'files.read: type must be "text" or "arrayBuffer", not "blob"',
    ]);
  });

  it("stores written files in R2 under jobs/<jobKey>/out/ and lists them in the outcome", async ({ expect }) => {
    const code = `export async function install(job) {
      await job.files.write("report.txt", "all good\\n", "text/plain; charset=utf-8");
      await job.files.write("data.bin", new Uint8Array([1, 2, 3]).subarray(1));
      await job.files.write("raw.bin", new ArrayBuffer(5));
      await job.files.write("report.txt", "all good, again\\n", "text/plain");
      return await job.files.write("blob.json", new Blob(['{"k":1}']), "application/json");
    }`;
    const req = await request(code);
    const outcome = await runAction(testEnv, req);
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual({ name: "blob.json", size: 7 });
    const prefix = `jobs/${req.jobKey}/out/`;
    expect(outcome.resultFiles).toEqual([
      { name: "report.txt", key: `${prefix}report.txt`, size: 16, contentType: "text/plain" },
      { name: "data.bin", key: `${prefix}data.bin`, size: 2 },
      { name: "raw.bin", key: `${prefix}raw.bin`, size: 5 },
      { name: "blob.json", key: `${prefix}blob.json`, size: 7, contentType: "application/json" },
    ]);
    const report = await testEnv.FILES.get(`${prefix}report.txt`);
    expect(await report?.text()).toBe("all good, again\n");
    expect(report?.httpMetadata?.contentType).toBe("text/plain");
    const data = await testEnv.FILES.get(`${prefix}data.bin`);
    expect([...new Uint8Array(await data!.arrayBuffer())]).toEqual([2, 3]);
    const listed = await testEnv.FILES.list({ prefix });
    expect(listed.objects.map((o) => o.key).sort()).toEqual(outcome.resultFiles.map((f) => f.key).sort());
  });

  it("refuses unsafe names, bad content, and files over the size limit", async ({ expect }) => {
    const code = `export async function install(job) {
      const errors = [];
      const attempts = [["../escape.txt", "x"], ["a/b.txt", "x"], [".hidden", "x"], ["", "x"], ["ok.txt", 42], ["ok.txt", "x", "not a type"],
        ["big.bin", new Uint8Array(${SANDBOX_LIMITS.maxResultFileBytes + 1})]];
      for (const [name, content, type] of attempts) {
        try { await job.files.write(name, content, type); errors.push("written: " + name); } catch (e) { errors.push(e.message); }
      }
      return errors;
    }`;
    const req = await request(code);
    const outcome = await runAction(testEnv, req);
    const naming = "use 1-128 letters, digits, \".\", \"_\" or \"-\", starting with a letter or digit";
    expect(outcome.result).toEqual([
      `files.write: invalid file name "../escape.txt": ${naming}`,
      `files.write: invalid file name "a/b.txt": ${naming}`,
      `files.write: invalid file name ".hidden": ${naming}`,
      `files.write: invalid file name "": ${naming}`,
      "files.write: content must be a string, an ArrayBuffer, a typed array or a Blob",
      'files.write: invalid content type "not a type"',
      `files.write: big.bin is larger than ${SANDBOX_LIMITS.maxResultFileBytes} bytes`,
    ]);
    expect(outcome.resultFiles).toEqual([]);
    expect((await testEnv.FILES.list({ prefix: `jobs/${req.jobKey}/` })).objects).toEqual([]);
  });

  it("limits how many files one job writes", async ({ expect }) => {
    const code = `export async function install(job) {
      let n = 0;
      try { for (;;) { await job.files.write("f" + n + ".txt", "x"); n++; } } catch (e) { return [n, e.message]; }
    }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.result).toEqual([SANDBOX_LIMITS.maxResultFiles, `files.write: a job may write at most ${SANDBOX_LIMITS.maxResultFiles} files`]);
    expect(outcome.resultFiles).toHaveLength(SANDBOX_LIMITS.maxResultFiles);
  });
});
