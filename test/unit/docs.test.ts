import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/gen-docs.mjs", import.meta.url));

describe("docs/manifest.md", () => {
  it("is the page generated from schema/services.schema.json", () => {
    const check = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
    expect(check.stderr, "run `npm run gen:docs` and commit docs/manifest.md").toBe("");
    expect(check.status).toBe(0);
  });
});
