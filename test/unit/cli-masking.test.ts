import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir, yaml } from "./manifest-helpers.js";
import { runMain } from "./support/in-process-cli.js";

afterAll(removeTempDirs);

describe("the CLI's own messages", async () => {
  const dir = await tempDir({
    "services.yaml": yaml`
      version: 1
      services:
        web:
          repo: https://git.example.com/web.git
          environment: { DEBUG: "1", TOKEN: long-enough-token }
          build_args: { MODE: ab }
    `,
  });
  const manifest = path.join(dir, "services.yaml");

  it("validate warns about values too short to mask, naming the key and not the value", async () => {
    const result = await runMain(["validate"], {}, dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${manifest}: valid`);
    expect(result.stderr.trim().split("\n")).toEqual([
      "deploy: warning: services.web.environment.DEBUG: a value (or line) shorter than 4 characters is not masked in logs and output",
      "deploy: warning: services.web.build_args.MODE: a value (or line) shorter than 4 characters is not masked in logs and output",
    ]);
  });

  it("an error quoting a URL never prints its credentials", async () => {
    const result = await runMain(["plan", "https://bot:tok3n-value@git.example.com/web.git"], {}, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown service https://[REDACTED]@git.example.com/web.git");
    expect(result.stderr).not.toContain("tok3n-value");
  });
});
