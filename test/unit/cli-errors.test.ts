import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir, yaml } from "./manifest-helpers.js";
import { runMain } from "./support/in-process-cli.js";

afterAll(removeTempDirs);

/** Usage and validation paths of main(): one place turns every error into its message and exit code. */
describe("main's exit codes", async () => {
  const dir = await tempDir({
    "services.yaml": yaml`
      version: 1
      services:
        web: { repo: "https://git.example.com/web.git", ports: ["8080:8080"] }
        api: { repo: "https://git.example.com/api.git", depends_on: [web] }
    `,
    "broken/services.yaml": yaml`
      version: 1
      services:
        web: { repo: "https://git.example.com/web.git", depends_on: [nowhere] }
    `,
  });

  it.each([
    [[], /^deploy: Not enough non-option arguments/],
    [["all", "--nope"], /^deploy: Unknown argument: nope\n$/],
    [["all", "main", "--output", "nope"], /^deploy: Invalid values:/],
  ])("%j is refused by the parser: exit 2", async (argv, message) => {
    const result = await runMain(argv, {}, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it.each([
    [["all", "../x"], 'the branch argument "../x" must not contain ".." (not a valid git ref)'],
    [["all", "--lock-wait", "1y"], "--lock-wait: expected a duration like 30s or 10m, got 1y"],
  ])("%j fails a value's check in the parser: exit 2, with the usage hint", async (argv, message) => {
    const result = await runMain(argv, {}, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`deploy: ${message}\nRun deploy --help for usage.\n`);
  });

  it.each([
    [["all", "-j", "0"], "concurrency"],
    [["plan", "web,cache"], "unknown service cache"],
    [["rollback", "web,api"], "rollback takes one service at a time"],
    [["validate", "-f", "broken/services.yaml"], "nowhere"],
    [["validate", "-f", "missing.yaml"], "missing.yaml"],
  ])("%j is refused by the tool: exit 2, its message alone", async (argv, part) => {
    const result = await runMain(argv, {}, dir);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^deploy: /);
    expect(result.stderr).toContain(part);
    expect(result.stderr).not.toContain("Run deploy --help");
    expect(result.stderr).not.toContain("unexpected error");
  });

  it("exits 0 on a valid manifest, and prints nothing on stderr", async () => {
    const result = await runMain(["validate"], {}, dir);
    expect(result).toMatchObject({ code: 0, stderr: "" });
  });
});
