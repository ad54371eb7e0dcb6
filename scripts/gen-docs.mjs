// Writes docs/manifest.md (from schema/services.schema.json) and docs/commands.md (from the built CLI's --help),
// exactly as the generator gives them (biome leaves them alone), so a unit test can compare them to the code.
// Run through `npm run gen:docs`, which builds first.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { commandsReference, manifestReference } from "./lib/reference-docs.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const schema = JSON.parse(readFileSync(join(root, "schema", "services.schema.json"), "utf8"));
const helpOf = (argv) =>
  execFileSync(process.execPath, [join(root, "dist", "cli.js"), ...argv], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
const pages = {
  "manifest.md": manifestReference(schema),
  "commands.md": await commandsReference(helpOf),
};
for (const [name, text] of Object.entries(pages)) writeFileSync(join(root, "docs", name), text);
console.log(
  `wrote ${Object.keys(pages)
    .map((name) => `docs/${name}`)
    .join(", ")}`,
);
