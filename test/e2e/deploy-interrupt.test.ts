import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asideNamePrefix, containerName, imageTag, LABEL } from "../../src/labels.js";
import { startCli, waitForState } from "./support/background.js";
import { runCli } from "./support/cli.js";
import { cleanupProject, docker, freePort, httpGet, inspectContainer } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * SIGINT in the middle of a deploy of an already-deployed service: once during the build of a new commit,
 * once while the new container is being health-checked. Either way the process exits 130 and the previous
 * version is left serving under the service's name.
 */
const project = projectName("e2e-int");
const workspace = new Workspace();
const SERVICE = "web";
/** In the slow build step, so the engine's build cache of an earlier run never makes it quick. */
const nonce = randomBytes(4).toString("hex");
const NAME = containerName(project, SERVICE);

let repo: Repo;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let port: number;
let v1: { commit: string; image: string; id: string; startedAt: string };

const marker = (version: string) => `${project} web ${version}`;

beforeAll(async () => {
  repo = await makeRepo(httpService(marker("v1")));
  port = await freePort();
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: {
      [SERVICE]: {
        repo: repo.dir,
        ports: [`127.0.0.1:${port}:8080`],
        health: { path: "/health", interval: "250ms", timeout: "30s" },
      },
    },
  });
  const result = await runCli([SERVICE], { cwd, env });
  expectExit(result, 0);
  const commit = await repo.head();
  const container = await inspectContainer(NAME);
  v1 = {
    commit,
    image: imageTag(project, SERVICE, commit),
    id: container.Id,
    startedAt: container.State.StartedAt,
  };
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

/** v1 serves, from its own container, under the service's name, and nothing is left renamed aside. */
async function expectV1Serving(output: string): Promise<void> {
  const response = await httpGet(`http://127.0.0.1:${port}/`);
  expect(response.status, output).toBe(200);
  expect(response.body, output).toContain(marker("v1"));
  const container = await inspectContainer(NAME);
  expect(container.Id, output).toBe(v1.id);
  expect(container.State.Running, output).toBe(true);
  expect(container.Config.Image).toBe(v1.image);
  // The service's containers (release records carry no service label).
  const all = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL.project}=${project}`, `${LABEL.service}=${SERVICE}`] },
  });
  const names = all.flatMap((c) => c.Names.map((name) => name.replace(/^\//, "")));
  expect(names, output).toEqual([NAME]);
  expect(names.filter((name) => name.startsWith(asideNamePrefix(NAME)))).toEqual([]);
}

describe("SIGINT", () => {
  it("during a build: exits 130, the running version untouched", async () => {
    await repo.commit(httpService(marker("v2"), [`RUN echo "slow build ${nonce}" && sleep 8`]), "slow build");
    const cli = startCli([SERVICE], { cwd, env });
    const building = await waitForState(logs, SERVICE, "building", cli);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expectExit(result, 130);
    expect(result.stderr, result.output).toMatch(/SIGINT/);

    await expectV1Serving(result.output);
    // Not even restarted.
    expect((await inspectContainer(NAME)).State.StartedAt).toBe(v1.startedAt);
    const status = await logs.status(SERVICE);
    expect(status.run_id).toBe(building.run_id);
    expect(status.state, result.output).toBe("failed");
    expect(status.error?.phase, result.output).toBe("interrupted");
    const last = await logs.lastRun();
    expect(last.run_id).toBe(building.run_id);
    expect(last.exit_code).toBe(130);
    expect(last.services.map((s) => [s.service, s.state])).toEqual([[SERVICE, "failed"]]);
  });

  it("during a replace: exits 130, the previous container back under its name", async () => {
    // Answers /health only 6 s after it starts: the replace is caught while the new container is checked.
    await repo.commit(
      {
        ...httpService(marker("v3")),
        Dockerfile: [
          "FROM busybox:latest",
          "COPY www/ /www/",
          "EXPOSE 8080",
          "STOPSIGNAL SIGKILL",
          `CMD ["sh", "-c", "sleep 6; httpd -f -v -p 8080 -h /www"]`,
          "",
        ].join("\n"),
      },
      "slow start",
    );
    const cli = startCli([SERVICE], { cwd, env });
    const checking = await waitForState(logs, SERVICE, "checking", cli);
    // The new container exists and the old one is stopped and aside: the moment a replace is most fragile.
    expect(checking.container_id).toBeTruthy();
    expect(checking.container_id && v1.id.startsWith(checking.container_id)).toBe(false);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expectExit(result, 130);

    await expectV1Serving(result.output);
    const status = await logs.status(SERVICE);
    expect(status.run_id).toBe(checking.run_id);
    expect(status.state, result.output).toBe("rolled_back");
    expect(status.error?.phase, result.output).toBe("interrupted");
    expect(status.live_image).toBe(v1.image);
    expect(status.live_commit).toBe(v1.commit);
    // The new container was removed.
    const gone = await docker.listContainers({ all: true, filters: { id: [checking.container_id ?? "-"] } });
    expect(gone, result.output).toEqual([]);
    expect((await logs.lastRun()).exit_code).toBe(130);
  });
});
