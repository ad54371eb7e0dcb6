#!/usr/bin/env node
// The `deploy` command: runs the CLI bundle (dist/deploy.cjs, built from src/cli.ts) through the code cache.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { CodeCache, cacheBucket, cacheDirOf } from "./code-cache.js";

/** Set by scripts/build.mjs: every CommonJS bundle of the build with its content hash. */
declare const __DEPLOY_BUNDLES__: Record<string, string>;

const cacheDir = cacheDirOf(process.env);
if (cacheDir === null || process.sourceMapsEnabled) {
  // Node's own loader: it maps stack traces through the bundles' source maps (`node --enable-source-maps`).
  createRequire(import.meta.url)("./deploy.cjs");
} else {
  const root = dirname(fileURLToPath(import.meta.url));
  new CodeCache(root, __DEPLOY_BUNDLES__, cacheDir, cacheBucket(process.argv.slice(2))).load("deploy.cjs");
}
