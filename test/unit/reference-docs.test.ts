import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of the scripts, without type declarations
import { manifestReference } from "../../scripts/lib/reference-docs.mjs";
import { manifestJsonSchema } from "../../src/manifest/json-schema.js";

const docs = (name: string) => readFile(path.join(import.meta.dirname, "..", "..", "docs", name), "utf8");

describe("the generated manifest reference", () => {
  it("docs/manifest.md lists every key of the schema as the code has it", async () => {
    expect(await docs("manifest.md"), "docs/manifest.md is stale: run `npm run gen:docs` and commit it").toBe(
      manifestReference(manifestJsonSchema()),
    );
  });
});
