// Writes schema/services.schema.json from the built loader (run through `npm run gen:schema`, which builds
// first), then formats it the way `biome check` wants, so the committed file stays lint-clean; then the manifest
// reference generated from it (docs/manifest.md, scripts/gen-docs.mjs).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { manifestJsonSchema } from "../dist/manifest/json-schema.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "schema", "services.schema.json");
writeFileSync(target, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
execFileSync(join(root, "node_modules", ".bin", "biome"), ["format", "--write", target], {
  cwd: root,
  stdio: "inherit",
});
console.log(`wrote ${target}`);
