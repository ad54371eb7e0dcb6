import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/labels.js";
import { REPO_ROOT, runCli } from "./support/cli.js";
import { httpGet } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";
import { getInside, type TestHost } from "./support/ssh-host.js";

/**
 * Deploys to a real two-node Swarm (scripts/test-swarm.sh): a manager engine beside the main one and a worker
 * engine in its own network namespace, a registry on the manager's address. Replicas are placed on the worker
 * with host-mode ports (the routing mesh needs IPVS, absent here), so a passing gate proves the probe reached
 * each task on its node.
 */
const exec = promisify(execFile);
const SCRIPT = join(REPO_ROOT, "scripts", "test-swarm.sh");
const project = projectName("e2eswarm");
const workspace = new Workspace();

interface Swarm {
  managerSocket: string;
  workerAddress: string;
  workerNetns: string;
  registry: string;
  managerNodeId: string;
  workerNodeId: string;
  /** An sshd in front of the manager: the same cluster, reached as from another machine. */
  ssh: { target: string; identityFile: string; knownHostsFile: string };
}

let swarm: Swarm;
let manager: Docker;
let repo: Repo;
let env: Record<string, string>;
let cwd: string;
let logs: LogsDir;
const commits: string[] = [];

const serviceName = `${project}-web`;
const marker = (version: string) => `${project} web ${version}`;

/** The Dockerfile of a version whose /health answers 404: it builds and runs, and fails the gate. */
const BROKEN_DOCKERFILE = [
  "FROM busybox:latest",
  "COPY www/ /www/",
  "RUN rm /www/health",
  'CMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]',
  "",
].join("\n");

async function deployManifest(
  registry: string,
  extra: Record<string, unknown> = {},
  overSsh = false,
): Promise<void> {
  const ssh = overSsh
    ? { ssh: swarm.ssh.target, identity_file: swarm.ssh.identityFile, known_hosts: swarm.ssh.knownHostsFile }
    : {};
  await writeManifest(cwd, {
    version: 1,
    project,
    registry: { url: registry },
    hosts: { cluster: { swarm: true, docker_socket: swarm.managerSocket, ...ssh } },
    defaults: e2eDefaults({ host: "cluster", health: { path: "/health", interval: "250ms", timeout: "8s" } }),
    services: {
      web: {
        repo: repo.dir,
        replicas: 2,
        placement: ["node.role==worker"],
        ports: [{ target: 8080, mode: "host" }],
        update: { parallelism: 1, delay: "0s", order: "start-first" },
        ...extra,
      },
    },
  });
}

/** The running tasks of the service: their node and their host-mode port there. */
async function runningTasks(): Promise<Array<{ node: string; port: number; image: string }>> {
  const tasks = await manager.listTasks({
    filters: { service: [serviceName], "desired-state": ["running"] },
  });
  return tasks
    .filter((task) => task.Status?.State === "running")
    .map((task) => ({
      node: task.NodeID as string,
      port: (task.Status as { PortStatus?: { Ports?: Array<{ PublishedPort: number }> } }).PortStatus
        ?.Ports?.[0]?.PublishedPort as number,
      image: task.Spec?.ContainerSpec?.Image as string,
    }));
}

/** What every replica answers on `/`, asked inside the worker's namespace (where its host-mode ports are). */
async function answers(): Promise<string[]> {
  const worker = { netns: swarm.workerNetns } as TestHost;
  const tasks = await runningTasks();
  return Promise.all(tasks.map((task) => getInside(worker, `http://127.0.0.1:${task.port}/`)));
}

beforeAll(async () => {
  try {
    await exec("bash", [SCRIPT, "up"], { cwd: REPO_ROOT });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/test-swarm.sh up failed:\n${stdout}${stderr}`);
  }
  swarm = JSON.parse(await readFile("/tmp/deploy-test-swarm/swarm.json", "utf8")) as Swarm;
  manager = new Docker({ socketPath: swarm.managerSocket });
  repo = await makeRepo(httpService(marker("v1")));
  commits.push(await repo.head());
  env = await workspace.cliEnv();
  cwd = await workspace.tempDir();
  logs = new LogsDir(join(cwd, "logs"));
  await deployManifest(swarm.registry);
}, 120_000);

afterAll(async () => {
  await exec("bash", [SCRIPT, "down"], { cwd: REPO_ROOT });
  await Promise.all([repo?.remove(), workspace.cleanup()]);
}, 120_000);

describe("Swarm hosts", () => {
  it("builds once on the manager, pushes, and runs 2 replicas on the worker that answer", async () => {
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    const status = await logs.status("web");
    expect(status).toMatchObject({
      state: "succeeded",
      host: "cluster",
      replicas: { desired: 2, running: 2 },
      nodes: [swarm.workerNodeId],
      image: `${swarm.registry}/${project}/web:${commits[0]?.slice(0, 12)}`,
    });
    const tasks = await runningTasks();
    expect(tasks.map((task) => task.node)).toEqual([swarm.workerNodeId, swarm.workerNodeId]);
    expect(tasks[0]?.image).toMatch(new RegExp(`^${swarm.registry}/${project}/web:[0-9a-f]{12}@sha256:`));
    for (const answer of await answers()) expect(answer).toContain(marker("v1"));
    // Host-mode ports answer on the worker's address only: here, through the veth.
    expect((await httpGet(`http://${swarm.workerAddress}:${tasks[0]?.port}/health`)).body).toBe("ok\n");
    const log = await logs.log("web");
    expect(log).toContain(`pushed ${swarm.registry}/${project}/web:`);
    expect(log).toMatch(/http:\/\/10\.231\.230\.2:\d+\/health: GET .* answered 200/);
  });

  it("a rerun is unchanged: no update is issued", async () => {
    const before = await manager.getService(serviceName).inspect();
    const plan = await runCli(["plan", "all", "--json"], { cwd, env });
    expectExit(plan, 0);
    expect(JSON.parse(plan.stdout).targets).toMatchObject([
      { service: "web", action: "unchanged", ref_kind: "branch", commit: commits.at(-1) },
    ]);
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    expect(await logs.status("web")).toMatchObject({
      state: "unchanged",
      replicas: { desired: 2, running: 2 },
    });
    const after = await manager.getService(serviceName).inspect();
    expect(after.Version?.Index).toBe(before.Version?.Index);
  });

  it("a new commit rolls out start-first, one task at a time", async () => {
    commits.push(await repo.commit({ "www/index.html": `<h1>${marker("v2")}</h1>\n` }, "v2"));
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    const spec = (await manager.getService(serviceName).inspect()).Spec;
    expect(spec?.UpdateConfig).toMatchObject({
      Order: "start-first",
      Parallelism: 1,
      FailureAction: "rollback",
    });
    expect(spec?.Labels?.[LABEL.commit]).toBe(commits[1]);
    for (const answer of await answers()) expect(answer).toContain(marker("v2"));
    expect(await logs.status("web")).toMatchObject({ state: "succeeded", commit: commits[1] });
  });

  it("a failing gate rolls back through Swarm: the previous version serves", async () => {
    await repo.commit({ Dockerfile: BROKEN_DOCKERFILE }, "v3: no /health");
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 1);
    const status = await logs.status("web");
    expect(status).toMatchObject({
      state: "rolled_back",
      error: { phase: "health" },
      replicas: { desired: 2, running: 2 },
    });
    expect(status.error?.message).toContain("Swarm rolled back to the previous version");
    const spec = (await manager.getService(serviceName).inspect()).Spec;
    expect(spec?.Labels?.[LABEL.commit]).toBe(commits[1]);
    const tasks = await runningTasks();
    expect(tasks).toHaveLength(2);
    for (const answer of await answers()) expect(answer).toContain(marker("v2"));

    const releases = await runCli(["releases", "web", "--json"], { cwd, env });
    expectExit(releases, 0);
    const [rows] = JSON.parse(releases.stdout) as Array<{
      releases: Array<{ live: boolean; commit: string }>;
    }>;
    expect(rows?.releases.map((release) => [release.commit, release.live])).toEqual([
      [commits[1], true],
      [commits[0], false],
    ]);
  });

  it("status shows the replicas by node id; rollback puts the release before back", async () => {
    const status = await runCli(["status", "--json"], { cwd, env });
    expectExit(status, 0);
    expect(JSON.parse(status.stdout)).toMatchObject([
      { service: "web", healthy: true, replicas: { desired: 2, running: 2 }, nodes: [swarm.workerNodeId] },
    ]);
    const rollback = await runCli(["rollback", "web"], { cwd, env });
    expectExit(rollback, 0);
    expect(await logs.status("web")).toMatchObject({ state: "succeeded", commit: commits[0] });
    for (const answer of await answers()) expect(answer).toContain(marker("v1"));
    const serviceLogs = await runCli(["logs", "web", "--tail", "5"], { cwd, env });
    expectExit(serviceLogs, 0);
    expect(serviceLogs.stdout).toMatch(/response:200/);
  });

  it("a refused push fails in phase build, and the running service is not touched", async () => {
    const before = await manager.getService(serviceName).inspect();
    // Nothing listens there: the engine's push fails inside its 200 stream.
    await deployManifest("10.231.230.1:5999");
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 1);
    const status = await logs.status("web");
    expect(status).toMatchObject({ state: "failed", error: { phase: "build" } });
    expect(status.error?.message).toContain("pushing 10.231.230.1:5999/");
    expect(status.error?.message).toContain("the running service was not touched");
    expect((await manager.getService(serviceName).inspect()).Version?.Index).toBe(before.Version?.Index);
    for (const answer of await answers()) expect(answer).toContain(marker("v1"));
    await deployManifest(swarm.registry);
  });

  it("deploys through a manager reached over SSH, as from another machine", async () => {
    // A good version again (the head still has the commit whose /health answers 404).
    commits.push(await repo.commit(httpService(marker("v4")), "v4"));
    await deployManifest(swarm.registry, {}, true);
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    expect(await logs.status("web")).toMatchObject({ state: "succeeded", commit: commits.at(-1) });
    for (const answer of await answers()) expect(answer).toContain(marker("v4"));
    await deployManifest(swarm.registry);
  });
});
