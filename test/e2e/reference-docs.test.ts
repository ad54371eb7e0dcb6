import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of the scripts, without type declarations
import { commandsReference } from "../../scripts/lib/reference-docs.mjs";
import { REPO_ROOT, runCli } from "./support/cli.js";

describe("the generated command reference", () => {
  it("docs/commands.md holds every command's --help as the built CLI prints it", async () => {
    const helpOf = async (argv: string[]) =>
      (await runCli(argv, { cwd: REPO_ROOT, env: { NO_COLOR: "1" } })).stdout;
    expect(
      await readFile(join(REPO_ROOT, "docs", "commands.md"), "utf8"),
      "docs/commands.md is stale: run `npm run gen:docs` and commit it",
    ).toBe(await commandsReference(helpOf));
  });
});
