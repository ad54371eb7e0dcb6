import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, cleanEnv, REPO_ROOT } from "./support/cli.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * A user outside the docker group runs a deploy: the error says what to do about it (join the group, or run
 * as root), not "is dockerd running?". Run as `nobody` through setpriv, so only where the tests run as root.
 */
const workspace = new Workspace();
let repo: Repo | undefined;
const canDropPrivileges = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");

/** Folders above the checkout that `nobody` could not enter (a CI clone under a 0700 mktemp folder), as they were. */
const opened: Array<{ dir: string; mode: number }> = [];

/** Lets `nobody` reach the built CLI: adds o+x to each folder above it that lacks it, until afterAll. */
async function letNobodyReachTheCli(): Promise<void> {
  for (let dir = REPO_ROOT; dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      opened.push({ dir, mode: mode & 0o7777 });
      await chmod(dir, (mode & 0o7777) | 0o001);
    }
  }
}

afterAll(async () => {
  for (const { dir, mode } of opened.reverse()) await chmod(dir, mode).catch(() => undefined);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe.runIf(canDropPrivileges)("as a user without access to the Docker socket", () => {
  it("plan and deploy fail in phase connect, naming the docker group", async () => {
    await letNobodyReachTheCli();
    repo = await makeRepo(httpService("permission"));
    const cwd = await workspace.tempDir();
    await chmod(cwd, 0o777); // nobody writes the lock, the logs and its cache here
    await writeManifest(cwd, {
      version: 1,
      project: projectName("e2e-perm"),
      defaults: e2eDefaults(),
      // Never started: the connection fails first.
      services: { web: { repo: repo.dir, ports: ["127.0.0.1:1:8080"] } },
    });
    const env = {
      ...cleanEnv(),
      NO_COLOR: "1",
      HOME: cwd,
      XDG_CACHE_HOME: join(cwd, "cache"),
      DOCKER_HOST: "",
    };
    const asNobody = (...args: string[]) =>
      promisify(execFile)(
        "setpriv",
        ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, CLI, ...args],
        { cwd, env },
      ).then(
        (out) => ({ code: 0, output: out.stdout + out.stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          output: error.stdout + error.stderr,
        }),
      );
    for (const args of [["plan", "web"], ["web"]]) {
      const result = await asNobody(...args);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toContain("permission denied on /var/run/docker.sock");
      expect(result.output).toMatch(/add this user to the docker group \(sudo usermod -aG docker \$USER/);
      expect(result.output).not.toMatch(/is dockerd running/);
    }
  });
});
