#!/usr/bin/env node
// The CLI is TypeScript run by Node's own type stripping (Node >= 22.18; npm scripts put the Node 22
// of the `node` devDependency first on PATH). An older Node is told what to do instead of failing
// on the first `.ts` import.
if (!process.features.typescript) {
  console.error(
    `cockpit needs Node >= 22.18, which runs TypeScript directly; this is Node ${process.version}.\n` +
      "Run it through npm, which uses the Node 22 that `npm install` brought: npm run cockpit -- <command>",
  );
  process.exit(1);
}
// Node keeps the compiled modules in its compile cache (the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1
// turns it off): each later start then skips compiling the CLI's modules again (~0.1 s of a
// `cockpit plan`, issue 18).
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
