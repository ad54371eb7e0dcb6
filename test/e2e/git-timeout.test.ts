import { access } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CliResult, runCli, spawnCli } from "./support/cli.js";
import { cleanupProject, freePort, httpGet } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";
import { type SilentServer, silentServer } from "./support/silent-server.js";

/**
 * Two services whose git servers accept the connection and never answer (git:// and http:// with a token in
 * the URL), beside a healthy one: each hung service fails in phase git at its git_timeout, the healthy one
 * deploys, the run ends (exit 1), and the token is nowhere.
 */
const project = projectName();
const workspace = new Workspace();
const TOKEN = "SECRET-TOKEN-3c9f";

let repo: Repo;
let server: SilentServer;
let logs: LogsDir;
let port: number;
let result: CliResult;
let elapsedMs: number;

beforeAll(async () => {
  repo = await makeRepo(httpService(`${project} healthy`));
  server = await silentServer();
  port = await freePort();
  const cwd = await workspace.tempDir();
  logs = new LogsDir(join(cwd, "logs"));
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults({ git_timeout: "2s" }),
    services: {
      healthy: { repo: repo.dir, ports: [`127.0.0.1:${port}:8080`] },
      "hung-git": { repo: `git://127.0.0.1:${server.port}/acme/api.git`, health: false },
      "hung-http": {
        repo: `http://deploy:${TOKEN}@127.0.0.1:${server.port}/acme/web.git`,
        git_timeout: "3s",
        health: false,
      },
    },
  });
  const started = Date.now();
  result = await runCli(["all", "--output", "plain"], {
    cwd,
    env: await workspace.cliEnv(),
    timeoutMs: 90_000,
  });
  elapsedMs = Date.now() - started;
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), server?.close(), workspace.cleanup()]);
});

describe("a git server that never answers", () => {
  it("fails that service at its git_timeout while the others deploy; the run ends with exit 1", async () => {
    expectExit(result, 1);
    expect(server.connections()).toBeGreaterThanOrEqual(2);
    expect(elapsedMs).toBeLessThan(60_000);
    const response = await httpGet(`http://127.0.0.1:${port}/`);
    expect(response.body).toContain(`${project} healthy`);
    expect(await logs.status("healthy")).toMatchObject({ state: "succeeded" });
  });

  it("names the URL (user info hidden) and the deadline", async () => {
    const git = await logs.status("hung-git");
    expect(git).toMatchObject({ state: "failed", error: { phase: "git" } });
    expect(git.error?.message).toBe(
      `looking up main in git://127.0.0.1:${server.port}/acme/api.git failed: no answer within 2s (git_timeout)`,
    );
    const http = await logs.status("hung-http");
    expect(http).toMatchObject({ state: "failed", error: { phase: "git" } });
    // The cache hides the user info as `***`; the files' own masking then writes it as [REDACTED].
    expect(http.error?.message).toBe(
      `looking up main in http://[REDACTED]@127.0.0.1:${server.port}/acme/web.git failed: no answer within 3s (git_timeout)`,
    );
    expect(result.output).toContain("no answer within 3s (git_timeout)");
  });

  it("never shows the token in the URL, in output or in files", async () => {
    expect(result.output).not.toContain(TOKEN);
    for (const file of await logs.allFiles()) expect(file.content, file.path).not.toContain(TOKEN);
  });
});

describe("a deploy that finds its project locked", () => {
  it("exits 3 without waiting for the fetch it started while asking for the lock", async () => {
    const locked = projectName();
    const cwd = await workspace.tempDir();
    await writeManifest(cwd, {
      version: 1,
      project: locked,
      // Far longer than the refused run may take: waiting for this fetch would fail the run's own deadline.
      defaults: e2eDefaults({ git_timeout: "60s" }),
      services: { hung: { repo: `git://127.0.0.1:${server.port}/acme/locked.git`, health: false } },
    });
    const env = await workspace.cliEnv();
    // Holds the project's lock while its own fetch hangs.
    const holder = spawnCli(["all"], { cwd, env, timeoutMs: 90_000 }, (child) => child.kill("SIGKILL"));
    await vi.waitFor(() => access(join(cwd, `.${locked}.deploy.lock.json`)), { timeout: 20_000 });
    const refused = await runCli(["all"], { cwd, env, timeoutMs: 20_000 });
    expectExit(refused, 3);
    expect(refused.stderr).toContain(`another deploy of project ${locked} is running`);
    holder.child.kill("SIGINT");
    expect((await holder.done).code).toBe(130);
  });
});
