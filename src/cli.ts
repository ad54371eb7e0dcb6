#!/usr/bin/env node
// The `deploy` command (dist/cli.js).
import module from "node:module";

// Node >= 22.1 keeps the code it compiled between runs (start-up is mostly compiling); older Node has no such
// API and compiles every time. Called before main.js is imported, so that its code is cached too.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const { main } = await import("./main.js");
// main() maps every error to its exit code; the process ends by itself once nothing is left to do.
process.exitCode = await main(process.argv.slice(2));
