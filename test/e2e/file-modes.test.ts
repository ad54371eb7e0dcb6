import { chmod, mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { cleanupProject, freePort } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * What a deploy leaves on disk is not world-readable: log, status, summary and metrics files 0640 or
 * stricter (also a log file an older version left 0644), the logs folder it creates 0750, and the repository
 * cache 0700 (an existing one that was 0755 tightened).
 */
const project = projectName("e2e-mode");
const workspace = new Workspace();

let repo: Repo;
let cwd: string;
let env: Record<string, string>;

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

beforeAll(async () => {
  repo = await makeRepo(httpService(`${project} web`));
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: { web: { repo: repo.dir, ports: [`127.0.0.1:${await freePort()}:8080`] } },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe("file modes", () => {
  it("a deploy writes no world-readable file, and keeps the repository cache private", async () => {
    const cache = join(env.XDG_CACHE_HOME ?? "", "deploy-orchestrator");
    await mkdir(cache, { recursive: true });
    await chmod(cache, 0o755);
    const logsDir = join(cwd, "logs");
    const metrics = join(cwd, "metrics", "deploy.prom");

    const result = await runCli(["web", "--metrics-file", metrics], { cwd, env });
    expectExit(result, 0);
    // A log file as an older version left it: the next run tightens it.
    await chmod(join(logsDir, "web.log"), 0o644);
    expectExit(await runCli(["web", "--metrics-file", metrics], { cwd, env }), 0);

    const entries = await readdir(logsDir, { recursive: true, withFileTypes: true });
    const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(files.map((file) => file.slice(logsDir.length + 1)).sort()).toEqual(
      expect.arrayContaining(["last-run.json", "web.log", "web.status.json"]),
    );
    expect(files.some((file) => file.includes("/runs/"))).toBe(true);
    for (const file of [...files, metrics]) {
      expect([file, (await modeOf(file)) & 0o027]).toEqual([file, 0]);
    }
    expect(await modeOf(logsDir)).toBe(0o750);
    expect(await modeOf(join(logsDir, "runs"))).toBe(0o750);
    expect(await modeOf(cache)).toBe(0o700);
  });
});
