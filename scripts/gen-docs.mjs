#!/usr/bin/env node
// Writes docs/manifest.md from schema/services.schema.json (`npm run gen:docs`), formatted the way `biome check`
// wants; with --check, only says whether the committed page is stale (exit 1), as the unit test asks.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { manifestDoc } from "./lib/manifest-doc.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const target = join(root, "docs", "manifest.md");
const schema = JSON.parse(readFileSync(join(root, "schema", "services.schema.json"), "utf8"));
const text = execFileSync(
  join(root, "node_modules", ".bin", "biome"),
  ["format", "--stdin-file-path=docs/manifest.md"],
  { cwd: root, input: manifestDoc(schema), encoding: "utf8" },
);

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {}
  if (committed !== text) {
    console.error("docs/manifest.md is stale: run `npm run gen:docs` and commit it");
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
