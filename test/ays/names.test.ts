import { describe, it } from "vitest";
import { AysError, normalizeArgName, parseDuration, parseServiceKey, roleOf, serviceKey, templateNameFromFolder } from "../../src/ays/index.ts";

describe("names", () => {
  it("takes the role from the actor name up to the first dot", ({ expect }) => {
    expect(roleOf("node.ovc")).toBe("node");
    expect(roleOf("os.ssh.ubuntu")).toBe("os");
    expect(roleOf("sshkey")).toBe("sshkey");
  });

  it("normalises argument keys to capnp field names at every dot and underscore", ({ expect }) => {
    expect(normalizeArgName("bootdisk.size")).toBe("bootdiskSize");
    expect(normalizeArgName("field.with.dot")).toBe("fieldWithDot");
    expect(normalizeArgName("field_with_underscore")).toBe("fieldWithUnderscore");
    expect(normalizeArgName("repo2_template1")).toBe("repo2Template1");
    expect(normalizeArgName("oauth.client_id")).toBe("oauthClientId");
    expect(normalizeArgName("memory")).toBe("memory");
    expect(normalizeArgName("a..b_")).toBe("aB");
  });

  it("keys services as role!instance and splits such keys back", ({ expect }) => {
    expect(serviceKey("node", "demo")).toBe("node!demo");
    expect(parseServiceKey("node!demo")).toEqual({ role: "node", instance: "demo" });
    expect(parseServiceKey("nodemo")).toBeUndefined();
  });

  it("strips only the sample fixture prefix from template folder names", ({ expect }) => {
    expect(templateNameFromFolder("tmpl09_ays82_node.ovc")).toBe("node.ovc");
    expect(templateNameFromFolder("tmpl15_ays82_repo2_template1")).toBe("repo2_template1");
    expect(templateNameFromFolder("node.ovc")).toBe("node.ovc");
  });
});

describe("durations", () => {
  it("reads w/d/h/m/s units and bare seconds", ({ expect }) => {
    expect(parseDuration("1m")).toBe(60);
    expect(parseDuration("12h")).toBe(43200);
    expect(parseDuration("1d")).toBe(86400);
    expect(parseDuration("2w")).toBe(1209600);
    expect(parseDuration("5s")).toBe(5);
    expect(parseDuration("90")).toBe(90);
    expect(parseDuration(30)).toBe(30);
  });

  it("refuses anything else", ({ expect }) => {
    for (const bad of ["", "1y", "m", "1.5h", "-5", "5 m", "1m30s"]) expect(() => parseDuration(bad)).toThrow(/invalid duration/);
    expect(() => parseDuration(-1)).toThrow(/invalid duration/);
    expect(() => parseDuration(1.5)).toThrow(/invalid duration/);
  });
});

describe("AysError", () => {
  it("formats file, position, key and reason", ({ expect }) => {
    const err = new AysError({ file: "bp.yaml", line: 3, column: 5, key: "a__b.x", reason: "bad" });
    expect(err.message).toBe("bp.yaml:3:5: a__b.x: bad");
    expect(new AysError({ file: "run", reason: "dependency cycle" }).message).toBe("run: dependency cycle");
    expect(err).toBeInstanceOf(Error);
  });
});
