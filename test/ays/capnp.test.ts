import { describe, it } from "vitest";
import { AysError, parseCapnpSchema } from "../../src/ays/index.ts";
import { templateFolders } from "./samples.ts";

describe("schema.capnp", () => {
  it("reads fields, list types and defaults of the vdc sample", ({ expect }) => {
    const vdc = templateFolders().find((f) => f.name === "vdc");
    const schema = parseCapnpSchema(vdc?.files.schema ?? "", "tmpl04/schema.capnp");
    expect(schema.fields.map((f) => f.name)).toEqual([
      "description", "vdcfarm", "g8client", "account", "location", "uservdc", "allowedVMSizes",
      "cloudspaceID", "maxMemoryCapacity", "maxCPUCapacity", "maxDiskCapacity", "maxNumPublicIP", "externalNetworkID",
    ]);
    expect(schema.fields[5]).toEqual({ name: "uservdc", ordinal: 5, type: "Text", list: true });
    expect(schema.fields[6]).toEqual({ name: "allowedVMSizes", ordinal: 6, type: "Int64", list: true });
    expect(schema.fields[8]).toEqual({ name: "maxMemoryCapacity", ordinal: 8, type: "Int64", list: false, default: -1 });
  });

  it("parses every 8.2 sample schema", ({ expect }) => {
    const withSchema = templateFolders().filter((f) => f.files.schema !== undefined);
    expect(withSchema.length).toBe(14); // 17 folders minus tmpl06 (config only) and the two HRD-only 8.0 folders
    for (const f of withSchema) expect(parseCapnpSchema(f.files.schema as string, f.folder).fields.length).toBeGreaterThan(0);
  });

  it("reads text, bool, float and list defaults", ({ expect }) => {
    const schema = parseCapnpSchema(`
      @0xaaaaaaaaaaaaaaaa;
      # comment
      struct Schema {
        image @0 :Text = "ubuntu \\"16\\"";  # trailing comment
        enabled @1 :Bool = true;
        ratio @2 :Float64 = 0.5;
        ports @3 :List(Int64) = [22, 80];
        small @4 :Int32;
      }`);
    expect(schema.fields.map((f) => f.default)).toEqual(['ubuntu "16"', true, 0.5, [22, 80], undefined]);
  });

  it("treats a file of only comments as an empty schema", ({ expect }) => {
    expect(parseCapnpSchema("# nothing here\n")).toEqual({ fields: [] });
  });

  it("names the line and field of unsupported or broken declarations", ({ expect }) => {
    const cases: [string, RegExp][] = [
      ["struct Schema {\n  a @0 :Text;\n  b @1 :AnyPointer;\n}", /x\.capnp:3:9: b: unsupported type AnyPointer/],
      ["struct Schema {\n  a @0 :Text;\n  a @1 :Text;\n}", /x\.capnp:3:3: a: duplicate field name/],
      ["struct Schema {\n  a @0 :Text;\n  b @0 :Text;\n}", /b: ordinal @0 already used by field a/],
      ["struct Schema {\n  a @0 :Text;\n  b @2 :Text;\n}", /b: ordinals must be @0..@1 without gaps; @1 is missing/],
      ["struct Schema {\n  port @0 :Int64 = \"x\";\n}", /port: default "x" does not fit type Int64/],
      ["struct Schema {\n  my_field @0 :Text;\n}", /my_field: field names must be camelCase/],
      ["struct Schema {\n  a @0 :Text\n}", /x\.capnp:3:1: expected ";" after field a/],
      ["struct Schema {\n  union {\n  }\n}", /unsupported declaration "union"/],
      ["struct Other {\n  a @0 :Text;\n}", /no struct Schema declared \(found Other\)/],
      ["using Foo = import \"x.capnp\";", /unsupported declaration "using"/],
      ["struct Schema {\n  s @0 :Text = \"open\n}", /unterminated string literal/],
    ];
    for (const [text, message] of cases) {
      const err = (() => {
        try {
          parseCapnpSchema(text, "x.capnp");
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, text).toBeInstanceOf(AysError);
      expect((err as AysError).message, text).toMatch(message);
    }
  });
});
