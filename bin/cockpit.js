#!/usr/bin/env node
// The CLI is TypeScript run by Node >= 22.12's type stripping (npm scripts put Node 22 first on PATH).
import { main } from "../src/cli/main.ts";

process.exitCode = await main(process.argv.slice(2));
