#!/usr/bin/env node
// npm's `prepare`: builds dist/ when it is missing. npm runs prepare, not prepack, in the clone it packs for a
// git URL (`npm pack git+https://…`); a checkout that already has dist/ is left alone (`npm ci` in development).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
if (!existsSync(`${root}dist/cli.js`)) {
  execFileSync(process.execPath, [`${root}scripts/build.mjs`], { cwd: root, stdio: "inherit" });
}
