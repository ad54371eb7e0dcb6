import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/cli.js";
import { cleanupProject, docker, freePort, httpGet } from "./support/docker.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * The repository's Dockerfile, built here and run as its header says: the engine's socket mounted, the project
 * folder as /work. No image can be pulled on this machine, so its BASE is made from this machine's own node, npm,
 * git and npm cache (support/node-git-image.sh), where users get node:20-slim.
 */
const project = projectName("img");
const base = `${project}/node-git:base`;
const image = `${project}/tool:test`;
const workspace = new Workspace();
const { version } = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
};
let baseId: string | undefined;
let repo: Repo;
let work: string;
let port: number;

function sh(command: string, args: string[], timeout = 170_000) {
  const result = spawnSync(command, args, { encoding: "utf8", timeout, cwd: REPO_ROOT });
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

/** `docker run` of the image as the README shows it, in `work`; the repository mounted at its own path. */
function runTool(args: string[], entrypoint?: string) {
  return sh("docker", [
    "run",
    "--rm",
    "--network",
    "host",
    "-v",
    "/var/run/docker.sock:/var/run/docker.sock",
    "-v",
    `${work}:/work`,
    "-v",
    `${repo.dir}:${repo.dir}:ro`,
    "-w",
    "/work",
    ...(entrypoint ? ["--entrypoint", entrypoint] : []),
    image,
    ...args,
  ]);
}

/**
 * Every image descending from the base, the build stage's too (the classic builder keeps them untagged), then
 * the base: removing an image also removes its untagged parents, so the 404s of the others are expected.
 */
async function removeImageTree(rootId: string): Promise<void> {
  const images = await docker.listImages({ all: true });
  const byId = new Map(images.map((info) => [info.Id, info]));
  const chain = (id: string) => {
    const ids: string[] = [];
    for (let info = byId.get(id); info; info = byId.get(info.ParentId)) ids.push(info.Id);
    return ids;
  };
  const ours = images.filter((info) => chain(info.Id).includes(rootId));
  ours.sort((a, b) => chain(b.Id).length - chain(a.Id).length);
  for (const info of ours)
    await docker
      .getImage(info.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

beforeAll(async () => {
  const made = sh("bash", ["test/e2e/support/node-git-image.sh", base]);
  expect(made.status, made.output).toBe(0);
  baseId = (await docker.getImage(base).inspect()).Id;
  const built = sh("docker", ["build", "-q", "--build-arg", `BASE=${base}`, "-t", image, "."]);
  expect(built.status, built.output).toBe(0);

  repo = await makeRepo(httpService(`${project} web v1`));
  port = await freePort();
  work = await workspace.tempDir("deploy-e2e-image-");
  await writeManifest(work, {
    project,
    defaults: e2eDefaults(),
    services: { web: { repo: repo.dir, ports: [`127.0.0.1:${port}:8080`] } },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await docker
    .getImage(image)
    .remove({ force: true })
    .catch(() => undefined);
  if (baseId) await removeImageTree(baseId);
  await repo?.remove();
  await workspace.cleanup();
});

describe("the container image", () => {
  it("runs deploy: --version, and validate on the mounted project", () => {
    const shown = runTool(["--version"]);
    expect(shown.status, shown.output).toBe(0);
    expect(shown.stdout).toBe(`${version}\n`);
    const valid = runTool(["validate"]);
    expect(valid.status, valid.output).toBe(0);
    expect(valid.stdout).toContain(`/work/services.yaml: valid; project ${project}, services: web`);
  });

  it("has git, trusting a mounted repository whoever owns it", () => {
    const result = runTool(["-c", "git --version && git config --system --get-all safe.directory"], "sh");
    expect(result.status, result.output).toBe(0);
    expect(result.stdout).toMatch(/^git version \d/m);
    expect(result.stdout).toMatch(/^\*$/m);
  });

  it("deploys through the mounted socket, health gate included", async () => {
    const result = runTool(["all", "main", "--output", "plain"]);
    expect(result.status, result.output).toBe(0);
    expect(result.stdout).toContain("1 service: 1 succeeded");
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain(`${project} web v1`);
  });
});
