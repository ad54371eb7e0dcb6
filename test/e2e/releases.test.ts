import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostReleases } from "../../src/commands/releases.js";
import { imageTag, LABEL } from "../../src/labels.js";
import { type CliResult, runCli } from "./support/cli.js";
import { cleanupProject, docker, freePorts, httpGet, inspectContainer } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { type Files, httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * Releases and rollback (tracker issue 14), as an operator meets them:
 * - chat: v1 → v2 → a branch whose /health answers 404 (rolled back) → `rollback` gives v1, not the failed build;
 *   then `--force-rebuild` of the same commit → `rollback` puts the first image of that commit back, by id;
 * - keeper: retention after several deploys and a failed one keeps exactly the newest `keep_images` releases;
 * - solo: one release only: `rollback` is a clear error and touches nothing;
 * - migrate: a job's rollback needs `--to`.
 */
const project = projectName("e2e-rel");
const workspace = new Workspace();
const SERVICES = ["chat", "keeper", "solo", "migrate"] as const;
type Service = (typeof SERVICES)[number];

const repos = {} as Record<Service, Repo>;
let ports: Record<"chat" | "keeper" | "solo", number>;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;

const marker = (service: Service, version: string) => `${project} ${service} ${version}`;
const url = (service: "chat" | "keeper" | "solo") => `http://127.0.0.1:${ports[service]}/`;
const containerOf = (service: Service) => inspectContainer(`${project}-${service}`);

/** Builds and serves `/`, but its /health answers 404. */
function unhealthyService(version: string): Files {
  const files = httpService(marker("chat", version));
  return {
    ...files,
    Dockerfile: (files.Dockerfile as string).replace(
      "COPY www/ /www/",
      "COPY www/ /www/\nRUN rm /www/health",
    ),
  };
}

/** A job that prints its version and exits 0. */
function jobFiles(version: string): Files {
  return {
    Dockerfile: `FROM busybox:latest\nCMD ["sh", "-c", "echo migrate ${version}"]\n`,
  };
}

async function deploy(...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd, env });
}

async function releases(service: Service): Promise<HostReleases> {
  const result = await deploy("releases", service, "--json");
  expectExit(result, 0);
  const [host] = JSON.parse(result.stdout) as HostReleases[];
  return host as HostReleases;
}

async function imagesOf(service: Service): Promise<Array<{ id: string; tags: string[] }>> {
  const images = await docker.listImages({
    filters: { label: [`${LABEL.project}=${project}`, `${LABEL.service}=${service}`] },
  });
  return images.map((image) => ({
    id: image.Id,
    tags: (image.RepoTags ?? []).filter((tag) => tag !== "<none>:<none>"),
  }));
}

beforeAll(async () => {
  repos.chat = await makeRepo(httpService(marker("chat", "v1")));
  repos.keeper = await makeRepo(httpService(marker("keeper", "1")));
  repos.solo = await makeRepo(httpService(marker("solo", "1")));
  repos.migrate = await makeRepo(jobFiles("1"));
  const free = await freePorts(3);
  ports = { chat: free[0] as number, keeper: free[1] as number, solo: free[2] as number };
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  const service = (name: "chat" | "keeper" | "solo") => ({
    repo: repos[name].dir,
    ports: [`127.0.0.1:${ports[name]}:8080`],
  });
  await writeManifest(cwd, {
    version: 1,
    project,
    keep_images: 2,
    defaults: e2eDefaults({ health: { path: "/health", interval: "250ms", timeout: "5s" } }),
    services: {
      chat: service("chat"),
      keeper: service("keeper"),
      solo: service("solo"),
      migrate: { repo: repos.migrate.dir, kind: "job", health: { running: "1s" } },
    },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([...Object.values(repos).map((repo) => repo.remove()), workspace.cleanup()]);
});

describe("rollback after a failed deploy", () => {
  let v1: string;
  let v2: string;

  it("v1, then v2, then a branch that fails its gate and is rolled back", async () => {
    v1 = await repos.chat.head();
    expectExit(await deploy("chat"), 0);
    v2 = await repos.chat.commit(httpService(marker("chat", "v2")), "v2");
    expectExit(await deploy("chat"), 0);
    expect((await httpGet(url("chat"))).body).toContain(marker("chat", "v2"));

    await repos.chat.branch("unhealthy", unhealthyService("broken"));
    const failed = await deploy("chat", "unhealthy");
    expectExit(failed, 1);
    expect(await logs.status("chat")).toMatchObject({ state: "rolled_back", live_commit: v2 });
    expect((await httpGet(url("chat"))).body).toContain(marker("chat", "v2"));
  });

  it("lists the two releases that passed, v2 live, the failed build not among them", async () => {
    const listed = await releases("chat");
    expect(listed.releases?.map((r) => [r.commit, r.live, r.ref])).toEqual([
      [v2, true, "main"],
      [v1, false, "main"],
    ]);
    // The table says the same for people.
    const table = await deploy("releases", "chat");
    expectExit(table, 0);
    expect(table.stdout).toMatch(new RegExp(`^\\*\\s+\\d+s ago\\s+${imageTag(project, "chat", v2)}`, "m"));
  });

  it("the history lives on the host: a deployer without the logs folder sees it too", async () => {
    await rm(join(cwd, "logs"), { recursive: true, force: true });
    expect((await releases("chat")).releases).toHaveLength(2);
  });

  it("`rollback` puts v1 back, not the failed build", async () => {
    const result = await deploy("rollback", "chat");
    expectExit(result, 0);
    expect((await httpGet(url("chat"))).body).toContain(marker("chat", "v1"));
    const status = await logs.status("chat");
    expect(status).toMatchObject({
      state: "succeeded",
      commit: v1,
      image: imageTag(project, "chat", v1),
      live_commit: v1,
      previous_image: imageTag(project, "chat", v2),
    });
    // The rollback is itself a release: live now, and rolling back again would go to v2.
    const listed = await releases("chat");
    expect(listed.releases?.[0]).toMatchObject({ commit: v1, live: true, run_id: status.run_id });
  });

  it("`--force-rebuild` of the same commit, then `rollback`: the first image of that commit, by id", async () => {
    expectExit(await deploy("chat"), 0); // back to v2
    const before = await containerOf("chat");
    const rebuilt = await deploy("chat", "--force-rebuild");
    expectExit(rebuilt, 0);
    const after = await containerOf("chat");
    expect(after.Image).not.toBe(before.Image);
    const status = await logs.status("chat");
    // previous_image alone is the same tag: its id tells the two builds apart.
    expect(status).toMatchObject({ previous_image_id: before.Image, image_id: after.Image });

    const result = await deploy("rollback", "chat");
    expectExit(result, 0);
    const back = await containerOf("chat");
    expect(back.Image, result.output).toBe(before.Image);
    expect(back.Config.Image).toBe(imageTag(project, "chat", v2));
    expect((await httpGet(url("chat"))).body).toContain(marker("chat", "v2"));
    // Retention worked through the untagged image without a failure.
    expect(await logs.log("chat")).not.toMatch(/pruning old images failed/);
  });

  it("`--to` takes an abbreviated image id; the rebuilt commit alone is ambiguous", async () => {
    const ambiguous = await deploy("rollback", "chat", "--to", v2.slice(0, 8));
    expectExit(ambiguous, 1);
    expect(ambiguous.output).toContain("matches several releases");
    const rebuilt = (await releases("chat")).releases?.find((r) => !r.live && r.commit === v2);
    const result = await deploy("rollback", "chat", "--to", (rebuilt?.image_id ?? "").slice(7, 17));
    expectExit(result, 0);
    expect((await containerOf("chat")).Image).toBe(rebuilt?.image_id);
    // keep_images: 2 — v1's image went when the rebuild made two newer releases.
    expect((await releases("chat")).releases?.map((r) => r.commit)).not.toContain(v1);
  });

  it("`--to` naming no release is a clear error that touches nothing", async () => {
    const before = await containerOf("chat");
    const result = await deploy("rollback", "chat", "--to", "deadbeef");
    expectExit(result, 1);
    expect(result.output).toContain('no release matches "deadbeef"');
    expect((await containerOf("chat")).Id).toBe(before.Id);
  });
});

describe("retention", () => {
  it("keeps exactly the newest keep_images releases, removes failed builds first", async () => {
    const commits = [await repos.keeper.head()];
    expectExit(await deploy("keeper"), 0);
    for (const version of ["2", "3"]) {
      commits.push(await repos.keeper.commit(httpService(marker("keeper", version)), `keeper ${version}`));
      expectExit(await deploy("keeper"), 0);
    }
    // A build that fails its gate: its image exists, and is no release.
    await repos.keeper.branch("bad", {
      Dockerfile: (httpService(marker("keeper", "bad")).Dockerfile as string).replace(
        "COPY www/ /www/",
        "COPY www/ /www/\nRUN rm /www/health",
      ),
    });
    expectExit(await deploy("keeper", "bad"), 1);
    commits.push(await repos.keeper.commit(httpService(marker("keeper", "4")), "keeper 4"));
    const last = await deploy("keeper");
    expectExit(last, 0);

    const images = await imagesOf("keeper");
    const tags = images.flatMap((image) => image.tags).sort();
    expect(tags, await logs.log("keeper")).toEqual(
      [commits[2], commits[3]].map((c) => imageTag(project, "keeper", c as string)).sort(),
    );
    const listed = await releases("keeper");
    expect(listed.releases?.map((r) => r.commit)).toEqual([commits[3], commits[2]]);
    expect(await logs.log("keeper")).not.toMatch(/pruning old images failed/);
    // `status` counts what is kept.
    const status = await deploy("status", "keeper", "--json");
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ releases: 2, healthy: true });
  });
});

describe("no earlier release", () => {
  it("`rollback` of a service deployed once fails clearly and touches nothing", async () => {
    expectExit(await deploy("solo"), 0);
    const before = await containerOf("solo");
    const result = await deploy("rollback", "solo");
    expectExit(result, 1);
    expect(result.output).toMatch(/cannot roll back solo on host local: no earlier release/);
    const after = await containerOf("solo");
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(await logs.status("solo")).toMatchObject({ state: "failed", error: { phase: "deploy" } });
  });
});

describe("jobs", () => {
  it("record releases; rolling one back reruns it only with --to", async () => {
    const first = await repos.migrate.head();
    expectExit(await deploy("migrate"), 0);
    await repos.migrate.commit(jobFiles("2"), "migrate 2");
    expectExit(await deploy("migrate"), 0);
    expect((await releases("migrate")).releases).toHaveLength(2);

    const refused = await deploy("rollback", "migrate");
    expectExit(refused, 1);
    expect(refused.output).toMatch(/is a job: rolling it back reruns it, so name a release with --to/);

    const rerun = await deploy("rollback", "migrate", "--to", first.slice(0, 8));
    expectExit(rerun, 0);
    const container = await containerOf("migrate");
    expect(container.Config.Labels?.[LABEL.commit]).toBe(first);
    expect(container.State.ExitCode).toBe(0);
  });
});
