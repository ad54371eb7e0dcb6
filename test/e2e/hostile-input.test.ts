import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import type { Io } from "../../src/io.js";
import { main } from "../../src/main.js";
import { freePort } from "./support/docker.js";
import { writeManifest } from "./support/manifest.js";

/**
 * Manifests and arguments written to make git run something (an abbreviated --upload-pack, ext::, an ssh
 * host that is an option, a branch that is an option, through `${VAR}` or the command line) or to leak a
 * token. `validate`, `plan` and `deploy --dry-run` run in process on each: exit 2 (or a clean failure), no
 * marker file anywhere, no secret in the output.
 */
const TOKEN = "SECRET-TOKEN-91ab";
// Made now, not in beforeAll: the cases below name the marker's path.
const cwd = mkdtempSync(join(tmpdir(), "deploy-e2e-hostile-"));
const cacheHome = join(cwd, "cache");
const marker = join(cwd, "marker");
mkdirSync(join(cwd, "repo"));
mkdirSync(cacheHome);
/** `${NAME}` in a manifest. */
const fromEnv = (name: string) => `\${${name}}`;

/** Runs the CLI in this process; its output as text. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  let output = "";
  const sink = () => {
    const stream = new PassThrough();
    stream.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    return stream;
  };
  const io: Io = {
    stdout: sink(),
    stderr: sink(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: cacheHome, ...env },
    cwd,
  };
  const code = await main(args, io);
  return { code, output };
}

/** Files named like the marker anywhere it could land: its folder (holding the repository cache), this process's cwd. */
async function markers(): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(cwd, { recursive: true, withFileTypes: true })) {
    if (entry.name === "marker") found.push(join(entry.parentPath, entry.name));
  }
  if (existsSync(join(process.cwd(), "marker"))) found.push(join(process.cwd(), "marker"));
  return found;
}

afterAll(() => rm(cwd, { recursive: true, force: true }));

interface Case {
  name: string;
  repo?: string;
  branch?: string;
  /** The `[branch]` argument of plan and deploy (validate takes none). */
  ref?: string[];
  env?: NodeJS.ProcessEnv;
}

const cases: Case[] = [
  { name: "a repo starting with -", repo: "-x" },
  { name: "the issue's abbreviated --upload-pack", repo: "--upload-pac=x@y:;touch marker;" },
  { name: "an abbreviated --upload-pack to an absolute marker", repo: `--upload-pac=x@y:;touch ${marker};` },
  {
    name: "--upload-pack through a variable",
    repo: fromEnv("HOSTILE"),
    env: { HOSTILE: "--upload-pac=x@y:;touch marker;" },
  },
  { name: "ext:: runs a command", repo: `ext::sh -c touch% ${marker}` },
  { name: "fd:: transport", repo: "fd::0" },
  { name: "an ssh host that is an option", repo: `ssh://-oProxyCommand=touch%20${marker}/x.git` },
  { name: "an scp-like host that is an option", repo: "git@-oProxyCommand=touch%20marker:x.git" },
  { name: "a branch that is an option", branch: `--output=${marker}` },
  {
    name: "a branch that is an option, through a variable",
    branch: fromEnv("REF"),
    env: { REF: `--output=${marker}` },
  },
  { name: "a branch with ..", branch: "main..other" },
  { name: "a branch with @{", branch: "main@{1}" },
  { name: "a branch with a space", branch: "main other" },
  { name: "a branch with a control character", branch: "main\u0007" },
  { name: "a ref argument starting with -", ref: ["--", `--output=${marker}`] },
  { name: "a ref argument -x", ref: ["--", "-x"] },
  { name: "a ref argument with ..", ref: ["main..other"] },
  { name: "a ref argument with @{", ref: ["main@{1}"] },
  { name: "a ref argument with a space", ref: ["main other"] },
  { name: "a ref argument with a control character", ref: ["main\u001b"] },
];

describe("hostile manifests and arguments", () => {
  it.each(cases)("$name: exit 2, nothing run", async (c) => {
    await writeManifest(cwd, {
      services: {
        api: { repo: c.repo ?? "./repo", ...(c.branch ? { branch: c.branch } : {}), health: false },
      },
    });
    const commands = [
      ...(c.ref ? [] : [["validate"]]),
      ["plan", "all", ...(c.ref ?? [])],
      ["all", "--dry-run", ...(c.ref ?? [])],
    ];
    for (const args of commands) {
      const { code, output } = await run(args, c.env);
      expect(code, `deploy ${args.join(" ")}\n${output}`).toBe(2);
      for (const value of Object.values(c.env ?? {})) expect(output).not.toContain(value);
    }
    expect(await markers()).toEqual([]);
  });

  it("a token in a repo URL: validate passes, plan fails cleanly, the token is never shown", async () => {
    const port = await freePort();
    await writeManifest(cwd, {
      services: {
        api: { repo: `https://x-access-token:${TOKEN}@127.0.0.1:${port}/acme/api.git`, health: false },
      },
    });
    const expected: Array<[string[], number]> = [
      [["validate"], 0],
      [["plan", "all"], 1],
      [["all", "--dry-run"], 1],
    ];
    for (const [args, exit] of expected) {
      const { code, output } = await run(args);
      expect(code, `deploy ${args.join(" ")}\n${output}`).toBe(exit);
      expect(output).not.toContain(TOKEN);
      if (exit === 1) expect(output).toContain(`https://[REDACTED]@127.0.0.1:${port}/acme/api.git`);
    }
    await rm(join(cwd, "services.yaml"));
  });
});
