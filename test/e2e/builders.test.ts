import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/labels.js";
import { buildStepLines, lastRunSection } from "./support/background.js";
import { runCli } from "./support/cli.js";
import { cleanupProject, freePorts, httpGet, inspectContainer, inspectImage } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * Both of the engine's builders, on one service built from its last stage and one built for a `target`
 * stage: first the classic builder (`builder: classic`), then BuildKit (the default) with --force-rebuild.
 * Either way the image carries the tool's labels and the container answers.
 */
const project = projectName();
const workspace = new Workspace();
let repo: Repo;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let ports: number[];
const SERVICES = ["plain", "staged"] as const;

async function deploy(builder: string | undefined, ...args: string[]) {
  const [plainPort, stagedPort] = ports;
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    hosts: { local: builder ? { builder } : {} },
    services: {
      plain: { repo: repo.dir, ports: [`127.0.0.1:${plainPort}:8080`] },
      staged: {
        repo: repo.dir,
        dockerfile: "Staged.Dockerfile",
        target: "runtime",
        ports: [`127.0.0.1:${stagedPort}:8080`],
      },
    },
  });
  return runCli(["all", ...args], { cwd, env });
}

/** The image of the service's running container, its labels, and the service's log of the last run. */
async function deployed(service: string) {
  const container = await inspectContainer(`${project}-${service}`);
  const image = await inspectImage(container.Config.Image);
  const log = lastRunSection(await logs.log(service));
  return { labels: image.Config.Labels ?? {}, log };
}

beforeAll(async () => {
  const files = httpService(`${project} builders`);
  repo = await makeRepo({
    ...files,
    // Sent to neither builder (the context is filtered on its way from git), but for the exception.
    ".dockerignore": "README.md\nwww/secret.txt\nwww/logs\n!www/logs/keep.txt\n",
    "www/secret.txt": "not for the image\n",
    "www/logs/debug.txt": "not for the image\n",
    "www/logs/keep.txt": "kept\n",
    // Two stages after the one built: neither may end up in the image of `target: runtime`.
    "Staged.Dockerfile": [
      "FROM busybox:latest AS runtime",
      "COPY www/ /www/",
      'RUN echo "stage runtime" > /www/stage',
      // busybox httpd ignores SIGTERM as PID 1: without this, replacing it waits out the stop timeout.
      "STOPSIGNAL SIGKILL",
      'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
      "FROM runtime AS debug",
      'RUN echo "stage debug" > /www/stage',
      "",
    ].join("\n"),
  });
  ports = await freePorts(2);
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe("image builders", () => {
  it("builds with the classic builder when the host asks for it", async () => {
    const result = await deploy("classic");
    expectExit(result, 0);
    for (const service of SERVICES) {
      const { labels, log } = await deployed(service);
      expect(log, service).toContain("with the classic builder");
      expect(
        buildStepLines(log).some((line) => /Step 1\/\d+ : FROM busybox:latest/.test(line)),
        service,
      ).toBe(true);
      expect(labels).toMatchObject({
        [LABEL.service]: service,
        [LABEL.commit]: await repo.head(),
        [LABEL.project]: project,
      });
    }
    expect((await httpGet(`http://127.0.0.1:${ports[1]}/stage`)).body).toBe("stage runtime\n");
    await expectDockerignoreHonoured();
  });

  it("builds with BuildKit by default, labels included", async () => {
    const runIds = Object.fromEntries(
      await Promise.all(
        SERVICES.map(async (service) => [service, (await deployed(service)).labels[LABEL.runId]]),
      ),
    );
    const result = await deploy(undefined, "--force-rebuild");
    expectExit(result, 0);
    for (const service of SERVICES) {
      const { labels, log } = await deployed(service);
      expect(log, service).toContain("with BuildKit without cache");
      // Some step lines, in BuildKit's form. Not every step: BuildKit runs a step two concurrent builds share
      // once, and may report it in only one of their streams.
      expect(buildStepLines(log), log).toEqual(
        expect.arrayContaining([expect.stringMatching(/\[build\] \[\S* ?\d\/\d\] /)]),
      );
      expect(labels).toMatchObject({ [LABEL.service]: service, [LABEL.commit]: await repo.head() });
      // A new image from this run, not the classic builder's.
      expect(labels[LABEL.runId], service).not.toBe(runIds[service]);
      expect((await httpGet(`http://127.0.0.1:${ports[SERVICES.indexOf(service)]}/`)).body).toContain(
        `${project} builders`,
      );
    }
    expect((await httpGet(`http://127.0.0.1:${ports[1]}/stage`)).body).toBe("stage runtime\n");
    expect((await httpGet(`http://127.0.0.1:${ports[0]}/stage`)).status).toBe(404);
    await expectDockerignoreHonoured();
  });
});

/** What `.dockerignore` leaves out is not in either service's image; its `!` exception is. */
async function expectDockerignoreHonoured() {
  for (const port of ports) {
    expect((await httpGet(`http://127.0.0.1:${port}/secret.txt`)).status).toBe(404);
    expect((await httpGet(`http://127.0.0.1:${port}/logs/debug.txt`)).status).toBe(404);
    expect((await httpGet(`http://127.0.0.1:${port}/logs/keep.txt`)).body).toBe("kept\n");
  }
}
