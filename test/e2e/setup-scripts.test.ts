import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/cli.js";
import { Workspace } from "./support/manifest.js";

/**
 * scripts/engine.sh on a machine whose engine answers elsewhere than the default socket (rootless Docker, a
 * remote DOCKER_HOST): it must use that engine and start no dockerd. Its paths are moved to a temp folder
 * (ENGINE_SOCKET, ENGINE_RUN_DIR, ENGINE_LOG), and `dockerd` on PATH is a stand-in that records being started,
 * so nothing of this machine's own engine is touched whatever the script does.
 */
const workspace = new Workspace();
let dir: string;
let started: string;

function ensure(dockerHost: string) {
  return spawnSync("bash", [join(REPO_ROOT, "scripts/engine.sh"), "ensure"], {
    encoding: "utf8",
    timeout: 90_000,
    env: {
      ...process.env,
      PATH: `${join(dir, "bin")}:${process.env.PATH}`,
      DOCKER_HOST: dockerHost,
      ENGINE_SOCKET: join(dir, "nothing.sock"),
      ENGINE_RUN_DIR: join(dir, "run"),
      ENGINE_LOG: join(dir, "dockerd.log"),
    },
  });
}

beforeAll(async () => {
  dir = await workspace.tempDir("deploy-e2e-engine-");
  started = join(dir, "dockerd-started");
  await mkdir(join(dir, "bin"));
  await mkdir(join(dir, "run"));
  const fake = join(dir, "bin", "dockerd");
  await writeFile(fake, `#!/bin/sh\necho "$@" > ${started}\nexit 1\n`);
  await chmod(fake, 0o755);
});

afterAll(() => workspace.cleanup());

describe("scripts/engine.sh ensure", () => {
  it("uses an engine that answers at DOCKER_HOST and starts no other", () => {
    const result = ensure("unix:///var/run/docker.sock");
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(started)).toBe(false);
    expect(existsSync(join(dir, "run", "deploy-started-engine"))).toBe(false);
  });

  it("starts dockerd when no engine answers anywhere (the stand-in is what it starts)", () => {
    const result = ensure(`unix://${join(dir, "nothing.sock")}`);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("exited during start-up");
    expect(existsSync(started)).toBe(true);
  });
});
