import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { envOptions, envVariableOf, parseBoolean } from "../../src/commands/env-options.js";
import { removeTempDirs, tempDir, yaml } from "./manifest-helpers.js";
import { runMain as cli } from "./support/in-process-cli.js";

afterAll(removeTempDirs);

const DEPLOY_OPTIONS = [
  "file",
  "dry-run",
  "fail-fast",
  "rollback",
  "concurrency",
  "lock-wait",
  "output",
  "json",
];

describe("envOptions", () => {
  it.each([
    [{ DEPLOY_DRY_RUN: "1" }, { "dry-run": true }],
    [{ DEPLOY_DRY_RUN: "0" }, { "dry-run": false }],
    [{ DEPLOY_DRY_RUN: "TRUE" }, { "dry-run": true }],
    [{ DEPLOY_DRY_RUN: "False" }, { "dry-run": false }],
    [{ DEPLOY_DRY_RUN: "yes" }, { "dry-run": true }],
    [{ DEPLOY_DRY_RUN: " No " }, { "dry-run": false }],
    [{ DEPLOY_NO_ROLLBACK: "1" }, { rollback: false }],
    [{ DEPLOY_ROLLBACK: "no" }, { rollback: false }],
    [{ DEPLOY_CONCURRENCY: "4" }, { concurrency: 4 }],
    [{ DEPLOY_LOCK_WAIT: "10m" }, { "lock-wait": "10m" }],
    [{ DEPLOY_OUTPUT: "plain" }, { output: "plain" }],
    [{ DEPLOY_FILE: "deploy/services.yaml" }, { file: "deploy/services.yaml" }],
    [{ DEPLOY_FILE: "" }, {}],
    // Not options of the tool: a CI runner's secrets and settings stay out of the command line.
    [{ DEPLOY_KEY: "-----BEGIN OPENSSH PRIVATE KEY-----", DEPLOY_TOKEN: "t0k3n", DEPLOY_ENV: "prod" }, {}],
    // An option of another command (`deploy` has no --to or --tail) is not this command's.
    [{ DEPLOY_TO: "image:1", DEPLOY_TAIL: "5" }, {}],
  ])("%j → %j", (env, expected) => {
    expect(envOptions(env, DEPLOY_OPTIONS)).toEqual(expected);
  });

  it.each([
    [{ DEPLOY_DRY_RUN: "maybe" }, "DEPLOY_DRY_RUN: expected 1/0, true/false or yes/no"],
    [{ DEPLOY_CONCURRENCY: "0" }, "DEPLOY_CONCURRENCY: expected a whole number of at least 1"],
    [{ DEPLOY_CONCURRENCY: "two" }, "DEPLOY_CONCURRENCY: expected a whole number of at least 1"],
    [{ DEPLOY_LOCK_WAIT: "soon" }, "DEPLOY_LOCK_WAIT: expected a duration like 30s or 10m"],
    [{ DEPLOY_OUTPUT: "fancy" }, "DEPLOY_OUTPUT: expected one of tree, plain, quiet"],
    [{ DEPLOY_ROLLBACK: "1", DEPLOY_NO_ROLLBACK: "1" }, "DEPLOY_ROLLBACK and DEPLOY_NO_ROLLBACK contradict"],
    [{ DEPLOY_FAIL_FAST: "sure" }, "DEPLOY_FAIL_FAST: expected 1/0, true/false or yes/no"],
  ])("%j is a usage error", (env, message) => {
    expect(() => envOptions(env, DEPLOY_OPTIONS)).toThrow(message);
    try {
      envOptions(env, DEPLOY_OPTIONS);
    } catch (error) {
      for (const value of Object.values(env)) expect((error as Error).message).not.toContain(`: ${value}`);
    }
  });

  it("reads the options of logs and rollback for those commands", () => {
    const env = { DEPLOY_TAIL: "0", DEPLOY_FOLLOW: "yes", DEPLOY_HOST: "vps-1", DEPLOY_TO: "shop/api:1" };
    expect(envOptions(env, ["tail", "follow", "host"])).toEqual({ tail: 0, follow: true, host: "vps-1" });
    expect(envOptions(env, ["to"])).toEqual({ to: "shop/api:1" });
    expect(() => envOptions({ DEPLOY_TAIL: "-1" }, ["tail"])).toThrow("DEPLOY_TAIL: expected a whole number");
  });

  it("names variables and reads booleans", () => {
    expect(envVariableOf("lock-wait")).toBe("DEPLOY_LOCK_WAIT");
    expect(["1", "yes", "TRUE", "0", "no", "off", ""].map(parseBoolean)).toEqual([
      true,
      true,
      true,
      false,
      false,
      undefined,
      undefined,
    ]);
  });
});

describe("the CLI with DEPLOY_* variables", async () => {
  const dir = await tempDir({
    "deploy/services.yaml": yaml`
      version: 1
      services:
        web:
          repo: https://git.example.com/web.git
    `,
  });
  const manifest = path.join(dir, "deploy", "services.yaml");

  it("ignores DEPLOY_KEY and reads DEPLOY_FILE from its own environment", async () => {
    const result = await cli(["validate"], { DEPLOY_KEY: "x", DEPLOY_FILE: "deploy/services.yaml" }, dir);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(`${manifest}: valid`);
  });

  it("ignores an option of another command (validate has no --concurrency)", async () => {
    const result = await cli(
      ["validate", "-f", manifest],
      { DEPLOY_CONCURRENCY: "2", DEPLOY_JSON: "1" },
      dir,
    );
    expect(result, result.stderr).toMatchObject({ code: 0 });
  });

  it("lets the command line win over the environment", async () => {
    const result = await cli(["validate", "-f", manifest], { DEPLOY_FILE: "missing.yaml" }, dir);
    expect(result, result.stderr).toMatchObject({ code: 0 });
  });

  it("refuses a lock wait past 24h, from the flag or the variable (timers overflow past 24.8 days)", async () => {
    const flag = await cli(["all", "-f", manifest, "--lock-wait", "1000h"], {}, dir);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--lock-wait: must be at most 24h");
    const variable = await cli(["all", "-f", manifest], { DEPLOY_LOCK_WAIT: "1000h" }, dir);
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain("must be at most 24h");
  });

  it("exits 2 naming a variable it cannot read, without its value", async () => {
    const result = await cli(["all", "-f", manifest], { DEPLOY_DRY_RUN: "s3cr3t-ish" }, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("DEPLOY_DRY_RUN");
    expect(result.stderr).not.toContain("s3cr3t-ish");
  });
});
