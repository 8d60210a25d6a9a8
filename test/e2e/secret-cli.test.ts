/**
 * `cockpit secret` against a running Cockpit (`cockpit start`, which made the local [secrets] key):
 * the value goes in on stdin and never comes back out.
 */
import { describe, expect, inject, it } from "vitest";
import { cockpit, ROOT } from "../cli/run-cli.ts";

const e2e = inject("e2e");
const auth = ["--url", e2e.base, "--token", e2e.token];

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(e2e.base + path, { ...init, headers: { authorization: `Bearer ${e2e.token}`, "content-type": "application/json" } });
  return { status: res.status, text: await res.text() };
}

describe("cockpit secret", () => {
  it("sets a repository's secret from stdin, lists it without its value, replaces and deletes it", async () => {
    expect((await api("/ays/repository", { method: "POST", body: JSON.stringify({ name: "secretcli" }) })).status).toBe(201);
    const value = `cli-value-${crypto.randomUUID()}`;
    const set = await cockpit(["secret", "set", "CLI_TOKEN", "--repo", "secretcli", ...auth], ROOT, `${value}\n`);
    expect(set).toMatchObject({ code: 0, stdout: "secret CLI_TOKEN of repository secretcli created\n" });
    const again = await cockpit(["secret", "set", "CLI_TOKEN", "--repo", "secretcli", ...auth], ROOT, value);
    expect(again.stdout).toBe("secret CLI_TOKEN of repository secretcli replaced\n");

    const list = await cockpit(["secret", "list", "--repo", "secretcli", ...auth]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^CLI_TOKEN\s+set by \S+ at \d{4}-/);
    expect(list.stdout).not.toContain(value);
    const listed = await api("/ays/repository/secretcli/secret");
    expect(JSON.parse(listed.text)).toEqual([expect.objectContaining({ name: "CLI_TOKEN" })]);
    expect(listed.text).not.toContain(value);

    const del = await cockpit(["secret", "delete", "CLI_TOKEN", "--repo", "secretcli", ...auth]);
    expect(del).toMatchObject({ code: 0, stdout: "secret CLI_TOKEN of repository secretcli deleted\n" });
    const gone = await cockpit(["secret", "delete", "CLI_TOKEN", "--repo", "secretcli", ...auth]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("HTTP 404): no secret CLI_TOKEN in repository secretcli");
  });

  it("keeps organization-wide secrets without --repo, and refuses a bad name or an empty stdin", async () => {
    const set = await cockpit(["secret", "set", "CLI_ORG", ...auth], ROOT, "org-wide");
    expect(set.stdout).toBe("secret CLI_ORG of the organization created\n");
    expect((await cockpit(["secret", "list", ...auth])).stdout).toMatch(/^CLI_ORG\s+set by/m);
    const bad = await cockpit(["secret", "set", "9bad", ...auth], ROOT, "x");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('NAME: 1-64 of A-Z, a-z, 0-9 and _, not starting with a digit, got "9bad"');
    const empty = await cockpit(["secret", "set", "CLI_EMPTY", ...auth], ROOT, "");
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("no value on stdin for CLI_EMPTY");
  });

  it("works with an API key (ck_…) as the token, as every command that calls the Cockpit does", async () => {
    const made = await api("/ays/keys", { method: "POST", body: JSON.stringify({ name: "e2e-cli", role: "admin", expires: new Date(Date.now() + 86_400_000).toISOString() }) });
    expect(made.status).toBe(201);
    const { key } = JSON.parse(made.text) as { key: string };
    const set = await cockpit(["secret", "set", "VIA_KEY", "--url", e2e.base, "--token", key], ROOT, "v");
    expect(set).toMatchObject({ code: 0, stdout: "secret VIA_KEY of the organization created\n" });
    expect((await cockpit(["secret", "list", "--url", e2e.base, "--token", key])).stdout).toMatch(/^VIA_KEY\s+set by key:e2e-cli at/m);
  });
});
