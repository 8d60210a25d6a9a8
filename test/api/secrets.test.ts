/**
 * The secret store (issue 16, item 1), through the Worker: set through the API, read by an action
 * (job.secrets.get), masked as *** wherever the job's words come back, never stored in clear, and
 * still readable after the key rotated.
 */
import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { AuditEntry } from "../../src/actors/organization.ts";
import { createApp } from "../../src/routes/app.ts";
import type { RunRecord } from "../../src/runs/model.ts";
import { keyId } from "../../src/secrets/crypto.ts";
import { api, mintToken, ORG } from "../helpers/auth.ts";
import { createRun, must, repoWithBlueprint, waitForRun } from "../helpers/runs.ts";

/** A failed job stays failed: no retries to wait for. */
const NO_RETRY = "retry:\n  delays: []\n";
const jobs = (run: RunRecord) => run.steps.flatMap((s) => s.jobs);
const random = (label: string) => `${label}-${crypto.randomUUID()}`;
const put = (path: string, value: unknown) => api(path, { method: "PUT", json: { value } });

/** Every row of every table of an actor's SQLite storage, as text. */
function allRows(stub: DurableObjectStub): Promise<string> {
  return runInDurableObject(stub, (_actor, state) => {
    const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
    return JSON.stringify(tables.map(({ name }) => state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()));
  });
}

/** A PUT through the Worker's app with other `[secrets]` keys than the test project's (a cockpit before or after a rotation). */
async function putWithKeys(path: string, value: string, keys: { SECRETS_KEY: string; SECRETS_PREVIOUS_KEYS?: string }): Promise<Response> {
  const headers = { authorization: `Bearer ${await mintToken()}`, "content-type": "application/json" };
  const request = new Request(`http://cockpit.test${path}`, { method: "PUT", headers, body: JSON.stringify({ value }) });
  const res = await createApp().fetch(request, { ...env, SECRETS_PREVIOUS_KEYS: undefined, ...keys } as Env, createExecutionContext());
  return res;
}

describe("the secret store's API", () => {
  it("sets, lists (never values), replaces and deletes a repository's secrets, and checks names and sizes", async ({ expect }) => {
    const repo = "secrets-api";
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    const value = random("api-value");
    const created = await must(put(`/ays/repository/${repo}/secret/DB_PASSWORD`, value), 201);
    const info = (await created.json()) as Record<string, unknown>;
    expect(info).toEqual({ name: "DB_PASSWORD", set_by: "alice", set_at: expect.any(Number), key_id: await keyId(env.SECRETS_KEY!) });
    expect((await must(put(`/ays/repository/${repo}/secret/DB_PASSWORD`, `${value}-2`), 200)).status).toBe(200);
    const list = await must(api(`/ays/repository/${repo}/secret`), 200);
    const text = await list.text();
    expect(JSON.parse(text)).toEqual([{ name: "DB_PASSWORD", set_by: "alice", set_at: expect.any(Number), key_id: expect.any(String) }]);
    expect(text).not.toContain(value);

    const bad = await put(`/ays/repository/${repo}/secret/9lives`, "x");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "invalid_request" });
    expect((await put(`/ays/repository/${repo}/secret/EMPTY`, "")).status).toBe(400);
    expect((await put(`/ays/repository/${repo}/secret/NUMBER`, 42)).status).toBe(400);
    const big = await put(`/ays/repository/${repo}/secret/BIG`, "é".repeat(32 * 1024 + 1));
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ code: "too_large", error: "value is 65538 bytes, more than the 65536 bytes a secret may hold" });
    expect((await put("/ays/repository/no-such-repo/secret/A", "x")).status).toBe(404);
    expect((await api(`/ays/repository/${repo}/secret`).then((r) => r.json()) as unknown[]).length).toBe(1);

    await must(api(`/ays/repository/${repo}/secret/DB_PASSWORD`, { method: "DELETE" }), 204);
    const again = await api(`/ays/repository/${repo}/secret/DB_PASSWORD`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ code: "not_found", error: `no secret DB_PASSWORD in repository ${repo}` });

    const { events } = (await (await must(api(`/ays/events?order=newest&limit=20`), 200)).json()) as { events: AuditEntry[] };
    const mine = events.filter((e) => e.repo === repo && e.type.startsWith("secret.")).map((e) => `${e.type} ${e.message}`);
    expect(mine).toEqual(["secret.deleted secret DB_PASSWORD deleted", "secret.set secret DB_PASSWORD replaced", "secret.set secret DB_PASSWORD created"]);
    expect(JSON.stringify(events)).not.toContain(value);
  });

  it("keeps organization-wide secrets at /ays/secret the same way", async ({ expect }) => {
    const value = random("org-api-value");
    await must(put("/ays/secret/ORG_API_TOKEN", value), 201);
    const text = await (await must(api("/ays/secret"), 200)).text();
    expect(JSON.parse(text)).toContainEqual(expect.objectContaining({ name: "ORG_API_TOKEN", set_by: "alice" }));
    expect(text).not.toContain(value);
    await must(api("/ays/secret/ORG_API_TOKEN", { method: "DELETE" }), 204);
    expect((await api("/ays/secret/ORG_API_TOKEN", { method: "DELETE" })).status).toBe(404);
  });

  it("stores values sealed: neither the repository's nor the organization's rows hold them", async ({ expect }) => {
    const repo = "secrets-at-rest";
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    const repoValue = random("at-rest-repo");
    const orgValue = random("at-rest-org");
    await must(put(`/ays/repository/${repo}/secret/AT_REST`, repoValue), 201);
    await must(put("/ays/secret/AT_REST_ORG", orgValue), 201);
    const repoRows = await allRows(env.REPOSITORY.getByName(`${ORG}/${repo}`));
    const orgRows = await allRows(env.ORGANIZATION.getByName(ORG));
    expect(repoRows).toContain("AT_REST");
    expect(orgRows).toContain("AT_REST_ORG");
    for (const rows of [repoRows, orgRows]) {
      for (const v of [repoValue, orgValue]) {
        expect(rows).not.toContain(v);
        expect(rows).not.toContain(btoa(v));
      }
    }
  });
});

const LEAKY = `
export async function install(job) {
  const token = await job.secrets.get("TOKEN");
  const shared = await job.secrets.get("SHARED");
  console.log("token is " + token);
  job.log({ nested: { token } });
  job.setData({ note: "saved " + token });
  return { token, [token]: shared, reversed: token.split("").reverse().join(""), shared: shared.split("").reverse().join("") };
}
export async function start(job) {
  const token = await job.secrets.get("TOKEN");
  throw new Error("cannot log in with " + token);
}`;

describe("an action that reads a secret", () => {
  it("gets the repository's value (shadowing the organization's) and the organization's, masked in every log, result, data, view, stream and event", async ({ expect }) => {
    const repo = "secrets-leaky";
    const token = random("repo-token");
    const shadowed = random("org-token");
    const shared = random("org-shared");
    await must(put("/ays/secret/TOKEN", shadowed), 201);
    await must(put("/ays/secret/SHARED", shared), 201);
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    await must(put(`/ays/repository/${repo}/secret/TOKEN`, token), 201);
    await must(api(`/ays/repository/${repo}/template`, {
      method: "POST",
      json: { name: "box", config: `secrets: [TOKEN, SHARED]\n${NO_RETRY}`, schema: '@0xe1a2b3c4d5e6f708;\nstruct Schema {\n  note @0 :Text;\n}\n', actions: LEAKY },
    }), 201);
    await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content: "box__a: {}\nactions:\n  - action: start\n" } }), 201);
    await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);
    const run = await waitForRun(repo, (await createRun(repo)).key);

    const install = jobs(run).find((j) => j.action === "install")!;
    const start = jobs(run).find((j) => j.action === "start")!;
    expect(install.state).toBe("ok");
    // The values arrived: reversed, they are not recognised (masking is no barrier to an action that transforms one).
    expect(install.result).toEqual({ token: "***", "***": "***", reversed: [...token].reverse().join(""), shared: [...shared].reverse().join("") });
    expect(install.logs.map((l) => l.log)).toEqual(["token is ***", '{"nested":{"token":"***"}}']);
    expect(start.state).toBe("error");
    expect(start.logs.map((l) => l.log)).toContain("cannot log in with ***");

    const seen = [
      JSON.stringify(run),
      await (await must(api(`/ays/repository/${repo}/aysrun/${run.key}`), 200)).text(),
      await (await must(api(`/ays/repository/${repo}/aysrun/${run.key}/job/${start.key}`), 200)).text(),
      await (await must(api(`/ays/repository/${repo}/aysrun/${run.key}/stream`), 200)).text(),
      await (await must(api(`/ays/repository/${repo}/service/box/a`), 200)).text(),
      await (await must(api(`/ays/events?order=newest&limit=200`), 200)).text(),
      await allRows(env.REPOSITORY.getByName(`${ORG}/${repo}`)),
      await allRows(env.SERVICE.getByName(`${ORG}/${repo}/box!a`)),
      await allRows(env.ORGANIZATION.getByName(ORG)),
    ];
    expect(seen[4]).toContain("saved ***");
    for (const text of seen) {
      for (const value of [token, shared, shadowed]) expect(text).not.toContain(value);
    }

    // Each read is audited: which job, which secret, from where; never the value.
    const { events } = JSON.parse(seen[5]!) as { events: AuditEntry[] };
    const reads = events.filter((e) => e.type === "secret.read" && e.repo === repo);
    expect(reads.map((e) => e.data).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [
        { job: install.key, run: run.key, service: "box!a", action: "install", secret: "SHARED", from: "organization" },
        { job: install.key, run: run.key, service: "box!a", action: "install", secret: "TOKEN", from: "repository" },
        { job: start.key, run: run.key, service: "box!a", action: "start", secret: "TOKEN", from: "repository" },
      ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(reads[0]!.by).toMatch(/^job /);
  });

  it("is refused a secret its template does not list, with the reason", async ({ expect }) => {
    const repo = "secrets-unlisted";
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    await must(put(`/ays/repository/${repo}/secret/HIDDEN`, random("hidden")), 201);
    await repoWithBlueprintExisting(repo, "secrets: [LISTED]\n", `export async function install(job) { return await job.secrets.get("HIDDEN"); }`);
    const run = await waitForRun(repo, (await createRun(repo)).key);
    const install = jobs(run).find((j) => j.action === "install")!;
    expect(install.state).toBe("error");
    expect(install.logs.map((l) => l.log)).toContain('job.secrets.get: "HIDDEN" is not in the template\'s config.yaml `secrets:` (it lists LISTED); add it there to read it');
  });

  it("is told when a listed secret is set nowhere", async ({ expect }) => {
    const repo = "secrets-missing";
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    await repoWithBlueprintExisting(repo, "secrets: [NOWHERE]\n", `export async function install(job) { return await job.secrets.get("NOWHERE"); }`);
    const run = await waitForRun(repo, (await createRun(repo)).key);
    const install = jobs(run).find((j) => j.action === "install")!;
    expect(install.state).toBe("error");
    expect(install.logs.map((l) => l.log)).toContain(`job.secrets.get: no secret NOWHERE in repository ${repo} or in the organization`);
  });
});

describe("a cockpit without [secrets]", () => {
  it("answers 503 secrets_not_configured to a PUT, and stores nothing", async ({ expect }) => {
    const headers = { authorization: `Bearer ${await mintToken()}`, "content-type": "application/json" };
    const request = new Request("http://cockpit.test/ays/secret/NO_KEY", { method: "PUT", headers, body: JSON.stringify({ value: "v" }) });
    // A configuration with no [secrets] table at all: the var has none, and no secret binding is set.
    const plain = JSON.parse(env.COCKPIT_CONFIG!) as Record<string, unknown>;
    delete plain.secrets;
    const bare = { ...env, COCKPIT_CONFIG: JSON.stringify(plain), SECRETS_KEY: undefined, SECRETS_PREVIOUS_KEYS: undefined } as Env;
    const res = await createApp().fetch(request, bare, createExecutionContext());
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: "secrets_not_configured", error: "this cockpit has no [secrets] key (a Worker secret, SECRETS_KEY): it cannot store secrets" });
    const listed = (await (await must(api("/ays/secret"), 200)).json()) as { name: string }[];
    expect(listed.map((s) => s.name)).not.toContain("NO_KEY");
  });
});

describe("key rotation", () => {
  it("opens values sealed with a previous key, reseals them with the current one when set again, and names a key that is gone", async ({ expect }) => {
    const repo = "secrets-rotation";
    await must(api("/ays/repository", { method: "POST", json: { name: repo } }), 201);
    const old = random("sealed-before-rotation");
    // A cockpit before the rotation: its key is the test project's previous key.
    const before = await putWithKeys(`/ays/repository/${repo}/secret/OLD`, old, { SECRETS_KEY: env.SECRETS_PREVIOUS_KEYS! });
    expect(before.status).toBe(201);
    expect(((await before.json()) as { key_id: string }).key_id).toBe(await keyId(env.SECRETS_PREVIOUS_KEYS!));
    // A key no configuration has any more.
    const lost = await putWithKeys(`/ays/repository/${repo}/secret/LOST`, random("lost"), { SECRETS_KEY: random("a-key-since-thrown-away") });
    expect(lost.status).toBe(201);
    const lostId = ((await lost.json()) as { key_id: string }).key_id;

    await repoWithBlueprintExisting(repo, "secrets: [OLD, LOST]\n", `
      export async function install(job) { return [...await job.secrets.get("OLD")].reverse().join(""); }
      export async function start(job) { return await job.secrets.get("LOST"); }`, "start");
    const run = await waitForRun(repo, (await createRun(repo)).key);
    const install = jobs(run).find((j) => j.action === "install")!;
    expect(install).toMatchObject({ state: "ok", result: [...old].reverse().join("") });
    const start = jobs(run).find((j) => j.action === "start")!;
    expect(start.state).toBe("error");
    expect(start.logs.map((l) => l.log)).toContain(
      `secret repo ${ORG}/${repo} LOST was sealed with key ${lostId}, which is neither [secrets] key nor one of [secrets] previous_keys: set it again`,
    );

    const listed = (await (await must(api(`/ays/repository/${repo}/secret`), 200)).json()) as { name: string; key_id: string }[];
    expect(listed.find((s) => s.name === "OLD")!.key_id).toBe(await keyId(env.SECRETS_PREVIOUS_KEYS!));
    await must(put(`/ays/repository/${repo}/secret/OLD`, old), 200);
    const after = (await (await must(api(`/ays/repository/${repo}/secret`), 200)).json()) as { name: string; key_id: string }[];
    expect(after.find((s) => s.name === "OLD")!.key_id).toBe(await keyId(env.SECRETS_KEY!));
  });
});

/** Template `box` with this config.yaml and actions.js in an existing repository, and a blueprint of one service scheduling `action`. */
async function repoWithBlueprintExisting(repo: string, config: string, actions: string, action = "install") {
  await must(api(`/ays/repository/${repo}/template`, { method: "POST", json: { name: "box", config: config + NO_RETRY, actions } }), 201);
  await must(api(`/ays/repository/${repo}/blueprint`, { method: "POST", json: { name: "main.yaml", content: `box__a: {}\nactions:\n  - action: ${action}\n` } }), 201);
  await must(api(`/ays/repository/${repo}/blueprint/main.yaml`, { method: "POST" }), 200);
}
void repoWithBlueprint;
