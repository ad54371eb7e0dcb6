import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCache } from "../../src/launcher/code-cache.js";
import { runCli } from "./support/cli.js";

/**
 * The `deploy` command as installed (dist/cli.js) keeps V8's compiled code in the user's cache folder: written
 * by a command's first run, used untouched by the next ones, written again when damaged, and only a cache: the
 * output is the same with it, without it, and with a damaged one.
 */
const home = mkdtempSync(join(tmpdir(), "e2e-compile-cache-"));
const cacheDir = join(home, "deploy-orchestrator", "code-cache");
const env = { XDG_CACHE_HOME: home };
const cwd = home;
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The cache files of one command, by name. */
const filesOf = (bucket: string) => readdirSync(cacheDir).filter((file) => file.split(".")[2] === bucket);

describe("the compile cache", () => {
  it("is written by a command's first run, in a private folder, and changes nothing in the output", async () => {
    const uncached = await runCli(["--help"], { cwd, env: { ...env, NODE_DISABLE_COMPILE_CACHE: "1" } });
    expect(() => statSync(cacheDir)).toThrow(); // disabled: nothing written
    const first = await runCli(["--help"], { cwd, env });
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toBe(uncached.stdout);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const [file] = filesOf("help");
    expect(file, readdirSync(cacheDir).join(", ")).toMatch(
      /^deploy\.[0-9a-f]{16}\.help\.v\d+\.\d+\.\d+-\w+\.v8$/,
    );
    const path = join(cacheDir, file as string);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readCache(path)?.length).toBeGreaterThan(100_000);
  });

  it("is used as it is by the next run: V8 accepted it, so it is not written again", async () => {
    const path = join(cacheDir, filesOf("help")[0] as string);
    const before = statSync(path);
    const again = await runCli(["--help"], { cwd, env });
    expect(again.code, again.output).toBe(0);
    const after = statSync(path);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it("is written again when damaged, and the damaged one does not change the run", async () => {
    const path = join(cacheDir, filesOf("help")[0] as string);
    const content = readFileSync(path);
    content.fill(0x5a, content.length - 4096);
    writeFileSync(path, content);
    expect(readCache(path)).toBeUndefined();
    const run = await runCli(["--help"], { cwd, env });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("deploy <services> [branch]");
    expect(readCache(path)).toBeDefined();
  });

  it("keeps one cache per command, and removes another build's files once they are a week old", async () => {
    mkdirSync(cacheDir, { recursive: true });
    const weekOld = join(cacheDir, `deploy.00000000deadbeef.plan.${process.version}-${process.arch}.v8`);
    const recent = join(cacheDir, `deploy.00000000cafef00d.plan.${process.version}-${process.arch}.v8`);
    writeFileSync(weekOld, "old build");
    writeFileSync(recent, "another install");
    const eightDaysAgo = Date.now() / 1000 - 8 * 24 * 3600;
    utimesSync(weekOld, eightDaysAgo, eightDaysAgo);

    const run = await runCli(["validate", "-f", "missing.yaml"], { cwd, env });
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain("missing.yaml");
    expect(filesOf("validate")).toHaveLength(1);
    expect(filesOf("help")).toHaveLength(1);
    expect(() => statSync(weekOld)).toThrow();
    expect(statSync(recent).isFile()).toBe(true);
  });
});
