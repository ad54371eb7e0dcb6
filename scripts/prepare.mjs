#!/usr/bin/env node
// npm's `prepare`: builds dist/ when it is missing, as in a clone that `npm install -g <git URL>` installs from
// (npm runs prepare there, not prepack). npm fails to install the clone's devDependencies when it installs
// globally (npm/cli#8440): then they are installed here first, into the clone, before building.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
if (existsSync(`${root}dist/cli.js`)) process.exit(0);

const npm = (args) => {
  // The global install's settings reach this script through npm_config_* variables: drop them for the clone.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_config_(global|prefix|location)$/i.test(key)),
  );
  execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", args, { cwd: root, env, stdio: "inherit" });
};
try {
  createRequire(`${root}package.json`).resolve("esbuild");
} catch {
  npm(["install", "--no-save", "--include=dev", "--ignore-scripts", "--no-audit", "--no-fund"]);
}
npm(["run", "build"]);
