import { describe, it } from "vitest";
import { runAction } from "../../src/sandbox/index.ts";
import { InstrumentError, instrument } from "../../src/sandbox/instrument.ts";
import { request, testEnv } from "./helpers.ts";

/** The instrumented code without its import line, with the guard written as `G`. */
function guarded(source: string): string {
  const { code, guard } = instrument(source, "./cockpit-sandbox.js");
  return code.replace(/^import \{ \w+ \} from "\.\/cockpit-sandbox\.js"; /, "").replaceAll(guard, "G");
}

describe("the loop guard instrumentation", () => {
  it("guards while, do-while and for conditions", ({ expect }) => {
    expect(guarded("while (x) y();")).toBe("while (G() && (x)) y();");
    expect(guarded("do { y() } while (x)")).toBe("do { y() } while (G() && (x))");
    expect(guarded("for (let i = 0; i < n; i++) {}")).toBe("for (let i = 0; G() && ( i < n); i++) {}");
    expect(guarded("for (;;) {}")).toBe("for (; G();) {}");
  });

  it("iterates for-of and for-await through the guard, and leaves for-in alone", ({ expect }) => {
    expect(guarded("for (const [a, b] of pairs) {}")).toBe("for (const [a, b] of G.of( pairs)) {}");
    expect(guarded("for await (const x of stream) {}")).toBe("for await (const x of G.ofAsync( stream)) {}");
    expect(guarded("for (const of of list) {}")).toBe("for (const of of G.of( list)) {}");
    expect(guarded("for (const k in obj) {}")).toBe("for (const k in obj) {}");
  });

  it("guards the bodies of functions, arrow functions and methods", ({ expect }) => {
    expect(guarded("export async function install(job) { return 1 }")).toBe("export async function install(job) {G(); return 1 }");
    expect(guarded("const f = function* () { yield 1 }")).toBe("const f = function* () {G(); yield 1 }");
    expect(guarded("const f = async (a) => { await a }")).toBe("const f = async (a) => {G(); await a }");
    expect(guarded("class A extends mix(B) { constructor() { super() } get x() { return 1 } }")).toBe(
      "class A extends mix(B) { constructor() {G(); super() } get x() {G(); return 1 } }",
    );
    expect(guarded("const o = { m(a) { return a }, ['k']() {}, 'q'() {} }")).toBe(
      "const o = { m(a) {G(); return a }, ['k']() {G();}, 'q'() {G();} }",
    );
  });

  it("guards arrow functions with an expression body", ({ expect }) => {
    expect(guarded("const f = (a) => a + 1")).toBe("const f = (a) => (G(), a + 1)");
    expect(guarded("const f = async (a) => await a, g = x => y => z")).toBe(
      "const f = async (a) => (G(), await a), g = x => (G(), y => (G(), z))",
    );
    expect(guarded("xs.map((x) => ({ x }))")).toBe("xs.map((x) => ((G(), { x })))");
  });

  it("places the guards by the syntax tree, not by the text around them", ({ expect }) => {
    expect(guarded("while ((a, b)) {}")).toBe("while ((G() && (a, b))) {}");
    expect(guarded("for (x of (a, b)) {}")).toBe("for (x of G.of( (a, b))) {}");
    expect(guarded("for (let f = () => { a; } /* ; */; f();) {}")).toBe("for (let f = () => {G(); a; } /* ; */; G() && ( f());) {}");
  });

  it("leaves control statements, object literals and switch bodies alone", ({ expect }) => {
    const source = "if (a) { b() } else { c() } switch (x) { case 1: { break } } try { d() } catch (e) { f() } const o = { a: {} };";
    expect(guarded(source)).toBe(source);
  });

  it("does not touch loops written in strings, comments, templates or regular expressions", ({ expect }) => {
    const source = [
      `const s = "while (true) {}"; // for (;;) {}`,
      "/* while (x) {} */ const t = `for (;;) ${'{'} ${a ? `while(1)` : b}`;",
      "const re = /while (x) {[/]}/g; const d = a / b / c;",
    ].join("\n");
    expect(guarded(source)).toBe(source);
  });

  it("treats while and for as names where they are names", ({ expect }) => {
    const source = "class Q { while(x) { return x } for(a, b) { return a } } const o = { while: 1, for: 2 }; o.while(1); q?.for(2);";
    expect(guarded(source)).toBe(
      "class Q { while(x) {G(); return x } for(a, b) {G(); return a } } const o = { while: 1, for: 2 }; o.while(1); q?.for(2);",
    );
  });

  it("tells a regular expression from a division", ({ expect }) => {
    expect(guarded("if (x) /re/.test(s); while (a / 2 > b) {}")).toBe("if (x) /re/.test(s); while (G() && (a / 2 > b)) {}");
    expect(guarded("const x = {}\n/ 2; let y = (a) / 2;")).toBe("const x = {}\n/ 2; let y = (a) / 2;");
  });

  it("picks a guard name the code does not use, even spelled with escapes", ({ expect }) => {
    expect(instrument("const __cockpitGuard0 = 1;", "./m.js").guard).toBe("__cockpitGuard1");
    expect(instrument("const \\u005f_cockpitGuard0 = 1;", "./m.js").guard).toBe("__cockpitGuard1");
  });

  it("keeps line numbers and maps columns back to the source", ({ expect }) => {
    const source = "export function install() {\n  while (x) { y() }\n  throw new Error('boom');\n}";
    const { code, originalColumn } = instrument(source, "./m.js");
    expect(code.split("\n")).toHaveLength(4);
    const line2 = code.split("\n")[1]!;
    expect(originalColumn(2, line2.indexOf("y()") + 1)).toBe(source.split("\n")[1]!.indexOf("y()") + 1);
    expect(originalColumn(3, 3)).toBe(3);
  });

  it("counts lines as JavaScript does, CRLF and U+2028 included", ({ expect }) => {
    const source = "const a = 1;\r\nconst s = '\u2028'; while (x) { y() }";
    const { code, originalColumn } = instrument(source, "./m.js");
    const line3 = code.split(/\r\n|\u2028/)[2]!;
    expect(originalColumn(3, line3.indexOf("y()") + 1)).toBe(source.split(/\r\n|\u2028/)[2]!.indexOf("y()") + 1);
  });

  it("keeps a hashbang line first", ({ expect }) => {
    const { code } = instrument("#!/usr/bin/env node\nexport const a = 1;", "./m.js");
    expect(code.startsWith("#!/usr/bin/env node\nimport {")).toBe(true);
  });

  it("reports syntax errors with their line and column", ({ expect }) => {
    const error = (source: string): unknown => {
      try {
        instrument(source, "./m.js");
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const unterminated = error("const a = 1;\nconst s = 'oops;");
    expect(unterminated).toBeInstanceOf(InstrumentError);
    expect(unterminated).toMatchObject({ message: "Unterminated string constant (line 2, column 11)", line: 2, column: 11 });
    expect(error("const t = `abc ${x")).toBeInstanceOf(InstrumentError);
    expect(error("function f() {")).toMatchObject({ message: "Unexpected token (line 1, column 15)" });
  });

  it("reports code nested too deeply to walk instead of overflowing the stack", ({ expect }) => {
    const source = `export const a = 1;\n  const b = c${".d()".repeat(10_000)};`;
    expect(() => instrument(source, "./m.js")).toThrow(new InstrumentError("too deeply nested to instrument", 2, 3));
  });
});

describe("instrumented code", () => {
  it("still runs tricky but valid syntax unchanged", async ({ expect }) => {
    const code = String.raw`
      const re = /[/\]]+(?<n>\d)/g;
      const tpl = (a) => ${"`"}a${"${"}a ? ${"`"}[${"${"}a}]${"`"} : "-"}b${"`"};
      class Counter {
        #n = 0;
        static of(n) { const c = new Counter(); for (let i = 0; i < n; i++) c.inc(); return c; }
        inc() { this.#n++; return this; }
        get n() { return this.#n; }
        while(x) { return x * 2; }
      }
      function* gen() { let i = 0; while (i < 3) yield i++; }
      const obj = { for: 1, while(y) { return y + 1; }, nested: { a: [1, 2, 3].map((x) => x * 2) } };
      export async function install(job) {
        let sum = 0;
        outer: for (const x of gen()) { for (const k in { a: 1 }) { if (x === 2) break outer; sum += x; } }
        let d = 10; do { d--; } while (d > 5);
        const parts = "a/b/c".split("/").length / 3;
        for await (const v of [Promise.resolve(4)]) sum += v;
        switch (sum) { case 5: { sum += 100; break; } default: sum = -1; }
        return { sum, d, parts, re: "x/]7".replace(re, "<$<n>>"), tpl: [tpl(1), tpl(0)],
          c: Counter.of(3).n, w: new Counter().while(21), o: obj.while(1) + obj.for, m: obj.nested.a };
      }`;
    const outcome = await runAction(testEnv, await request(code));
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual({
      sum: 105,
      d: 5,
      parts: 1,
      re: "x<7>",
      tpl: ["a[1]b", "a-b"],
      c: 3,
      w: 42,
      o: 3,
      m: [2, 4, 6],
    });
  });
});
