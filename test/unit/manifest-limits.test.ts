import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadManifest, parseManifest } from "../../src/manifest/load.js";
import { MAX_MANIFEST_BYTES } from "../../src/manifest/yaml.js";
import { removeTempDirs, tempDir } from "./manifest-helpers.js";
import { runMain } from "./support/in-process-cli.js";

afterAll(removeTempDirs);

const HEAD = "version: 1\nservices:\n  api:\n    repo: https://git.example.com/api.git\n";

describe("manifest size and shape limits", () => {
  it("refuses a manifest past 1 MiB without parsing it", async () => {
    const padding = `# ${"x".repeat(100)}\n`.repeat(Math.ceil(MAX_MANIFEST_BYTES / 100));
    const dir = await tempDir({ "services.yaml": HEAD + padding });
    const result = await loadManifest(path.join(dir, "services.yaml"), {});
    expect(result).toEqual({
      ok: false,
      problems: [{ path: "", message: expect.stringContaining("larger than 1 MiB") }],
    });
    const parsed = parseManifest(HEAD + padding, { file: path.join(dir, "services.yaml"), env: {} });
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.message)).toEqual([
      expect.stringContaining("larger than 1 MiB"),
    ]);
  });

  it("parses a large map in time linear in its size (each key was compared with every earlier one)", {
    timeout: 20_000,
  }, () => {
    const pairs = Array.from({ length: 40_000 }, (_, i) => `k${i}: v${i}`).join(", ");
    const text = `${HEAD}    labels: {${pairs}}\n`;
    expect(text.length).toBeLessThan(MAX_MANIFEST_BYTES);
    const started = performance.now();
    const result = parseManifest(text, { file: "/nowhere/services.yaml", env: {} });
    const elapsed = performance.now() - started;
    expect(result.ok).toBe(true);
    expect(elapsed).toBeLessThan(4_000); // about 0.3 s; 16 s before
  });

  it("an alias bomb is a manifest problem: exit 2, not a crash", async () => {
    const lines = ["x-a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i <= 9; i++)
      lines.push(
        `x-a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const dir = await tempDir({ "services.yaml": `${lines.join("\n")}\n${HEAD}    labels: { a: *a9 }\n` });
    const { code, stderr: err } = await runMain(["validate"], {}, dir);
    expect(code, err).toBe(2);
    expect(err).toContain("YAML aliases expand past the limit");
    expect(err).not.toContain("unexpected error");
  });
});
