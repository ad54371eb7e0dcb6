import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostReleases } from "../../src/commands/releases.js";
import type { TargetPreview } from "../../src/plan/preview.js";
import { type CliResult, runCli } from "./support/cli.js";
import {
  buildLocalImage,
  cleanupProject,
  docker,
  freePorts,
  httpGet,
  inspectContainer,
} from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * Image services (`image:` instead of `repo:`), as someone runs a database or a vendor's image: no registry is
 * reachable here, so the images are built locally beforehand (pull_policy missing uses them as they are).
 * - web: deployed with a health gate, rerun unchanged, its configuration changed, another image, rolled back;
 * - offline: `pull_policy: always` against a registry that cannot be reached fails clearly in phase build,
 *   although a local copy exists; with `missing` the same copy deploys.
 */
const project = projectName("e2e-img");
const repository = `${project}-local`;
const workspace = new Workspace();
const images = { v1: `${repository}/web:1`, v2: `${repository}/web:2` };
const unreachable = `127.0.0.1:9/${repository}/web:1`;
const ids = { v1: "", v2: "" };
let ports: { web: number; offline: number };
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;

const marker = (version: string) => `${project} web ${version}`;

async function deploy(...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd, env });
}

async function manifest(
  web: Record<string, unknown> = {},
  offline: Record<string, unknown> = {},
  keepImages = 3,
) {
  await writeManifest(cwd, {
    version: 1,
    project,
    keep_images: keepImages,
    defaults: e2eDefaults({ health: { path: "/health", interval: "250ms", timeout: "10s" } }),
    services: {
      web: { image: images.v1, ports: [`127.0.0.1:${ports.web}:8080`], ...web },
      offline: {
        image: unreachable,
        pull_policy: "always",
        ports: [`127.0.0.1:${ports.offline}:8080`],
        ...offline,
      },
    },
  });
}

beforeAll(async () => {
  ids.v1 = await buildLocalImage(images.v1, httpService(marker("v1")));
  ids.v2 = await buildLocalImage(images.v2, httpService(marker("v2")));
  await docker.getImage(images.v1).tag({ repo: unreachable.replace(/:1$/, ""), tag: "1" });
  const [web = 0, offline = 0] = await freePorts(2);
  ports = { web, offline };
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await manifest();
});

afterAll(async () => {
  await cleanupProject(project);
  for (const tag of [...Object.values(images), unreachable]) {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  }
  await workspace.cleanup();
});

describe("an image service from a local image", () => {
  it("`deploy plan` says the local image is deployed as it is, nothing pulled", async () => {
    const result = await deploy("plan", "web", "--json");
    expectExit(result, 0);
    const [web] = (JSON.parse(result.stdout) as { targets: TargetPreview[] }).targets;
    expect(web).toMatchObject({
      service: "web",
      action: "reuse-image",
      image: images.v1,
      commit: null,
      reason: "no container yet: first deploy",
    });
  });

  it("deploys it behind its health gate, tagged by image id, its reference as the branch", async () => {
    const result = await deploy("web");
    expectExit(result, 0);
    expect((await httpGet(`http://127.0.0.1:${ports.web}/`)).body).toContain(marker("v1"));
    const status = await logs.status("web");
    expect(status).toMatchObject({
      state: "succeeded",
      branch: images.v1,
      commit: null,
      image: `${project}/web:${ids.v1.slice(7, 19)}`,
      image_id: ids.v1,
      live_commit: null,
      health_gate: "http",
    });
    const container = await inspectContainer(`${project}-web`);
    expect(container.Image).toBe(ids.v1);
    const log = await logs.log("web");
    expect(log).toContain(`${images.v1} is on the host (image ${ids.v1.slice(7, 19)}): not pulled`);
  });

  it("a rerun with the same image and configuration is unchanged", async () => {
    const before = await inspectContainer(`${project}-web`);
    const result = await deploy("web");
    expectExit(result, 0);
    expect(await logs.status("web")).toMatchObject({
      state: "unchanged",
      reason: `already runs ${images.v1} (image ${ids.v1.slice(7, 19)}) with this configuration`,
    });
    expect((await inspectContainer(`${project}-web`)).Id).toBe(before.Id);
  });

  it("a changed configuration makes the container anew from the same image", async () => {
    await manifest({ environment: { GREETING: "hello" } });
    const result = await deploy("web");
    expectExit(result, 0);
    const container = await inspectContainer(`${project}-web`);
    expect(container.Config.Env).toContain("GREETING=hello");
    expect(container.Image).toBe(ids.v1);
    expect(await logs.log("web")).toContain("recreate: the configuration changed");
  });

  it("another image reference deploys that image", async () => {
    await manifest({ image: images.v2, environment: { GREETING: "hello" } });
    const result = await deploy("web");
    expectExit(result, 0);
    expect((await httpGet(`http://127.0.0.1:${ports.web}/`)).body).toContain(marker("v2"));
    expect(await logs.status("web")).toMatchObject({
      state: "succeeded",
      image_id: ids.v2,
      previous_image_id: ids.v1,
      branch: images.v2,
    });

    const plan = await deploy("plan", "web", "--json");
    expectExit(plan, 0);
    expect((JSON.parse(plan.stdout) as { targets: TargetPreview[] }).targets[0]?.action).toBe("unchanged");
  });

  it("its releases hold the images by id, and rollback puts the previous one back", async () => {
    const listed = await deploy("releases", "web", "--json");
    expectExit(listed, 0);
    const [host] = JSON.parse(listed.stdout) as HostReleases[];
    expect(host?.releases?.map((release) => [release.image_id, release.ref, release.live])).toEqual([
      [ids.v2, images.v2, true],
      [ids.v1, images.v1, false],
      [ids.v1, images.v1, false],
    ]);

    const result = await deploy("rollback", "web");
    expectExit(result, 0);
    expect((await httpGet(`http://127.0.0.1:${ports.web}/`)).body).toContain(marker("v1"));
    expect(await logs.status("web")).toMatchObject({ state: "succeeded", image_id: ids.v1 });
    // The registry tag was never moved: it still names what it named.
    expect((await docker.getImage(images.v2).inspect()).Id).toBe(ids.v2);
  });

  it("retention removes only the tool's tag of an old image, never the registry's", async () => {
    await manifest({ image: images.v2, environment: { GREETING: "hello" } }, {}, 1);
    expectExit(await deploy("web"), 0);
    const tags = async (id: string) => (await docker.getImage(id).inspect()).RepoTags;
    expect(await tags(ids.v1)).not.toContain(`${project}/web:${ids.v1.slice(7, 19)}`);
    expect(await tags(ids.v1)).toContain(images.v1);
    expect(await tags(ids.v2)).toEqual(
      expect.arrayContaining([images.v2, `${project}/web:${ids.v2.slice(7, 19)}`]),
    );
  });
});

describe("pull_policy", () => {
  it("always: a registry that cannot be reached fails in phase build, though a local copy exists", async () => {
    const plan = await deploy("plan", "offline", "--json");
    expectExit(plan, 0);
    expect((JSON.parse(plan.stdout) as { targets: TargetPreview[] }).targets[0]).toMatchObject({
      action: "pull",
      reason: `pull_policy always: ${unreachable} is pulled, then compared with what runs`,
    });

    const result = await deploy("offline");
    expectExit(result, 1);
    const status = await logs.status("offline");
    expect(status).toMatchObject({ state: "failed", error: { phase: "build" } });
    expect(status.error?.message).toContain(`pulling ${unreachable} failed:`);
    expect(status.error?.message).toContain(
      `the host has a copy (image ${ids.v1.slice(7, 19)}), not deployed because pull_policy is always`,
    );
    expect(status.error?.message).toContain("use pull_policy: missing");
    expect(await inspectContainer(`${project}-offline`).catch(() => null)).toBeNull();
  });

  it("missing: the local copy deploys without the registry", async () => {
    await manifest({ image: images.v2, environment: { GREETING: "hello" } }, { pull_policy: "missing" });
    const result = await deploy("offline");
    expectExit(result, 0);
    expect((await httpGet(`http://127.0.0.1:${ports.offline}/`)).body).toContain(marker("v1"));
  });
});
